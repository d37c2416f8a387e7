/**
 * Planning a Horizon server's upgrade: a pure function of what the host runs now (facts read over SSH) and what the
 * program declares. The procedures are "Upgrade View Security Server" (security servers after their Connection Server) and
 * "Prepare to Upgrade or Reinstall a Security Server" (IPsec rules removed first, one security server at a time). Every step is idempotent and
 * the plan is recomputed from live facts each time, so a second `up` finds nothing to do and an `up` after a failure
 * resumes where the host really is.
 */
import { IPSEC_RULE_PREFIX } from "../products/horizon";
import { compareHorizonVersions, parseHorizonVersion } from "../versions/horizon";
import { evaluateUpgradeRules, ruleBlock } from "../versions/rules";
import type { HostFacts } from "./hostFacts";
import { preflightBlock } from "./preflight";
import type { Blocked, Plan, PlannedStep } from "./steps";

export type { HostFacts } from "./hostFacts";

/** One entry of the pod's Security Servers list, as the Connection Server reports it. */
export interface SecurityServerEntry {
  name: string;
  version?: string;
  connectionServer?: string;
  ipsec: "active" | "prepared" | "none";
  /** Health as `SecurityServerHealth_List` reports it: "OK", "NOT_RESPONDING", "UNKNOWN"; absent when not read. */
  status?: string;
}

/** A connection security rule as `Get-IpsecRules` reads it. */
export interface IpsecRuleFact {
  displayName: string;
  remoteAddresses: string[];
  /** `PolicyStoreSourceType`: "Local" (or "PersistentStore") can be deleted on the host; anything else cannot. */
  store: string;
}

/** What one host of a pair says about its names, addresses and connection security rules. */
export interface HostIpsecFacts {
  computerName: string;
  fqdn: string;
  addresses: string[];
  rules: IpsecRuleFact[];
}

/** The connection security rules of a pair, read on both hosts. */
export interface PairIpsecFacts {
  securityServer?: HostIpsecFacts;
  connectionServer?: HostIpsecFacts;
  /** Why the rules could not be read (on which host). */
  readError?: string;
}

/** What the paired Connection Server says about the pod. */
export interface PairingFacts {
  connectionServer: HostFacts;
  securityServers?: SecurityServerEntry[];
  /** The global "Use IPsec for Security Server Connections" setting: shown beside the pair's rules, never decisive. */
  useIpsec?: boolean;
  /** Why the Security Servers list could not be read. */
  listError?: string;
  /** The pair's connection security rules; each pair's IPsec state comes from them. */
  ipsec?: PairIpsecFacts;
  /** The Connection Server's time zone, read with the pairing password's state. */
  clock?: { timeZoneId: string; utcOffsetMinutes: number };
}

/** The pairing password's state read back on the Connection Server. */
export interface PairingPasswordFacts {
  lastChangedTime: string | null;
  timeoutSeconds: number | null;
  utcNow: string;
}

/** `20240108080000.0Z` (AD LDS generalized time) or ISO 8601 to ms; NaN when it is neither. */
export function parseDirectoryTime(text: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:[.,]\d+)?Z$/.exec(text.trim());
  if (m) return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  return Date.parse(text);
}

/**
 * Whether the pairing password just set is valid by the Connection Server's own UTC clock: its last-changed time plus
 * its timeout must be after now (docs/sources.md#horizon-pairing-and-ipsec). Returns the reason it is not, or undefined.
 */
export function pairingPasswordProblem(state: PairingPasswordFacts, csName: string): string | undefined {
  const last = state.lastChangedTime === null ? NaN : parseDirectoryTime(state.lastChangedTime);
  const now = Date.parse(state.utcNow);
  if (!Number.isFinite(last) || state.timeoutSeconds === null || !Number.isFinite(now)) {
    return `the pairing password's last-changed time (${JSON.stringify(state.lastChangedTime)}) or timeout (${state.timeoutSeconds}) on ${csName} could not be read`;
  }
  const expires = last + state.timeoutSeconds * 1000;
  if (expires <= now) {
    return (
      `the pairing password set on ${csName} was last changed at ${new Date(last).toISOString()} with a ${state.timeoutSeconds}-second timeout, ` +
      `so by the Connection Server's UTC clock (${state.utcNow}) it is treated as expired`
    );
  }
  return undefined;
}

