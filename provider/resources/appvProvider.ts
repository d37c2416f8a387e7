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
import { getServiceState, invokeSqlBackup, setServiceState, testSqlBackup } from "../operations";
import {
  APPV_PRODUCT_PATTERNS,
  APPV_SERVER_ARGUMENTS,
  APPV_SERVICES,
  APPV_SERVICE_TIMEOUT_MINUTES,
  APPV_DEFAULT_DATABASE,
  DEFAULT_APPV_TIME_BUDGET_MINUTES,
  type AppVRole,
  appvInstallerLogPath,
  defaultBackupPath,
} from "../products/appv";
import { scriptInputFailures } from "../powershell/scriptCheck";
import { APPV_FARM_SCRIPT_INPUTS } from "../powershell/scriptInputs";
import type { MaintenanceWindow } from "../schedule/maintenanceWindow";
import { redactText } from "../transport/redact";
import type { Session } from "../transport/session";
import { APPV_VERSIONS, readAppVDatabase, readAppVHost } from "../upgrade/appvFacts";
import { ensureServiceRunning, runInstaller, verifyInstalledVersion } from "../upgrade/commonSteps";
import {
  type AppVDatabaseFacts,
  type AppVHostFacts,
  type AppVMemberFacts,
  describeFarmOrder,
  planAppVFarm,
  planAppVFarmCompletion,
  planAppVServer,
  schemaUpgraded,
} from "../upgrade/appvPlan";
import { isHostKeyError } from "../upgrade/hostFacts";
import { powershellFailures } from "../upgrade/preflight";
import { runPlan } from "../upgrade/runner";
import type { Plan, PlannedStep } from "../upgrade/steps";
import { compareAppVVersions, evaluateAppVUpgradePath, formatAppVVersion, parseAppVVersion } from "../versions/appv";
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

/** Seconds each read may take while planning in `check` (preview must not hang on a dead host). */
const CHECK_READ_DEADLINE_SECONDS = 30;

type Props = Record<string, any>;

/** Values that must never be printed for these inputs: SSH credentials and the SQL login. */
function secretsOf(inputs: Partial<AppVServerInputs & AppVFarmInputs>): string[] {
  const out = connectionSecretValues(inputs.connection);
  for (const s of Array.isArray(inputs.servers) ? inputs.servers : []) out.push(...connectionSecretValues(s?.connection));
  const db = inputs.database;
  if (db) {
    out.push(...connectionSecretValues(db.connection));
    if (typeof db.sqlPassword === "string" && db.sqlPassword.length > 0) out.push(db.sqlPassword);
    // A login name shorter than 4 characters ("sa") would blank out ordinary words; it is kept out of outputs anyway.
    if (typeof db.sqlUser === "string" && db.sqlUser.length >= 4) out.push(db.sqlUser);
  }
  return out;
}

function serviceOf(role: AppVRole | undefined, overrides: { serviceDisplayName?: string } | undefined): string {
  return overrides?.serviceDisplayName ?? APPV_SERVICES[role ?? "management"];
}

