/**
 * The lab: simulated Windows hosts running VMware Horizon Connection/Security Servers and App-V 4.x servers, each
 * an SSH server on 127.0.0.1 that speaks docs/wire-protocol.md, enforces the vendor rules on its own, records every
 * operation and accepts injected faults. Never imports from provider/.
 *
 * ```ts
 * const lab = await startLab({ timeFactor: 600, pods: [{ name: "pod1", connectionServers: [...], securityServers: [...] }] });
 * lab.endpoint("cs1"); lab.addInstaller("cs1", { path, product: "horizon-connection-server", version });
 * lab.inject("ss1", { kind: "drop", phase: "during", operation: "Invoke-Installer" });
 * await lab.stop();
 * ```
 */
import { randomBytes } from "node:crypto";
import { type AuditEntry, type TimelineEvent, maxOutOfService } from "./audit";
import { type InstallerProduct, compareVersions } from "./catalog";
import { SimClock } from "./clock";
import type { Fault } from "./faults";
import { DEFAULT_DURATIONS, type Durations } from "./handlers";
import { LabHost } from "./labHost";
import { type SshAccount, generateHostKey, parsePublicKey } from "./sshServer";
import {
  type AccountSpec,
  type AppVDatabaseState,
  DEFAULT_USER,
  type FarmSpec,
  type HostSpecBase,
  type HostState,
  type PlainHostSpec,
  type PodSpec,
  type PodState,
  World,
  fileKey,
  isDatabaseMember,
  sha256,
  vendorSha256,
} from "./state";

export type { AuditEntry, TimelineEvent } from "./audit";
export type { Fault, FaultKind } from "./faults";
export type { Durations } from "./handlers";
export { APPV_VERSIONS, HORIZON_VERSIONS, VDMADMIN_PATH } from "./catalog";
export type { InstallerProduct } from "./catalog";
export type {
  AccountSpec,
  AppVServerSpec,
  ConnectionServerSpec,
  FarmSpec,
  HostState,
  PlainHostSpec,
  PodSpec,
  PodState,
  SecurityServerSpec,
  AppVDatabaseState,
} from "./state";

/** What to build. */
export interface LabOptions {
  /** Simulated seconds per real second. @default 600 */
  readonly timeFactor?: number;
  /** Simulated time at start (ISO 8601). @default "2024-01-08T08:00:00Z" */
  readonly simEpoch?: string;
  /** Simulated durations, in seconds. @default DEFAULT_DURATIONS (CS 12 min, SS 8 min, App-V 6 min) */
  readonly durations?: Partial<Durations>;
  readonly pods?: readonly PodSpec[];
  readonly farms?: readonly FarmSpec[];
  /** Hosts without a product (jump hosts, hook targets). */
  readonly hosts?: readonly PlainHostSpec[];
}

/** How to reach a host. */
export interface Endpoint {
  readonly host: "127.0.0.1";
  readonly port: number;
  readonly user: string;
  /** Undefined for a key-only account. */
  readonly password?: string;
  /** Host public key, OpenSSH form ("ssh-ed25519 AAAA..."). */
  readonly hostKey: string;
  /** "SHA256:..." as `ssh-keygen -l` prints it. */
  readonly fingerprint: string;
}

/** What `addInstaller` staged. */
export interface StagedInstaller {
  readonly path: string;
  /** SHA-256 of the file as staged (lower-case hex). */
  readonly sha256: string;
  /** SHA-256 the vendor publishes; differs from `sha256` for a non-genuine file. */
  readonly vendorSha256: string;
  readonly sizeBytes: number;
}

/** A host as tests read it. */
export interface LabHostView {
  readonly name: string;
  /** Live state (products, services, files, hooks). Read it; change it through the lab API. */
  readonly state: HostState;
  /** Operations this host ran, oldest first. */
  readonly audit: readonly AuditEntry[];
  /** SSH connections accepted so far. */
  readonly connections: number;
  /** Faults armed. */
  readonly faults: readonly Fault[];
}

