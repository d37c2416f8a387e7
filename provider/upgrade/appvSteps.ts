/**
 * The step actions of the App-V procedures, next to their planner (appvPlan.ts): a server's setup, service and
 * version, and the farm's stops, session drains, database backup and its verification. Every action verifies what it
 * did and throws naming the host, what was found and the fix; the step engine (runner.ts) adds the resource, the step
 * and the next move.
 */
import { getClientSessions, getServiceState, invokeSqlBackup, setServiceState, setWebAppPoolState, testSqlBackup } from "../operations";
import {
  APPV_CLIENT_PORTS,
  APPV_DB_ADMIN_PROPERTIES,
  APPV_DEFAULT_DATABASE,
  APPV_SERVER_ARGUMENTS,
  APPV_SERVICES,
  APPV_SERVICE_TIMEOUT_MINUTES,
  APPV_WEB_APPLICATION_PATH,
  DEFAULT_APPV_TIME_BUDGET_MINUTES,
  DEFAULT_USER_SESSION_DRAIN_MINUTES,
  type AppVRole,
  appvDbAdminArguments,
  appvInstallerLogPath,
  appvProductPatterns,
  defaultBackupPath,
} from "../products/appv";
import type { AppVFarmInputs, AppVServerInputs } from "../products/appvInputs";
import { windowVerdict } from "../lifecycle/support";
import type { MaintenanceWindow } from "../schedule/maintenanceWindow";
import type { Session } from "../transport/session";
import { APPV_VERSIONS } from "./appvFacts";
import type { AppVHostFacts, AppVMemberFacts } from "./appvPlan";
import { isHostKeyError } from "./hostFacts";
import { ensureServiceRunning, runInstaller, verifyInstalledVersion } from "./commonSteps";
import type { PlannedStep } from "./steps";

/** Key of an App-V server's installer run record on its host. */
export const APPV_INSTALLER_PRODUCT = "appv-server";

export function serviceOf(role: AppVRole | undefined, overrides: { serviceDisplayName?: string } | undefined): string {
  return role === "management-service" ? APPV_SERVICES[role] : (overrides?.serviceDisplayName ?? APPV_SERVICES[role ?? "management"]);
}

/** For a Management Web Service, the physical path of its IIS application (whose pool is its service). */
export function webPathOf(role: AppVRole | undefined, overrides: { webApplicationPath?: string } | undefined): string | undefined {
  return role === "management-service" ? (overrides?.webApplicationPath ?? APPV_WEB_APPLICATION_PATH) : undefined;
}

/**
 * Brings a server's App-V service to `wanted`: the Windows service by display name, or for a Management Web Service its
 * IIS application pool (never IIS itself, which serves other sites).
 */
export async function setAppVServiceState(
  session: Session,
  host: string,
  member: { role?: AppVRole; service: string; appPool?: string; webPath?: string },
  wanted: "Running" | "Stopped",
  timeoutSeconds: number,
  scale: number,
  onLine: (line: string) => void,
): Promise<{ status: string; displayName: string }> {
  if (member.role === "management-service") {
    if (!member.appPool)
      throw new Error(
        `no IIS application under '${member.webPath ?? APPV_WEB_APPLICATION_PATH}' was found on ${host}; set overrides.webApplicationPath to the Management Web Service's folder`,
      );
    const r = (
      await setWebAppPoolState(
        session,
        { name: member.appPool, state: wanted === "Running" ? "Started" : "Stopped", timeoutSeconds },
        { onLine, deadlineSeconds: timeoutSeconds / scale + 60 },
      )
    ).result;
    return { status: r.state === "Started" ? "Running" : "Stopped", displayName: `IIS application pool '${r.name}'` };
  }
  if (wanted === "Running") return ensureServiceRunning(session, host, member.service, timeoutSeconds, scale, onLine);
  const found = (await getServiceState(session, { displayNames: [member.service] })).result.services[0];
  if (!found) throw new Error(`no service matching "${member.service}" exists on ${host}; set overrides.serviceDisplayName`);
  const r = (
    await setServiceState(
      session,
      { displayName: found.displayName, state: wanted, timeoutSeconds },
      { onLine, deadlineSeconds: timeoutSeconds / scale + 60 },
    )
  ).result;
  return { status: r.status, displayName: r.displayName };
}