/** The vendor staff's workaround for a Connection Server off UTC (docs/sources.md#horizon-pairing-and-ipsec). */
export const NOT_UTC_WORKAROUND =
  'set its time zone to UTC, restart the "VMware Horizon View Connection Server" service, then set the pairing password (run `pulumi up` again)';

/** A rule of the pair on one host, as preview shows it. */
export interface PairRule {
  host: string;
  displayName: string;
  remoteAddress: string;
}

/** The pair's IPsec rules found on both hosts, and what makes the read ambiguous. */
export interface PairRules {
  rules: PairRule[];
  /** Why the rules cannot be told apart safely: a rule to the partner under another name, a rule the host cannot delete. */
  ambiguous: string[];
}

const DELETABLE_STORES = new Set(["local", "persistentstore"]);

/**
 * The rules of this pair: on each host, the rules named "VMware View Security Server QM Pairing with <IP address>"
 * (`prefix`) whose remote address is the other host's (docs/sources.md#horizon-pairing-and-ipsec,
 * the chrisdhalstead/horizon-security-server-management README). A rule to the partner under another name (a localised name?) or one the host cannot delete (a Group
 * Policy's) makes the read ambiguous: the step refuses rather than guesses.
 */
export function pairRules(ipsec: PairIpsecFacts, prefix: string): PairRules {
  const out: PairRules = { rules: [], ambiguous: [] };
  const sides: [HostIpsecFacts | undefined, HostIpsecFacts | undefined][] = [
    [ipsec.securityServer, ipsec.connectionServer],
    [ipsec.connectionServer, ipsec.securityServer],
  ];
  for (const [host, partner] of sides) {
    if (!host || !partner) continue;
    const partnerAddresses = new Set(partner.addresses.map((a) => a.toLowerCase()));
    for (const r of host.rules) {
      const toPartner = r.remoteAddresses.find((a) => partnerAddresses.has(a.toLowerCase()));
      if (!toPartner) continue;
      if (!r.displayName.startsWith(prefix)) {
        out.ambiguous.push(
          `${host.computerName} has the connection security rule "${r.displayName}" to ${toPartner}, not named "${prefix}<IP address>"`,
        );
        continue;
      }
      if (!DELETABLE_STORES.has(r.store.toLowerCase())) {
        out.ambiguous.push(
          `${host.computerName}'s rule "${r.displayName}" comes from the ${r.store} store, which cannot be changed on the host`,
        );
        continue;
      }
      out.rules.push({ host: host.computerName, displayName: r.displayName, remoteAddress: toPartner });
    }
  }
  return out;
}

/** The declared side of a Connection Server upgrade. */
export interface ConnectionServerIntent {
  targetVersion: string;
  installerPath: string;
  installerSha256: string;
  hooks: { before?: string; after?: string };
  /** The service pattern, for messages. */
  service: string;
  /** Preflight also reads LDAP replication health (parallel Connection Server upgrades). */
  checkReplication?: boolean;
  /**
   * The first Connection Server of a pod: back up the pod's View LDAP configuration with vdmexport before its
   * installer (docs/sources.md#horizon-order-and-replication), or the stated reason it is waived.
   */
  configurationBackup?: { path: string } | { waived: string };
}

/** The declared side of a Security Server upgrade. */
export interface SecurityServerIntent extends ConnectionServerIntent {
  /** The paired Connection Server's NetBIOS name in the pod. */
  connectionServerName: string;
  /** The name the pod listed this server under before the upgrade, when it differs from its computer name. */
  registeredName?: string;
  /** "detect": from the pair's rules; "on": always run Prepare for Upgrade (an override's job); "off": never. */
  ipsec: "detect" | "on" | "off";
  /** The documented rule name up to the address. @default IPSEC_RULE_PREFIX */
  ipsecRulePrefix?: string;
  /** The paired Connection Server's declared target, for "after CS1 reaches ...". */
  connectionServerTarget?: string;
}