/** A running lab. */
export interface Lab {
  readonly timeFactor: number;
  /** Lab names of all hosts. */
  hostNames(): string[];
  /** How to reach a host as `user` (default `administrator`). */
  endpoint(host: string, user?: string): Endpoint;
  host(name: string): LabHostView;
  pod(name: string): PodState;
  database(sqlHost: string, name: string): AppVDatabaseState;
  /** Stages an installer file on a host. `genuine: false` stages a tampered copy. */
  addInstaller(
    host: string,
    installer: { path: string; product: InstallerProduct; version: string; genuine?: boolean },
  ): StagedInstaller;
  /** Writes a text file on a host. */
  writeFile(host: string, path: string, content: string): { sha256: string };
  /** Deletes a file on a host (no-op when absent). */
  removeFile(host: string, path: string): void;
  /**
   * Takes a host off the network (its SSH server stops listening and every connection is cut) or brings it back on
   * the same port, with the same keys and state: a host that is down, as a real one can be.
   */
  setReachable(host: string, reachable: boolean): Promise<void>;
  /** Sets a pod's LDAP replication health. */
  setReplicationHealthy(pod: string, healthy: boolean): void;
  /**
   * Changes a pod's global "Use IPsec for Security Server Connections" setting. Rules made at earlier pairings stay
   * (seed 001: the setting governs pairings made after it; existing rules go only through Prepare for Upgrade).
   */
  setUseIpsec(pod: string, on: boolean): void;
  /** Sets a host's time zone, minutes from UTC (the vendor staff's workaround for a Connection Server off UTC sets 0). */
  setUtcOffset(host: string, minutes: number): void;
  /** Arms a fault on a host. */
  inject(host: string, fault: Fault): void;
  /** Disarms faults on one host, or on every host. */
  clearFaults(host?: string): void;
  /** Every audit entry of every host, in sequence order. */
  audit(): AuditEntry[];
  /** Service and IPsec state changes, in order. */
  timeline(): TimelineEvent[];
  /** Largest number of `hosts` out of service at once so far (see audit.ts). */
  maxOutOfService(hosts: readonly string[]): number;
  /** Simulated now. */
  now(): Date;
  /** Moves the simulated clock forward without waiting. */
  advance(simSeconds: number): void;
  /** Stops every host and cuts every connection. */
  stop(): Promise<void>;
}

const newHostKey = generateHostKey;

function accountsFor(spec: HostSpecBase, defaultPassword: string): SshAccount[] {
  const specs: AccountSpec[] = [{ user: DEFAULT_USER, password: defaultPassword, admin: true }, ...(spec.accounts ?? [])];
  return specs.map((a) => ({
    user: a.user,
    password: a.password,
    publicKeys: (a.publicKeys ?? []).map(parsePublicKey),
    admin: a.admin ?? true,
  }));
}

/** Builds the world from the options (no sockets yet). */
function buildWorld(options: LabOptions, clock: SimClock): { world: World; specs: HostSpecBase[] } {
  const world = new World(clock);
  const specs: HostSpecBase[] = [];
  for (const pod of options.pods ?? []) {
    if (world.pods.has(pod.name)) throw new Error(`[pods] pod "${pod.name}" is defined twice.`);
    const useIpsec = pod.useIpsec ?? true;
    const state: PodState = {
      name: pod.name,
      useIpsec,
      replicationHealthy: pod.replicationHealthy ?? true,
      connectionServers: [],
      securityServers: {},
      registry: [],
      pairing: {},
      removals: [],
    };
    world.pods.set(pod.name, state);
    pod.connectionServers.forEach((cs, i) => {
      world.addHost(cs, "connection-server", cs.version, {
        pod: pod.name,
        csRole: cs.role ?? (i === 0 ? "standard" : "replica"),
        utcOffsetMinutes: cs.utcOffsetMinutes,
      });
      state.connectionServers.push(cs.name);
      specs.push(cs);
    });
    for (const ss of pod.securityServers ?? []) {
      if (!pod.connectionServers.some((c) => c.name === ss.pairedWith)) {
        throw new Error(`[pairedWith] security server "${ss.name}" names "${ss.pairedWith}", not a Connection Server of pod "${pod.name}".`);
      }
      const host = world.addHost(ss, "security-server", ss.version, { pod: pod.name });
      const registeredAs = ss.registeredAs ?? host.computerName;
      state.securityServers[ss.name] = { host: ss.name, pairedWith: ss.pairedWith, registeredAs, ipsec: useIpsec ? "active" : "none" };
      if (useIpsec) world.createPairingRules(host, world.host(ss.pairedWith));
      state.registry.push({
        name: registeredAs,
        host: ss.name,
        connectionServer: world.host(ss.pairedWith).computerName,
        version: ss.version,
      });
      specs.push(ss);
    }
  }
  for (const farm of options.farms ?? []) {
    if (!world.hosts.has(farm.sql)) {
      world.addHost({ name: farm.sql }, "sql", undefined);
      specs.push({ name: farm.sql });
    } else if (world.host(farm.sql).role !== "sql") {
      throw new Error(`[sql] farm "${farm.name}" names "${farm.sql}", which is not a SQL host.`);
    }
    const dbName = farm.database ?? "APPVIRT";
    const members: string[] = [];
    for (const s of farm.servers) {
      const role = s.role === "management" ? "appv-management" : s.role === "streaming" ? "appv-streaming" : "appv-management-service";
      const host = world.addHost(s, role, s.version, { database: { sql: farm.sql, name: dbName } });
      if (isDatabaseMember(host)) members.push(s.name);
      specs.push(s);
    }
    const versions = farm.servers.filter((s) => members.includes(s.name)).map((s) => s.version);
    const lowest = versions.sort(compareVersions)[0] ?? farm.servers[0]?.version ?? "4.1.1.1";
    const key = `${farm.sql}/${dbName}`.toLowerCase();
    if (world.databases.has(key)) throw new Error(`[database] ${farm.sql}/${dbName} is used by two farms.`);
    world.databases.set(key, {
      farm: farm.name,
      sql: farm.sql,
      name: dbName,
      schemaVersion: farm.schemaVersion ?? lowest,
      members,
      backups: {},
      sizeBytes: 734_003_200,
    });
  }
  for (const h of options.hosts ?? []) {
    world.addHost(h, "plain", undefined);
    specs.push(h);
  }
  return { world, specs };
}

