/**
 * Planning a Horizon server's upgrade: a pure function of what the host runs now (facts read over SSH) and what the
 * program declares. The procedures are 000_af3e1762bc73176d.txt (security servers after their Connection Server) and
 * 001_73f601550f54b971.txt (IPsec rules removed first, one security server at a time). Every step is idempotent and
 * the plan is recomputed from live facts each time, so a second `up` finds nothing to do and an `up` after a failure
 * resumes where the host really is.
 */
import { compareHorizonVersions, parseHorizonVersion } from "../versions/horizon";
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
}

/** What the paired Connection Server says about the pod. */
export interface PairingFacts {
  connectionServer: HostFacts;
  securityServers?: SecurityServerEntry[];
  useIpsec?: boolean;
  /** Why the Security Servers list could not be read. */
  listError?: string;
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
}

/** The declared side of a Security Server upgrade. */
export interface SecurityServerIntent extends ConnectionServerIntent {
  /** The paired Connection Server's NetBIOS name in the pod. */
  connectionServerName: string;
  /** The name the pod listed this server under before the upgrade, when it differs from its computer name. */
  registeredName?: string;
  ipsec: "detect" | "on" | "off";
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
    return { code: "live-version-unparseable", reason: `${facts.host} reports ${product} version "${facts.liveVersion}", which is not a Horizon version` };
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
  steps.push(...middle);
  steps.push({ name: "install", host, detail: `run ${intent.installerPath} silently: ${facts.liveVersion} -> ${intent.targetVersion}` });
  steps.push({ name: "wait-service", host, detail: `wait for "${facts.serviceDisplayName ?? intent.service}" to run` });
  steps.push({ name: "verify-version", host, detail: `verify the installed version is ${intent.targetVersion}` });
  steps.push(...tail);
  if (intent.hooks.after) steps.push({ name: "hook-after", host, detail: "run the after-upgrade hook" });
  return steps;
}

/** The Connection Server procedure: preflight, hook, silent installer, wait for the service, verify, hook. */
export function planConnectionServer(facts: HostFacts, intent: ConnectionServerIntent): Plan {
  const block = hostBlock(facts, "Horizon Connection Server");
  if (block) return { steps: [], blocked: block };
  const c = compare(facts.liveVersion!, intent.targetVersion);
  if (c > 0) return { steps: [], blocked: downgrade(facts, intent) };
  if (c === 0) return { steps: facts.serviceStatus === "Running" ? [] : [serviceStep(facts, intent)] };
  const steps = upgradeSteps(facts, intent, [], []);
  const pre = preflightBlock(facts, intent, "installer");
  return pre ? { steps, blocked: pre } : { steps };
}

function downgrade(facts: HostFacts, intent: ConnectionServerIntent): Blocked {
  return {
    code: "downgrade",
    reason: `${facts.host} runs ${facts.liveVersion}, newer than the target ${intent.targetVersion}; a Horizon server cannot be downgraded in place`,
  };
}

/**
 * The Security Server procedure (000_af3e1762bc73176d.txt, 001_73f601550f54b971.txt): only once the paired Connection
 * Server runs at least the target (read live); the pairing password set on that Connection Server; the IPsec rules
 * removed ("Prepare for Upgrade or Reinstallation") when IPsec is in use and they are still in place; the installer;
 * the service and version checked; the stale entry the new pairing leaves removed.
 */
