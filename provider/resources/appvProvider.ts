/**
 * The implementation behind the App-V dynamic providers (`appvProviders.ts` requires it by package name inside each
 * method, so only a `require` is serialized into state). Thin CRUD over pure planning (../upgrade/appvPlan.ts), for
 * three kinds:
 * - `server` (`AppVServer`): preflight, the setup, the service, the version;
 * - `farm-preparation`: every App-V service of the farm stopped, then the database backed up and the backup verified,
 *   before the first server upgrades the schema (002_d640911b67db555d.txt);
 * - `farm-completion`: once every server runs the target, every service runs (normal operation resumes).
 * `check` reads the hosts live (bounded, read-only) and returns the inputs with the live versions and the plan, so
 * `pulumi preview` shows what `up` will do; `create` and `update` re-read, re-plan and run the plan; `read` refreshes;
 * `remove` only stops managing.
 */
import { getClientSessions, getDatabaseSessions, getServiceState, invokeSqlBackup, setServiceState, setWebAppPoolState, testSqlBackup, testSqlLogin } from "../operations";
import {
  APPV_CLIENT_PORTS,
  DEFAULT_USER_SESSION_DRAIN_MINUTES,
  APPV_DB_ADMIN_PROPERTIES,
  APPV_SERVER_ARGUMENTS,
  appvDbAdminArguments,
  APPV_SERVICES,
  APPV_WEB_APPLICATION_PATH,
  appvProductPatterns,
  appvServiceCommand,
  APPV_SERVICE_TIMEOUT_MINUTES,
  APPV_DEFAULT_DATABASE,
  DEFAULT_APPV_TIME_BUDGET_MINUTES,
  type AppVRole,
  appvInstallerLogPath,
  defaultBackupPath,
} from "../products/appv";
import { scriptInputFailures } from "../powershell/scriptCheck";
import { APPV_FARM_SCRIPT_INPUTS } from "../powershell/scriptInputs";
import { type MaintenanceWindow, describeWindow, evaluateWindow } from "../schedule/maintenanceWindow";
import { redactText } from "../transport/redact";
import type { Session } from "../transport/session";
import { APPV_VERSIONS, readAppVDatabase, readAppVHost } from "../upgrade/appvFacts";
import { ensureServiceRunning, runInstaller, verifyInstalledVersion, whileInstallerRuns } from "../upgrade/commonSteps";
import {
  type AppVDatabaseFacts,
  type AppVHostFacts,
  type AppVMemberFacts,
  describeFarmOrder,
  isBelow,
  farmBudget,
  farmWindowVerdict,
  planAppVFarm,
  planAppVFarmCompletion,
  planAppVServer,
  schemaServerOf,
  schemaUpgraded,
} from "../upgrade/appvPlan";
import { isHostKeyError } from "../upgrade/hostFacts";
import { powershellFailures } from "../upgrade/preflight";
import { runPlan } from "../upgrade/runner";
import type { Plan, PlannedStep } from "../upgrade/steps";
import { compareAppVVersions, evaluateAppVUpgradePath, formatAppVVersion, parseAppVVersion } from "../versions/appv";
import { ruleFailure } from "../versions/rules";
import {
  type AppVFarmInputs,
  type AppVFarmMemberInputs,
  type AppVKind,
  type AppVServerInputs,
  COMPUTED_KEYS,
  type CheckFailure,
  isUnknown,
  validateAppVFarmInputs,
  validateAppVServerInputs,
} from "./appvInputs";
import { blockedText, clean, connectionSecretValues, planLines, planningSession, say, sessionFor, stable, windowVerdict } from "./providerSupport";
import { safeFailures } from "./inputSupport";

/** Seconds each read may take while planning in `check` (preview must not hang on a dead host). */
const CHECK_READ_DEADLINE_SECONDS = 30;

type Props = Record<string, any>;

/** Values that must never be printed for these inputs: SSH credentials and the SQL login. */
function secretsOf(inputs: Partial<AppVServerInputs & AppVFarmInputs>): string[] {
  const out = connectionSecretValues(inputs.connection);
  for (const s of Array.isArray(inputs.servers) ? inputs.servers : []) out.push(...connectionSecretValues(s?.connection));
  const db = inputs.database;
  const logins: [unknown, unknown][] = [];
  if (db) {
    out.push(...connectionSecretValues(db.connection));
    logins.push([db.sqlUser, db.sqlPassword], [db.adminUser, db.adminPassword]);
  }
  if (inputs.databaseAdmin) logins.push([inputs.databaseAdmin.user, inputs.databaseAdmin.password]);
  for (const [user, password] of logins) {
    if (typeof password === "string" && password.length > 0) out.push(password);
    // A login name shorter than 4 characters ("sa") would blank out ordinary words; it is kept out of outputs anyway.
    if (typeof user === "string" && user.length >= 4) out.push(user);
  }
  return out;
}

function serviceOf(role: AppVRole | undefined, overrides: { serviceDisplayName?: string } | undefined): string {
  return role === "management-service" ? APPV_SERVICES[role] : (overrides?.serviceDisplayName ?? APPV_SERVICES[role ?? "management"]);
}

/** For a Management Web Service, the physical path of its IIS application (whose pool is its service). */
function webPathOf(role: AppVRole | undefined, overrides: { webApplicationPath?: string } | undefined): string | undefined {
  return role === "management-service" ? (overrides?.webApplicationPath ?? APPV_WEB_APPLICATION_PATH) : undefined;
}

/**
 * Brings a server's App-V service to `wanted`: the Windows service by display name, or for a Management Web Service its
 * IIS application pool (never IIS itself, which serves other sites).
 */
async function setAppVServiceState(
  session: Session,
  host: string,
  member: { role?: AppVRole; service: string; appPool?: string; webPath?: string },
  wanted: "Running" | "Stopped",
  timeoutSeconds: number,
  scale: number,
  onLine: (line: string) => void,
): Promise<{ status: string; displayName: string }> {
  if (member.role === "management-service") {
    if (!member.appPool) throw new Error(`no IIS application under '${member.webPath ?? APPV_WEB_APPLICATION_PATH}' was found on ${host}; set overrides.webApplicationPath to the Management Web Service's folder`);
    const r = (await setWebAppPoolState(session, { name: member.appPool, state: wanted === "Running" ? "Started" : "Stopped", timeoutSeconds }, { onLine, deadlineSeconds: timeoutSeconds / scale + 60 })).result;
    return { status: r.state === "Started" ? "Running" : "Stopped", displayName: `IIS application pool '${r.name}'` };
  }
  if (wanted === "Running") return ensureServiceRunning(session, host, member.service, timeoutSeconds, scale, onLine);
  const found = (await getServiceState(session, { displayNames: [member.service] })).result.services[0];
  if (!found) throw new Error(`no service matching "${member.service}" exists on ${host}; set overrides.serviceDisplayName`);
  const r = (await setServiceState(session, { displayName: found.displayName, state: wanted, timeoutSeconds }, { onLine, deadlineSeconds: timeoutSeconds / scale + 60 })).result;
  return { status: r.status, displayName: r.displayName };
}

