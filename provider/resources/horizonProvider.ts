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
  invokeVdmadmin,
  setPairingPassword,
  VDMADMIN_PATH_VMWARE,
} from "../operations";
import {
  CONNECTION_SERVER_ARGUMENTS,
  CONNECTION_SERVER_SERVICE,
  DEFAULT_PAIRING_TIMEOUT_MINUTES,
  DEFAULT_TIME_BUDGET_MINUTES,
  HORIZON_PRODUCT_PATTERNS,
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
import { ensureServiceRunning, runInstaller, verifyInstalledVersion } from "../upgrade/commonSteps";
import { prefetchPeers, takePeers } from "../upgrade/factsCache";
import { HORIZON_VERSIONS, isHostKeyError, readHorizonHost, readPairingFacts } from "../upgrade/horizonFacts";
import { type HostFacts, type PairingFacts, planConnectionServer, planSecurityServer, staleEntries } from "../upgrade/horizonPlan";
import { powershellFailures } from "../upgrade/preflight";
import { runPlan } from "../upgrade/runner";
import type { Plan, PlannedStep } from "../upgrade/steps";
import { evaluateUpgradePath, parseHorizonVersion } from "../versions/horizon";
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

/** Reads the live facts and plans. Read-only. */
async function observe(ctx: Context, deadlineSeconds?: number): Promise<Observed> {
  const { inputs } = ctx;
  const facts = await readHorizonHost(ctx.session, {
    label: inputs.connection.host,
    productPatterns: inputs.overrides?.productDisplayNames ?? HORIZON_PRODUCT_PATTERNS,
    servicePattern: ctx.servicePattern,
    installerPath: inputs.installer.path,
    target: inputs.targetVersion,
    deadlineSeconds,
  });
  const intent = {
    targetVersion: inputs.targetVersion,
    installerPath: inputs.installer.path,
    installerSha256: inputs.installer.sha256,
    hooks: inputs.hooks ?? {},
    service: ctx.servicePattern,
    checkReplication: (inputs as ConnectionServerInputs).checkReplication,
  };
  if (ctx.kind === "connection-server") return { facts, plan: planConnectionServer(facts, intent) };

  const ss = inputs as SecurityServerInputs;
  const pairing = await readPairingFacts(ctx.csSession!, {
    label: ss.connectionServer.name,
    productPatterns: inputs.overrides?.productDisplayNames ?? HORIZON_PRODUCT_PATTERNS,
    servicePattern: CONNECTION_SERVER_SERVICE,
    securityServerListScript: inputs.overrides?.securityServerListScript,
    deadlineSeconds,
  });
  const csTarget = ss.connectionServer.targetVersion;
  const plan = planSecurityServer(facts, pairing, {
    ...intent,
    connectionServerName: ss.connectionServer.name,
    registeredName: ss.registeredName,
    ipsec: ss.ipsec ?? "detect",
    connectionServerTarget: typeof csTarget === "string" && !isUnknown(csTarget) ? csTarget : undefined,
  });
  return { facts, pairing, plan };
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
  say(resource, lines, secrets);
}

/** `check`: validate, then plan from live facts where the connection is known. */
export async function check(kind: HorizonKind, _olds: unknown, news: Record<string, any>): Promise<{ inputs?: unknown; failures?: CheckFailure[] }> {
  const peers = takePeers(news);
  const validated = validateHorizonInputs(kind, news);
  // Script overrides are parsed before anything touches a host (issue 15).
  const scripts = await scriptInputFailures(news, HORIZON_SCRIPT_INPUTS, isUnknown, secretsOf(news));
  if (!validated.inputs || scripts.length > 0) return { failures: [...validated.failures, ...scripts] };
  const inputs = validated.inputs;
  const resource = inputs.resourceName;
  const secrets = secretsOf(inputs);
  const ss = kind === "security-server" ? (inputs as SecurityServerInputs) : undefined;
  if (isUnknown(inputs.connection) || (ss && isUnknown(ss.connectionServer.connection)) || isUnknown(inputs.installer)) {
    say(resource, "the plan is computed once the connection and installer are known");
    return { inputs: clean({ ...inputs, plan: ["(computed once the connection and the installer are known)"] }) };
  }
  // The pod's other servers are read now, at once; their own checks find the facts read (docs/scaling.md).
  prefetchPeers(peers, (p) => {
    const peer = validateHorizonInputs(p.kind as HorizonKind, p.kind === "security-server" ? { ...p.args, pairingPassword: "not-needed-for-reading" } : p.args).inputs;
    return peer && observe(contextFor(p.kind as HorizonKind, peer, true), CHECK_READ_DEADLINE_SECONDS);
  }, UNKNOWN);
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
  if (failures.length > 0) return { failures };
  printPlan(resource, facts, inputs.targetVersion, plan, secrets);
  return {
    inputs: clean({
      ...inputs,
      liveVersion: facts.liveVersion,
      plan: planLines(plan),
      blockedReason: blockedText(plan),
    }),
  };
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

/** `diff`: a change when the plan has steps or the desired state changed. Never a replacement. */
export async function diff(_kind: HorizonKind, _id: string, olds: Record<string, any>, news: Record<string, any>): Promise<{ changes: boolean }> {
  const planned = Array.isArray(news.plan) && news.plan.length > 0;
  const blocked = typeof news.blockedReason === "string" && news.blockedReason.length > 0;
  return { changes: planned || blocked || stable(desired(olds)) !== stable(desired(news)) };
}

/** The outputs stored after a successful run: the inputs minus write-only secrets, plus what was verified. */
function outputsFor(inputs: AnyHorizonInputs, facts: HostFacts, extra: Record<string, unknown>): Record<string, unknown> {
  const { pairingPassword: _secret, plan: _p, blockedReason: _b, ...rest } = inputs as SecurityServerInputs & { plan?: unknown; blockedReason?: unknown };
  return {
    ...rest,
    liveVersion: facts.liveVersion,
    installedVersion: facts.liveVersion,
    plan: [],
    serviceStatus: facts.serviceStatus,
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
  const state = { facts };
  await runPlan(resource, plan.steps, (step, remainingMs) => runStep(ctx, validated.window, observed, step, remainingMs, state), {
    budgetMs: (budgetMinutes * 60_000) / scale,
    log: (line) => say(resource, line, secrets),
  });
  const after = state.facts;
  const extra: Record<string, unknown> = {};
  if (kind === "security-server") extra.pairingState = await pairingState(ctx, after.host);
  if (plan.steps.length > 0) say(resource, `${after.host} runs ${after.liveVersion}; done`, secrets);
  return { id: idFor(kind, after), outs: clean(outputsFor(inputs, after, extra)) };
}

/** This security server's entries in the pod's list and its IPsec state, for outputs and refresh. */
async function pairingState(ctx: Context, computerName: string): Promise<{ ipsec?: string; entries: string[] } | undefined> {
  const ss = ctx.inputs as SecurityServerInputs;
  try {
    const list = (await getSecurityServerList(ctx.csSession!, {}, { body: ss.overrides?.securityServerListScript })).result;
    const mine = list.securityServers.filter(
      (e) => e.name.toLowerCase() === computerName.toLowerCase() || (ss.registeredName && e.name.toLowerCase() === ss.registeredName.toLowerCase()),
    );
    const live = mine.find((e) => e.name.toLowerCase() === computerName.toLowerCase()) ?? mine[0];
    return { ipsec: live?.ipsec, entries: mine.map((e) => e.name) };
  } catch {
    return undefined;
  }
}

async function runStep(
  ctx: Context,
  window: MaintenanceWindow | undefined,
  observed: Observed,
  step: PlannedStep,
  remainingMs: () => number,
  state: { facts: HostFacts },
): Promise<void> {
  const { inputs } = ctx;
  const scale = inputs.timeScale ?? 1;
  const hostSecondsLeft = () => Math.max(1, Math.floor((remainingMs() / 1000) * scale));
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
      // The installer needs the password still valid when it pairs; a Connection Server whose clock or time zone is
      // off records an expiry in the past (domain-facts §A3). Stop here, before any IPsec rule is touched.
      const csNow = observed.pairing?.connectionServer.hostNow;
      const expires = Date.parse(r.expiresUtc);
      if (!Number.isFinite(expires)) throw new Error(`Set-PairingPassword returned an expiry that is not a time: ${JSON.stringify(r.expiresUtc)}`);
      if (csNow && expires <= Date.parse(csNow)) {
        throw new Error(
          `the pairing password set on ${ss!.connectionServer.name} expires at ${r.expiresUtc}, before the Connection Server's own clock ` +
            `(${csNow}): it is treated as expired. Check that ${ss!.connectionServer.name} runs in UTC with a correct clock; no IPsec rule was removed`,
        );
      }
      return;
    }
    case "prepare-ipsec": {
      const list = observed.pairing?.securityServers ?? [];
      const own = list.find((e) => ss!.registeredName && e.name.toLowerCase() === ss!.registeredName.toLowerCase()) ??
        list.find((e) => e.name.toLowerCase() === observed.facts.host.toLowerCase());
      await invokePrepareSecurityServer(
        ctx.csSession!,
        { securityServer: own?.name ?? ss!.registeredName ?? observed.facts.host },
        { body: inputs.overrides?.prepareSecurityServerScript, onLine },
      );
      return;
    }
    case "install": {
      const log = installerLogPath(inputs.resourceName);
      const template = (inputs.installer.arguments ?? (ss ? SECURITY_SERVER_ARGUMENTS : CONNECTION_SERVER_ARGUMENTS)).split("{{log}}").join(log);
      const secrets = ss && template.includes("{{secret:pairingPassword}}") ? { pairingPassword: ss.pairingPassword } : undefined;
      await runInstaller(ctx.session, step.host, { path: inputs.installer.path, argumentTemplate: template, logPath: log, timeoutSeconds: hostSecondsLeft(), secrets, noun: "installer" }, onLine);
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
      const list = (await getSecurityServerList(ctx.csSession!, {}, { body: inputs.overrides?.securityServerListScript })).result;
      const stale = staleEntries(list.securityServers, observed.facts.host, ss!.registeredName);
      if (stale.length === 0) {
        onLine("no stale entry to remove");
        return;
      }
      for (const name of stale) {
        const r = (
          await invokeVdmadmin(ctx.csSession!, { vdmadminPath: inputs.overrides?.vdmadminPath ?? VDMADMIN_PATH_VMWARE, arguments: ["-S", "-r", "-s", name] }, { onLine })
        ).result;
        if (r.exitCode !== 0) throw new Error(`vdmadmin -S -r -s ${name} exited with ${r.exitCode}: ${r.output.slice(-3).join(" | ")}`);
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
  const refreshed: Record<string, unknown> = {
    ...props,
    liveVersion: facts.liveVersion,
    installedVersion: facts.liveVersion,
    serviceStatus: facts.serviceStatus,
  };
  if (kind === "security-server") refreshed.pairingState = await pairingState(ctx, facts.host);
  const inputs: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(props)) if (!["installedVersion", "serviceStatus", "pairingState"].includes(k)) inputs[k] = v;
  inputs.liveVersion = facts.liveVersion;
  inputs.plan = planLines(plan);
  inputs.blockedReason = blockedText(plan);
  return { id, props: clean(refreshed), inputs: clean(inputs) };
}

/** `delete`: stop managing the server. Nothing is uninstalled. */
export async function remove(_kind: HorizonKind, id: string, props: Record<string, any>): Promise<void> {
  say(props.resourceName ?? id, "no longer managed by this stack; nothing was uninstalled");
}