/** Facts that stop any upgrade before the procedure is chosen. */
function hostBlock(facts: HostFacts, product: string): Blocked | undefined {
  if (!facts.reachable) {
    return { code: "host-unreachable", reason: `${facts.host} could not be reached: ${facts.unreachableReason ?? "no answer"}` };
  }
  if (!facts.liveVersion) {
    return {
      code: "not-installed",
      reason: `${product} is not installed on ${facts.host}; this resource upgrades an existing installation and never installs from scratch`,
    };
  }
  if (!parseHorizonVersion(facts.liveVersion)) {
    return {
      code: "live-version-unparseable",
      reason: `${facts.host} reports ${product} version "${facts.liveVersion}", which is not a Horizon version`,
    };
  }
  return undefined;
}

function compare(a: string, b: string): number {
  return compareHorizonVersions(parseHorizonVersion(a)!, parseHorizonVersion(b)!);
}

function serviceStep(facts: HostFacts, intent: ConnectionServerIntent): PlannedStep {
  return {
    name: "start-service",
    host: facts.host,
    detail: `start "${facts.serviceDisplayName ?? intent.service}" (it is ${facts.serviceStatus ?? "not running"})`,
  };
}

function upgradeSteps(facts: HostFacts, intent: ConnectionServerIntent, middle: PlannedStep[], tail: PlannedStep[]): PlannedStep[] {
  const host = facts.host;
  const steps: PlannedStep[] = [
    {
      name: "preflight",
      host,
      detail:
        "check administrator rights, the installer's SHA-256, the maintenance window and the time budget" +
        (intent.checkReplication ? ", and that LDAP replication is healthy" : ""),
    },
  ];
  if (intent.hooks.before) steps.push({ name: "hook-before", host, detail: "run the before-upgrade hook" });
  const backup = intent.configurationBackup;
  if (backup && "path" in backup) {
    steps.push({
      name: "backup-configuration",
      host,
      detail: `back up the pod's View LDAP configuration with vdmexport to ${backup.path}, then verify the file exists and is not empty`,
    });
  }
  steps.push(...middle);
  steps.push({ name: "install", host, detail: `run ${intent.installerPath} silently: ${facts.liveVersion} -> ${intent.targetVersion}` });
  steps.push({ name: "wait-service", host, detail: `wait for "${facts.serviceDisplayName ?? intent.service}" to run` });
  steps.push({ name: "verify-version", host, detail: `verify the installed version is ${intent.targetVersion}` });
  steps.push(...tail);
  if (intent.hooks.after) steps.push({ name: "hook-after", host, detail: "run the after-upgrade hook" });
  return steps;
}

/** The first dotted version in a file's product version text ("7.13.2.21000000", "7.13.2 build-21000000"). */
export function installerProductVersion(text: string): string | undefined {
  const m = /\d+\.\d+(?:\.\d+){0,2}/.exec(text);
  return m && parseHorizonVersion(m[0]) ? m[0] : undefined;
}

/**
 * Why the staged installer is not the target (its own product version, read live), or undefined. Compared like the
 * installed version: a target without a build matches any build. The form of Horizon installers' product version text
 * is UNCONFIRMED: the first dotted version in it is taken.
 */
export function installerVersionBlock(facts: HostFacts, intent: ConnectionServerIntent): Blocked | undefined {
  const inst = facts.installer;
  if (!inst?.exists) return undefined;
  if (inst.productVersionError !== undefined || inst.productVersion === undefined) {
    if (inst.productVersionError === undefined) return undefined;
    return {
      code: "installer-version-unreadable",
      reason: `the product version of ${intent.installerPath} on ${facts.host} could not be read: ${inst.productVersionError}`,
    };
  }
  const found = inst.productVersion === null ? undefined : installerProductVersion(inst.productVersion);
  if (!found) {
    return {
      code: "installer-version-unreadable",
      reason: `${intent.installerPath} on ${facts.host} reports no Horizon product version (${inst.productVersion === null ? "none" : JSON.stringify(inst.productVersion)}); stage the vendor's installer of ${intent.targetVersion}`,
    };
  }
  if (compare(found, intent.targetVersion) !== 0) {
    return {
      code: "installer-version-mismatch",
      reason: `${intent.installerPath} on ${facts.host} is the installer of ${found}, not of the target ${intent.targetVersion}; stage the installer of ${intent.targetVersion} (and its SHA-256), or change targetVersion`,
    };
  }
  return undefined;
}