/** Failures that come from live facts but mean the program is wrong: a downgrade, an unsupported path. */
function pathFailures(facts: AppVHostFacts, target: string, who: string): CheckFailure[] {
  const live = facts.liveVersion ? parseAppVVersion(facts.liveVersion) : undefined;
  const t = parseAppVVersion(target);
  if (!live || !t) return [];
  return evaluateAppVUpgradePath(live, t).map((v) => ruleFailure(v, who)); // rules call site: code kept
}

function versionText(facts: AppVHostFacts): string {
  if (!facts.reachable) return "unknown (unreachable)";
  const v = facts.liveVersion ? parseAppVVersion(facts.liveVersion) : undefined;
  return v ? `${formatAppVVersion(v)} (${facts.liveVersion})` : (facts.liveVersion ?? "not installed");
}

/** The outputs common to every kind: the inputs minus the plan fields, plus what was found. */
function withoutPlan(inputs: Props): Props {
  const { plan: _p, blockedReason: _b, ...rest } = inputs;
  return rest;
}

function desired(props: Props): Props {
  const out: Props = {};
  for (const [k, v] of Object.entries(props)) {
    if (k === "__provider" || k === "upgradeAfter" || k === "farm" || COMPUTED_KEYS.includes(k)) continue;
    out[k] = v;
  }
  return out;
}

/** `diff`: a change when the plan has steps or is blocked, or the desired state changed. Never a replacement. */
export async function diff(_kind: AppVKind, _id: string, olds: Props, news: Props): Promise<{ changes: boolean }> {
  const planned = Array.isArray(news.plan) && news.plan.length > 0;
  const blocked = typeof news.blockedReason === "string" && news.blockedReason.length > 0;
  return { changes: planned || blocked || stable(desired(olds)) !== stable(desired(news)) };
}

// ---------------------------------------------------------------------------------------------------------------
// AppVServer

/** Key of an App-V server's installer run record on its host. */
const APPV_INSTALLER_PRODUCT = "appv-server";

interface ServerObserved {
  facts: AppVHostFacts;
  plan: Plan;
  service: string;
}

async function observeServer(inputs: AppVServerInputs, session: Session, deadlineSeconds?: number): Promise<ServerObserved> {
  const service = serviceOf(inputs.role, inputs.overrides);
  const facts = await readAppVHost(session, {
    label: inputs.connection.host,
    productPatterns: inputs.overrides?.productDisplayNames ?? appvProductPatterns(inputs.role),
    servicePattern: service,
    webApplicationPath: webPathOf(inputs.role, inputs.overrides),
    installerPath: inputs.installer.path,
    target: inputs.targetVersion,
    installerProduct: APPV_INSTALLER_PRODUCT,
    deadlineSeconds,
  });
  const plan = planAppVServer(facts, {
    targetVersion: inputs.targetVersion,
    installerPath: inputs.installer.path,
    installerSha256: inputs.installer.sha256,
    service,
    hasService: inputs.role !== "console",
  });
  return { facts, plan: whileInstallerRuns(plan, facts), service };
}

function printServerPlan(resource: string, facts: AppVHostFacts, target: string, plan: Plan, secrets: readonly string[]): void {
  const head = plan.steps.length === 0 && !plan.blocked ? "nothing to do" : `${plan.steps.length} step(s)`;
  const lines = [`${facts.host}: ${versionText(facts)} -> ${target}: ${head}`];
  const blocked = blockedText(plan);
  if (blocked) lines.push(`blocked (${blocked})`);
  lines.push(...planLines(plan).map((l) => `  ${l}`));
  say(resource, lines, secrets);
}

async function checkServer(news: Props): Promise<{ inputs?: unknown; failures?: CheckFailure[] }> {
  const validated = validateAppVServerInputs(news);
  if (!validated.inputs) return { failures: validated.failures };
  const inputs = validated.inputs;
  const secrets = secretsOf(inputs);
  if (isUnknown(inputs.connection) || isUnknown(inputs.installer)) {
    say(inputs.resourceName, "the plan is computed once the connection and the setup are known");
    return { inputs: clean({ ...inputs, plan: ["(computed once the connection and the setup are known)"] }) };
  }
  let observed: ServerObserved;
  try {
    observed = await observeServer(inputs, planningSession(inputs.connection), CHECK_READ_DEADLINE_SECONDS);
  } catch (e) {
    if (isHostKeyError(e)) return { failures: [{ property: "connection.hostKey", reason: `[connection.hostKey] ${redactText((e as Error).message, secrets)}` }] };
    throw e;
  }
  const { facts, plan } = observed;
  const failures = [...powershellFailures(facts), ...pathFailures(facts, inputs.targetVersion, `host ${facts.host}`)];
  let overrun: string | undefined;
  if (failures.length === 0 && plan.steps.length > 0) {
    const closed = windowVerdict(validated.window, facts.hostNow, inputs.timeBudgetMinutes ?? DEFAULT_APPV_TIME_BUDGET_MINUTES);
    // After the schema upgrade the farm runs to the end: refusing here would leave it down (issue 14).
    if (closed && followsSchemaUpgrade(inputs)) overrun = `${closed}; this server follows the schema upgrade of ${inputs.farm!.database}, so it runs anyway (an overrun)`;
    else if (closed) failures.push({ property: "maintenanceWindow", reason: `[maintenanceWindow] ${facts.host}: ${closed}.` });
  }
  if (failures.length > 0) return { failures };
  printServerPlan(inputs.resourceName, facts, inputs.targetVersion, plan, secrets);
  if (overrun) say(inputs.resourceName, `overrun ahead: ${overrun}`, secrets);
  return { inputs: clean({ ...inputs, liveVersion: facts.liveVersion, plan: planLines(plan), blockedReason: blockedText(plan) }) };
}

/**
 * Whether this server is upgraded after the farm's schema upgrade (it follows the schema server): from then on the
 * farm runs to the end even if the window closes, since stopping would leave it down (issue 14).
 */