export function planSecurityServer(facts: HostFacts, pairing: PairingFacts, intent: SecurityServerIntent): Plan {
  const block = hostBlock(facts, "Horizon Security Server");
  if (block) return { steps: [], blocked: block };
  const c = compare(facts.liveVersion!, intent.targetVersion);
  if (c > 0) return { steps: [], blocked: downgrade(facts, intent) };

  const csName = intent.connectionServerName;
  const cs = pairing.connectionServer;
  // A server already at its target needs its Connection Server only to tidy duplicates: never block it on that.
  if (c === 0 && !pairing.securityServers) return { steps: facts.serviceStatus === "Running" ? [] : [serviceStep(facts, intent)] };
  if (!cs.reachable) {
    return {
      steps: [],
      blocked: { code: "connection-server-unreachable", reason: `the paired Connection Server ${csName} could not be reached: ${cs.unreachableReason ?? "no answer"}` },
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
  const stale = staleEntries(entries, facts.host, intent.registeredName);

  if (c === 0) {
    const steps: PlannedStep[] = [];
    if (facts.serviceStatus !== "Running") steps.push(serviceStep(facts, intent));
    if (stale.length > 0) steps.push(removeDuplicatesStep(csName, stale));
    return { steps };
  }

  const ownName = intent.registeredName ?? facts.host;
  const own = entries.find((e) => sameName(e.name, ownName)) ?? entries.find((e) => sameName(e.name, facts.host));
  const middle: PlannedStep[] = [
    { name: "set-pairing-password", host: csName, detail: `set a security server pairing password on ${csName}, valid for a limited time` },
  ];
  const ipsecInUse = intent.ipsec === "on" || (intent.ipsec === "detect" && pairing.useIpsec === true);
  // Rules exist only while the pairing uses IPsec; "prepared" means an earlier run already removed them.
  if (ipsecInUse && own?.ipsec !== "prepared" && own?.ipsec !== "none") {
    middle.push({
      name: "prepare-ipsec",
      host: csName,
      detail: `remove the IPsec rules of ${own?.name ?? ownName} (Prepare for Upgrade or Reinstallation); it is out of service until installed`,
    });
  }
  // Re-pairing registers the server under its computer name; an entry under another name stays behind (seed 000 step 5).
  const leftBehind = own && own.name.toLowerCase() !== facts.host.toLowerCase() ? [own.name] : [];
  const duplicates = [...new Set([...stale, ...leftBehind])];
  const tail = duplicates.length > 0 ? [removeDuplicatesStep(csName, duplicates)] : [];
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
  const csLive = cs.liveVersion ? parseHorizonVersion(cs.liveVersion) : undefined;
  if (!csLive || compareHorizonVersions(csLive, parseHorizonVersion(intent.targetVersion)!) < 0) {
    const waiting: Blocked = {
      code: "waiting-for-connection-server",
      reason:
        `the paired Connection Server ${csName} runs ${cs.liveVersion ?? "an unknown version"}; a security server is upgraded only ` +
        `after its Connection Server runs at least ${intent.targetVersion}`,
    };
    const declared = intent.connectionServerTarget ? parseHorizonVersion(intent.connectionServerTarget) : undefined;
    const catchesUp = declared && compareHorizonVersions(declared, parseHorizonVersion(intent.targetVersion)!) >= 0;
    return catchesUp ? { steps, blocked: waiting, after: `${csName} reaches ${intent.connectionServerTarget}` } : { steps, blocked: waiting };
  }
  const pre = preflightBlock(facts, intent, "installer");
  return pre ? { steps, blocked: pre } : { steps };
}

function removeDuplicatesStep(csName: string, names: string[]): PlannedStep {
  return { name: "remove-duplicates", host: csName, detail: `remove the stale security server entries ${names.join(", ")} (vdmadmin -S -r -s)` };
}

/** NetBIOS names compare case-insensitively; an FQDN matches its first label. */
export function sameName(a: string, b: string): boolean {
  return a.split(".")[0].toLowerCase() === b.split(".")[0].toLowerCase();
}

/**
 * Entries that are this security server under a stale name, present while its live entry (its computer name) is
 * present too: the duplicate the automated pairing leaves when the full system name differs from the name the server
 * was created under (000_af3e1762bc73176d.txt, step 5). Never the live entry.
 */
export function staleEntries(entries: readonly SecurityServerEntry[], computerName: string, registeredName?: string): string[] {
  const isLive = (e: SecurityServerEntry) => e.name.toLowerCase() === computerName.toLowerCase();
  if (!entries.some(isLive)) return [];
  return entries
    .filter((e) => !isLive(e))
    .filter((e) => (registeredName !== undefined && e.name.toLowerCase() === registeredName.toLowerCase()) || sameName(e.name, computerName))
    .map((e) => e.name);
}
