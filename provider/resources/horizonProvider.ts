/**
 * The implementation behind the Horizon dynamic providers (`horizonProviders.ts` requires it by package name inside
 * each method, so only a `require` is serialized into state). Thin CRUD over pure planning:
 * - `check` validates the inputs, reads the host live (bounded, read-only) and returns the inputs with the live
 *   version and the plan, so `pulumi preview` shows what `up` will do;
 * - `diff` reports a change when the plan is not empty or the desired state changed; never a replacement;
 * - `create` adopts the installation and `update` upgrades it: both re-read the host, re-plan and run the plan;
 * - `read` reads the host back (refresh shows drift); `remove` only stops managing (never uninstalls).
 */
import {
  getReplicationHealth,
  getSecurityServerList,
  invokeHook,
  invokePrepareSecurityServer,
  getFileHash,
  getPairingPasswordState,
  invokeVdmadmin,
  invokeVdmexport,
  setPairingPassword,
  testHorizonPrerequisites,
  VDMADMIN_PATH_VMWARE,
  VDMEXPORT_PATH_VMWARE,
} from "../operations";
import {
  CONNECTION_SERVER_ARGUMENTS,
  CONNECTION_SERVER_SERVICE,
  DEFAULT_PAIRING_TIMEOUT_MINUTES,
  DEFAULT_TIME_BUDGET_MINUTES,
  HORIZON_PRODUCT_PATTERNS,
  IPSEC_RULE_PREFIX,
  SECURITY_SERVER_ARGUMENTS,
  SECURITY_SERVER_SERVICE,
  SERVICE_START_TIMEOUT_MINUTES,
  installerLogPath,
} from "../products/horizon";
import type { MaintenanceWindow } from "../schedule/maintenanceWindow";
import type { Session } from "../transport/session";
import { scriptInputFailures } from "../powershell/scriptCheck";
import { HORIZON_SCRIPT_INPUTS } from "../powershell/scriptInputs";
import { describeConnection, resolveConnectionArgs } from "../transport/connectionArgs";
import { redactText } from "../transport/redact";
import { ensureServiceRunning, runInstaller, verifyInstalledVersion, whileInstallerRuns } from "../upgrade/commonSteps";
import { HORIZON_VERSIONS, isHostKeyError, readHorizonHost, readHostIpsec, readPairIpsec, readPairingFacts } from "../upgrade/horizonFacts";
import { settle, valueOf } from "../upgrade/hostFacts";
import {
  type HostFacts,
  NOT_UTC_WORKAROUND,
  type PairingFacts,
  describeEntry,
  driftOf,
  pairingPasswordProblem,
  hostNames,
  pairRules,
  planConnectionServer,
  planSecurityServer,
  staleEntries,
} from "../upgrade/horizonPlan";
import { powershellFailures } from "../upgrade/preflight";
import { runPlan } from "../upgrade/runner";
import type { Plan, PlannedStep } from "../upgrade/steps";
import { compareHorizonVersions, evaluateUpgradePath, parseHorizonVersion } from "../versions/horizon";
import {
  type AnyHorizonInputs,
  COMPUTED_KEYS,
  type CheckFailure,
  type ConnectionInputs,
  type ConnectionServerInputs,
  type HorizonKind,
  type SecurityServerInputs,
  UNKNOWN,
  isUnknown,
  validateHorizonInputs,
} from "./horizonInputs";
import { blockedText, clean, connectionSecretValues, planLines, say, sessionFor, stable, windowVerdict } from "./providerSupport";
import { safeFailures } from "./inputSupport";

/** Seconds each read may take while planning in `check` (preview must not hang on a dead host). */
const CHECK_READ_DEADLINE_SECONDS = 30;

/** Values that must never be printed for these inputs. */
function secretsOf(inputs: Partial<AnyHorizonInputs>): string[] {
  const ss = inputs as Partial<SecurityServerInputs>;
  return [
    ...(typeof ss.pairingPassword === "string" && ss.pairingPassword.length > 0 ? [ss.pairingPassword] : []),
    ...connectionSecretValues(inputs.connection),
    ...connectionSecretValues(ss.connectionServer?.connection),
  ];
}

interface Context {
  kind: HorizonKind;
  inputs: AnyHorizonInputs;
  session: Session;
  csSession?: Session;
  servicePattern: string;
}

function contextFor(kind: HorizonKind, inputs: AnyHorizonInputs, planning: boolean): Context {
  const open = (c: ConnectionInputs) => sessionFor(c, planning);
  const ss = kind === "security-server" ? (inputs as SecurityServerInputs) : undefined;
  return {
    kind,
    inputs,
    session: open(inputs.connection),
    csSession: ss ? open(ss.connectionServer.connection) : undefined,
    servicePattern: inputs.overrides?.serviceDisplayName ?? (kind === "connection-server" ? CONNECTION_SERVER_SERVICE : SECURITY_SERVER_SERVICE),
  };
}

