/**
 * What an operator reads after an App-V run stopped: the farm's state in words (each server's version and service, the
 * backup, whether the schema was upgraded) and the exact commands to resume, to bring service back, or to roll back in
 * the order of Microsoft's "How to Upgrade the Servers and System Components" (App-V 4.5,
 * https://learn.microsoft.com/en-us/microsoft-desktop-optimization-pack/appv-v4/how-to-upgrade-the-servers-and-system-components).
 */
import { appvProductPatterns, appvServiceCommand } from "../products/appv";
import type { AppVFarmInputs, AppVServerInputs } from "../products/appvInputs";
import { describeWindow, evaluateWindow, type MaintenanceWindow } from "../schedule/maintenanceWindow";
import type { Session } from "../transport/session";
import { type AppVHostFacts, type AppVMemberFacts, isBelow } from "./appvPlan";
import { readAppVHost } from "./appvFacts";
import { databaseLabel, serviceOf, webPathOf } from "./appvSteps";
import { isHostKeyError, reasonOf } from "./hostFacts";
import { formatAppVVersion, parseAppVVersion } from "../versions/appv";

/** Seconds the read of a server after a failure may take. */
const READ_AFTER_FAILURE_SECONDS = 30;

/** A server's version as messages show it: its release and raw text, "not installed", or unknown. */
export function versionText(facts: AppVHostFacts): string {
  if (!facts.reachable) return "unknown (unreachable)";
  const v = facts.liveVersion ? parseAppVVersion(facts.liveVersion) : undefined;
  return v ? `${formatAppVVersion(v)} (${facts.liveVersion})` : (facts.liveVersion ?? "not installed");
}

function versionOf(text: string | undefined): string {
  const v = text ? parseAppVVersion(text) : undefined;
  return v ? `${formatAppVVersion(v)} (${text})` : (text ?? "unknown");
}

/**
 * The farm's state in words, for an error raised while upgrading one of its servers: each server's version and service
 * state (the servers before this one as their resources verified them, this one read again now, the ones after as the
 * preparation left them), the backup, whether the schema was upgraded, and the exact commands to resume or go back.
 */
export async function farmStateText(inputs: AppVServerInputs, session: Session, step: string | undefined): Promise<string> {
  const farm = inputs.farm;
  if (!farm) return "";
  const self = farm.self ?? inputs.resourceName;
  const backup = farm.backupPath
    ? `the verified backup is ${farm.backupPath} on the SQL Server of ${farm.database}`
    : farm.backupWaived
      ? `no backup was taken (waived: ${farm.backupWaived})`
      : "no backup is recorded";
  const isFirst = farm.schemaServer !== undefined && farm.schemaServer === self;
  const beforeInstallDone = step === undefined || step === "preflight" || step === "install";
  const schema = isFirst
    ? beforeInstallDone
      ? `the schema of ${farm.database} is not upgraded (${self} was to upgrade it and its setup did not complete; a failed setup rolls back)`
      : `the schema of ${farm.database} was upgraded by ${self}`
    : farm.schemaServer
      ? `the schema of ${farm.database} was upgraded by ${farm.schemaServer}`
      : `the schema of ${farm.database} is unchanged by streaming servers`;
  const service = serviceOf(inputs.role, inputs.overrides);
  const laterNames = (farm.later ?? []).map((l) => l.split(":")[0]);
  let live: AppVHostFacts | undefined;
  let unreadable = "could not be read after the failure";
  try {
    live = await readAppVHost(session, {
      label: inputs.connection.host,
      productPatterns: inputs.overrides?.productDisplayNames ?? appvProductPatterns(inputs.role),
      servicePattern: service,
      webApplicationPath: webPathOf(inputs.role, inputs.overrides),
      target: inputs.targetVersion,
      deadlineSeconds: READ_AFTER_FAILURE_SECONDS,
    });
  } catch (e) {
    // A refused host key is the operator's to fix: say so instead of only "could not be read".
    live = undefined;
    if (isHostKeyError(e)) unreadable = `could not be read after the failure: its host key was refused (${reasonOf(e).split("\n")[0]})`;
  }
  const servers: string[] = [];
  const doneNames = new Set((farm.done ?? []).map((d) => d.name));
  for (const name of farm.members?.map((m) => m.name) ?? [self, ...laterNames]) {
    const done = (farm.done ?? []).find((d) => d.name === name);
    if (done) servers.push(`${name}: ${versionOf(done.version)}, service ${done.service ?? "unknown"} (upgraded)`);
    else if (name === self) {
      servers.push(
        live?.reachable
          ? `${name}: ${versionText(live)}, service ${live.serviceStatus ?? "unknown"} (read after the failure)`
          : `${name}: unknown (${unreadable})`,
      );
    } else if (laterNames.includes(name))
      servers.push(
        `${name}: ${farm.before?.[name] ?? "below the target"} when prepared, service Stopped by the preparation until its turn`,
      );
    else if (!doneNames.has(name)) servers.push(`${name}: upgrading beside ${self} (its own resource reports its state)`);
  }
  const stopped = [
    `${self}: ${appvServiceCommand("Start", inputs.role, service, live?.appPool, webPathOf(inputs.role, inputs.overrides))}`,
    ...(farm.later ?? []),
  ];
  const upgraded = !(isFirst && beforeInstallDone) && farm.schemaServer !== undefined;
  const resume =
    "To resume: fix the cause, then run `pulumi up`: it re-reads every server and goes on from where each one is (no second backup, no setup run twice), " +
    "and each server's service starts as soon as its own setup is done";
  if (!upgraded)
    return ` Farm ${farm.name} (${farm.database}): ${servers.join("; ")}. ${cap(backup)}; ${schema}. ${resume}. Otherwise, to bring service back without upgrading, run on each stopped server: ${stopped.join("; ")}.`;
  // This server runs the target once its setup completed (a failed setup rolls back).
  const selfUpgraded = live?.liveVersion !== undefined && !isBelow(live.liveVersion, inputs.targetVersion);
  const onTarget = [...(farm.done ?? []).map((d) => d.name), ...(selfUpgraded ? [self] : [])];
  return ` Farm ${farm.name} (${farm.database}): ${servers.join("; ")}. ${cap(backup)}; ${schema}. ${resume}. ${rollbackText(farm, self, service, onTarget)}`;
}