/** Why a step would fail for want of a tool on `facts.host` (read in preview), or undefined. */
export function prerequisiteBlock(facts: HostFacts, forWhat: string): Blocked | undefined {
  if (!facts.missing || facts.missing.length === 0) return undefined;
  return {
    code: "prerequisite-missing",
    reason: `${facts.host} lacks ${facts.missing.join(", ")}, needed ${forWhat}; install it, or point the matching override (overrides.vdmadminPath, overrides.vdmexportPath) at it`,
  };
}

/** The Connection Server procedure: preflight, hook, silent installer, wait for the service, verify, hook. */
export function planConnectionServer(facts: HostFacts, intent: ConnectionServerIntent): Plan {
  const block = hostBlock(facts, "Horizon Connection Server");
  if (block) return { steps: [], blocked: block };
  const path = pathBlock(facts, "connection-server", intent.targetVersion);
  if (path) return { steps: [], blocked: path };
  const c = compare(facts.liveVersion!, intent.targetVersion);
  if (c === 0) return { steps: facts.serviceStatus === "Running" ? [] : [serviceStep(facts, intent)] };
  const steps = upgradeSteps(facts, intent, [], []);
  const backup = intent.configurationBackup;
  const notes =
    backup && "waived" in backup
      ? [`the configuration backup before the pod's first Connection Server is waived: ${backup.waived}`]
      : undefined;
  const pre =
    preflightBlock(facts, intent, "installer") ??
    installerVersionBlock(facts, intent) ??
    prerequisiteBlock(facts, "for the configuration backup or the replication check");
  return { steps, ...(pre ? { blocked: pre } : {}), ...(notes ? { notes } : {}) };
}

/**
 * The first upgrade-path rule (provider/versions/rules.ts) the host's live version breaks, as a refusal with the rule's
 * code: a downgrade, or a source the vendor does not upgrade from. The same rows fail `check`.
 */
function pathBlock(facts: HostFacts, role: "connection-server" | "security-server", target: string): Blocked | undefined {
  const [first] = evaluateUpgradeRules({ product: "horizon", role, target, live: facts.liveVersion }, ["live"]);
  return first ? ruleBlock(first, facts.host) : undefined;
}

/**
 * The Security Server procedure ("Upgrade View Security Server", "Prepare to Upgrade or Reinstall a Security Server"): only once the paired Connection
 * Server runs at least the target (read live); the pairing password set on that Connection Server; the IPsec rules
 * removed ("Prepare for Upgrade or Reinstallation") when IPsec is in use and they are still in place; the installer;
 * the service and version checked; the stale entry the new pairing leaves removed.
 */