interface Observed {
  facts: HostFacts;
  pairing?: PairingFacts;
  plan: Plan;
}

/** Key of the host's installer run record for this kind of server. */
function installerProductOf(kind: HorizonKind): string {
  return kind === "connection-server" ? "horizon-connection-server" : "horizon-security-server";
}

/** Where the pod's configuration backup goes unless the program says: one file per resource and target. */
function defaultBackupPath(inputs: AnyHorizonInputs): string {
  return `C:\\ProgramData\\vdi-upgrade\\${inputs.resourceName.replace(/[^A-Za-z0-9_.-]/g, "_")}-before-${inputs.targetVersion}.LDF`;
}

/** The configuration backup this server takes before its installer (the first Connection Server of a pod), or its waiver. */
function backupIntent(kind: HorizonKind, inputs: AnyHorizonInputs): { path: string } | { waived: string } | undefined {
  const b = kind === "connection-server" ? (inputs as ConnectionServerInputs).configurationBackup : undefined;
  if (!b) return undefined;
  return b.waive ? { waived: b.waive.reason } : { path: b.path ?? defaultBackupPath(inputs) };
}

/** Whether a reachable host runs a version older than the target (the only case where steps need tools). */
function isBehind(facts: HostFacts, target: string): boolean {
  const live = facts.liveVersion ? parseHorizonVersion(facts.liveVersion) : undefined;
  const t = parseHorizonVersion(target);
  return !!live && !!t && compareHorizonVersions(live, t) < 0;
}

/** The tools a host lacks among those asked for; a failed read is reported as the host being unreadable, not as missing tools. */
async function missingTools(session: Session, wanted: { files: string[]; commands: string[]; modules: string[] }, deadlineSeconds?: number): Promise<string[] | undefined> {
  if (wanted.files.length + wanted.commands.length + wanted.modules.length === 0) return undefined;
  try {
    return (await testHorizonPrerequisites(session, wanted, { deadlineSeconds })).result.missing;
  } catch (e) {
    if (isHostKeyError(e)) throw e;
    return undefined;
  }
}

/** Reads the live facts and plans. Read-only. */
async function observe(ctx: Context, deadlineSeconds?: number): Promise<Observed> {
  const { inputs } = ctx;
  const ss = ctx.kind === "security-server" ? (inputs as SecurityServerInputs) : undefined;
  // [scale] A security server's Connection Server is read at the same time as the server itself: the engine runs one
  // check at a time, so each round trip here delays the whole run (docs/scaling.md). Settled, so a host-key refusal
  // of this server's own read leaves no rejection unwatched.
  const pairingRead = ss
    ? settle(
        readPairingFacts(ctx.csSession!, {
          label: ss.connectionServer.name,
          productPatterns: inputs.overrides?.productDisplayNames ?? HORIZON_PRODUCT_PATTERNS,
          servicePattern: CONNECTION_SERVER_SERVICE,
          securityServerListScript: inputs.overrides?.securityServerListScript,
          pairingPasswordStateScript: inputs.overrides?.pairingPasswordStateScript,
          deadlineSeconds,
        }),
      )
    : undefined;
  const facts = await readHorizonHost(ctx.session, {
    label: inputs.connection.host,
    productPatterns: inputs.overrides?.productDisplayNames ?? HORIZON_PRODUCT_PATTERNS,
    servicePattern: ctx.servicePattern,
    installerPath: inputs.installer.path,
    target: inputs.targetVersion,
    installerProduct: installerProductOf(ctx.kind),
    deadlineSeconds,
  });
  const intent = {
    targetVersion: inputs.targetVersion,
    installerPath: inputs.installer.path,
    installerSha256: inputs.installer.sha256,
    hooks: inputs.hooks ?? {},
    service: ctx.servicePattern,
    checkReplication: (inputs as ConnectionServerInputs).checkReplication,
    configurationBackup: backupIntent(ctx.kind, inputs),
  };
  const behind = isBehind(facts, inputs.targetVersion);
  if (ctx.kind === "connection-server") {
    const backup = intent.configurationBackup;
    if (behind) {
      facts.missing = await missingTools(ctx.session, {
        files: backup && "path" in backup && !inputs.overrides?.vdmexportScript ? [inputs.overrides?.vdmexportPath ?? VDMEXPORT_PATH_VMWARE] : [],
        commands: intent.checkReplication ? ["repadmin.exe"] : [],
        modules: [],
      }, deadlineSeconds);
    }
    return { facts, plan: whileInstallerRuns(planConnectionServer(facts, intent), facts) };
  }

  const pairing = valueOf(await pairingRead!);
  // [scale] The Connection Server's tools and the pair's IPsec rules at once (both only read).
  const usesViewApi = !inputs.overrides?.securityServerListScript || !inputs.overrides?.pairingPasswordScript;
  const [missing, ipsec] = await Promise.all([
    behind && pairing.connectionServer.reachable
      ? // What the pairing steps need on the Connection Server: vdmadmin (stale entries) and PowerCLI (the View API).
        missingTools(ctx.csSession!, {
          files: [inputs.overrides?.vdmadminPath ?? VDMADMIN_PATH_VMWARE],
          commands: [],
          modules: usesViewApi ? ["VMware.VimAutomation.HorizonView"] : [],
        }, deadlineSeconds)
      : undefined,
    facts.reachable && pairing.connectionServer.reachable
      ? readPairIpsec(ctx.session, ctx.csSession!, { ss: facts.host, cs: ss!.connectionServer.name }, deadlineSeconds)
      : undefined,
  ]);
  if (behind && pairing.connectionServer.reachable) pairing.connectionServer.missing = missing;
  if (ipsec) pairing.ipsec = ipsec;
  const csTarget = ss!.connectionServer.targetVersion;
  const plan = planSecurityServer(facts, pairing, {
    ...intent,
    connectionServerName: ss!.connectionServer.name,
    registeredName: ss!.registeredName,
    ipsec: ss!.ipsec ?? "detect",
    connectionServerTarget: typeof csTarget === "string" && !isUnknown(csTarget) ? csTarget : undefined,
  });
  return { facts, pairing, plan: whileInstallerRuns(plan, facts) };
}