/**
 * How to go back after the schema upgrade, in the order of "How to Upgrade the Servers and System Components": "When you want to restore a database with VSS, you
 * must first stop the App-V Server Service on the Management Server. This should be done on every Management server if
 * there is more than one server connected to the same database." Then the restore, then the servers: one already on
 * the new version cannot serve the restored schema and the vendor documents no downgrade in place, so it stays stopped
 * (and disabled, so no reboot starts it) until the previous version is reinstalled; only the others are started.
 */
function rollbackText(farm: NonNullable<AppVServerInputs["farm"]>, self: string, selfService: string, onTarget: readonly string[]): string {
  if (!farm.backupPath) {
    return `There is no verified backup to roll back to (${farm.backupWaived ? `waived: ${farm.backupWaived}` : "none recorded"}): the vendor warns that without it "you will lose the configuration data"; resume instead.`;
  }
  const members = farm.members ?? [{ name: self, role: "management", service: selfService }];
  const serviceOf = (name: string) => members.find((m) => m.name === name)?.service ?? selfService;
  const dbMembers = members.filter((m) => m.role !== "streaming");
  const slash = farm.database.lastIndexOf("/");
  const sqlServer = farm.sqlServer ?? farm.database.slice(0, slash);
  const db = farm.database.slice(slash + 1).replace(/]/g, "]]");
  const restore = `sqlcmd -S ${sqlServer} -E -b -Q "RESTORE DATABASE [${db}] FROM DISK = N'${farm.backupPath.replace(/'/g, "''")}' WITH REPLACE"`;
  const newer = members.filter((m) => onTarget.includes(m.name));
  const older = members.filter((m) => !onTarget.includes(m.name));
  const steps = [
    `1) stop the App-V service on every management server connected to ${farm.database}: ${dbMembers.map((m) => `${m.name}: ${appvServiceCommand("Stop", m.role, m.service)}`).join("; ")}`,
    `2) restore the verified backup on ${sqlServer}: ${restore} (add -U <login> with SQLCMDPASSWORD set instead of -E for a SQL login)`,
    newer.length > 0
      ? `3) ${newer.map((m) => m.name).join(", ")} already run${newer.length === 1 ? "s" : ""} the new version, which cannot serve the restored schema, and the vendor documents no downgrade in place: ` +
        `keep their service stopped: ${newer
          .map((m) =>
            m.role === "management-service"
              ? `${m.name}: ${appvServiceCommand("Stop", m.role, m.service)} (and set the pool's autoStart to False)`
              : `${m.name}: Get-Service -DisplayName '${serviceOf(m.name)}' | Stop-Service -PassThru | Set-Service -StartupType Disabled`,
          )
          .join("; ")}; ` +
        "reinstall the previous version on them before they serve again"
      : "3) no server runs the new version",
    older.length > 0
      ? `4) only then start the servers still on the old version: ${older.map((m) => `${m.name}: ${appvServiceCommand("Start", m.role, m.service)}`).join("; ")}`
      : "4) no server is left on the old version",
  ];
  return `To roll back instead, in this order (never restore and start while a server on the new version runs): ${steps.join("; ")}.`;
}

function cap(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The farm's state in words after a failed preparation step. */
export function preparationStateText(
  inputs: AppVFarmInputs,
  members: readonly AppVMemberFacts[],
  upgraded: boolean,
  stopped: readonly AppVMemberFacts[],
  backup: { path?: string; verified: boolean; taken: boolean },
): string {
  const backupText = inputs.backup?.waive
    ? `no backup (waived: ${inputs.backup.waive.reason})`
    : backup.taken
      ? `a backup was written to ${backup.path} on ${inputs.database?.sqlServer} but ${backup.verified ? "verified" : "NOT verified: do not rely on it"}`
      : "no backup was taken by this run";
  const starts = stopped.map((m) => `${m.name}: ${appvServiceCommand("Start", m.role, m.serviceDisplayName ?? m.service, m.appPool)}`);
  // Each server as this run left it (its service's state is updated by every stop the run made).
  const servers = members.map((m) => `${m.name}: ${versionText(m)}, service ${m.serviceStatus ?? "unknown"}`).join("; ");
  const schema = upgraded ? "the schema was upgraded by an earlier run" : "the schema is not upgraded (no server was upgraded)";
  return (
    ` Farm ${inputs.farmName} (${databaseLabel(inputs)}): ${servers}. ${backupText}; ${schema}; ` +
    `stopped: ${stopped.map((m) => m.name).join(", ") || "none"}. To bring service back: ${starts.length > 0 ? starts.join("; ") : "nothing to start"}; ` +
    "or fix the cause and run `pulumi up` again, which resumes."
  );
}

/** The completion's report when the farm finished outside its window (the rollout ran to the end past it). */
export function overrunText(farm: string, window: MaintenanceWindow | undefined, hostNow: string | undefined): string | undefined {
  if (!window || !hostNow) return undefined;
  const now = new Date(hostNow);
  if (evaluateWindow(window, now).open) return undefined;
  return `farm ${farm} finished at ${now.toISOString()}, after the maintenance window closed: the rollout overran it (${describeWindow(window)}); once the schema was upgraded it ran to the end rather than leave the farm down`;
}