export function planSecurityServer(facts: HostFacts, pairing: PairingFacts, intent: SecurityServerIntent): Plan {
  const block = hostBlock(facts, "Horizon Security Server");
  if (block) return { steps: [], blocked: block };
  const path = pathBlock(facts, "security-server", intent.targetVersion);
  if (path) return { steps: [], blocked: path };
  const c = compare(facts.liveVersion!, intent.targetVersion);

  const csName = intent.connectionServerName;
  const cs = pairing.connectionServer;
  // A server already at its target needs its Connection Server only to tidy duplicates: never block it on that.
  if (c === 0 && !pairing.securityServers) return { steps: facts.serviceStatus === "Running" ? [] : [serviceStep(facts, intent)] };
  if (!cs.reachable) {
    return {
      steps: [],
      blocked: {
        code: "connection-server-unreachable",
        reason: `the paired Connection Server ${csName} could not be reached: ${cs.unreachableReason ?? "no answer"}`,
      },
    };
  }
  if (!pairing.securityServers) {
    return {
      steps: [],
      blocked: {
        code: "pairing-state-unknown",
        reason: `the Security Servers list could not be read on ${csName}: ${pairing.listError ?? "no answer"}; override overrides.securityServerListScript if the View API is not reachable there`,
      },
    };
  }
  const entries = pairing.securityServers;
  const names = hostNames(facts.host, pairing.ipsec?.securityServer?.fqdn, intent.registeredName);

  if (c === 0) {
    const steps: PlannedStep[] = [];
    if (facts.serviceStatus !== "Running") steps.push(serviceStep(facts, intent));
    const verdict = staleEntries(entries, { names, installedVersion: facts.liveVersion! });
    if (verdict.stale.length > 0)
      steps.push(
        removeDuplicatesStep(
          csName,
          `remove ${verdict.stale.map(describeEntry).join(", ")}, beside the live entry ${describeEntry(verdict.live!)}`,
        ),
      );
    return verdict.ambiguous ? { steps, notes: [verdict.ambiguous] } : { steps };
  }

  const ownName = intent.registeredName ?? facts.host;
  const own = entries.find((e) => sameName(e.name, ownName)) ?? entries.find((e) => sameName(e.name, facts.host));
  const middle: PlannedStep[] = [
    { name: "set-pairing-password", host: csName, detail: `set a security server pairing password on ${csName}, valid for a limited time` },
  ];
  // Each pair's IPsec state comes from its rules on both hosts, not from the global setting: a server paired while
  // IPsec was on keeps its rules after the setting is turned off, and the pairing fails while they remain ("Prepare to Upgrade or Reinstall a Security Server").
  const found =
    pairing.ipsec && !pairing.ipsec.readError ? pairRules(pairing.ipsec, intent.ipsecRulePrefix ?? IPSEC_RULE_PREFIX) : undefined;
  const ipsecBlock = intent.ipsec === "detect" ? ipsecReadBlock(pairing, found, csName) : undefined;
  if (intent.ipsec === "on" || (intent.ipsec === "detect" && found && found.rules.length > 0)) {
    const listed =
      found && found.rules.length > 0
        ? found.rules.map((r) => `"${r.displayName}" on ${r.host} (remote ${r.remoteAddress})`).join(", ")
        : "the rules the override removes";
    middle.push({
      name: "prepare-ipsec",
      host: `${facts.host} and ${csName}`,
      detail:
        `Prepare for Upgrade or Reinstallation: delete ${listed}, then read again that none remain ` +
        `(global IPsec setting: ${pairing.useIpsec === undefined ? "unknown" : pairing.useIpsec ? "on" : "off"}; View API health of ${own?.name ?? ownName}: ` +
        `${own?.status ?? "unknown"}); ${own?.name ?? ownName} is out of service until installed`,
    });
  }
  // Re-pairing registers the server under its full system name; an entry under any other name stays behind ("Upgrade View Security Server"
  // step 5). Which entries are stale is decided after the upgrade from the live pairing (the entry at the installed
  // version with status OK), never from the form of a name; here preview says which entries that will likely be.
  const fullName = pairing.ipsec?.securityServer?.fqdn ?? facts.host;
  const mine = entries.filter((e) => names.some((n) => n.toLowerCase() === e.name.toLowerCase()));
  const likely = mine.filter((e) => e.name.toLowerCase() !== fullName.toLowerCase());
  const tail =
    likely.length > 0
      ? [
          removeDuplicatesStep(
            csName,
            `after the upgrade, remove ${likely.map(describeEntry).join(", ")} if the re-paired entry (${intent.targetVersion}, status OK) is another; an entry that cannot be told apart is left alone and reported`,
          ),
        ]
      : [];
  const steps = upgradeSteps(facts, intent, middle, tail);

  if (!own) {
    return {
      steps,
      blocked: {
        code: "not-registered",
        reason: `${ownName} is not in the Security Servers list of ${csName} (${entries.map((e) => e.name).join(", ") || "empty"}); set registeredName to the name the pod lists it under`,
      },
    };
  }
  if (ipsecBlock) return { steps, blocked: ipsecBlock };
  // What the operator must fix on this host is reported now, not after the Connection Server is done: preview names it.
  const pre =
    preflightBlock(facts, intent, "installer") ??
    installerVersionBlock(facts, intent) ??
    prerequisiteBlock(cs, "to pair and tidy this security server");
  if (pre) return { steps, blocked: pre };
  // A Connection Server off UTC writes the pairing password's last-changed time in local time and the password reads as
  // expired (docs/sources.md#horizon-pairing-and-ipsec): the installer would fail to pair.
  if (pairing.clock && pairing.clock.utcOffsetMinutes !== 0) {
    return {
      steps,
      blocked: {
        code: "connection-server-not-utc",
        reason:
          `the paired Connection Server ${csName} runs in time zone ${pairing.clock.timeZoneId} (UTC${pairing.clock.utcOffsetMinutes > 0 ? "+" : ""}${pairing.clock.utcOffsetMinutes / 60} h), not UTC: ` +
          `it records the pairing password's last change in local time, so the password reads as expired; ${NOT_UTC_WORKAROUND}`,
      },
    };
  }
  const csLive = cs.liveVersion ? parseHorizonVersion(cs.liveVersion) : undefined;
  // Versions are paired exactly (rule connection-server-version-differs, provider/versions/rules.ts): no IPsec rule is
  // removed and no installer runs unless the Connection Server runs exactly the target. One already past it is not
  // waited for: the target must change.
  const [differs] = evaluateUpgradeRules(
    { product: "horizon", role: "security-server", target: intent.targetVersion, paired: { live: cs.liveVersion, name: csName } },
    ["paired-live"],
  );
  if (differs) return { steps, blocked: ruleBlock(differs, facts.host) };
  if (!csLive || compareHorizonVersions(csLive, parseHorizonVersion(intent.targetVersion)!) < 0) {
    const waiting: Blocked = {
      code: "waiting-for-connection-server",
      reason:
        `the paired Connection Server ${csName} runs ${cs.liveVersion ?? "an unknown version"}; a security server is upgraded only ` +
        `once its Connection Server runs exactly ${intent.targetVersion}`,
    };
    const declared = intent.connectionServerTarget ? parseHorizonVersion(intent.connectionServerTarget) : undefined;
    const catchesUp = declared && compareHorizonVersions(declared, parseHorizonVersion(intent.targetVersion)!) === 0;
    return catchesUp
      ? { steps, blocked: waiting, after: `${csName} reaches ${intent.connectionServerTarget}` }
      : { steps, blocked: waiting };
  }
  return { steps };
}