/** Failures that come from live facts but mean the program is wrong: a downgrade, an unsupported path. */
function liveFailures(facts: HostFacts, target: string): CheckFailure[] {
  const live = facts.liveVersion ? parseHorizonVersion(facts.liveVersion) : undefined;
  const t = parseHorizonVersion(target);
  if (!live || !t) return [];
  return evaluateUpgradePath(live, t).map((v) => ({ property: v.property, reason: `${v.message} (host ${facts.host})` }));
}

function printPlan(resource: string, facts: HostFacts, target: string, plan: Plan, secrets: readonly string[]): void {
  const from = facts.reachable ? (facts.liveVersion ?? "not installed") : "unknown (unreachable)";
  const head = plan.steps.length === 0 && !plan.blocked ? "nothing to do" : `${plan.steps.length} step(s)`;
  const lines = [`${facts.host}: ${from} -> ${target}: ${head}`];
  const blocked = blockedText(plan);
  if (blocked) lines.push(plan.after ? blocked : `blocked (${blocked})`);
  lines.push(...planLines(plan).map((line) => `  ${line}`));
  for (const note of plan.notes ?? []) lines.push(`  note: ${note}`);
  say(resource, lines, secrets);
}

/**
 * Why the operator must act before `up` can upgrade this server, as a failure naming the resource, the host, the stable
 * code and the fix; undefined when the plan can run, or only waits for a predecessor of the same run ("after ...").
 */
function operatorFailure(resource: string, facts: HostFacts, plan: Plan): CheckFailure | undefined {
  if (!plan.blocked || plan.after) return undefined;
  const { code, reason } = plan.blocked;
  const next = code === "host-unreachable" ? "check the host and the connection, then run `pulumi up` again" : "fix the cause, then run `pulumi up` again";
  return { property: `blocked.${code}`, reason: `[${resource}] cannot upgrade ${facts.host}: ${reason} (${code}). Nothing was changed on the host; ${next}.` };
}

/**
 * Validates and plans from live facts. Failures are returned for bad input, for what the host says is wrong with the
 * program (a downgrade, a closed window) and for every state an operator must act on (`operatorFailure`), so a preview
 * that passes against a real estate is the readiness check. `quiet` leaves the plan unprinted (the pod's gate).
 */
