/**
 * The lab: simulated Windows hosts running VMware Horizon Connection/Security Servers and App-V 4.x servers, each
 * an SSH server on 127.0.0.1 that speaks docs/wire-protocol.md, enforces the vendor rules on its own, records every
 * operation and accepts injected faults. Never imports from provider/.
 *
 * ```ts
 * const lab = await startLab({ timeFactor: 600, pods: [{ name: "pod1", connectionServers: [...], securityServers: [...] }] });
 * lab.endpoint("cs1"); lab.addInstaller("cs1", { path, product: "horizon-connection-server", version });
 * lab.inject("ss1", { kind: "drop", phase: "during", operation: "Start-Installer" });
 * await lab.stop();
 * ```
 */
import { randomBytes } from "node:crypto";
import { type AuditEntry, type TimelineEvent, maxOutOfService } from "./audit";
import { type LeaseFile, type OwedHookFile, readLease, readOwedHooks } from "./leases";
import { type InstallerProduct, compareVersions } from "./catalog";
import { SimClock } from "./clock";
import type { Fault } from "./faults";
import { DEFAULT_DURATIONS, type Durations } from "./handlers";
import { LabHost } from "./labHost";
import { DEFAULT_MAX_SESSIONS, type SshAccount, generateHostKeys, generateHostKeysSync, parsePublicKey } from "./sshServer";
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
  type SqlLoginSpec,
  World,
  fileKey,
  isDatabaseMember,
  sha256,
  vendorSha256,
} from "./state";

export type { AuditEntry, TimelineEvent } from "./audit";
export type { Fault, FaultKind } from "./faults";
export type { LeaseFile, OwedHookFile } from "./leases";
export { LEASE_PATH, OWED_HOOKS_PATH } from "./leases";
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
  SqlLoginSpec,
  AppVDatabaseState,
} from "./state";
export { APPV_DB_ADMIN_PROPERTIES } from "./catalog";

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
  /**
   * Session channels each host's SSH server allows open at once on one connection, as sshd's `MaxSessions`; one more
   * is refused ("open failed"). @default 10 (the OpenSSH and Win32-OpenSSH default)
   */
  readonly maxSessions?: number;
}