/**
 * Whether this server is upgraded after the farm's schema upgrade (it follows the schema server): from then on the
 * farm runs to the end even if the window closes, since stopping would leave it down (issue 14).
 */
export function followsSchemaUpgrade(inputs: AppVServerInputs): boolean {
  const farm = inputs.farm;
  return !!farm?.schemaServer && (farm.self ?? inputs.resourceName) !== farm.schemaServer;
}

/** Runs one step of an App-V server's plan; `onLine` prints a host's progress line, `note` a line of the resource. */
export async function runAppVServerStep(
  inputs: AppVServerInputs,
  session: Session,
  window: MaintenanceWindow | undefined,
  facts: AppVHostFacts,
  service: string,
  step: PlannedStep,
  remainingMs: () => number,
  state: AppVHostFacts,
  onLine: (line: string) => void,
  note: (line: string) => void,
): Promise<void> {
  const scale = inputs.timeScale ?? 1;
  switch (step.name) {
    case "preflight": {
      if (facts.isAdmin === false) throw new Error(`${facts.user} is not an elevated administrator on ${facts.host}`);
      const closed = windowVerdict(window, facts.hostNow, inputs.timeBudgetMinutes ?? DEFAULT_APPV_TIME_BUDGET_MINUTES);
      if (closed && followsSchemaUpgrade(inputs)) {
        // "How to Upgrade the Servers and System Components" (App-V 4.5): the farm is offline until its servers are upgraded; once the schema is, the rollout runs to the end.
        note(
          `overrun: ${closed}; going on because the schema of ${inputs.farm!.database} was upgraded by ${inputs.farm!.schemaServer} and stopping now would leave the farm down`,
        );
      } else if (closed) throw new Error(closed);
      return;
    }
    case "install": {
      const log = appvInstallerLogPath(inputs.resourceName);
      // "How to Upgrade the Servers and System Components" (App-V 4.5), step 7: the setup that upgrades the schema gets the database administrative credentials, as secrets.
      const admin = inputs.databaseAdmin;
      const adminArgs = appvDbAdminArguments(admin !== undefined, inputs.overrides?.databaseAdminProperties ?? APPV_DB_ADMIN_PROPERTIES);
      const template = (inputs.installer.arguments ?? APPV_SERVER_ARGUMENTS)
        .split("{{log}}")
        .join(log)
        .split("{{dbAdmin}}")
        .join(adminArgs);
      const secrets =
        admin && template.includes("{{secret:dbAdmin") ? { dbAdminUser: admin.user, dbAdminPassword: admin.password } : undefined;
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

export function databaseName(inputs: AppVFarmInputs): string {
  return inputs.database?.name ?? APPV_DEFAULT_DATABASE;
}

export function databaseLabel(inputs: AppVFarmInputs): string {
  return `${inputs.database?.sqlServer ?? "?"}/${databaseName(inputs)}`;
}

export function backupPathOf(inputs: AppVFarmInputs): string | undefined {
  if (inputs.backup?.waive) return undefined;
  return inputs.database?.backupPath ?? defaultBackupPath(databaseName(inputs), inputs.targetVersion);
}

export function sqlSecrets(inputs: AppVFarmInputs): { sqlUser: string; sqlPassword: string } | undefined {
  const db = inputs.database;
  return db?.sqlUser && db.sqlPassword ? { sqlUser: db.sqlUser, sqlPassword: db.sqlPassword } : undefined;
}

/** The App-V clients connected to a server now (`Get-ClientSessions`); the web service has no streaming clients. */
export async function readClientSessions(
  inputs: AppVFarmInputs,
  role: AppVRole,
  session: Session,
  deadlineSeconds?: number,
): Promise<AppVMemberFacts["clientSessions"]> {
  if (role === "management-service") return undefined;
  try {
    const r = (
      await getClientSessions(
        session,
        { ports: [...(inputs.userSessions?.ports ?? APPV_CLIENT_PORTS)] },
        { body: inputs.userSessions?.script, deadlineSeconds },
      )
    ).result;
    return { remotes: r.connections.map((c) => c.remoteAddress) };
  } catch (e) {
    if (isHostKeyError(e)) throw e;
    return { error: (e as Error).message.split("\n")[0] };
  }
}

/**
 * Waits for a server's App-V clients to disconnect ("How to Upgrade the Servers and System Components" (App-V 4.5): "User sessions should be shut down before you begin"), up
 * to `userSessions.drainMinutes` of host time; then stops anyway with `userSessions.proceed`, or refuses before any
 * service is stopped (the drains run before every stop).
 */
export async function drainClientSessions(
  inputs: AppVFarmInputs,
  m: AppVMemberFacts,
  session: Session,
  scale: number,
  onLine: (line: string) => void,
): Promise<void> {
  const limitMs = ((inputs.userSessions?.drainMinutes ?? DEFAULT_USER_SESSION_DRAIN_MINUTES) * 60_000) / scale;
  const pollMs = Math.max(50, 30_000 / scale);
  const started = Date.now();
  let remotes: string[];
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
  throw new Error(
    `${which}; no service was stopped: ask the users to close their virtual applications, raise userSessions.drainMinutes, or set userSessions.proceed`,
  );
}

/** What the farm's steps did as they ran: the servers stopped, the backup taken and verified. */
export interface FarmRunState {
  stopped: AppVMemberFacts[];
  backup: { path?: string; taken: boolean; verified: boolean };
}

/** Runs one step of the farm's preparation or completion plan on the member it names (or the SQL Server). */
export async function runFarmStep(
  inputs: AppVFarmInputs,
  sessions: Map<string, Session>,
  db: Session | undefined,
  members: readonly AppVMemberFacts[],
  step: PlannedStep,
  state: FarmRunState,
  onLine: (line: string) => void,
): Promise<void> {
  const scale = inputs.timeScale ?? 1;
  const timeoutSeconds = APPV_SERVICE_TIMEOUT_MINUTES * 60;
  const { stopped, backup } = state;
  // The member the step acts on (by host, as the plan names it).
  const m = new Map(members.map((x) => [x.host, x])).get(step.host);
  switch (step.name) {
    case "stop-services":
    case "start-service": {
      const wanted = step.name === "stop-services" ? "Stopped" : "Running";
      const session = sessions.get(m!.name)!;
      const declared = inputs.servers.find((x) => x.name === m!.name);
      const r = await setAppVServiceState(
        session,
        m!.host,
        { role: m!.role, service: m!.service, appPool: m!.appPool, webPath: webPathOf(m!.role, declared?.overrides) },
        wanted,
        timeoutSeconds,
        scale,
        onLine,
      );
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
      const r = (
        await invokeSqlBackup(
          db!,
          { sqlServer: inputs.database!.sqlServer, database: databaseName(inputs), backupPath: backup.path!, secrets: sqlSecrets(inputs) },
          { onLine, deadlineSeconds: 3600 / Math.max(1, scale) + 120 },
        )
      ).result;
      backup.path = r.backupPath;
      onLine(`full backup written: ${r.backupPath} (${r.sizeBytes} bytes)`);
      return;
    }
    case "verify-backup": {
      const r = (
        await testSqlBackup(
          db!,
          { sqlServer: inputs.database!.sqlServer, backupPath: backup.path!, secrets: sqlSecrets(inputs) },
          { onLine },
        )
      ).result;
      if (!r.valid)
        throw new Error(`RESTORE VERIFYONLY rejected ${backup.path}: ${r.message}; no server was upgraded without a usable backup`);
      backup.verified = true;
      onLine(`backup verified: ${r.message}`);
      return;
    }
    default:
      throw new Error(`step ${step.name} is not part of the App-V farm procedure`);
  }
}