export async function assess(kind: HorizonKind, news: Record<string, any>, quiet = false): Promise<{ inputs?: Record<string, unknown>; failures?: CheckFailure[] }> {
  const validated = validateHorizonInputs(kind, news);
  // Script overrides are parsed before anything touches a host (issue 15).
  const scripts = await scriptInputFailures(news, HORIZON_SCRIPT_INPUTS, isUnknown, secretsOf(news));
  if (!validated.inputs || scripts.length > 0) return { failures: [...validated.failures, ...scripts] };
  const inputs = validated.inputs;
  const resource = inputs.resourceName;
  const secrets = secretsOf(inputs);
  const ss = kind === "security-server" ? (inputs as SecurityServerInputs) : undefined;
  if (isUnknown(inputs.connection) || (ss && isUnknown(ss.connectionServer.connection)) || isUnknown(inputs.installer)) {
    if (!quiet) say(resource, "the plan is computed once the connection and installer are known");
    return { inputs: clean({ ...inputs, plan: ["(computed once the connection and the installer are known)"] }) };
  }
  let observed: Observed;
  try {
    observed = await observe(contextFor(kind, inputs, true), CHECK_READ_DEADLINE_SECONDS);
  } catch (e) {
    if (isHostKeyError(e)) {
      // Name the connection whose key was refused: this server's, or (for a security server) its Connection Server's.
      const own = describeConnection(resolveConnectionArgs(inputs.connection));
      const which = ss && (e as { host?: string }).host !== own ? "connectionServer.connection" : "connection";
      return { failures: [{ property: `${which}.hostKey`, reason: `[${which}.hostKey] ${redactText((e as Error).message, secrets)}` }] };
    }
    throw e;
  }
  const { facts, plan } = observed;
  const failures = [...powershellFailures(facts), ...liveFailures(facts, inputs.targetVersion)];
  if (failures.length === 0 && plan.steps.length > 0) {
    const closed = windowVerdict(validated.window, facts.hostNow, inputs.timeBudgetMinutes ?? DEFAULT_TIME_BUDGET_MINUTES);
    if (closed) failures.push({ property: "maintenanceWindow", reason: `[maintenanceWindow] ${facts.host}: ${closed}.` });
  }
  const blocked = operatorFailure(resource, facts, plan);
  if (blocked && failures.length === 0) failures.push({ property: blocked.property, reason: redactText(blocked.reason, secrets) });
  if (failures.length > 0) return { failures };
  if (!quiet) printPlan(resource, facts, inputs.targetVersion, plan, secrets);
  return {
    inputs: clean({
      ...inputs,
      liveVersion: facts.liveVersion,
      plan: planLines(plan),
      blockedReason: blockedText(plan),
      blockedCode: plan.blocked?.code,
      plannedAt: new Date().toISOString(),
    }),
  };
}

/** `check`: validate, then plan from live facts where the connection is known (`assess`). */
export async function check(kind: HorizonKind, _olds: unknown, news: Record<string, any>): Promise<{ inputs?: unknown; failures?: CheckFailure[] }> {
  const r = await assess(kind, news);
  // Whatever step found it, a failure is never attached to a property whose printed value would hold a secret.
  return r.failures ? { ...r, failures: safeFailures(r.failures, news) } : r;
}

/** One server of a pod as the pod's readiness gate receives it: its kind and inputs, without ordering links or secrets it does not need. */
export interface PodMemberInputs {
  kind: HorizonKind;
  inputs: Record<string, any>;
}

/**
 * `check` of a pod's readiness gate (`HorizonPod`): assesses every server of the pod before the first is touched and
 * fails naming each one an operator must act on. Waiting for a predecessor of the same run is not a failure.
 */
export async function checkPod(_olds: unknown, news: Record<string, any>): Promise<{ inputs?: unknown; failures?: CheckFailure[] }> {
  const members = (Array.isArray(news.servers) ? news.servers : []) as PodMemberInputs[];
  const failures: CheckFailure[] = [];
  const ready: string[] = [];
  // Every server at once (reads only); the failures are reported in the pod's order.
  const results = await Promise.all(
    members.map((m) => {
      // Reading needs no pairing password; the gate never receives it.
      const inputs = m.kind === "security-server" ? { ...m.inputs, pairingPassword: "not-needed-for-reading" } : m.inputs;
      return assess(m.kind, inputs, true);
    }),
  );
  for (const [i, r] of results.entries()) {
    if (r.failures?.length) failures.push(...r.failures);
    else ready.push(String(members[i].inputs.resourceName));
  }
  if (failures.length > 0) return { failures: safeFailures(failures, news) };
  return { inputs: { ...news, ready } };
}
/** The desired state of a resource: a change to it means work. Ordering links and write-only secrets are left out. */
function desired(props: Record<string, any>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(props)) {
    if (k === "__provider" || k === "upgradeAfter" || k === "pairingPassword" || COMPUTED_KEYS.includes(k)) continue;
    if (k === "connectionServer" && v && typeof v === "object") {
      const { upgraded: _ignored, ...rest } = v as Record<string, unknown>;
      out[k] = rest;
    } else {
      out[k] = v;
    }
  }
  return out;
}

/**
 * `diff`: a change when the plan has steps, the desired state changed, or the recorded live facts drifted from it
 * (`driftOf`). Never a replacement. Refresh computes its diff here too, with the outputs it just read as `olds` and the
 * stored inputs as `news` (whose plan is the old one): only the drift check sees what refresh found.
 */
export async function diff(_kind: HorizonKind, _id: string, olds: Record<string, any>, news: Record<string, any>): Promise<{ changes: boolean }> {
  // A plan made before the recorded facts were read (refresh passes the stored inputs of the last `up`) is stale.
  const stale = typeof news.plannedAt === "string" && typeof olds.readAt === "string" && Date.parse(news.plannedAt) < Date.parse(olds.readAt);
  const planned = !stale && Array.isArray(news.plan) && news.plan.length > 0;
  const blocked = !stale && typeof news.blockedReason === "string" && news.blockedReason.length > 0;
  const drifted = driftOf(olds, news.targetVersion).length > 0;
  return { changes: planned || blocked || drifted || stable(desired(olds)) !== stable(desired(news)) };
}