/** How to reach a host. */
export interface Endpoint {
  readonly host: "127.0.0.1";
  readonly port: number;
  readonly user: string;
  /** Undefined for a key-only account. */
  readonly password?: string;
  /** Host public key, OpenSSH form ("ssh-ed25519 AAAA..."): the key a client offering ed25519 first is shown. */
  readonly hostKey: string;
  /** "SHA256:..." as `ssh-keygen -l` prints it. */
  readonly fingerprint: string;
  /** Every host key the server holds (ed25519, ECDSA, RSA, as Win32-OpenSSH generates them), with its fingerprint. */
  readonly hostKeys: readonly { readonly type: string; readonly hostKey: string; readonly fingerprint: string }[];
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
  /** Operations running on the host now. */
  readonly operationsInFlight: number;
  /** The most operations that ran on the host at the same time so far. */
  readonly peakOperationsInFlight: number;
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
  /** Opens a session on a database from a host that is not one of its farm's servers (e.g. an undeclared App-V server). */
  addDatabaseSession(sqlHost: string, database: string, session: { hostName: string; programName?: string; loginName?: string }): void;
  /**
   * Opens App-V client streaming sessions on a server (RTSP, port 554); each ends after `endsAfterSimSeconds` (the
   * user logs off) or stays until the App-V service stops, which cuts it.
   */
  openClientSessions(host: string, sessions: readonly { remoteAddress: string; endsAfterSimSeconds?: number }[]): void;
  /** Closes the sessions `addDatabaseSession` opened on a database. */
  clearDatabaseSessions(sqlHost: string, database: string): void;
  /** The SQL logins of a SQL host (sysadmin first). */
  sqlLogins(sqlHost: string): readonly SqlLoginSpec[];
  /** Adds a SQL login to a SQL host, or replaces the one of the same name. */
  addSqlLogin(sqlHost: string, login: SqlLoginSpec): void;
  /** Stages an installer file on a host. `genuine: false` stages a tampered copy. */
  addInstaller(host: string, installer: { path: string; product: InstallerProduct; version: string; genuine?: boolean }): StagedInstaller;
  /** Writes a text file on a host. */
  writeFile(host: string, path: string, content: string): { sha256: string };
  /** Deletes a file on a host (no-op when absent). */
  removeFile(host: string, path: string): void;
  /**
   * Takes a host off the network (its SSH server stops listening and every connection is cut) or brings it back on
   * the same port, with the same keys and state: a host that is down, as a real one can be.
   */
  setReachable(host: string, reachable: boolean): Promise<void>;
  /**
   * Sets a pod's LDAP replication health: the local View LDAP instance (389, the default) or the Cloud Pod global
   * instance (22389, a federated pod only).
   */
  setReplicationHealthy(pod: string, healthy: boolean, instance?: "local" | "global"): void;
  /**
   * What a person does by hand: the installed product now reports `version` (a snapshot restored, a manual
   * downgrade). Throws for a host without a product.
   */
  setProductVersion(host: string, version: string): void;
  /**
   * A person starts or stops a service by hand (the host's own service by default, or the one with `displayName`);
   * recorded in the timeline like any other change.
   */
  setServiceStatus(host: string, status: "Running" | "Stopped", displayName?: string): void;
  /**
   * Sets the Windows PowerShell version a host reports (`$PSVersionTable.PSVersion`), e.g. "4.0" for a Windows
   * Server 2012 R2 without WMF 5.1. Below 3.0 the bootstrap itself fails (no ConvertFrom-Json).
   */
  setPowerShellVersion(host: string, version: string): void;
  /**
   * Changes a pod's global "Use IPsec for Security Server Connections" setting. Rules made at earlier pairings stay
   * ("Prepare to Upgrade or Reinstall a Security Server": the setting governs pairings made after it; existing rules go only through Prepare for Upgrade).
   */
  setUseIpsec(pod: string, on: boolean): void;
  /** Sets a host's time zone, minutes from UTC (the vendor staff's workaround for a Connection Server off UTC sets 0). */
  setUtcOffset(host: string, minutes: number): void;
  /** Arms a fault on a host. */
  inject(host: string, fault: Fault): void;
  /** The run lease file on a host (leases.ts), if any. */
  lease(host: string): LeaseFile | undefined;
  /** The hooks recorded as owed on a host (leases.ts). */
  owedHooks(host: string): OwedHookFile[];
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
      cloudPod: pod.cloudPod ?? false,
      globalReplicationHealthy: pod.globalReplicationHealthy ?? true,
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
        cloudPod: pod.cloudPod ?? false,
      });
      state.connectionServers.push(cs.name);
      specs.push(cs);
    });
    for (const ss of pod.securityServers ?? []) {
      if (!pod.connectionServers.some((c) => c.name === ss.pairedWith)) {
        throw new Error(
          `[pairedWith] security server "${ss.name}" names "${ss.pairedWith}", not a Connection Server of pod "${pod.name}".`,
        );
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
      const role = (
        {
          management: "appv-management",
          streaming: "appv-streaming",
          "management-service": "appv-management-service",
          console: "appv-console",
        } as const
      )[s.role];
      const host = world.addHost(s, role, s.version, { database: { sql: farm.sql, name: dbName } });
      if (isDatabaseMember(host)) members.push(s.name);
      specs.push(s);
    }
    const versions = farm.servers.filter((s) => members.includes(s.name)).map((s) => s.version);
    const lowest = versions.sort(compareVersions)[0] ?? farm.servers[0]?.version ?? "4.1.1.1";
    const key = `${farm.sql}/${dbName}`.toLowerCase();
    if (world.databases.has(key)) throw new Error(`[database] ${farm.sql}/${dbName} is used by two farms.`);
    const logins = [...(world.sqlLogins.get(farm.sql) ?? [])];
    for (const l of farm.logins ??
      (logins.length === 0 ? [{ user: "appv-admin", password: randomBytes(12).toString("base64url"), sysadmin: true }] : [])) {
      if (!logins.some((x) => x.user.toLowerCase() === l.user.toLowerCase())) logins.push(l);
    }
    world.sqlLogins.set(farm.sql, logins);
    world.databases.set(key, {
      farm: farm.name,
      sql: farm.sql,
      name: dbName,
      schemaVersion: farm.schemaVersion ?? lowest,
      members,
      backups: {},
      otherSessions: [],
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
  const clock = new SimClock(options.timeFactor ?? 600, options.simEpoch ? Date.parse(options.simEpoch) : undefined);
  const { world, specs } = buildWorld(options, clock);
  const durations: Durations = { ...DEFAULT_DURATIONS, ...options.durations };
  const hosts = new Map<string, LabHost>();
  const ports = new Set<number>();
  let seq = 0;
  const shared = { world, durations, nextSeq: () => ++seq, isLabPort: (p: number) => ports.has(p) };
  const maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
  if (!Number.isInteger(maxSessions) || maxSessions < 1) throw new Error(`[maxSessions] got ${maxSessions}: use a whole number from 1 up.`);
  const keys = await Promise.all(specs.map(() => generateHostKeys()));
  specs.forEach((spec, i) => {
    const password = randomBytes(12).toString("base64url");
    hosts.set(
      spec.name,
      new LabHost(world.host(spec.name), accountsFor(spec, password), keys[i], shared, generateHostKeysSync, maxSessions),
    );
  });
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
        get operationsInFlight() {
          return h.operationsInFlight;
        },
        get peakOperationsInFlight() {
          return h.peakOperationsInFlight;
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
    addDatabaseSession(sqlHost, database, session) {
      const d = world.database(sqlHost, database);
      if (!d) throw new Error(`[database] ${sqlHost}/${database} does not exist.`);
      d.otherSessions.push({
        hostName: session.hostName,
        programName: session.programName ?? "Application Virtualization Management Server",
        loginName: session.loginName ?? `${session.hostName}$`,
      });
    },
    openClientSessions(name, sessions) {
      const h = get(name).state;
      const now = clock.now();
      for (const s of sessions) {
        h.clientSessions.open.push({
          remoteAddress: s.remoteAddress,
          localPort: 554,
          endsAtMs: s.endsAfterSimSeconds === undefined ? undefined : now + s.endsAfterSimSeconds * 1000,
        });
      }
    },
    clearDatabaseSessions(sqlHost, database) {
      const d = world.database(sqlHost, database);
      if (!d) throw new Error(`[database] ${sqlHost}/${database} does not exist.`);
      d.otherSessions.splice(0);
    },
    sqlLogins(sqlHost) {
      if (get(sqlHost).state.role !== "sql") throw new Error(`[sqlHost] "${sqlHost}" is not a SQL host.`);
      return [...(world.sqlLogins.get(sqlHost) ?? [])].sort((a, b) => Number(b.sysadmin ?? true) - Number(a.sysadmin ?? true));
    },
    addSqlLogin(sqlHost, login) {
      if (get(sqlHost).state.role !== "sql") throw new Error(`[sqlHost] "${sqlHost}" is not a SQL host.`);
      const others = (world.sqlLogins.get(sqlHost) ?? []).filter((l) => l.user.toLowerCase() !== login.user.toLowerCase());
      world.sqlLogins.set(sqlHost, [...others, login]);
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
    setReplicationHealthy(pod, healthy, instance = "local") {
      const p = podOf(pod);
      if (instance === "global") {
        if (!p.cloudPod) throw new Error(`[replication] pod "${pod}" is not in a Cloud Pod federation: it has no global instance (22389).`);
        p.globalReplicationHealthy = healthy;
      } else p.replicationHealthy = healthy;
    },
    setProductVersion(name, version) {
      const product = get(name).state.products[0];
      if (!product) throw new Error(`[host] ${name} has no product installed.`);
      product.displayVersion = version;
    },
    setServiceStatus(name, status, displayName) {
      const state = get(name).state;
      const svc = displayName ? state.services.find((s) => s.displayName === displayName) : state.services.find((s) => s.primary);
      if (!svc) {
        throw new Error(
          `[service] ${name} has no service ${displayName ? `"${displayName}"` : "of its product"}; its services: ${state.services.map((s) => s.displayName).join(", ") || "none"}.`,
        );
      }
      world.setServiceStatus(state, svc, status);
    },
    setPowerShellVersion(name, version) {
      if (!/^\d+\.\d+(\.\d+){0,2}$/.test(version))
        throw new Error(`[version] "${version}" is not a PowerShell version such as 4.0 or 5.1.17763.1852.`);
      get(name).state.powershellVersion = version;
    },
    setUseIpsec(pod, on) {
      podOf(pod).useIpsec = on;
    },
    setUtcOffset(name, minutes) {
      get(name).state.utcOffsetMinutes = minutes;
    },
    lease(name) {
      return readLease(get(name).state);
    },
    owedHooks(name) {
      return readOwedHooks(get(name).state);
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