function followsSchemaUpgrade(inputs: AppVServerInputs): boolean {
  const farm = inputs.farm;
  return !!farm?.schemaServer && (farm.self ?? inputs.resourceName) !== farm.schemaServer;
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
async function farmStateText(inputs: AppVServerInputs, session: Session, step: string | undefined): Promise<string> {
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
  try {
    live = await readAppVHost(session, {
      label: inputs.connection.host,
      productPatterns: inputs.overrides?.productDisplayNames ?? appvProductPatterns(inputs.role),
      servicePattern: service,
      webApplicationPath: webPathOf(inputs.role, inputs.overrides),
      target: inputs.targetVersion,
      deadlineSeconds: CHECK_READ_DEADLINE_SECONDS,
    });
  } catch {
    live = undefined;
  }
  const servers: string[] = [];
  const doneNames = new Set((farm.done ?? []).map((d) => d.name));
  for (const name of farm.members?.map((m) => m.name) ?? [self, ...laterNames]) {
    const done = (farm.done ?? []).find((d) => d.name === name);
    if (done) servers.push(`${name}: ${versionOf(done.version)}, service ${done.service ?? "unknown"} (upgraded)`);
    else if (name === self) {
      servers.push(live?.reachable ? `${name}: ${versionText(live)}, service ${live.serviceStatus ?? "unknown"} (read after the failure)` : `${name}: unknown (could not be read after the failure)`);
    } else if (laterNames.includes(name)) servers.push(`${name}: ${farm.before?.[name] ?? "below the target"} when prepared, service Stopped by the preparation until its turn`);
    else if (!doneNames.has(name)) servers.push(`${name}: upgrading beside ${self} (its own resource reports its state)`);
  }
  const stopped = [`${self}: ${appvServiceCommand("Start", inputs.role, service, live?.appPool, webPathOf(inputs.role, inputs.overrides))}`, ...(farm.later ?? [])];
  const upgraded = !(isFirst && beforeInstallDone) && farm.schemaServer !== undefined;
  const resume =
    "To resume: fix the cause, then run `pulumi up`: it re-reads every server and goes on from where each one is (no second backup, no setup run twice), " +
    "and each server's service starts as soon as its own setup is done";
  if (!upgraded) return ` Farm ${farm.name} (${farm.database}): ${servers.join("; ")}. ${cap(backup)}; ${schema}. ${resume}. Otherwise, to bring service back without upgrading, run on each stopped server: ${stopped.join("; ")}.`;
  // This server runs the target once its setup completed (a failed setup rolls back).
  const selfUpgraded = live?.liveVersion !== undefined && !isBelow(live.liveVersion, inputs.targetVersion);
  const onTarget = [...(farm.done ?? []).map((d) => d.name), ...(selfUpgraded ? [self] : [])];
  return ` Farm ${farm.name} (${farm.database}): ${servers.join("; ")}. ${cap(backup)}; ${schema}. ${resume}. ${rollbackText(farm, self, service, onTarget)}`;
}

/**
 * How to go back after the schema upgrade, in the order of seed 002: "When you want to restore a database with VSS, you
 * must first stop the App-V Server Service on the Management Server. This should be done on every Management server if
 * there is more than one server connected to the same database." Then the restore, then the servers: one already on
 * the new version cannot serve the restored schema and the vendor documents no downgrade in place, so it stays stopped
 * (and disabled, so no reboot starts it) until the previous version is reinstalled; only the others are started.
 */
function rollbackText(farm: NonNullable<AppVServerInputs["farm"]>, self: string, selfService: string, onTarget: readonly string[]): string {
  if (!farm.backupPath) {
    return `There is no verified backup to roll back to (${farm.backupWaived ? `waived: ${farm.backupWaived}` : "none recorded"}): the seed warns that without it "you will lose the configuration data"; resume instead.`;
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

async function convergeServer(news: Props): Promise<{ id: string; outs: Props }> {
  const validated = validateAppVServerInputs(news);
  if (!validated.inputs) throw new Error(validated.failures.map((f) => f.reason).join("\n"));
  const inputs = validated.inputs;
  const resource = inputs.resourceName;
  const secrets = secretsOf(inputs);
  const session = sessionFor(inputs.connection, false);
  const observed = await observeServer(inputs, session);
  const { facts, plan, service } = observed;
  const failures = pathFailures(facts, inputs.targetVersion, `host ${facts.host}`);
  if (failures.length > 0) throw new Error(failures.map((f) => f.reason).join("\n"));
  if (plan.blocked) {
    throw new Error(redactText(`[${resource}] cannot upgrade ${facts.host}: ${plan.blocked.reason}. Nothing was changed on the host; fix the cause, then run \`pulumi up\` again.${await farmStateText(inputs, session, undefined)}`, secrets));
  }
  if (stable(planLines(plan)) !== stable(news.plan)) printServerPlan(resource, facts, inputs.targetVersion, plan, secrets);
  const scale = inputs.timeScale ?? 1;
  const budgetMinutes = inputs.timeBudgetMinutes ?? DEFAULT_APPV_TIME_BUDGET_MINUTES;
  const state = { ...facts };
  try {
    await runPlan(resource, plan.steps, (step, remainingMs) => runServerStep(inputs, session, validated.window, facts, service, step, remainingMs, state), {
      budgetMs: (budgetMinutes * 60_000) / scale,
      log: (line) => say(resource, line, secrets),
    });
  } catch (e) {
    const failedStep = (e as { step?: string }).step;
    const err = new Error(redactText(`${(e as Error).message}${await farmStateText(inputs, session, failedStep)}`, secrets));
    throw err;
  }
  if (plan.steps.length > 0) say(resource, `${state.host} runs ${versionText(state)}; done`, secrets);
  const outs = { ...withoutPlan(inputs), liveVersion: state.liveVersion, installedVersion: state.liveVersion, plan: [], serviceStatus: state.serviceStatus };
  return { id: `appv-server:${facts.host.toLowerCase()}`, outs: clean(outs) };
}

async function runServerStep(
  inputs: AppVServerInputs,
  session: Session,
  window: MaintenanceWindow | undefined,
  facts: AppVHostFacts,
  service: string,
  step: PlannedStep,
  remainingMs: () => number,
  state: AppVHostFacts,
): Promise<void> {
  const scale = inputs.timeScale ?? 1;
  const onLine = (line: string) => say(inputs.resourceName, `  ${step.host}: ${line}`, secretsOf(inputs));
  switch (step.name) {
    case "preflight": {
      if (facts.isAdmin === false) throw new Error(`${facts.user} is not an elevated administrator on ${facts.host}`);
      const closed = windowVerdict(window, facts.hostNow, inputs.timeBudgetMinutes ?? DEFAULT_APPV_TIME_BUDGET_MINUTES);
      if (closed && followsSchemaUpgrade(inputs)) {
        // Seed 002: the farm is offline until its servers are upgraded; once the schema is, the rollout runs to the end.
        say(
          inputs.resourceName,
          `overrun: ${closed}; going on because the schema of ${inputs.farm!.database} was upgraded by ${inputs.farm!.schemaServer} and stopping now would leave the farm down`,
          secretsOf(inputs),
        );
      } else if (closed) throw new Error(closed);
      return;
    }
    case "install": {
      const log = appvInstallerLogPath(inputs.resourceName);
      // Seed 002 step 7: the setup that upgrades the schema gets the database administrative credentials, as secrets.
      const admin = inputs.databaseAdmin;
      const adminArgs = appvDbAdminArguments(admin !== undefined, inputs.overrides?.databaseAdminProperties ?? APPV_DB_ADMIN_PROPERTIES);
      const template = (inputs.installer.arguments ?? APPV_SERVER_ARGUMENTS).split("{{log}}").join(log).split("{{dbAdmin}}").join(adminArgs);
      const secrets = admin && template.includes("{{secret:dbAdmin") ? { dbAdminUser: admin.user, dbAdminPassword: admin.password } : undefined;
      await runInstaller(
        session,
        step.host,
        {
          path: inputs.installer.path,
          argumentTemplate: template,
          logPath: log,
          product: APPV_INSTALLER_PRODUCT,
          target: inputs.targetVersion,
          scale,
          remainingMs,
          startScript: inputs.overrides?.startInstallerScript,
          noun: "setup",
          ...(secrets ? { secrets } : {}),
        },
        onLine,
      );
      return;
    }
    case "wait-service":
    case "start-service": {
      const member = { role: inputs.role, service, appPool: facts.appPool, webPath: webPathOf(inputs.role, inputs.overrides) };
      const r = await setAppVServiceState(session, step.host, member, "Running", APPV_SERVICE_TIMEOUT_MINUTES * 60, scale, onLine);
      state.serviceStatus = r.status;
      state.serviceDisplayName = r.displayName;
      return;
    }
    case "verify-version": {
      state.liveVersion = await verifyInstalledVersion(session, step.host, {
        patterns: inputs.overrides?.productDisplayNames ?? appvProductPatterns(inputs.role),
        target: inputs.targetVersion,
        scheme: APPV_VERSIONS,
        product: "App-V server",
        noun: "setup",
        logPath: appvInstallerLogPath(inputs.resourceName),
      });
      return;
    }
    default:
      throw new Error(`step ${step.name} is not part of the App-V server procedure`);
  }
}

/** Refresh keeps the last known state of a resource whose stored state is not valid input, and says why. */
function unreadable(id: string, props: Props, failures: readonly CheckFailure[]): { id: string; props: Props } {
  say(props.resourceName ?? id, ["refresh cannot read the host: the stored state is not valid input:", ...failures.map((f) => `  ${f.reason}`)], secretsOf(props));
  return { id, props };
}

async function readServer(id: string, props: Props): Promise<{ id: string; props: Props; inputs?: Props }> {
  const validated = validateAppVServerInputs(props);
  if (!validated.inputs) return unreadable(id, props, validated.failures);
  const observed = await observeServer(validated.inputs, planningSession(validated.inputs.connection));
  const { facts, plan } = observed;
  if (!facts.reachable) {
    say(props.resourceName ?? id, `refresh could not reach the host; keeping the last known state: ${facts.unreachableReason}`);
    return { id, props };
  }
  const refreshed = { ...props, liveVersion: facts.liveVersion, installedVersion: facts.liveVersion, serviceStatus: facts.serviceStatus };
  const inputs: Props = {};
  for (const [k, v] of Object.entries(props)) if (!["installedVersion", "serviceStatus"].includes(k)) inputs[k] = v;
  inputs.liveVersion = facts.liveVersion;
  inputs.plan = planLines(plan);
  inputs.blockedReason = blockedText(plan);
  return { id, props: clean(refreshed), inputs: clean(inputs) };
}

// ---------------------------------------------------------------------------------------------------------------
// The farm: preparation and completion

interface FarmObserved {
  members: AppVMemberFacts[];
  database: AppVDatabaseFacts;
  plan: Plan;
}

function databaseName(inputs: AppVFarmInputs): string {
  return inputs.database?.name ?? APPV_DEFAULT_DATABASE;
}

function databaseLabel(inputs: AppVFarmInputs): string {
  return `${inputs.database?.sqlServer ?? "?"}/${databaseName(inputs)}`;
}

function backupPathOf(inputs: AppVFarmInputs): string | undefined {
  if (inputs.backup?.waive) return undefined;
  return inputs.database?.backupPath ?? defaultBackupPath(databaseName(inputs), inputs.targetVersion);
}

function sqlSecrets(inputs: AppVFarmInputs): { sqlUser: string; sqlPassword: string } | undefined {
  const db = inputs.database;
  return db?.sqlUser && db.sqlPassword ? { sqlUser: db.sqlUser, sqlPassword: db.sqlPassword } : undefined;
}

/** The App-V clients connected to a server now (`Get-ClientSessions`); the web service has no streaming clients. */
async function readClientSessions(inputs: AppVFarmInputs, role: AppVRole, session: Session, deadlineSeconds?: number): Promise<AppVMemberFacts["clientSessions"]> {
  if (role === "management-service") return undefined;
  try {
    const r = (await getClientSessions(session, { ports: [...(inputs.userSessions?.ports ?? APPV_CLIENT_PORTS)] }, { body: inputs.userSessions?.script, deadlineSeconds })).result;
    return { remotes: r.connections.map((c) => c.remoteAddress) };
  } catch (e) {
    if (isHostKeyError(e)) throw e;
    return { error: (e as Error).message.split("\n")[0] };
  }
}

async function readMembers(inputs: AppVFarmInputs, sessions: Map<string, Session>, hashSetups: boolean, deadlineSeconds?: number): Promise<AppVMemberFacts[]> {
  return Promise.all(
    inputs.servers.map(async (m: AppVFarmMemberInputs) => {
      const service = serviceOf(m.role, m.overrides);
      const facts = await readAppVHost(sessions.get(m.name)!, {
        label: m.name,
        productPatterns: m.overrides?.productDisplayNames ?? appvProductPatterns(m.role),
        servicePattern: service,
        webApplicationPath: webPathOf(m.role, m.overrides),
        installerPath: hashSetups ? m.installer?.path : undefined,
        target: inputs.targetVersion,
        installerProduct: APPV_INSTALLER_PRODUCT,
        deadlineSeconds,
      });
      const role = m.role ?? "management";
      // Seed 002: "User sessions should be shut down before you begin": who is still connected, before the stop.
      const clientSessions = hashSetups && facts.reachable ? await readClientSessions(inputs, role, sessions.get(m.name)!, deadlineSeconds) : undefined;
      return { ...facts, name: m.name, role, service, ...(clientSessions ? { clientSessions } : {}) };
    }),
  );
}

async function observeFarm(kind: AppVKind, inputs: AppVFarmInputs, sessions: Map<string, Session>, dbSession: Session | undefined, deadlineSeconds?: number): Promise<FarmObserved> {
  const members = await readMembers(inputs, sessions, kind === "farm-preparation", deadlineSeconds);
  const label = databaseLabel(inputs);
  if (kind === "farm-completion") {
    return { members, database: { label, reachable: true }, plan: planAppVFarmCompletion(members, inputs.targetVersion) };
  }
  const anyBelow = members.some((m) => m.liveVersion && parseAppVVersion(m.liveVersion) && compareAppVVersions(parseAppVVersion(m.liveVersion)!, parseAppVVersion(inputs.targetVersion)!) < 0);
  const database: AppVDatabaseFacts =
    anyBelow && dbSession
      ? await readAppVDatabase(dbSession, { sqlServer: inputs.database!.sqlServer, database: databaseName(inputs), secrets: sqlSecrets(inputs), body: inputs.database!.schemaScript, deadlineSeconds })
      : { label, reachable: true };
  // Before the schema upgrade: the credentials it needs and who else is on the database, read side by side.
  const beforeSchema = anyBelow && dbSession && database.reachable && !schemaUpgraded(members, database, inputs.targetVersion);
  const [adminLogin, databaseClients] = beforeSchema
    ? await Promise.all([checkAdminLogin(inputs, dbSession!, deadlineSeconds), readDatabaseClients(inputs, members, dbSession!, deadlineSeconds)])
    : [undefined, undefined];
  const plan = planAppVFarm(members, database, {
    userSessions: { drainMinutes: inputs.userSessions?.drainMinutes ?? DEFAULT_USER_SESSION_DRAIN_MINUTES, proceed: inputs.userSessions?.proceed ?? false },
    adminLogin,
    databaseClients,
    targetVersion: inputs.targetVersion,
    backupPath: backupPathOf(inputs),
    waivedReason: inputs.backup?.waive?.reason,
    sqlHost: inputs.database!.sqlServer,
    installers: Object.fromEntries(inputs.servers.filter((m) => m.installer).map((m) => [m.name, { path: m.installer!.path, sha256: m.installer!.sha256 }])),
  });
  return { members, database, plan: noBackupWhileSetupRuns(plan, members) };
}

/**
 * A member whose setup still runs (started by an earlier run that lost its connection, was cancelled or was killed)
 * means the preparation already ran for it; a backup now would copy a schema that setup may be upgrading. The backup
 * steps are left out and the earlier verified backup stays the farm's (its outputs keep it).
 */
function noBackupWhileSetupRuns(plan: Plan, members: readonly AppVMemberFacts[]): Plan {
  if (!members.some((m) => m.installerRun)) return plan;
  return { ...plan, steps: plan.steps.filter((s) => s.name !== "backup-database" && s.name !== "verify-backup") };
}

/** The database administrative credentials the first setup will get: adminUser/adminPassword, else the backup login. */
function adminCredentials(inputs: AppVFarmInputs): { sqlUser: string; sqlPassword: string } | undefined {
  const db = inputs.database;
  const user = db?.adminUser ?? db?.sqlUser;
  const password = db?.adminPassword ?? db?.sqlPassword;
  return user && password ? { sqlUser: user, sqlPassword: password } : undefined;
}

/**
 * Logs in to SQL with the credentials the schema upgrade will use (read-only, `Test-SqlLogin`), so credentials SQL
 * refuses fail the preview instead of the first setup after the farm is stopped.
 */
async function checkAdminLogin(inputs: AppVFarmInputs, db: Session, deadlineSeconds?: number): Promise<{ ok: boolean; property: string; reason?: string }> {
  const creds = adminCredentials(inputs);
  const sql = inputs.database!.sqlServer;
  if (!creds) {
    return {
      ok: false,
      property: "database.adminUser",
      reason:
        `the schema upgrade needs the database administrative credentials (the setup's "Database Upgrade Required" page asks for them) and none are declared: ` +
        "set database.adminUser and database.adminPassword (or sqlUser and sqlPassword) to a SQL login that administers the App-V database",
    };
  }
  const explicit = inputs.database!.adminUser !== undefined;
  const property = explicit ? "database.adminPassword" : "database.sqlPassword";
  try {
    const r = (await testSqlLogin(db, { sqlServer: sql, database: databaseName(inputs), secrets: creds }, { deadlineSeconds })).result;
    if (!r.canLogIn) return { ok: false, property, reason: `the database administrative credentials cannot log in to ${sql}: ${r.message.split("\n")[0]}; correct ${explicit ? "database.adminUser or database.adminPassword" : "database.sqlUser or database.sqlPassword (or set database.adminUser and adminPassword)"}` };
    if (!r.sysadmin) {
      return {
        ok: false,
        property: explicit ? "database.adminUser" : "database.sqlUser",
        reason: `the login given as the database administrative credentials logs in to ${sql} but is not a sysadmin there, which the schema upgrade needs; give a login that administers the App-V database`,
      };
    }
    return { ok: true, property };
  } catch (e) {
    if (isHostKeyError(e)) throw e;
    return { ok: false, property, reason: `the database administrative credentials could not be checked on ${sql}: ${(e as Error).message.split("\n")[0]}` };
  }
}

/** A host name as compared: lower case, without a DNS suffix. */
function shortHost(name: string): string {
  return name.trim().toLowerCase().split(".")[0];
}

/**
 * Reads who holds sessions on the App-V database (`Get-DatabaseSessions`, read-only) and keeps the hosts that are not
 * the farm's servers (by computer name, program name or connection host), the SQL host itself or a declared other client.
 */
async function readDatabaseClients(
  inputs: AppVFarmInputs,
  members: readonly AppVMemberFacts[],
  db: Session,
  deadlineSeconds?: number,
): Promise<{ undeclared: { hostName: string; programName: string }[] } | { error: string }> {
  try {
    const r = (
      await getDatabaseSessions(db, { sqlServer: inputs.database!.sqlServer, database: databaseName(inputs), secrets: sqlSecrets(inputs) }, { body: inputs.database!.sessionsScript, deadlineSeconds })
    ).result;
    const known = new Set(
      [...members.flatMap((m) => [m.host, m.name]), ...inputs.servers.map((s) => (s.connection as { host?: string })?.host ?? ""), ...(inputs.database!.otherClients ?? []), r.sqlHost]
        .filter((h) => h.length > 0)
        .map(shortHost),
    );
    const undeclared = r.sessions.filter((s) => s.hostName.trim().length > 0 && !known.has(shortHost(s.hostName)));
    const seen = new Set<string>();
    return { undeclared: undeclared.filter((s) => !seen.has(shortHost(s.hostName)) && !!seen.add(shortHost(s.hostName))).map((s) => ({ hostName: s.hostName, programName: s.programName })) };
  } catch (e) {
    if (isHostKeyError(e)) throw e;
    return { error: (e as Error).message.split("\n")[0] };
  }
}

function farmSessions(inputs: AppVFarmInputs, planning: boolean): { sessions: Map<string, Session>; db?: Session } {
  const sessions = new Map(inputs.servers.map((m) => [m.name, sessionFor(m.connection, planning)] as const));
  const db = inputs.database ? sessionFor(inputs.database.connection, planning) : undefined;
  return { sessions, db };
}

function farmFailures(inputs: AppVFarmInputs, members: readonly AppVMemberFacts[]): CheckFailure[] {
  return members.flatMap((m) => pathFailures(m, inputs.targetVersion, `server ${m.name} on ${m.host}`));
}

function liveVersions(members: readonly AppVMemberFacts[]): Record<string, string> {
  return Object.fromEntries(members.map((m) => [m.name, versionText(m)]));
}

/**
 * The preparation's window verdict for the whole farm (issue 14): while the schema is not upgraded, the window's
 * remaining time must cover the farm's budget; once it is, the farm runs to the end and nothing is refused.
 */
function preparationWindow(inputs: AppVFarmInputs, window: MaintenanceWindow | undefined, observed: FarmObserved): { refusal?: string; lines: string[] } {
  const { members, database } = observed;
  if (!window || schemaUpgraded(members, database, inputs.targetVersion)) return { lines: [] };
  const budget = farmBudget(members, inputs.targetVersion, inputs.timeBudgetMinutes ?? DEFAULT_APPV_TIME_BUDGET_MINUTES, inputs.farmTimeBudgetMinutes);
  if (budget.minutes === 0) return { lines: [] };
  const now = members.find((m) => m.hostNow)?.hostNow;
  const verdict = farmWindowVerdict(window, now, budget);
  const first = schemaServerOf(members, inputs.targetVersion);
  const lines = verdict.fits ? [verdict.fits] : [];
  if (first) {
    lines.push(
      `once ${first.name} has upgraded the schema, the rollout runs to the end even if the window closes (stopping half-way would leave the farm down); a server that starts after the window closed reports the overrun`,
    );
  }
  return { refusal: verdict.refusal, lines };
}

function printFarmPlan(kind: AppVKind, inputs: AppVFarmInputs, observed: FarmObserved, secrets: readonly string[], windowLines: readonly string[] = []): void {
  const { members, database, plan } = observed;
  const head = plan.steps.length === 0 && !plan.blocked ? "nothing to do" : `${plan.steps.length} step(s)`;
  const what = kind === "farm-preparation" ? "preparation" : "completion";
  const lines = [`farm ${inputs.farmName} ${what} -> ${inputs.targetVersion}: ${head}`];
  lines.push(`  servers: ${members.map((m) => `${m.name} ${versionText(m)}`).join(", ")}`);
  if (kind === "farm-preparation") {
    const clients = members
      .filter((m) => m.clientSessions)
      .map((m) => {
        const c = m.clientSessions!;
        return "error" in c ? `${m.name} unknown (${c.error})` : `${m.name} ${c.remotes.length}${c.remotes.length > 0 ? ` (${c.remotes.slice(0, 5).join(", ")})` : ""}`;
      });
    if (clients.length > 0) lines.push(`  active client connections: ${clients.join(", ")}`);
    lines.push(`  database ${database.label}: schema ${database.schemaVersion ?? (database.error ? `unknown (${database.error.split("\n")[0]})` : "not read")}`);
  }
  const blocked = blockedText(plan);
  if (blocked) lines.push(plan.after ? `  ${blocked}` : `  blocked (${blocked})`);
  lines.push(...planLines(plan).map((l) => `  ${l}`));
  if (kind === "farm-preparation") {
    const order = describeFarmOrder(members, database, inputs.targetVersion, inputs.order === "parallel-after-first");
    if (order.length > 0) lines.push("  then the servers, in order:", ...order.map((l) => `    ${l}`), "  each server's service starts again as soon as its own setup is done");
    lines.push(...windowLines.map((l) => `  ${l}`));
  }
  say(inputs.resourceName, lines, secrets);
}

async function checkFarm(kind: "farm-preparation" | "farm-completion", news: Props): Promise<{ inputs?: unknown; failures?: CheckFailure[] }> {
  const validated = validateAppVFarmInputs(kind, news);
  // The schema script is parsed before anything touches a host (issue 15).
  const scripts = await scriptInputFailures(news, APPV_FARM_SCRIPT_INPUTS, isUnknown, secretsOf(news));
  if (!validated.inputs || scripts.length > 0) return { failures: [...validated.failures, ...scripts] };
  const inputs = validated.inputs;
  const secrets = secretsOf(inputs);
  if (isUnknown(inputs.servers) || (kind === "farm-preparation" && isUnknown(inputs.database))) {
    say(inputs.resourceName, "the plan is computed once the servers' and the database's connections are known");
    return { inputs: clean({ ...inputs, plan: ["(computed once the connections are known)"] }) };
  }
  let observed: FarmObserved;
  try {
    const { sessions, db } = farmSessions(inputs, true);
    observed = await observeFarm(kind, inputs, sessions, db, CHECK_READ_DEADLINE_SECONDS);
  } catch (e) {
    if (isHostKeyError(e)) return { failures: [{ property: "connection.hostKey", reason: `[connection.hostKey] ${redactText((e as Error).message, secrets)}` }] };
    throw e;
  }
  const failures = farmFailures(inputs, observed.members);
  const blocked = observed.plan.blocked;
  // Refusals that belong to preview. The engine prints the value of a failure's property when it names a top-level
  // input, and `servers` and `database` carry connections: each is reported on a nested property.
  const AT_PREVIEW: Record<string, string | undefined> = { "database-credentials": undefined, "undeclared-server": "database.otherClients", "database-sessions-unreadable": "database.sessionsScript" };
  if (blocked && blocked.code in AT_PREVIEW) {
    const tag = /^\[([^\]]+)\]/.exec(blocked.reason)?.[1] ?? "database";
    failures.push({ property: AT_PREVIEW[blocked.code] ?? tag, reason: redactText(`${blocked.reason.replace(/^\[[^\]]+\] /, `[${tag}] farm ${inputs.farmName}: `)}.`, secrets) });
  }
  let windowLines: string[] = [];
  if (failures.length === 0 && observed.plan.steps.length > 0 && kind === "farm-preparation") {
    const w = preparationWindow(inputs, validated.window, observed);
    if (w.refusal) failures.push({ property: "maintenanceWindow", reason: `[maintenanceWindow] farm ${inputs.farmName}: ${w.refusal}.` });
    windowLines = w.lines;
  }
  if (failures.length > 0) return { failures };
  printFarmPlan(kind, inputs, observed, secrets, windowLines);
  return {
    inputs: clean({
      ...inputs,
      liveVersions: liveVersions(observed.members),
      plan: planLines(observed.plan),
      blockedReason: blockedText(observed.plan),
    }),
  };
}

/** The farm's state in words after a failed preparation step. */
function preparationStateText(
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

async function convergeFarm(kind: "farm-preparation" | "farm-completion", news: Props, olds?: Props): Promise<{ id: string; outs: Props }> {
  const validated = validateAppVFarmInputs(kind, news);
  if (!validated.inputs) throw new Error(validated.failures.map((f) => f.reason).join("\n"));
  const inputs = validated.inputs;
  const resource = inputs.resourceName;
  const secrets = secretsOf(inputs);
  const { sessions, db } = farmSessions(inputs, false);
  const observed = await observeFarm(kind, inputs, sessions, db);
  const { members, database, plan } = observed;
  const failures = farmFailures(inputs, members);
  if (failures.length > 0) throw new Error(failures.map((f) => f.reason).join("\n"));
  if (plan.blocked) {
    throw new Error(redactText(`[${resource}] farm ${inputs.farmName}: ${blockedText(plan)}. Nothing was changed; fix the cause, then run \`pulumi up\` again.`, secrets));
  }
  let windowLines: string[] = [];
  if (kind === "farm-preparation" && plan.steps.length > 0) {
    // Again at up, by the host's clock now: the preparation stops the farm only if the window holds all of it.
    const w = preparationWindow(inputs, validated.window, observed);
    if (w.refusal) throw new Error(redactText(`[maintenanceWindow] farm ${inputs.farmName}: ${w.refusal}. Nothing was changed; no service was stopped.`, secrets));
    windowLines = w.lines;
  }
  if (stable(planLines(plan)) !== stable(news.plan)) printFarmPlan(kind, inputs, observed, secrets, windowLines);
  const scale = inputs.timeScale ?? 1;
  const budgetMinutes = inputs.timeBudgetMinutes ?? DEFAULT_APPV_TIME_BUDGET_MINUTES;
  const byHost = new Map(members.map((m) => [m.host, m]));
  const stopped: AppVMemberFacts[] = members.filter((m) => m.serviceStatus === "Stopped" && kind === "farm-preparation");
  const backup = { path: backupPathOf(inputs), taken: false, verified: false };
  const timeoutSeconds = APPV_SERVICE_TIMEOUT_MINUTES * 60;
  try {
    await runPlan(
      resource,
      plan.steps,
      async (step) => {
        const onLine = (line: string) => say(resource, `  ${step.host}: ${line}`, secrets);
        const m = byHost.get(step.host);
        switch (step.name) {
          case "stop-services":
          case "start-service": {
            const wanted = step.name === "stop-services" ? "Stopped" : "Running";
            const session = sessions.get(m!.name)!;
            const declared = inputs.servers.find((x) => x.name === m!.name);
            const r = await setAppVServiceState(session, m!.host, { role: m!.role, service: m!.service, appPool: m!.appPool, webPath: webPathOf(m!.role, declared?.overrides) }, wanted, timeoutSeconds, scale, onLine);
            m!.serviceStatus = r.status;
            m!.serviceDisplayName = r.displayName;
            if (wanted === "Stopped" && !stopped.includes(m!)) stopped.push(m!);
            return;
          }
          case "drain-sessions": {
            await drainClientSessions(inputs, m!, sessions.get(m!.name)!, scale, onLine);
            return;
          }
          case "backup-database": {
            backup.taken = true;
            const r = (await invokeSqlBackup(db!, { sqlServer: inputs.database!.sqlServer, database: databaseName(inputs), backupPath: backup.path!, secrets: sqlSecrets(inputs) }, { onLine, deadlineSeconds: 3600 / Math.max(1, scale) + 120 })).result;
            backup.path = r.backupPath;
            onLine(`full backup written: ${r.backupPath} (${r.sizeBytes} bytes)`);
            return;
          }
          case "verify-backup": {
            const r = (await testSqlBackup(db!, { sqlServer: inputs.database!.sqlServer, backupPath: backup.path!, secrets: sqlSecrets(inputs) }, { onLine })).result;
            if (!r.valid) throw new Error(`RESTORE VERIFYONLY rejected ${backup.path}: ${r.message}; no server was upgraded without a usable backup`);
            backup.verified = true;
            onLine(`backup verified: ${r.message}`);
            return;
          }
          default:
            throw new Error(`step ${step.name} is not part of the App-V farm procedure`);
        }
      },
      { budgetMs: (budgetMinutes * 60_000) / scale, log: (line) => say(resource, line, secrets) },
    );
  } catch (e) {
    const extra = kind === "farm-preparation" ? preparationStateText(inputs, members, schemaUpgraded(members, database, inputs.targetVersion), stopped, backup) : "";
    throw new Error(redactText(`${(e as Error).message}${extra}`, secrets));
  }
  const tookBackup = plan.steps.some((s) => s.name === "backup-database");
  const outs: Props = {
    ...withoutPlan(inputs),
    liveVersions: liveVersions(members),
    plan: [],
    ready: inputs.targetVersion,
  };
  if (kind === "farm-preparation") {
    outs.schemaVersion = database.schemaVersion ?? olds?.schemaVersion;
    outs.backupPath = tookBackup ? backup.path : olds?.backupPath;
    outs.backupVerified = tookBackup ? backup.verified : olds?.backupVerified;
    outs.stoppedServers = plan.steps.length > 0 ? stopped.map((m) => m.name) : (olds?.stoppedServers ?? []);
    if (plan.steps.length > 0) {
      const upgraded = schemaUpgraded(members, database, inputs.targetVersion);
      say(resource, `farm ${inputs.farmName} is ready for ${inputs.targetVersion}: ${upgraded ? "schema already upgraded" : "the first server upgrades the schema"}; stopped: ${stopped.map((m) => m.name).join(", ") || "none"}`, secrets);
    }
  } else {
    outs.serviceStatuses = Object.fromEntries(members.map((m) => [m.name, m.serviceStatus ?? "unknown"]));
    if (plan.steps.length > 0) say(resource, `farm ${inputs.farmName}: every server runs ${inputs.targetVersion} and every service runs; normal operation resumes`, secrets);
    const overran = overrunText(inputs.farmName, validated.window, members.find((m) => m.hostNow)?.hostNow);
    if (overran) say(resource, overran, secrets);
  }
  return { id: `appv-${kind}:${inputs.farmName.toLowerCase()}`, outs: clean(outs) };
}

/**
 * Waits for a server's App-V clients to disconnect (seed 002: "User sessions should be shut down before you begin"), up
 * to `userSessions.drainMinutes` of host time; then stops anyway with `userSessions.proceed`, or refuses before any
 * service is stopped (the drains run before every stop).
 */
async function drainClientSessions(inputs: AppVFarmInputs, m: AppVMemberFacts, session: Session, scale: number, onLine: (line: string) => void): Promise<void> {
  const limitMs = ((inputs.userSessions?.drainMinutes ?? DEFAULT_USER_SESSION_DRAIN_MINUTES) * 60_000) / scale;
  const pollMs = Math.max(50, (30_000 / scale));
  const started = Date.now();
  let remotes: string[] = [];
  for (;;) {
    const c = await readClientSessions(inputs, m.role, session);
    if (c && "error" in c) throw new Error(`the client connections on ${m.name} could not be read: ${c.error}; no service was stopped`);
    remotes = c?.remotes ?? [];
    if (remotes.length === 0) {
      onLine(`no client connection left on ${m.name}`);
      return;
    }
    if (Date.now() - started >= limitMs) break;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  const which = `${remotes.length} client connection(s) still active on ${m.name} after ${inputs.userSessions?.drainMinutes ?? DEFAULT_USER_SESSION_DRAIN_MINUTES} min (${remotes.slice(0, 5).join(", ")})`;
  if (inputs.userSessions?.proceed) {
    onLine(`${which}: stopping anyway, as userSessions.proceed says; those users lose their sessions`);
    return;
  }
  throw new Error(`${which}; no service was stopped: ask the users to close their virtual applications, raise userSessions.drainMinutes, or set userSessions.proceed`);
}

/** The completion's report when the farm finished outside its window (the rollout ran to the end past it). */
function overrunText(farm: string, window: MaintenanceWindow | undefined, hostNow: string | undefined): string | undefined {
  if (!window || !hostNow) return undefined;
  const now = new Date(hostNow);
  if (evaluateWindow(window, now).open) return undefined;
  return `farm ${farm} finished at ${now.toISOString()}, after the maintenance window closed: the rollout overran it (${describeWindow(window)}); once the schema was upgraded it ran to the end rather than leave the farm down`;
}

async function readFarm(kind: "farm-preparation" | "farm-completion", id: string, props: Props): Promise<{ id: string; props: Props; inputs?: Props }> {
  const validated = validateAppVFarmInputs(kind, props);
  if (!validated.inputs) return unreadable(id, props, validated.failures);
  const { sessions, db } = farmSessions(validated.inputs, true);
  const observed = await observeFarm(kind, validated.inputs, sessions, db);
  if (observed.members.some((m) => !m.reachable)) {
    say(props.resourceName ?? id, "refresh could not reach every server; keeping the last known state");
    return { id, props };
  }
  const versions = liveVersions(observed.members);
  const inputs: Props = { ...props, liveVersions: versions, plan: planLines(observed.plan), blockedReason: blockedText(observed.plan) };
  for (const k of ["schemaVersion", "backupPath", "backupVerified", "stoppedServers", "ready", "serviceStatuses"]) delete inputs[k];
  return { id, props: clean({ ...props, liveVersions: versions }), inputs: clean(inputs) };
}

// ---------------------------------------------------------------------------------------------------------------
// Entry points (called by appvProviders.ts)

/** `check`: validate, then plan from live facts where the connections are known. */
export async function check(kind: AppVKind, _olds: unknown, news: Props): Promise<{ inputs?: unknown; failures?: CheckFailure[] }> {
  const r = kind === "server" ? await checkServer(news) : await checkFarm(kind, news);
  // Whatever step found it, a failure is never attached to a property whose printed value would hold a secret.
  return r.failures ? { ...r, failures: safeFailures(r.failures, news) } : r;
}

/** `create`: adopt the existing installation and bring it to the target (or prepare / complete the farm). */
export async function create(kind: AppVKind, inputs: Props): Promise<{ id: string; outs: Props }> {
  return kind === "server" ? convergeServer(inputs) : convergeFarm(kind, inputs);
}

/** `update`: run the procedure again from live facts (a changed target, a resumed failure, drift). */
export async function update(kind: AppVKind, _id: string, olds: Props, news: Props): Promise<{ outs: Props }> {
  return { outs: (kind === "server" ? await convergeServer(news) : await convergeFarm(kind, news, olds)).outs };
}

/** `read` (refresh): the live versions and services; the inputs come back with a fresh plan. */
export async function read(kind: AppVKind, id: string, props: Props): Promise<{ id: string; props: Props; inputs?: Props }> {
  return kind === "server" ? readServer(id, props) : readFarm(kind, id, props);
}

/** `delete`: stop managing. Nothing is uninstalled, no service is touched. */
export async function remove(_kind: AppVKind, id: string, props: Props): Promise<void> {
  say(props.resourceName ?? id, "no longer managed by this stack; nothing was uninstalled");
}