/** The outputs stored after a successful run: the inputs minus write-only secrets, plus what was verified. */
function outputsFor(inputs: AnyHorizonInputs, facts: HostFacts, extra: Record<string, unknown>): Record<string, unknown> {
  const { pairingPassword: _secret, plan: _p, blockedReason: _b, blockedCode: _c, plannedAt: _t, ...rest } = inputs as SecurityServerInputs & {
    plannedAt?: unknown;
    plan?: unknown;
    blockedReason?: unknown;
    blockedCode?: unknown;
  };
  return {
    ...rest,
    liveVersion: facts.liveVersion,
    installedVersion: facts.liveVersion,
    plan: [],
    serviceStatus: facts.serviceStatus,
    readAt: new Date().toISOString(),
    ...extra,
  };
}

function idFor(kind: HorizonKind, facts: HostFacts): string {
  return `${kind === "connection-server" ? "horizon-cs" : "horizon-ss"}:${facts.host.toLowerCase()}`;
}

/** Runs the upgrade: re-read, re-plan, refuse if blocked, run the steps, verify. Shared by create and update. */
async function converge(kind: HorizonKind, news: Record<string, any>): Promise<{ id: string; outs: Record<string, unknown> }> {
  const validated = validateHorizonInputs(kind, news);
  if (!validated.inputs) throw new Error(validated.failures.map((f) => f.reason).join("\n"));
  const inputs = validated.inputs;
  const resource = inputs.resourceName;
  const secrets = secretsOf(inputs);
  const ctx = contextFor(kind, inputs, false);
  const observed = await observe(ctx);
  const { facts, plan } = observed;
  const failures = liveFailures(facts, inputs.targetVersion);
  if (failures.length > 0) throw new Error(failures.map((f) => f.reason).join("\n"));
  if (plan.blocked) {
    const next = plan.blocked.code === "host-unreachable" ? "check the host and the connection, then run `pulumi up` again" : "fix the cause, then run `pulumi up` again";
    throw new Error(redactText(`[${resource}] cannot upgrade ${facts.host}: ${plan.blocked.reason}. Nothing was changed on the host; ${next}.`, secrets));
  }
  // `check` printed the plan at registration; print it again only if the host changed since.
  if (stable(planLines(plan)) !== stable(news.plan)) printPlan(resource, facts, inputs.targetVersion, plan, secrets);
  const budgetMinutes = inputs.timeBudgetMinutes ?? DEFAULT_TIME_BUDGET_MINUTES;
  const scale = inputs.timeScale ?? 1;
  // What the steps verified (service, version) as they run; the outputs report it.
  const state: RunState = { facts };
  await runPlan(resource, plan.steps, (step, remainingMs) => runStep(ctx, validated.window, observed, step, remainingMs, state), {
    budgetMs: (budgetMinutes * 60_000) / scale,
    log: (line) => say(resource, line, secrets),
  });
  const after = state.facts;
  const extra: Record<string, unknown> = {};
  if (kind === "security-server") {
    extra.pairingState = await pairingState(ctx, after.host);
    // What refresh compares the pairing with: a change since this run is drift.
    extra.pairingStateVerified = extra.pairingState;
  }
  const backup = backupIntent(kind, inputs);
  if (state.backup) extra.configurationBackupFile = state.backup;
  else if (backup && "waived" in backup) extra.configurationBackupFile = { waived: backup.waived };
  else if (news.configurationBackupFile) extra.configurationBackupFile = news.configurationBackupFile;
  if (plan.steps.length > 0) say(resource, `${after.host} runs ${after.liveVersion}; done`, secrets);
  return { id: idFor(kind, after), outs: clean(outputsFor(inputs, after, extra)) };
}

/** What outputs and refresh say about a security server's pairing: its entries in the pod's list and its IPsec state. */
export interface PairingStateOutput {
  /** "active" while a rule of the pair remains on either host, "none" when none does, "unknown" when unreadable. */
  ipsec: string;
  /** The rules of the pair, "<name> on <host>". */
  ipsecRules: string[];
  /** The global "Use IPsec for Security Server Connections" setting, shown beside the rules. */
  useIpsec?: boolean;
  /** Entries of the pod's Security Servers list under a name this host answers to. */
  entries: string[];
}