/** Why the pair's IPsec state cannot be known for sure ("detect"): unreadable rules, or an ambiguous read. */
function ipsecReadBlock(pairing: PairingFacts, found: PairRules | undefined, csName: string): Blocked | undefined {
  if (!pairing.ipsec || pairing.ipsec.readError) {
    return {
      code: "ipsec-state-unknown",
      reason:
        `the connection security rules of this pair could not be read${pairing.ipsec?.readError ? `: ${pairing.ipsec.readError}` : ""}; ` +
        `the NetSecurity module (Get-NetIPsecRule) is needed on the security server and on ${csName}, or set ipsec to "on" with overrides.prepareSecurityServerScript, or "off" if the pair has no IPsec rules`,
    };
  }
  if (found && found.ambiguous.length > 0) {
    return {
      code: "ipsec-rules-ambiguous",
      reason: `the IPsec rules of this pair cannot be told apart safely: ${found.ambiguous.join("; ")}; remove them by hand (Windows Firewall with Advanced Security > Connection Security Rules) or set ipsec with an override`,
    };
  }
  return undefined;
}

function removeDuplicatesStep(csName: string, detail: string): PlannedStep {
  return { name: "remove-duplicates", host: csName, detail: `${detail} (vdmadmin -S -r -s)` };
}

/** An entry as preview shows it: name, version, health. */
export function describeEntry(e: SecurityServerEntry): string {
  return `${e.name} (${e.version ?? "version unknown"}, ${e.status ?? "status unknown"})`;
}

/** NetBIOS names compare case-insensitively; an FQDN matches its first label. */
export function sameName(a: string, b: string): boolean {
  return a.split(".")[0].toLowerCase() === b.split(".")[0].toLowerCase();
}