/** Starts a lab: builds the world, then one SSH server per host, listening in parallel on ephemeral ports. */
export async function startLab(options: LabOptions = {}): Promise<Lab> {
  const clock = new SimClock(
    options.timeFactor ?? 600,
    options.simEpoch ? Date.parse(options.simEpoch) : undefined,
  );
  const { world, specs } = buildWorld(options, clock);
  const durations: Durations = { ...DEFAULT_DURATIONS, ...options.durations };
  const hosts = new Map<string, LabHost>();
  const ports = new Set<number>();
  let seq = 0;
  const shared = { world, durations, nextSeq: () => ++seq, isLabPort: (p: number) => ports.has(p) };
  for (const spec of specs) {
    const password = randomBytes(12).toString("base64url");
    hosts.set(spec.name, new LabHost(world.host(spec.name), accountsFor(spec, password), newHostKey(), shared, newHostKey));
  }
  try {
    await Promise.all([...hosts.values()].map(async (h) => ports.add(await h.front.listen(0))));
  } catch (e) {
    await Promise.all([...hosts.values()].map((h) => h.front.close()));
    throw e;
  }

  const podOf = (name: string): PodState => {
    const p = world.pods.get(name);
    if (!p) throw new Error(`[pod] "${name}" is not a lab pod.`);
    return p;
  };
  const get = (name: string): LabHost => {
    const h = hosts.get(name);
    if (!h) throw new Error(`[host] "${name}" is not a lab host; known: ${[...hosts.keys()].join(", ")}.`);
    return h;
  };

  return {
    timeFactor: clock.timeFactor,
    hostNames: () => [...hosts.keys()],
    endpoint(name, user = DEFAULT_USER) {
      const h = get(name);
      const account = h.accounts.find((a) => a.user === user);
      if (!account) throw new Error(`[user] "${user}" has no account on ${name}.`);
      return { host: "127.0.0.1", port: h.front.port, user: account.user, password: account.password, ...h.hostKeyInfo() };
    },
    host(name) {
      const h = get(name);
      return {
        name,
        state: h.state,
        audit: h.audit,
        get connections() {
          return h.front.connections;
        },
        get faults() {
          return h.faults.list();
        },
      };
    },
    pod: podOf,
    database(sqlHost, name) {
      const d = world.database(sqlHost, name);
      if (!d) throw new Error(`[database] ${sqlHost}/${name} does not exist.`);
      return d;
    },
    addInstaller(name, inst) {
      const h = get(name);
      const vendor = vendorSha256(inst.product, inst.version);
      const digest = inst.genuine === false ? sha256(`tampered:${inst.product}:${inst.version}`) : vendor;
      const sizeBytes = inst.product === "horizon-connection-server" ? 331_874_304 : 52_428_800;
      world.writeFile(h.state, {
        path: inst.path,
        sha256: digest,
        sizeBytes,
        installer: { product: inst.product, version: inst.version, vendorSha256: vendor },
      });
      return { path: inst.path, sha256: digest, vendorSha256: vendor, sizeBytes };
    },
    writeFile(name, path, content) {
      world.writeTextFile(get(name).state, path, content);
      return { sha256: sha256(content) };
    },
    removeFile(name, path) {
      delete get(name).state.files[fileKey(path)];
    },
    async setReachable(name, reachable) {
      const h = get(name);
      const port = h.front.port;
      if (!reachable) await h.front.close();
      else await h.front.listen(port);
    },
    setReplicationHealthy(pod, healthy) {
      podOf(pod).replicationHealthy = healthy;
    },
    setUseIpsec(pod, on) {
      podOf(pod).useIpsec = on;
    },
    setUtcOffset(name, minutes) {
      get(name).state.utcOffsetMinutes = minutes;
    },
    inject(name, fault) {
      get(name).inject(fault);
    },
    clearFaults(name) {
      for (const h of name ? [get(name)] : hosts.values()) h.clearFaults();
    },
    audit: () => [...hosts.values()].flatMap((h) => h.audit).sort((a, b) => a.seq - b.seq),
    timeline: () => [...world.timeline],
    maxOutOfService: (names) => maxOutOfService(world.timeline, names),
    now: () => new Date(clock.now()),
    advance: (s) => clock.advance(s),
    stop: async () => {
      await Promise.all([...hosts.values()].map((h) => h.front.close()));
    },
  };
}