/** This security server's pairing state, for outputs and refresh. */
async function pairingState(ctx: Context, computerName: string): Promise<PairingStateOutput | undefined> {
  const ss = ctx.inputs as SecurityServerInputs;
  // [scale] The list and both hosts' rules at once (reads only), used as when read one after another.
  const [listRead, rulesRead] = await Promise.all([
    settle(getSecurityServerList(ctx.csSession!, {}, { body: ss.overrides?.securityServerListScript })),
    settle(Promise.all([readHostIpsec(ctx.session), readHostIpsec(ctx.csSession!)])),
  ]);
  try {
    const list = valueOf(listRead).result;
    const mine = list.securityServers.filter(
      (e) => e.name.toLowerCase() === computerName.toLowerCase() || (ss.registeredName && e.name.toLowerCase() === ss.registeredName.toLowerCase()),
    );
    let ipsec = "unknown";
    let ipsecRules: string[] = [];
    try {
      const [securityServer, connectionServer] = valueOf(rulesRead);
      const found = pairRules({ securityServer, connectionServer }, IPSEC_RULE_PREFIX);
      ipsecRules = found.rules.map((r) => `${r.displayName} on ${r.host}`);
      ipsec = found.rules.length > 0 ? "active" : "none";
    } catch (e) {
      if (isHostKeyError(e)) throw e;
    }
    return { ipsec, ipsecRules, useIpsec: list.useIpsec, entries: mine.map((e) => e.name) };
  } catch (e) {
    if (isHostKeyError(e)) throw e;
    return undefined;
  }
}

/** What the steps verified as they ran: the host's facts, and the configuration backup taken. */
interface RunState {
  facts: HostFacts;
  backup?: { path: string; sizeBytes: number; sha256?: string };
}

