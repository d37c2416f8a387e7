/**
 * The App-V product spec the lifecycle (../lifecycle/lifecycle.ts) drives, for three kinds:
 * - `appv-server` (`AppVServer`): preflight, the setup, the service, the version;
 * - `farm-preparation`: every App-V service of the farm stopped, then the database backed up and the backup verified,
 *   before the first server upgrades the schema;
 * - `farm-completion`: once every server runs the target, every service runs (normal operation resumes);
 * by Microsoft's "How to Upgrade the Servers and System Components" (App-V 4.5,
 * https://learn.microsoft.com/en-us/microsoft-desktop-optimization-pack/appv-v4/how-to-upgrade-the-servers-and-system-components).
 * Validation, the sessions, `observe` (live facts and the plan), `check`'s judgement, the outputs and the id are here;
 * the step actions are in ../upgrade/appvSteps.ts, the state texts after a failure in ../upgrade/appvRecovery.ts.
 */
import { getDatabaseSessions, testSqlLogin } from "../operations";
import { DEFAULT_APPV_TIME_BUDGET_MINUTES, DEFAULT_USER_SESSION_DRAIN_MINUTES, appvProductPatterns } from "./appv";
import { APPV_FARM_SCRIPT_INPUTS } from "../powershell/scriptInputs";
import type { MaintenanceWindow } from "../schedule/maintenanceWindow";
import { redactText } from "../transport/redact";
import type { Session } from "../transport/session";
import { readAppVDatabase, readAppVHost } from "../upgrade/appvFacts";
import { whileInstallerRuns } from "../upgrade/commonSteps";
import {
  type AppVDatabaseFacts,
  type AppVHostFacts,
  type AppVMemberFacts,
  describeFarmOrder,
  farmBudget,
  farmWindowVerdict,
  planAppVFarm,
  planAppVFarmCompletion,
  planAppVServer,
  schemaServerOf,
  schemaUpgraded,
} from "../upgrade/appvPlan";
import { farmStateText, overrunText, preparationStateText, versionText } from "../upgrade/appvRecovery";
import {
  APPV_INSTALLER_PRODUCT,
  type FarmRunState,
  backupPathOf,
  databaseLabel,
  databaseName,
  followsSchemaUpgrade,
  readClientSessions,
  runAppVServerStep,
  runFarmStep,
  serviceOf,
  sqlSecrets,
  webPathOf,
} from "../upgrade/appvSteps";
import { isHostKeyError } from "../upgrade/hostFacts";
import { powershellFailures } from "../upgrade/preflight";
import type { Plan } from "../upgrade/steps";
import { type AppVVersion, compareAppVVersions, evaluateAppVUpgradePath, parseAppVVersion } from "../versions/appv";
import { ruleFailure } from "../versions/rules";
import { type KindSpec } from "../lifecycle/lifecycle";
import type { Validated } from "../lifecycle/inputSupport";
import type { Props } from "../lifecycle/descriptor";
import { blockedText, planLines, say, sessionFor, windowVerdict } from "../lifecycle/support";
import {
  APPV_SERVER,
  type AppVFarmInputs,
  type AppVFarmMemberInputs,
  type AppVServerInputs,
  COMPUTED_KEYS,
  type CheckFailure,
  FARM_COMPLETION,
  FARM_PREPARATION,
  isUnknown,
  validateAppVFarmInputs,
  validateAppVServerInputs,
} from "./appvInputs";

type FarmKind = "farm-preparation" | "farm-completion";

/** Failures that come from live facts but mean the program is wrong: a downgrade, an unsupported path. */
function pathFailures(facts: AppVHostFacts, target: AppVVersion | undefined, who: string): CheckFailure[] {
  const live = facts.liveVersion ? parseAppVVersion(facts.liveVersion) : undefined;
  if (!live || !target) return [];
  return evaluateAppVUpgradePath(live, target).map((v) => ruleFailure(v, who));
}

/** The outputs common to every kind: the inputs minus the plan fields, plus what was found. */
function withoutPlan(inputs: Props): Props {
  const { plan: _p, blockedReason: _b, blockedCode: _c, ...rest } = inputs;
  return rest;
}

