/**
 * The Horizon product spec the lifecycle (../lifecycle/lifecycle.ts) drives for a Connection Server or a Security
 * Server: validation, the sessions, `observe` (live facts and the plan), `check`'s judgement, the step actions
 * (../upgrade/horizonSteps.ts), the outputs and the id; and the `check` of a pod's readiness gate (`checkPod`).
 */
import { getSecurityServerList, testHorizonPrerequisites, VDMADMIN_PATH_VMWARE, VDMEXPORT_PATH_VMWARE } from "../operations";
import {
  CONNECTION_SERVER_SERVICE,
  DEFAULT_TIME_BUDGET_MINUTES,
  HORIZON_PRODUCT_PATTERNS,
  IPSEC_RULE_PREFIX,
  SECURITY_SERVER_SERVICE,
} from "./horizon";
import { HORIZON_SCRIPT_INPUTS } from "../powershell/scriptInputs";
import type { Session } from "../transport/session";
import { describeConnection, resolveConnectionArgs } from "../transport/connectionArgs";
import { redactText } from "../transport/redact";
import { whileInstallerRuns } from "../upgrade/commonSteps";
import { isHostKeyError, readHorizonHost, readHostIpsec, readPairIpsec, readPairingFacts } from "../upgrade/horizonFacts";
import { type HostFacts, driftOf, pairRules, planConnectionServer, planSecurityServer } from "../upgrade/horizonPlan";
import {
  type HorizonContext,
  type HorizonObserved,
  type HorizonRunState,
  backupIntent,
  installerProductOf,
  runHorizonStep,
} from "../upgrade/horizonSteps";
import { settle, valueOf } from "../upgrade/hostFacts";
import { powershellFailures } from "../upgrade/preflight";
import { parallelUpgradeProblem, readReplication, withReplication } from "../upgrade/replication";
import { describeGroups, withHostRecords } from "../upgrade/coordination";
import { sessionFactory } from "../transport/sessions";
import type { Plan } from "../upgrade/steps";
import { type HorizonVersion, compareHorizonVersions, evaluateUpgradePath, parseHorizonVersion } from "../versions/horizon";
import { ruleFailure } from "../versions/rules";
import { CHECK_READ_DEADLINE_SECONDS, type KindSpec, assess, secretsOf } from "../lifecycle/lifecycle";
import { type Validated, safeFailures } from "../lifecycle/inputSupport";
import { blockedText, planLines, say, sessionFor, windowVerdict } from "../lifecycle/support";
import type { Props } from "../lifecycle/descriptor";
import {
  type AnyHorizonInputs,
  COMPUTED_KEYS,
  type CheckFailure,
  type ConnectionInputs,
  type ConnectionServerInputs,
  type HorizonKind,
  POD_READINESS,
  type SecurityServerInputs,
  horizonDescriptor,
  isUnknown,
  validateHorizonInputs,
} from "./horizonInputs";

function contextFor(kind: HorizonKind, inputs: AnyHorizonInputs, planning: boolean): HorizonContext {
  const open = (c: ConnectionInputs) => sessionFor(c, planning);
  const ss = kind === "security-server" ? (inputs as SecurityServerInputs) : undefined;
  return {
    kind,
    inputs,
    session: open(inputs.connection),
    csSession: ss ? open(ss.connectionServer.connection) : undefined,
    servicePattern:
      inputs.overrides?.serviceDisplayName ?? (kind === "connection-server" ? CONNECTION_SERVER_SERVICE : SECURITY_SERVER_SERVICE),
  };
}

/** Whether a reachable host runs a version older than the target (the only case where steps need tools). */
function isBehind(facts: HostFacts, target: HorizonVersion | undefined): boolean {
  const live = facts.liveVersion ? parseHorizonVersion(facts.liveVersion) : undefined;
  return !!live && !!target && compareHorizonVersions(live, target) < 0;
}

/** The tools a host lacks among those asked for; a failed read is reported as the host being unreadable, not as missing tools. */
async function missingTools(
  session: Session,
  wanted: { files: string[]; commands: string[]; modules: string[] },
  deadlineSeconds?: number,
): Promise<string[] | undefined> {
  if (wanted.files.length + wanted.commands.length + wanted.modules.length === 0) return undefined;
  try {
    return (await testHorizonPrerequisites(session, wanted, { deadlineSeconds })).result.missing;
  } catch (e) {
    if (isHostKeyError(e)) throw e;
    return undefined;
  }
}