/** The names a security server answers to: its computer name, its full system name, the name the pod registered. */
export function hostNames(computerName: string, fqdn?: string, registeredName?: string): string[] {
  const out: string[] = [];
  for (const n of [computerName, fqdn, registeredName]) if (n && !out.some((o) => o.toLowerCase() === n.toLowerCase())) out.push(n);
  return out;
}

/** What identifies a security server's live pairing after its upgrade. */
export interface LiveIdentity {
  /** The names the host answers to (`hostNames`). */
  names: readonly string[];
  /** The version verified on the host. */
  installedVersion: string;
}

/** Which of a server's entries are stale, the live one, and why none can be removed when that is so. */
export interface StaleVerdict {
  stale: SecurityServerEntry[];
  live?: SecurityServerEntry;
  /** Set when the entries cannot be told apart: nothing is removed, and this says why. */
  ambiguous?: string;
}

/**
 * The entries of this security server that are stale: the duplicates the automated pairing leaves when the full system
 * name differs from the name the server was created under ("Upgrade View Security Server", step 5). Decided from what
 * identifies the live pairing after the upgrade: among the entries under a name the host answers to, the live one is
 * the only entry at the installed version whose health is OK; every other is stale. With no such entry, or more than
 * one, nothing is removed and the verdict says why. Never decided from the form of a name (NetBIOS or FQDN).
 */
export function staleEntries(entries: readonly SecurityServerEntry[], identity: LiveIdentity): StaleVerdict {
  const installed = parseHorizonVersion(identity.installedVersion);
  const mine = entries.filter((e) => identity.names.some((n) => n.toLowerCase() === e.name.toLowerCase()));
  if (mine.length <= 1) return { stale: [], live: mine[0] };
  const isLive = (e: SecurityServerEntry) => {
    const v = e.version ? parseHorizonVersion(e.version) : undefined;
    return !!installed && !!v && compareHorizonVersions(v, installed) === 0 && e.status?.toUpperCase() === "OK";
  };
  const live = mine.filter(isLive);
  if (live.length !== 1) {
    return {
      stale: [],
      ambiguous:
        `the Security Servers list has ${mine.map(describeEntry).join(", ")} for this server and ${live.length === 0 ? "none" : live.length} ` +
        `at ${identity.installedVersion} with status OK: which one is live cannot be told, so none was removed; remove the stale one with vdmadmin -S -r -s <name> once you know`,
    };
  }
  return { stale: mine.filter((e) => e !== live[0]), live: live[0] };
}

/** What the state says about a server, as refresh leaves it: the live facts read back, and what the last `up` verified. */
export interface RecordedServer {
  liveVersion?: unknown;
  serviceStatus?: unknown;
  pairingState?: unknown;
  /** The pairing state the last successful `up` verified. */
  pairingStateVerified?: unknown;
}

/** Serialises with sorted keys, so key order never looks like a change. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * Drift of one server against what the program declares: the live version is not the target, the service is not
 * running, or the pairing (entries, IPsec rules) differs from what the last `up` verified. Pure; `diff` uses it so that
 * `pulumi refresh`, which hands `diff` the outputs it just read and the stored inputs, shows drift on the server where
 * it happened and nowhere else.
 */
export function driftOf(recorded: RecordedServer, targetVersion: unknown): string[] {
  const out: string[] = [];
  const live = typeof recorded.liveVersion === "string" ? parseHorizonVersion(recorded.liveVersion) : undefined;
  const target = typeof targetVersion === "string" ? parseHorizonVersion(targetVersion) : undefined;
  if (live && target && compareHorizonVersions(live, target) !== 0)
    out.push(`runs ${recorded.liveVersion}, not the target ${targetVersion}`);
  if (typeof recorded.serviceStatus === "string" && recorded.serviceStatus !== "Running")
    out.push(`its service is ${recorded.serviceStatus}`);
  if (
    recorded.pairingState !== undefined &&
    recorded.pairingStateVerified !== undefined &&
    canonical(recorded.pairingState) !== canonical(recorded.pairingStateVerified)
  ) {
    out.push(`its pairing changed from ${canonical(recorded.pairingStateVerified)} to ${canonical(recorded.pairingState)}`);
  }
  return out;
}