// ---------------------------------------------------------------------------------------------------------------
// AppVServer

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

function printServerPlan(inputs: AppVServerInputs, { facts, plan }: ServerObserved, secrets: readonly string[]): void {
  const resource = inputs.resourceName;
  const target = inputs.targetVersion;
  const head = plan.steps.length === 0 && !plan.blocked ? "nothing to do" : `${plan.steps.length} step(s)`;
  const lines = [`${facts.host}: ${versionText(facts)} -> ${target}: ${head}`];
  const blocked = blockedText(plan);
  if (blocked) lines.push(`blocked (${blocked})`);
  lines.push(...planLines(plan).map((l) => `  ${l}`));
  say(resource, lines, secrets);
}

type ServerSpec = KindSpec<AppVServerInputs, Session, ServerObserved, AppVHostFacts, AppVVersion>;

/** The spec of `AppVServer`. */
export const APPV_SERVER_SPEC: ServerSpec = {
  descriptor: APPV_SERVER,
  computedKeys: COMPUTED_KEYS,
  defaultBudgetMinutes: DEFAULT_APPV_TIME_BUDGET_MINUTES,
  validate: (news) => validateAppVServerInputs(news),
  pending: (inputs) =>
    isUnknown(inputs.connection) || isUnknown(inputs.installer)
      ? {
          say: "the plan is computed once the connection and the setup are known",
          plan: "(computed once the connection and the setup are known)",
        }
      : undefined,
  connect: (inputs, planning) => sessionFor(inputs.connection, planning),
  observe: (session, validated, deadlineSeconds) => observeServer(validated.inputs!, session, deadlineSeconds),
  judge(validated, { facts, plan }) {
    const inputs = validated.inputs!;
    const failures = [...powershellFailures(facts), ...pathFailures(facts, validated.target, `host ${facts.host}`)];
    const notes: string[] = [];
    if (failures.length === 0 && plan.steps.length > 0) {
      const closed = windowVerdict(validated.window, facts.hostNow, inputs.timeBudgetMinutes ?? DEFAULT_APPV_TIME_BUDGET_MINUTES);
      // After the schema upgrade the farm runs to the end: refusing here would leave it down (issue 14).
      if (closed && followsSchemaUpgrade(inputs))
        notes.push(
          `overrun ahead: ${closed}; this server follows the schema upgrade of ${inputs.farm!.database}, so it runs anyway (an overrun)`,
        );
      else if (closed) failures.push({ property: "maintenanceWindow", reason: `[maintenanceWindow] ${facts.host}: ${closed}.` });
    }
    return { failures, notes };
  },
  printPlan: (inputs, observed, secrets) => printServerPlan(inputs, observed, secrets),
  planOutputs: ({ facts, plan }) => ({
    liveVersion: facts.liveVersion,
    plan: planLines(plan),
    blockedReason: blockedText(plan),
    blockedCode: plan.blocked?.code,
  }),
  async refuse({ inputs, validated, ctx: session, observed: { facts, plan }, secrets }) {
    const failures = pathFailures(facts, validated.target, `host ${facts.host}`);
    if (failures.length > 0) throw new Error(failures.map((f) => f.reason).join("\n"));
    if (plan.blocked) {
      throw new Error(
        redactText(
          `[${inputs.resourceName}] cannot upgrade ${facts.host}: ${plan.blocked.reason}. Nothing was changed on the host; fix the cause, then run \`pulumi up\` again.${await farmStateText(inputs, session, undefined)}`,
          secrets,
        ),
      );
    }
    return [];
  },
  initialState: ({ observed }) => ({ ...observed.facts }),
  runStep({ inputs, ctx: session, validated, observed: { facts, service }, secrets }, step, remainingMs, state) {
    const onLine = (line: string) => say(inputs.resourceName, `  ${step.host}: ${line}`, secrets);
    const note = (line: string) => say(inputs.resourceName, line, secrets);
    return runAppVServerStep(inputs, session, validated.window, facts, service, step, remainingMs, state, onLine, note);
  },
  async failure({ inputs, ctx: session, secrets }, e) {
    const failedStep = (e as { step?: string }).step;
    return new Error(redactText(`${(e as Error).message}${await farmStateText(inputs, session, failedStep)}`, secrets));
  },
  async outputs({ inputs, observed: { facts, plan }, secrets }, state) {
    if (plan.steps.length > 0) say(inputs.resourceName, `${state.host} runs ${versionText(state)}; done`, secrets);
    const outs = {
      ...withoutPlan(inputs),
      liveVersion: state.liveVersion,
      installedVersion: state.liveVersion,
      plan: [],
      serviceStatus: state.serviceStatus,
    };
    return { id: `appv-server:${facts.host.toLowerCase()}`, outs };
  },
  unreachable: ({ facts }) =>
    facts.reachable ? undefined : `refresh could not reach the host; keeping the last known state: ${facts.unreachableReason}`,
  refreshed: async (_session, props, { facts }) => ({
    ...props,
    liveVersion: facts.liveVersion,
    installedVersion: facts.liveVersion,
    serviceStatus: facts.serviceStatus,
  }),
  // A run lease on the host (no availability group: the farm's own resources order the servers).
  coordination: ({ inputs, ctx: session, observed: { facts, service } }) => ({
    host: facts.host,
    session,
    guard: inputs.guard,
    servicePatterns: [service],
  }),
};