/** Reads the live facts and plans. Read-only. */
async function observe(
  ctx: HorizonContext,
  validated: Validated<AnyHorizonInputs, HorizonVersion>,
  deadlineSeconds?: number,
): Promise<HorizonObserved> {
  const { inputs } = ctx;
  const ss = ctx.kind === "security-server" ? (inputs as SecurityServerInputs) : undefined;
  // A security server's Connection Server is read at the same time as the server itself: the engine runs one check at
  // a time, so each round trip here delays the whole run (docs/scaling.md). Settled, so a host-key refusal of this
  // server's own read leaves no rejection unwatched.
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
  const behind = isBehind(facts, validated.target);
  if (ctx.kind === "connection-server") {
    const backup = intent.configurationBackup;
    // The tools the steps need and, on every Connection Server of a parallel upgrade (the first included), LDAP
    // replication (389 and, in a Cloud Pod federation, 22389), read at once (both only read).
    const cs = inputs as ConnectionServerInputs;
    const [missing, replication] = await Promise.all([
      behind
        ? missingTools(
            ctx.session,
            {
              files:
                backup && "path" in backup && !inputs.overrides?.vdmexportScript
                  ? [inputs.overrides?.vdmexportPath ?? VDMEXPORT_PATH_VMWARE]
                  : [],
              commands: intent.checkReplication ? ["repadmin.exe"] : [],
              modules: [],
            },
            deadlineSeconds,
          )
        : undefined,
      intent.checkReplication && behind
        ? readReplication(ctx.session, facts.host, cs, { deadlineSeconds, isFatal: isHostKeyError })
        : undefined,
    ]);
    if (behind) facts.missing = missing;
    return {
      facts,
      plan: withReplication(whileInstallerRuns(planConnectionServer(facts, intent), facts), replication, inputs.targetVersion),
    };
  }

  const pairing = valueOf(await pairingRead!);
  // The Connection Server's tools and the pair's IPsec rules at once (both only read).
  const usesViewApi = !inputs.overrides?.securityServerListScript || !inputs.overrides?.pairingPasswordScript;
  const [missing, ipsec] = await Promise.all([
    behind && pairing.connectionServer.reachable
      ? // What the pairing steps need on the Connection Server: vdmadmin (stale entries) and PowerCLI (the View API).
        missingTools(
          ctx.csSession!,
          {
            files: [inputs.overrides?.vdmadminPath ?? VDMADMIN_PATH_VMWARE],
            commands: [],
            modules: usesViewApi ? ["VMware.VimAutomation.HorizonView"] : [],
          },
          deadlineSeconds,
        )
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
function liveFailures(facts: HostFacts, target: HorizonVersion | undefined): CheckFailure[] {
  const live = facts.liveVersion ? parseHorizonVersion(facts.liveVersion) : undefined;
  if (!live || !target) return [];
  return evaluateUpgradePath(live, target).map((v) => ruleFailure(v, `host ${facts.host}`));
}

function printPlan(inputs: AnyHorizonInputs, { facts, plan }: HorizonObserved, secrets: readonly string[]): void {
  const resource = inputs.resourceName;
  const target = inputs.targetVersion;
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
  const next =
    code === "host-unreachable"
      ? "check the host and the connection, then run `pulumi up` again"
      : "fix the cause, then run `pulumi up` again";
  return {
    property: `blocked.${code}`,
    reason: `[${resource}] cannot upgrade ${facts.host}: ${reason} (${code}). Nothing was changed on the host; ${next}.`,
  };
}

/** The outputs stored after a successful run: the inputs minus write-only secrets, plus what was verified. */
function outputsFor(inputs: AnyHorizonInputs, facts: HostFacts, extra: Record<string, unknown>): Record<string, unknown> {
  const {
    pairingPassword: _secret,
    plan: _p,
    blockedReason: _b,
    blockedCode: _c,
    plannedAt: _t,
    ...rest
  } = inputs as SecurityServerInputs & {
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

/** The resource id: the kind and the host. */
function idFor(kind: HorizonKind, facts: HostFacts): string {
  return `${kind === "connection-server" ? "horizon-cs" : "horizon-ss"}:${facts.host.toLowerCase()}`;
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
async function pairingState(ctx: HorizonContext, computerName: string): Promise<PairingStateOutput | undefined> {
  const ss = ctx.inputs as SecurityServerInputs;
  // The list and both hosts' rules at once (reads only), used as when read one after another.
  const [listRead, rulesRead] = await Promise.all([
    settle(getSecurityServerList(ctx.csSession!, {}, { body: ss.overrides?.securityServerListScript })),
    settle(Promise.all([readHostIpsec(ctx.session), readHostIpsec(ctx.csSession!)])),
  ]);
  try {
    const list = valueOf(listRead).result;
    const mine = list.securityServers.filter(
      (e) =>
        e.name.toLowerCase() === computerName.toLowerCase() ||
        (ss.registeredName && e.name.toLowerCase() === ss.registeredName.toLowerCase()),
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

/** The text of why `up` refuses a blocked plan, naming the resource, the host and the next move. */
function refusalText(resource: string, facts: HostFacts, plan: Plan): string {
  const next =
    plan.blocked!.code === "host-unreachable"
      ? "check the host and the connection, then run `pulumi up` again"
      : "fix the cause, then run `pulumi up` again";
  return `[${resource}] cannot upgrade ${facts.host}: ${plan.blocked!.reason}. Nothing was changed on the host; ${next}.`;
}

type HorizonSpec = KindSpec<AnyHorizonInputs, HorizonContext, HorizonObserved, HorizonRunState, HorizonVersion>;

function makeSpec(kind: HorizonKind): HorizonSpec {
  return {
    descriptor: horizonDescriptor(kind),
    computedKeys: COMPUTED_KEYS,
    defaultBudgetMinutes: DEFAULT_TIME_BUDGET_MINUTES,
    scriptInputs: HORIZON_SCRIPT_INPUTS,
    validate: (news, purpose) => {
      const validated = validateHorizonInputs(kind, news, purpose);
      // A parallel upgrade to a target older than 2203 is not documented: refused before any host is read.
      const parallel =
        kind === "connection-server" && validated.inputs && purpose !== "read"
          ? parallelUpgradeProblem(validated.inputs as ConnectionServerInputs, validated.inputs.resourceName)
          : undefined;
      return parallel ? { failures: [{ property: "parallelUpgrade", reason: parallel }] } : validated;
    },
    pending(inputs) {
      const ss = kind === "security-server" ? (inputs as SecurityServerInputs) : undefined;
      if (!isUnknown(inputs.connection) && !(ss && isUnknown(ss.connectionServer.connection)) && !isUnknown(inputs.installer))
        return undefined;
      return {
        say: "the plan is computed once the connection and installer are known",
        plan: "(computed once the connection and the installer are known)",
      };
    },
    connect: (inputs, planning) => contextFor(kind, inputs, planning),
    async observe(ctx, validated, deadlineSeconds) {
      const observed = await observe(ctx, validated, deadlineSeconds);
      if (!observed.facts.reachable) return observed;
      // What the host records: an after-hook owed by an earlier run is part of the plan; another run's lease a note.
      const inputs = ctx.inputs;
      const plan = await withHostRecords(ctx.session, observed.plan, {
        resource: inputs.resourceName,
        host: observed.facts.host,
        afterHookDeclared: !!inputs.hooks?.after,
        deadlineSeconds,
      });
      return { ...observed, plan };
    },
    coordination: ({ inputs, ctx, observed }) => ({
      host: observed.facts.host,
      session: ctx.session,
      guard: inputs.guard,
      servicePatterns: [ctx.servicePattern],
    }),
    connectionProperty(inputs, e) {
      // Name the connection whose key was refused: this server's, or (for a security server) its Connection Server's.
      const own = describeConnection(resolveConnectionArgs(inputs.connection));
      return kind === "security-server" && (e as { host?: string }).host !== own ? "connectionServer.connection" : "connection";
    },
    judge(validated, { facts, plan }, secrets) {
      const inputs = validated.inputs!;
      const failures = [...powershellFailures(facts), ...liveFailures(facts, validated.target)];
      if (failures.length === 0 && plan.steps.length > 0) {
        const closed = windowVerdict(validated.window, facts.hostNow, inputs.timeBudgetMinutes ?? DEFAULT_TIME_BUDGET_MINUTES);
        if (closed) failures.push({ property: "maintenanceWindow", reason: `[maintenanceWindow] ${facts.host}: ${closed}.` });
      }
      const blocked = operatorFailure(inputs.resourceName, facts, plan);
      if (blocked && failures.length === 0) failures.push({ property: blocked.property, reason: redactText(blocked.reason, secrets) });
      return { failures };
    },
    printPlan: (inputs, observed, secrets) => printPlan(inputs, observed, secrets),
    planOutputs: ({ facts, plan }) => ({
      liveVersion: facts.liveVersion,
      plan: planLines(plan),
      blockedReason: blockedText(plan),
      blockedCode: plan.blocked?.code,
      plannedAt: new Date().toISOString(),
    }),
    async refuse({ inputs, validated, observed: { facts, plan }, secrets }) {
      const failures = liveFailures(facts, validated.target);
      if (failures.length > 0) throw new Error(failures.map((f) => f.reason).join("\n"));
      if (plan.blocked) throw new Error(redactText(refusalText(inputs.resourceName, facts, plan), secrets));
      return [];
    },
    initialState: ({ observed }) => ({ facts: observed.facts }),
    runStep({ inputs, ctx, validated, observed, secrets }, step, remainingMs, state) {
      const onLine = (line: string) => say(inputs.resourceName, `  ${step.host}: ${line}`, secrets);
      return runHorizonStep(ctx, validated.window, observed, step, remainingMs, state, onLine);
    },
    async outputs({ inputs, ctx, observed: { plan }, secrets }, state, news) {
      const after = state.facts;
      const extra: Props = {};
      if (kind === "security-server") {
        extra.pairingState = await pairingState(ctx, after.host);
        // What refresh compares the pairing with: a change since this run is drift.
        extra.pairingStateVerified = extra.pairingState;
      }
      const backup = backupIntent(kind, inputs);
      if (state.backup) extra.configurationBackupFile = state.backup;
      else if (backup && "waived" in backup) extra.configurationBackupFile = { waived: backup.waived };
      else if (news.configurationBackupFile) extra.configurationBackupFile = news.configurationBackupFile;
      if (plan.steps.length > 0) say(inputs.resourceName, `${after.host} runs ${after.liveVersion}; done`, secrets);
      return { id: idFor(kind, after), outs: outputsFor(inputs, after, extra) };
    },
    unreachable: ({ facts }) =>
      facts.reachable ? undefined : `refresh could not reach the host; keeping the last known state: ${facts.unreachableReason}`,
    async refreshed(ctx, props, { facts }) {
      // The live facts replace the recorded ones; `installedVersion` and `pairingStateVerified` stay what the last `up`
      // verified, so `diff` can tell drift (driftOf) on this server alone.
      const refreshed: Props = {
        ...props,
        liveVersion: facts.liveVersion,
        serviceStatus: facts.serviceStatus,
        readAt: new Date().toISOString(),
      };
      if (kind === "security-server") refreshed.pairingState = await pairingState(ctx, facts.host);
      const drift = driftOf(refreshed, props.targetVersion);
      if (drift.length > 0) say(props.resourceName ?? "", `drift on ${facts.host}: ${drift.join("; ")}`, secretsOf(SPECS[kind], props));
      return refreshed;
    },
    drift: (olds, news) => driftOf(olds, news.targetVersion),
  };
}

/** The spec of each kind of Horizon server. */
export const SPECS: Record<HorizonKind, HorizonSpec> = {
  "connection-server": makeSpec("connection-server"),
  "security-server": makeSpec("security-server"),
};

/** One server of a pod as the pod's readiness gate receives it: its kind and inputs, without ordering links or secrets it does not need. */
export interface PodMemberInputs {
  kind: HorizonKind;
  inputs: Props;
}

/**
 * `check` of a pod's readiness gate (`HorizonPod`): assesses every server of the pod before the first is touched and
 * fails naming each one an operator must act on. Waiting for a predecessor of the same run is not a failure.
 */
export async function checkPod(_olds: unknown, news: Props): Promise<{ inputs?: unknown; failures?: CheckFailure[] }> {
  const members = (Array.isArray(news.servers) ? news.servers : []) as PodMemberInputs[];
  const failures: CheckFailure[] = [];
  const ready: string[] = [];
  // Every server at once (reads only). The gate never receives a write-only input (the pairing password): each server
  // is assessed as refresh reads it, without them (the descriptor says which).
  const results = await Promise.all(members.map((m) => assess(SPECS[m.kind], m.inputs, true, "read")));
  for (const [i, r] of results.entries()) {
    if (r.failures?.length) failures.push(...r.failures);
    else ready.push(String(members[i].inputs.resourceName));
  }
  if (failures.length > 0) return { failures: safeFailures(failures, news) };
  // Each availability group's live state (service, another run's lease), read from every member, in preview.
  const known = members.filter((m) => m.inputs.connection !== undefined && !isUnknown(m.inputs.connection));
  const groups = await describeGroups(
    known.map((m) => ({
      group: m.kind === "connection-server" ? "Connection Servers" : "security servers",
      name: String(m.inputs.resourceName),
      connection: m.inputs.connection,
      servicePattern:
        (m.inputs.overrides as { serviceDisplayName?: string } | undefined)?.serviceDisplayName ??
        (m.kind === "connection-server" ? CONNECTION_SERVER_SERVICE : SECURITY_SERVER_SERVICE),
    })),
    (c) => sessionFactory().open(c as ConnectionInputs, "planning"),
    CHECK_READ_DEADLINE_SECONDS,
  );
  if (groups.length > 0)
    say(
      String(news.resourceName ?? "pod"),
      groups.map((g) => `live state of ${g}`),
      known.flatMap((m) => secretsOf(SPECS[m.kind], m.inputs)),
    );
  return { inputs: { ...news, ready } };
}

/** The readiness gate's descriptor (its servers' inputs are secret). */
export { POD_READINESS };