async function runStep(
  ctx: Context,
  window: MaintenanceWindow | undefined,
  observed: Observed,
  step: PlannedStep,
  remainingMs: () => number,
  state: RunState,
): Promise<void> {
  const { inputs } = ctx;
  const scale = inputs.timeScale ?? 1;
  const onLine = (line: string) => say(inputs.resourceName, `  ${step.host}: ${line}`, secretsOf(inputs));
  const ss = ctx.kind === "security-server" ? (inputs as SecurityServerInputs) : undefined;
  switch (step.name) {
    case "preflight": {
      const f = observed.facts;
      if (f.isAdmin === false) throw new Error(`${f.user} is not an elevated administrator on ${f.host}`);
      const closed = windowVerdict(window, f.hostNow, inputs.timeBudgetMinutes ?? DEFAULT_TIME_BUDGET_MINUTES);
      if (closed) throw new Error(closed);
      if ((inputs as ConnectionServerInputs).checkReplication) {
        // Parallel upgrades (2203+) are documented only with healthy LDAP replication (domain-facts §A7).
        const health = (await getReplicationHealth(ctx.session, { onLine })).result;
        if (!health.healthy) {
          const failed = health.output.filter((l) => /failed|error/i.test(l)).slice(0, 3).map((l) => l.trim());
          throw new Error(
            `LDAP replication on ${f.host} has errors (repadmin /showrepl localhost:389: ${failed.join(" | ") || "not healthy"}); ` +
              "Connection Servers are upgraded in parallel only with healthy replication: repair it, or set parallelConnectionServers: false",
          );
        }
      }
      return;
    }
    case "backup-configuration": {
      // The vendor's preparation, on one Connection Server of the group: "use vdmexport.exe to back up the LDAP
      // database" (domain-facts §A7). Verified before the installer may run: the file exists and is not empty.
      const intent = backupIntent(ctx.kind, inputs);
      if (!intent || !("path" in intent)) throw new Error("no configuration backup path was planned");
      const r = (
        await invokeVdmexport(
          ctx.session,
          { vdmexportPath: inputs.overrides?.vdmexportPath ?? VDMEXPORT_PATH_VMWARE, path: intent.path },
          { body: inputs.overrides?.vdmexportScript, onLine },
        )
      ).result;
      if (r.exitCode !== 0) throw new Error(`vdmexport -f ${intent.path} exited with ${r.exitCode}: ${r.output.slice(-3).join(" | ")}; nothing was upgraded`);
      const file = (await getFileHash(ctx.session, { path: intent.path })).result;
      if (!file.exists || !file.sizeBytes) {
        throw new Error(`the configuration backup ${intent.path} on ${step.host} ${file.exists ? "is empty" : "was not written"}; nothing was upgraded`);
      }
      onLine(`configuration backup ${intent.path}: ${file.sizeBytes} bytes, verified`);
      state.backup = { path: intent.path, sizeBytes: file.sizeBytes, sha256: file.sha256 ?? undefined };
      return;
    }
    case "hook-before":
    case "hook-after": {
      const phase = step.name === "hook-before" ? "before" : "after";
      const hook = phase === "before" ? inputs.hooks?.before : inputs.hooks?.after;
      const r = (await invokeHook(ctx.session, { hook: hook!, phase }, { onLine })).result;
      if (r.exitCode !== 0) throw new Error(`the ${phase} hook exited with ${r.exitCode}: ${r.output.slice(-5).join(" | ")}`);
      return;
    }
    case "set-pairing-password": {
      const minutes = ss!.pairingTimeoutMinutes ?? DEFAULT_PAIRING_TIMEOUT_MINUTES;
      const r = (
        await setPairingPassword(
          ctx.csSession!,
          { connectionServer: ss!.connectionServer.name, timeoutMinutes: minutes, secrets: { pairingPassword: ss!.pairingPassword } },
          { body: inputs.overrides?.pairingPasswordScript, onLine },
        )
      ).result;
      // The installer needs the password still valid when it pairs. What the View API call reports proves nothing
      // (it is the host's clock plus the timeout): read the directory back, by the Connection Server's UTC clock
      // (domain-facts §A3). Stop here, before any IPsec rule is touched.
      if (!Number.isFinite(Date.parse(r.expiresUtc))) throw new Error(`Set-PairingPassword returned an expiry that is not a time: ${JSON.stringify(r.expiresUtc)}`);
      const state = (
        await getPairingPasswordState(ctx.csSession!, { connectionServer: ss!.connectionServer.name }, { body: inputs.overrides?.pairingPasswordStateScript, onLine })
      ).result;
      const problem = pairingPasswordProblem(state, ss!.connectionServer.name);
      if (problem) {
        const zone = state.utcOffsetMinutes !== 0 ? `${ss!.connectionServer.name} runs in ${state.timeZoneId}, not UTC: ${NOT_UTC_WORKAROUND}` : `check that ${ss!.connectionServer.name} runs in UTC with a correct clock`;
        throw new Error(`${problem}; ${zone}; no IPsec rule was removed`);
      }
      onLine(`the pairing password on ${ss!.connectionServer.name} is valid for ${state.timeoutSeconds} s from ${state.lastChangedTime} (Connection Server UTC ${state.utcNow})`);
      return;
    }
    case "prepare-ipsec": {
      // Prepare for Upgrade without the console (domain-facts §A3): on the security server, then on its Connection
      // Server, delete the pair's "VMware View Security Server QM Pairing with <IP address>" rules whose remote address
      // is the other host's; then read both hosts again and stop unless none remain.
      const ipsec = observed.pairing?.ipsec;
      const ssHost = ipsec?.securityServer;
      const csHost = ipsec?.connectionServer;
      if (!ssHost || !csHost) throw new Error(`the IPsec rules of this pair were not read${ipsec?.readError ? ` (${ipsec.readError})` : ""}; nothing was removed`);
      const securityServer = ss!.registeredName ?? observed.facts.host;
      for (const [session, partner] of [[ctx.session, csHost], [ctx.csSession!, ssHost]] as const) {
        await invokePrepareSecurityServer(
          session,
          { securityServer, ruleNamePrefix: IPSEC_RULE_PREFIX, partnerAddresses: partner.addresses },
          { body: inputs.overrides?.prepareSecurityServerScript, onLine },
        );
      }
      // [scale] Both hosts read back at once.
      const [ssRules, csRules] = await Promise.all([readHostIpsec(ctx.session), readHostIpsec(ctx.csSession!)]);
      const after = pairRules({ securityServer: ssRules, connectionServer: csRules }, IPSEC_RULE_PREFIX);
      if (after.rules.length > 0 || after.ambiguous.length > 0) {
        const left = [...after.rules.map((r) => `"${r.displayName}" on ${r.host}`), ...after.ambiguous];
        throw new Error(`IPsec rules of this pair remain after Prepare for Upgrade: ${left.join(", ")}; the installer would fail to pair. Remove them (Windows Firewall with Advanced Security > Connection Security Rules)`);
      }
      onLine(`no IPsec rule of this pair remains on ${ssHost.computerName} or ${csHost.computerName}`);
      return;
    }
    case "install": {
      const log = installerLogPath(inputs.resourceName);
      const template = (inputs.installer.arguments ?? (ss ? SECURITY_SERVER_ARGUMENTS : CONNECTION_SERVER_ARGUMENTS)).split("{{log}}").join(log);
      const secrets = ss && template.includes("{{secret:pairingPassword}}") ? { pairingPassword: ss.pairingPassword } : undefined;
      await runInstaller(
        ctx.session,
        step.host,
        {
          path: inputs.installer.path,
          argumentTemplate: template,
          logPath: log,
          secrets,
          product: installerProductOf(ctx.kind),
          target: inputs.targetVersion,
          scale,
          remainingMs,
          startScript: inputs.overrides?.startInstallerScript,
          noun: "installer",
        },
        onLine,
      );
      return;
    }
    case "wait-service":
    case "start-service": {
      const r = await ensureServiceRunning(ctx.session, step.host, ctx.servicePattern, SERVICE_START_TIMEOUT_MINUTES * 60, scale, onLine);
      state.facts = { ...state.facts, serviceStatus: r.status, serviceDisplayName: r.displayName };
      return;
    }
    case "verify-version": {
      const version = await verifyInstalledVersion(ctx.session, step.host, {
        patterns: inputs.overrides?.productDisplayNames ?? HORIZON_PRODUCT_PATTERNS,
        target: inputs.targetVersion,
        scheme: HORIZON_VERSIONS,
        product: "Horizon",
        noun: "installer",
        logPath: installerLogPath(inputs.resourceName),
      });
      state.facts = { ...state.facts, liveVersion: version };
      return;
    }
    case "remove-duplicates": {
      // Decided from the live pairing after the upgrade (the entry at the verified version with status OK, under a
      // name this host answers to), never from the form of a name: removing the live entry cuts the server off.
      const list = (await getSecurityServerList(ctx.csSession!, {}, { body: inputs.overrides?.securityServerListScript })).result;
      const names = hostNames(observed.facts.host, observed.pairing?.ipsec?.securityServer?.fqdn, ss!.registeredName);
      const verdict = staleEntries(list.securityServers, { names, installedVersion: state.facts.liveVersion ?? inputs.targetVersion });
      if (verdict.ambiguous) {
        onLine(`left alone: ${verdict.ambiguous}`);
        return;
      }
      if (verdict.stale.length === 0) {
        onLine("no stale entry to remove");
        return;
      }
      for (const e of verdict.stale) {
        onLine(`removing the stale entry ${describeEntry(e)}; the live entry is ${describeEntry(verdict.live!)}`);
        const r = (
          await invokeVdmadmin(ctx.csSession!, { vdmadminPath: inputs.overrides?.vdmadminPath ?? VDMADMIN_PATH_VMWARE, arguments: ["-S", "-r", "-s", e.name] }, { onLine })
        ).result;
        if (r.exitCode !== 0) throw new Error(`vdmadmin -S -r -s ${e.name} exited with ${r.exitCode}: ${r.output.slice(-3).join(" | ")}`);
      }
      return;
    }
    default:
      throw new Error(`step ${step.name} is not part of the Horizon procedure`);
  }
}