// ---------------------------------------------------------------------------------------------------------------
// The farm: preparation and completion

/** The sessions of a farm: one per server, and the SQL Server's. */
interface FarmSessions {
  sessions: Map<string, Session>;
  db?: Session;
}

interface FarmObserved {
  members: AppVMemberFacts[];
  database: AppVDatabaseFacts;
  plan: Plan;
}

async function readMembers(
  inputs: AppVFarmInputs,
  sessions: Map<string, Session>,
  hashSetups: boolean,
  deadlineSeconds?: number,
): Promise<AppVMemberFacts[]> {
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
      // "How to Upgrade the Servers and System Components" (App-V 4.5): "User sessions should be shut down before you begin": who is still connected, before the stop.
      const clientSessions =
        hashSetups && facts.reachable ? await readClientSessions(inputs, role, sessions.get(m.name)!, deadlineSeconds) : undefined;
      return { ...facts, name: m.name, role, service, ...(clientSessions ? { clientSessions } : {}) };
    }),
  );
}

async function observeFarm(
  kind: FarmKind,
  validated: Validated<AppVFarmInputs, AppVVersion>,
  { sessions, db: dbSession }: FarmSessions,
  deadlineSeconds?: number,
): Promise<FarmObserved> {
  const inputs = validated.inputs!;
  const target = validated.target;
  const members = await readMembers(inputs, sessions, kind === "farm-preparation", deadlineSeconds);
  const label = databaseLabel(inputs);
  if (kind === "farm-completion") {
    return { members, database: { label, reachable: true }, plan: planAppVFarmCompletion(members, inputs.targetVersion) };
  }
  const anyBelow = members.some((m) => {
    const live = m.liveVersion ? parseAppVVersion(m.liveVersion) : undefined;
    return !!live && !!target && compareAppVVersions(live, target) < 0;
  });
  const database: AppVDatabaseFacts =
    anyBelow && dbSession
      ? await readAppVDatabase(dbSession, {
          sqlServer: inputs.database!.sqlServer,
          database: databaseName(inputs),
          secrets: sqlSecrets(inputs),
          body: inputs.database!.schemaScript,
          deadlineSeconds,
        })
      : { label, reachable: true };
  // Before the schema upgrade: the credentials it needs and who else is on the database, read side by side.
  const beforeSchema = anyBelow && dbSession && database.reachable && !schemaUpgraded(members, database, inputs.targetVersion);
  const [adminLogin, databaseClients] = beforeSchema
    ? await Promise.all([
        checkAdminLogin(inputs, dbSession!, deadlineSeconds),
        readDatabaseClients(inputs, members, dbSession!, deadlineSeconds),
      ])
    : [undefined, undefined];
  const plan = planAppVFarm(members, database, {
    userSessions: {
      drainMinutes: inputs.userSessions?.drainMinutes ?? DEFAULT_USER_SESSION_DRAIN_MINUTES,
      proceed: inputs.userSessions?.proceed ?? false,
    },
    adminLogin,
    databaseClients,
    targetVersion: inputs.targetVersion,
    backupPath: backupPathOf(inputs),
    waivedReason: inputs.backup?.waive?.reason,
    sqlHost: inputs.database!.sqlServer,
    installers: Object.fromEntries(
      inputs.servers.filter((m) => m.installer).map((m) => [m.name, { path: m.installer!.path, sha256: m.installer!.sha256 }]),
    ),
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
async function checkAdminLogin(
  inputs: AppVFarmInputs,
  db: Session,
  deadlineSeconds?: number,
): Promise<{ ok: boolean; property: string; reason?: string }> {
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
    if (!r.canLogIn)
      return {
        ok: false,
        property,
        reason: `the database administrative credentials cannot log in to ${sql}: ${r.message.split("\n")[0]}; correct ${explicit ? "database.adminUser or database.adminPassword" : "database.sqlUser or database.sqlPassword (or set database.adminUser and adminPassword)"}`,
      };
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
    return {
      ok: false,
      property,
      reason: `the database administrative credentials could not be checked on ${sql}: ${(e as Error).message.split("\n")[0]}`,
    };
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
      await getDatabaseSessions(
        db,
        { sqlServer: inputs.database!.sqlServer, database: databaseName(inputs), secrets: sqlSecrets(inputs) },
        { body: inputs.database!.sessionsScript, deadlineSeconds },
      )
    ).result;
    const known = new Set(
      [
        ...members.flatMap((m) => [m.host, m.name]),
        ...inputs.servers.map((s) => (s.connection as { host?: string })?.host ?? ""),
        ...(inputs.database!.otherClients ?? []),
        r.sqlHost,
      ]
        .filter((h) => h.length > 0)
        .map(shortHost),
    );
    const undeclared = r.sessions.filter((s) => s.hostName.trim().length > 0 && !known.has(shortHost(s.hostName)));
    const seen = new Set<string>();
    return {
      undeclared: undeclared
        .filter((s) => !seen.has(shortHost(s.hostName)) && !!seen.add(shortHost(s.hostName)))
        .map((s) => ({ hostName: s.hostName, programName: s.programName })),
    };
  } catch (e) {
    if (isHostKeyError(e)) throw e;
    return { error: (e as Error).message.split("\n")[0] };
  }
}

function farmSessions(inputs: AppVFarmInputs, planning: boolean): FarmSessions {
  const sessions = new Map(inputs.servers.map((m) => [m.name, sessionFor(m.connection, planning)] as const));
  const db = inputs.database ? sessionFor(inputs.database.connection, planning) : undefined;
  return { sessions, db };
}

function farmFailures(target: AppVVersion | undefined, members: readonly AppVMemberFacts[]): CheckFailure[] {
  return members.flatMap((m) => pathFailures(m, target, `server ${m.name} on ${m.host}`));
}

function liveVersions(members: readonly AppVMemberFacts[]): Record<string, string> {
  return Object.fromEntries(members.map((m) => [m.name, versionText(m)]));
}

/**
 * The preparation's window verdict for the whole farm (issue 14): while the schema is not upgraded, the window's
 * remaining time must cover the farm's budget; once it is, the farm runs to the end and nothing is refused.
 */
function preparationWindow(
  inputs: AppVFarmInputs,
  window: MaintenanceWindow | undefined,
  observed: FarmObserved,
): { refusal?: string; lines: string[] } {
  const { members, database } = observed;
  if (!window || schemaUpgraded(members, database, inputs.targetVersion)) return { lines: [] };
  const budget = farmBudget(
    members,
    inputs.targetVersion,
    inputs.timeBudgetMinutes ?? DEFAULT_APPV_TIME_BUDGET_MINUTES,
    inputs.farmTimeBudgetMinutes,
  );
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

function printFarmPlan(
  kind: FarmKind,
  inputs: AppVFarmInputs,
  observed: FarmObserved,
  secrets: readonly string[],
  windowLines: readonly string[] = [],
): void {
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
        return "error" in c
          ? `${m.name} unknown (${c.error})`
          : `${m.name} ${c.remotes.length}${c.remotes.length > 0 ? ` (${c.remotes.slice(0, 5).join(", ")})` : ""}`;
      });
    if (clients.length > 0) lines.push(`  active client connections: ${clients.join(", ")}`);
    lines.push(
      `  database ${database.label}: schema ${database.schemaVersion ?? (database.error ? `unknown (${database.error.split("\n")[0]})` : "not read")}`,
    );
  }
  const blocked = blockedText(plan);
  if (blocked) lines.push(plan.after ? `  ${blocked}` : `  blocked (${blocked})`);
  lines.push(...planLines(plan).map((l) => `  ${l}`));
  if (kind === "farm-preparation") {
    const order = describeFarmOrder(members, database, inputs.targetVersion, inputs.order === "parallel-after-first");
    if (order.length > 0)
      lines.push(
        "  then the servers, in order:",
        ...order.map((l) => `    ${l}`),
        "  each server's service starts again as soon as its own setup is done",
      );
    lines.push(...windowLines.map((l) => `  ${l}`));
  }
  say(inputs.resourceName, lines, secrets);
}