/** Failures that come from live facts but mean the program is wrong: a downgrade, an unsupported path. */
function pathFailures(facts: AppVHostFacts, target: string, who: string): CheckFailure[] {
  const live = facts.liveVersion ? parseAppVVersion(facts.liveVersion) : undefined;
  const t = parseAppVVersion(target);
  if (!live || !t) return [];
  return evaluateAppVUpgradePath(live, t).map((v) => ({ property: v.property, reason: `${v.message} (${who})` }));
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

interface ServerObserved {
  facts: AppVHostFacts;
  plan: Plan;
  service: string;
}

async function observeServer(inputs: AppVServerInputs, session: Session, deadlineSeconds?: number): Promise<ServerObserved> {
  const service = serviceOf(inputs.role, inputs.overrides);
  const facts = await readAppVHost(session, {
    label: inputs.connection.host,
    productPatterns: inputs.overrides?.productDisplayNames ?? APPV_PRODUCT_PATTERNS,
    servicePattern: service,
    installerPath: inputs.installer.path,
    target: inputs.targetVersion,
    deadlineSeconds,
  });
  const plan = planAppVServer(facts, {
    targetVersion: inputs.targetVersion,
    installerPath: inputs.installer.path,
    installerSha256: inputs.installer.sha256,
    service,
  });
  return { facts, plan, service };
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
  if (failures.length === 0 && plan.steps.length > 0) {
    const closed = windowVerdict(validated.window, facts.hostNow, inputs.timeBudgetMinutes ?? DEFAULT_APPV_TIME_BUDGET_MINUTES);
    if (closed) failures.push({ property: "maintenanceWindow", reason: `[maintenanceWindow] ${facts.host}: ${closed}.` });
  }
  if (failures.length > 0) return { failures };
  printServerPlan(inputs.resourceName, facts, inputs.targetVersion, plan, secrets);
  return { inputs: clean({ ...inputs, liveVersion: facts.liveVersion, plan: planLines(plan), blockedReason: blockedText(plan) }) };
}

/** The farm's state in words, for an error raised while upgrading one of its servers. */
function farmStateText(inputs: AppVServerInputs, step: string | undefined): string {
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
  const stopped = [`${self}: Start-Service -DisplayName '${service}'`, ...(farm.later ?? [])];
  const upgraded = !(isFirst && beforeInstallDone) && farm.schemaServer !== undefined;
  const back = upgraded
    ? `\`pulumi up\` resumes the upgrade and starts each service as its server is done; servers still on the old version cannot serve the upgraded schema, so to go back instead restore the backup (RESTORE DATABASE ... FROM DISK = N'${farm.backupPath ?? "<backup>"}' WITH REPLACE) and start them`
    : `\`pulumi up\` resumes the upgrade; to bring service back without upgrading, run on each stopped server: ${stopped.join("; ")}`;
  return ` Farm ${farm.name} (${farm.database}): ${backup}; ${schema}; stopped until upgraded: ${stopped.map((s) => s.split(":")[0]).join(", ")}. To recover: ${back}.`;
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
    throw new Error(redactText(`[${resource}] cannot upgrade ${facts.host}: ${plan.blocked.reason}. Nothing was changed on the host; fix the cause, then run \`pulumi up\` again.${farmStateText(inputs, undefined)}`, secrets));
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
    const err = new Error(redactText(`${(e as Error).message}${farmStateText(inputs, failedStep)}`, secrets));
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
      if (closed) throw new Error(closed);
      return;
    }
    case "install": {
      const log = appvInstallerLogPath(inputs.resourceName);
      const template = (inputs.installer.arguments ?? APPV_SERVER_ARGUMENTS).split("{{log}}").join(log);
      const hostSecondsLeft = Math.max(1, Math.floor((remainingMs() / 1000) * scale));
      await runInstaller(session, step.host, { path: inputs.installer.path, argumentTemplate: template, logPath: log, timeoutSeconds: hostSecondsLeft, noun: "setup" }, onLine);
      return;
    }
    case "wait-service":
    case "start-service": {
      const r = await ensureServiceRunning(session, step.host, service, APPV_SERVICE_TIMEOUT_MINUTES * 60, scale, onLine);
      state.serviceStatus = r.status;
      state.serviceDisplayName = r.displayName;
      return;
    }
    case "verify-version": {
      state.liveVersion = await verifyInstalledVersion(session, step.host, {
        patterns: inputs.overrides?.productDisplayNames ?? APPV_PRODUCT_PATTERNS,
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

async function readMembers(inputs: AppVFarmInputs, sessions: Map<string, Session>, hashSetups: boolean, deadlineSeconds?: number): Promise<AppVMemberFacts[]> {
  return Promise.all(
    inputs.servers.map(async (m: AppVFarmMemberInputs) => {
      const service = serviceOf(m.role, m.overrides);
      const facts = await readAppVHost(sessions.get(m.name)!, {
        label: m.name,
        productPatterns: m.overrides?.productDisplayNames ?? APPV_PRODUCT_PATTERNS,
        servicePattern: service,
        installerPath: hashSetups ? m.installer?.path : undefined,
        target: inputs.targetVersion,
        deadlineSeconds,
      });
      return { ...facts, name: m.name, role: m.role ?? "management", service };
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
  const plan = planAppVFarm(members, database, {
    targetVersion: inputs.targetVersion,
    backupPath: backupPathOf(inputs),
    waivedReason: inputs.backup?.waive?.reason,
    sqlHost: inputs.database!.sqlServer,
    installers: Object.fromEntries(inputs.servers.filter((m) => m.installer).map((m) => [m.name, { path: m.installer!.path, sha256: m.installer!.sha256 }])),
  });
  return { members, database, plan };
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

function printFarmPlan(kind: AppVKind, inputs: AppVFarmInputs, observed: FarmObserved, secrets: readonly string[]): void {
  const { members, database, plan } = observed;
  const head = plan.steps.length === 0 && !plan.blocked ? "nothing to do" : `${plan.steps.length} step(s)`;
  const what = kind === "farm-preparation" ? "preparation" : "completion";
  const lines = [`farm ${inputs.farmName} ${what} -> ${inputs.targetVersion}: ${head}`];
  lines.push(`  servers: ${members.map((m) => `${m.name} ${versionText(m)}`).join(", ")}`);
  if (kind === "farm-preparation") {
    lines.push(`  database ${database.label}: schema ${database.schemaVersion ?? (database.error ? `unknown (${database.error.split("\n")[0]})` : "not read")}`);
  }
  const blocked = blockedText(plan);
  if (blocked) lines.push(plan.after ? `  ${blocked}` : `  blocked (${blocked})`);
  lines.push(...planLines(plan).map((l) => `  ${l}`));
  if (kind === "farm-preparation") {
    const order = describeFarmOrder(members, database, inputs.targetVersion, inputs.order === "parallel-after-first");
    if (order.length > 0) lines.push("  then the servers, in order:", ...order.map((l) => `    ${l}`), "  then every service runs again");
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
  if (failures.length === 0 && observed.plan.steps.length > 0 && kind === "farm-preparation") {
    const now = observed.members.find((m) => m.hostNow)?.hostNow;
    const closed = windowVerdict(validated.window, now, inputs.timeBudgetMinutes ?? DEFAULT_APPV_TIME_BUDGET_MINUTES);
    if (closed) failures.push({ property: "maintenanceWindow", reason: `[maintenanceWindow] farm ${inputs.farmName}: ${closed}.` });
  }
  if (failures.length > 0) return { failures };
  printFarmPlan(kind, inputs, observed, secrets);
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
function preparationStateText(inputs: AppVFarmInputs, stopped: readonly AppVMemberFacts[], backup: { path?: string; verified: boolean; taken: boolean }): string {
  const backupText = inputs.backup?.waive
    ? `no backup (waived: ${inputs.backup.waive.reason})`
    : backup.taken
      ? `a backup was written to ${backup.path} on ${inputs.database?.sqlServer} but ${backup.verified ? "verified" : "NOT verified: do not rely on it"}`
      : "no backup was taken by this run";
  const starts = stopped.map((m) => `${m.name}: Start-Service -DisplayName '${m.serviceDisplayName ?? m.service}'`);
  return (
    ` Farm ${inputs.farmName} (${databaseLabel(inputs)}): ${backupText}; the schema is not upgraded (no server was upgraded); ` +
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
  if (stable(planLines(plan)) !== stable(news.plan)) printFarmPlan(kind, inputs, observed, secrets);
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
            const found = (await getServiceState(session, { displayNames: [m!.service] })).result.services[0];
            if (!found) throw new Error(`no service matching "${m!.service}" exists on ${m!.host}; set overrides.serviceDisplayName for ${m!.name}`);
            const r = (await setServiceState(session, { displayName: found.displayName, state: wanted, timeoutSeconds }, { onLine, deadlineSeconds: timeoutSeconds / scale + 60 })).result;
            m!.serviceStatus = r.status;
            m!.serviceDisplayName = r.displayName;
            if (wanted === "Stopped" && !stopped.includes(m!)) stopped.push(m!);
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
    const extra = kind === "farm-preparation" ? preparationStateText(inputs, stopped, backup) : "";
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
  }
  return { id: `appv-${kind}:${inputs.farmName.toLowerCase()}`, outs: clean(outs) };
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
  return kind === "server" ? checkServer(news) : checkFarm(kind, news);
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