/** `create`: adopt the existing installation and bring it to the target. */
export async function create(kind: HorizonKind, inputs: Record<string, any>): Promise<{ id: string; outs: Record<string, unknown> }> {
  return converge(kind, inputs);
}

/** `update`: run the procedure again from live facts (a changed target, a resumed failure, drift). */
export async function update(kind: HorizonKind, _id: string, _olds: unknown, news: Record<string, any>): Promise<{ outs: Record<string, unknown> }> {
  return { outs: (await converge(kind, news)).outs };
}

/** `read` (refresh): the live version, service and pairing state; the inputs come back with a fresh plan. */
export async function read(kind: HorizonKind, id: string, props: Record<string, any>): Promise<{ id: string; props: Record<string, unknown>; inputs?: Record<string, unknown> }> {
  // Outputs never keep the pairing password (it is write-only); reading does not need it.
  const stored = kind === "security-server" ? { ...props, pairingPassword: "not-needed-for-reading" } : props;
  const validated = validateHorizonInputs(kind, stored);
  if (!validated.inputs) {
    say(props.resourceName ?? id, [`refresh cannot read the host: the stored state is not valid input:`, ...validated.failures.map((f) => `  ${f.reason}`)], secretsOf(props));
    return { id, props };
  }
  const ctx = contextFor(kind, validated.inputs, true);
  const observed = await observe(ctx);
  if (!observed.facts.reachable) {
    say(props.resourceName ?? id, `refresh could not reach the host; keeping the last known state: ${observed.facts.unreachableReason}`);
    return { id, props };
  }
  const { facts, plan } = observed;
  // The live facts replace the recorded ones; `installedVersion` and `pairingStateVerified` stay what the last `up`
  // verified, so `diff` can tell drift (driftOf) on this server alone.
  const refreshed: Record<string, unknown> = {
    ...props,
    liveVersion: facts.liveVersion,
    serviceStatus: facts.serviceStatus,
    readAt: new Date().toISOString(),
  };
  if (kind === "security-server") refreshed.pairingState = await pairingState(ctx, facts.host);
  const drift = driftOf(refreshed, props.targetVersion);
  if (drift.length > 0) say(props.resourceName ?? id, `drift on ${facts.host}: ${drift.join("; ")}`, secretsOf(props));
  const inputs: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(props)) if (!["installedVersion", "serviceStatus", "pairingState", "pairingStateVerified", "configurationBackupFile", "readAt"].includes(k)) inputs[k] = v;
  inputs.liveVersion = facts.liveVersion;
  inputs.plan = planLines(plan);
  inputs.blockedReason = blockedText(plan);
  inputs.blockedCode = plan.blocked?.code;
  inputs.plannedAt = new Date().toISOString();
  return { id, props: clean(refreshed), inputs: clean(inputs) };
}

/** `delete`: stop managing the server. Nothing is uninstalled. */
export async function remove(_kind: HorizonKind, id: string, props: Record<string, any>): Promise<void> {
  say(props.resourceName ?? id, "no longer managed by this stack; nothing was uninstalled");
}