type FarmSpec = KindSpec<AppVFarmInputs, FarmSessions, FarmObserved, FarmRunState, AppVVersion>;

function makeFarmSpec(kind: FarmKind): FarmSpec {
  return {
    descriptor: kind === "farm-preparation" ? FARM_PREPARATION : FARM_COMPLETION,
    computedKeys: COMPUTED_KEYS,
    defaultBudgetMinutes: DEFAULT_APPV_TIME_BUDGET_MINUTES,
    // The schema script is parsed before anything touches a host (issue 15).
    scriptInputs: APPV_FARM_SCRIPT_INPUTS,
    validate: (news) => validateAppVFarmInputs(kind, news),
    pending: (inputs) =>
      isUnknown(inputs.servers) || (kind === "farm-preparation" && isUnknown(inputs.database))
        ? {
            say: "the plan is computed once the servers' and the database's connections are known",
            plan: "(computed once the connections are known)",
          }
        : undefined,
    connect: (inputs, planning) => farmSessions(inputs, planning),
    observe: (sessions, validated, deadlineSeconds) => observeFarm(kind, validated, sessions, deadlineSeconds),
    judge(validated, observed, secrets) {
      const inputs = validated.inputs!;
      const failures = farmFailures(validated.target, observed.members);
      const blocked = observed.plan.blocked;
      // Refusals that belong to preview. The engine prints the value of a failure's property when it names a top-level
      // input, and `servers` and `database` carry connections: each is reported on a nested property.
      const AT_PREVIEW: Record<string, string | undefined> = {
        "database-credentials": undefined,
        "undeclared-server": "database.otherClients",
        "database-sessions-unreadable": "database.sessionsScript",
      };
      if (blocked && blocked.code in AT_PREVIEW) {
        const tag = /^\[([^\]]+)\]/.exec(blocked.reason)?.[1] ?? "database";
        failures.push({
          property: AT_PREVIEW[blocked.code] ?? tag,
          reason: redactText(`${blocked.reason.replace(/^\[[^\]]+\] /, `[${tag}] farm ${inputs.farmName}: `)}.`, secrets),
        });
      }
      let planNotes: string[] = [];
      if (failures.length === 0 && observed.plan.steps.length > 0 && kind === "farm-preparation") {
        const w = preparationWindow(inputs, validated.window, observed);
        if (w.refusal)
          failures.push({ property: "maintenanceWindow", reason: `[maintenanceWindow] farm ${inputs.farmName}: ${w.refusal}.` });
        planNotes = w.lines;
      }
      return { failures, planNotes };
    },
    printPlan: (inputs, observed, secrets, notes) => printFarmPlan(kind, inputs, observed, secrets, notes),
    planOutputs: ({ members, plan }) => ({
      liveVersions: liveVersions(members),
      plan: planLines(plan),
      blockedReason: blockedText(plan),
      blockedCode: plan.blocked?.code,
    }),
    async refuse({ inputs, validated, observed, secrets }) {
      const { members, plan } = observed;
      const failures = farmFailures(validated.target, members);
      if (failures.length > 0) throw new Error(failures.map((f) => f.reason).join("\n"));
      if (plan.blocked) {
        throw new Error(
          redactText(
            `[${inputs.resourceName}] farm ${inputs.farmName}: ${blockedText(plan)}. Nothing was changed; fix the cause, then run \`pulumi up\` again.`,
            secrets,
          ),
        );
      }
      if (kind !== "farm-preparation" || plan.steps.length === 0) return [];
      // Again at up, by the host's clock now: the preparation stops the farm only if the window holds all of it.
      const w = preparationWindow(inputs, validated.window, observed);
      if (w.refusal)
        throw new Error(
          redactText(`[maintenanceWindow] farm ${inputs.farmName}: ${w.refusal}. Nothing was changed; no service was stopped.`, secrets),
        );
      return w.lines;
    },
    initialState: ({ inputs, observed }) => ({
      stopped: observed.members.filter((m) => m.serviceStatus === "Stopped" && kind === "farm-preparation"),
      backup: { path: backupPathOf(inputs), taken: false, verified: false },
    }),
    runStep({ inputs, ctx: { sessions, db }, observed, secrets }, step, _remainingMs, state) {
      const onLine = (line: string) => say(inputs.resourceName, `  ${step.host}: ${line}`, secrets);
      return runFarmStep(inputs, sessions, db, observed.members, step, state, onLine);
    },
    async failure({ inputs, observed: { members, database }, secrets }, e, { stopped, backup }) {
      const extra =
        kind === "farm-preparation"
          ? preparationStateText(inputs, members, schemaUpgraded(members, database, inputs.targetVersion), stopped, backup)
          : "";
      return new Error(redactText(`${(e as Error).message}${extra}`, secrets));
    },
    async outputs({ inputs, validated, observed: { members, database, plan }, secrets }, { stopped, backup }, _news, olds) {
      const resource = inputs.resourceName;
      const tookBackup = plan.steps.some((s) => s.name === "backup-database");
      const outs: Props = { ...withoutPlan(inputs), liveVersions: liveVersions(members), plan: [], ready: inputs.targetVersion };
      if (kind === "farm-preparation") {
        outs.schemaVersion = database.schemaVersion ?? olds?.schemaVersion;
        outs.backupPath = tookBackup ? backup.path : olds?.backupPath;
        outs.backupVerified = tookBackup ? backup.verified : olds?.backupVerified;
        outs.stoppedServers = plan.steps.length > 0 ? stopped.map((m) => m.name) : (olds?.stoppedServers ?? []);
        if (plan.steps.length > 0) {
          const upgraded = schemaUpgraded(members, database, inputs.targetVersion);
          say(
            resource,
            `farm ${inputs.farmName} is ready for ${inputs.targetVersion}: ${upgraded ? "schema already upgraded" : "the first server upgrades the schema"}; stopped: ${stopped.map((m) => m.name).join(", ") || "none"}`,
            secrets,
          );
        }
      } else {
        outs.serviceStatuses = Object.fromEntries(members.map((m) => [m.name, m.serviceStatus ?? "unknown"]));
        if (plan.steps.length > 0)
          say(
            resource,
            `farm ${inputs.farmName}: every server runs ${inputs.targetVersion} and every service runs; normal operation resumes`,
            secrets,
          );
        const overran = overrunText(inputs.farmName, validated.window, members.find((m) => m.hostNow)?.hostNow);
        if (overran) say(resource, overran, secrets);
      }
      return { id: `appv-${kind}:${inputs.farmName.toLowerCase()}`, outs };
    },
    unreachable: ({ members }) =>
      members.some((m) => !m.reachable) ? "refresh could not reach every server; keeping the last known state" : undefined,
    refreshed: async (_sessions, props, { members }) => ({ ...props, liveVersions: liveVersions(members) }),
  };
}

/** The specs of the farm's preparation and completion. */
export const FARM_SPECS: Record<FarmKind, FarmSpec> = {
  "farm-preparation": makeFarmSpec("farm-preparation"),
  "farm-completion": makeFarmSpec("farm-completion"),
};
