/**
 * The simulated world: hosts (products, services, files), Horizon pods (security server registry, pairing
 * passwords, IPsec, LDAP replication) and App-V databases. Handlers change it only through the methods here so
 * every service change lands on the timeline.
 */
import { createHash } from "node:crypto";
import type { TimelineEvent } from "./audit";
import {
  type HostRole,
  type InstallerProduct,
  type StartType,
  APPV_APP_POOL,
  iisFor,
  installLocation,
  productDisplayName,
  servicesFor,
  usesAppVDatabase,
} from "./catalog";
import { SimClock } from "./clock";

/** An account on a host. */
export interface AccountSpec {
  readonly user: string;
  /** Password login; omit for key-only accounts. */
  readonly password?: string;
  /** Authorized OpenSSH public keys ("ssh-ed25519 AAAA..."). */
  readonly publicKeys?: readonly string[];
  /** Member of the local Administrators group. @default true */
  readonly admin?: boolean;
}

/** Fields every host spec shares. */
export interface HostSpecBase {
  /** Lab name of the host (used in every lab API call). */
  readonly name: string;
  /** NetBIOS computer name reported by the host. @default name upper-cased */
  readonly computerName?: string;
  /** Extra accounts besides the default `administrator`. */
  readonly accounts?: readonly AccountSpec[];
  /**
   * `$PSVersionTable.PSVersion` the host reports. Windows Server 2016 and later ship Windows PowerShell 5.1; older
   * hosts have what their Windows Management Framework gives (4.0 on 2012 R2) until WMF 5.1 is installed ("Install
   * and configure WMF 5.1", https://learn.microsoft.com/powershell/scripting/windows-powershell/wmf/setup/install-configure).
   * @default "5.1.17763.1852"
   */
  readonly powershellVersion?: string;
  /**
   * DNS domain of the host: its full system name is `<computerName>.<domain>`, the name a security server pairs under
   * ("Upgrade View Security Server", step 5). @default none (the full system name is the computer name)
   */
  readonly domain?: string;
  /** Tools this host lacks (a path such as vdmadmin's, "repadmin.exe", a PowerShell module name). @default none */
  readonly absent?: readonly string[];
}

/** A Connection Server. */
export interface ConnectionServerSpec extends HostSpecBase {
  readonly version: string;
  /**
   * The host's time zone as minutes from UTC. A Connection Server off UTC writes the pairing password's last-changed
   * time in local time as if it were UTC (docs/sources.md#horizon-pairing-and-ipsec, the horizon-security-server-management README).
   * @default 0 (UTC)
   */
  readonly utcOffsetMinutes?: number;
  /** @default "standard" for the first CS of a pod, "replica" for the others */
  readonly role?: "standard" | "replica";
}

/** A Security Server paired with a Connection Server of the same pod. */
export interface SecurityServerSpec extends HostSpecBase {
  readonly version: string;
  /** Lab name of the paired Connection Server. */
  readonly pairedWith: string;
  /**
   * Name the SS was registered under when it was first paired. When it differs from the computer name, the upgrade
   * re-pairs under the computer name and leaves the old entry: a duplicate ("Upgrade View Security Server"). @default computerName
   */
  readonly registeredAs?: string;
}

/** A Horizon pod (Connection Server replicated group). */
export interface PodSpec {
  readonly name: string;
  /** Global "Use IPsec for Security Server Connections". @default true */
  readonly useIpsec?: boolean;
  /** LDAP replication health of the local View LDAP instance (`repadmin /showrepl localhost:389`). @default true */
  readonly replicationHealthy?: boolean;
  /**
   * The pod belongs to a Cloud Pod Architecture federation: each Connection Server also runs the global LDAP instance
   * (service `ADAM_VMwareVDMDSG`, `localhost:22389`). @default false
   */
  readonly cloudPod?: boolean;
  /** Replication health of the global (Cloud Pod) instance (`repadmin /showrepl localhost:22389`). @default true */
  readonly globalReplicationHealthy?: boolean;
  readonly connectionServers: readonly ConnectionServerSpec[];
  readonly securityServers?: readonly SecurityServerSpec[];
}

/** An App-V server in a farm. */
export interface AppVServerSpec extends HostSpecBase {
  /** `console`: a host with only the Management Console ("How to Upgrade the Servers and System Components" step 13), no service and no database. */
  readonly role: "management" | "streaming" | "management-service" | "console";
  readonly version: string;
}

/**
 * A SQL Server login (SQL authentication). The lab's logins are server-wide; `sysadmin` stands for the "database
 * administrative credentials" the App-V setup asks for on its Database Upgrade Required page ("How to Upgrade the Servers and System Components" step 7) and for
 * the rights BACKUP DATABASE needs. Windows authentication (no login given) is accepted for a local administrator of the
 * SQL host, as BUILTIN\Administrators is a sysadmin on SQL Server 2005, the App-V 4.5 era's default (lab convention).
 */
export interface SqlLoginSpec {
  readonly user: string;
  readonly password: string;
  /** @default true */
  readonly sysadmin?: boolean;
}

/** App-V servers sharing one database on a SQL host. */
export interface FarmSpec {
  readonly name: string;
  /** Lab name of the SQL host (created if no other farm created it). */
  readonly sql: string;
  /** @default "APPVIRT" */
  readonly database?: string;
  /** @default the lowest version among the servers that use the database */
  readonly schemaVersion?: string;
  readonly servers: readonly AppVServerSpec[];
  /** SQL logins on the SQL host. @default one sysadmin login `appv-admin` with a generated password */
  readonly logins?: readonly SqlLoginSpec[];
}

/** A host with no product (for hooks, jump hosts, file checks). */
export type PlainHostSpec = HostSpecBase;

/** A product registered in the Uninstall key. */
export interface InstalledProduct {
  displayName: string;
  displayVersion: string;
  installLocation: string;
}

/** A Windows service's live state. */
export interface ServiceStatus {
  readonly name: string;
  readonly displayName: string;
  status: "Running" | "Stopped";
  readonly startType: StartType;
  readonly primary: boolean;
}

/** What an installer file installs. */
export interface InstallerInfo {
  readonly product: InstallerProduct;
  readonly version: string;
  /** The file's `VersionInfo.ProductVersion` text. @default `version` */
  readonly productVersion?: string;
  /** The hash the vendor publishes for this build; a file whose hash differs is not genuine. */
  readonly vendorSha256: string;
}

/** A file on a host. */
export interface FileEntry {
  /** Path as written (Windows paths are case-insensitive: the key is lower-cased). */
  readonly path: string;
  readonly sha256: string;
  readonly sizeBytes: number;
  /** Text content for small files (logs); absent for installers. */
  readonly content?: string;
  readonly installer?: InstallerInfo;
}

/**
 * A Windows Firewall connection security rule (Windows Firewall with Advanced Security > Connection Security Rules),
 * as `Get-NetIPsecRule` and `Get-NetIPsecAddressFilter` show it.
 */
export interface IpsecRule {
  readonly displayName: string;
  readonly remoteAddress: string;
  /** `PolicyStoreSourceType`: "Local" (the persistent store, deletable) or "GroupPolicy" (not editable on the host). */
  readonly store: "Local" | "GroupPolicy";
}

/**
 * The connection security rule a security server pairing creates on each host of the pair, named after the other
 * host's address (the horizon-security-server-management README, docs/sources.md#horizon-pairing-and-ipsec: a VMware staff architect's
 * README, chrisdhalstead/horizon-security-server-management, "Preparing Security Server for Upgrade or Reinstallation").
 */
export const PAIRING_RULE_PREFIX = "VMware View Security Server QM Pairing with ";

/** A hook the host ran. */
export interface HookRecord {
  readonly phase: string;
  readonly hook: string;
  readonly at: string;
}

/** A simulated host. */
export interface HostState {
  readonly name: string;
  readonly computerName: string;
  /** Full system name: `<computerName>.<domain>`, or the computer name without a domain. */
  readonly fqdn: string;
  /** The host's (simulated) IPv4 address, which IPsec rules name. */
  readonly address: string;
  readonly role: HostRole;
  readonly pod?: string;
  /** App-V database this host uses, if any. */
  readonly database?: { readonly sql: string; readonly name: string };
  readonly csRole?: "standard" | "replica";
  /** Time zone, minutes from UTC (Connection Servers; 0 elsewhere). */
  utcOffsetMinutes: number;
  products: InstalledProduct[];
  services: ServiceStatus[];
  readonly files: Record<string, FileEntry>;
  readonly hooks: HookRecord[];
  /** Connection security rules (IPsec) on this host. */
  ipsecRules: IpsecRule[];
  /** Tools this host lacks (see HostSpecBase.absent). */
  absent: string[];
  /** An installer is running (the MSI mutex). */
  installing: boolean;
  /** `$PSVersionTable.PSVersion`; tests may lower it. */
  powershellVersion: string;
  /** Every installer process started on this host, in start order (the lab's audit of installer runs). */
  readonly installers: InstallerProcess[];
  /**
   * Run records of installers started outside an SSH session, by product key: what `Start-Installer` writes under
   * %ProgramData% with an administrators-only ACL and `Get-InstallerRun` reads back.
   */
  readonly runRecords: Record<string, InstallerRunRecord>;
  /**
   * App-V clients streaming from this server (RTSP, port 554): each ends by itself at `endsAtMs` (the user logs off),
   * or is cut when the App-V service stops ("How to Upgrade the Servers and System Components" "Session Loss Warning"; the cut ones are counted in `dropped`).
   */
  readonly clientSessions: { open: ClientSession[]; dropped: number };
  /** IIS applications and the state of their pools (a Management Web Service host). */
  readonly iis?: { readonly applications: readonly IisApplication[]; readonly pools: Record<string, "Started" | "Stopped"> };
}

/**
 * An installer process. One started inside an SSH session belongs to the session's job object and dies with the
 * session's first process (Win32-OpenSSH puts it in a job with kill-on-close "so that all the child processes are
 * cleaned-up automatically": PowerShell/Win32-OpenSSH issue 1195, https://github.com/PowerShell/Win32-OpenSSH/issues/1195);
 * one started outside it (WMI `Win32_Process.Create`, a scheduled task, or a break-away start, allowed since
 * PowerShell/Win32-OpenSSH issue 1032 and PowerShell/openssh-portable PR 267) survives the session.
 */
export interface InstallerProcess {
  readonly pid: number;
  readonly path: string;
  readonly logPath: string;
  /** Simulated start time (ISO 8601). */
  readonly startedUtc: string;
  /** Started outside the SSH session's job object. */
  readonly detached: boolean;
  state: "running" | "exited" | "killed";
  exitCode?: number;
  endedUtc?: string;
  /** Why it was killed ("the SSH session's first process exited"). */
  killedBecause?: string;
}

/** A run record (product key, target, PID, start time, log path). */
export interface InstallerRunRecord {
  readonly product: string;
  readonly target: string;
  readonly path: string;
  readonly logPath: string;
  readonly pid: number;
  readonly startedUtc: string;
}

/** An App-V client's streaming connection to a server. */
export interface ClientSession {
  readonly remoteAddress: string;
  readonly localPort: number;
  /** Simulated ms when the user logs off; undefined: stays until cut. */
  readonly endsAtMs?: number;
}

/** An IIS application as the lab keeps it. */
export interface IisApplication {
  readonly site: string;
  readonly path: string;
  readonly physicalPath: string;
  readonly pool: string;
}

/** IPsec state of a security server. */
export type IpsecState = "active" | "prepared" | "none";

/** A security server as its pod knows it. */
export interface SecurityServerLink {
  readonly host: string;
  readonly pairedWith: string;
  /** Name its current registry entry is under. */
  registeredAs: string;
  ipsec: IpsecState;
}

/** An entry in the pod's Security Servers list. */
export interface SecurityServerEntry {
  readonly name: string;
  readonly host: string;
  readonly connectionServer: string;
  /** Version recorded when this entry was (re)paired. */
  version: string;
}

/** A `vdmadmin -S -r -s` removal. */
export interface RemovalRecord {
  readonly name: string;
  readonly host: string;
  /** The entry was the current registration of an existing security server (removing it cuts the server off). */
  readonly live: boolean;
  readonly at: string;
}

/** A pairing password set on a Connection Server. */
export interface PairingPassword {
  readonly password: string;
  readonly expiresMs: number;
  /** `pae-SecurityServerPairingPasswordLastChangedTime` as written (ms; wrong by the offset on a host off UTC). */
  readonly lastChangedMs?: number;
  /** `pae-SecurityServerPairingPasswordTimeout`, seconds. */
  readonly timeoutSeconds?: number;
}

/** A pod. */
export interface PodState {
  readonly name: string;
  useIpsec: boolean;
  replicationHealthy: boolean;
  /** Member of a Cloud Pod federation: the global LDAP instance runs on each Connection Server (22389). */
  readonly cloudPod: boolean;
  globalReplicationHealthy: boolean;
  readonly connectionServers: string[];
  /** Keyed by SS lab host name. */
  readonly securityServers: Record<string, SecurityServerLink>;
  readonly registry: SecurityServerEntry[];
  /** Keyed by CS lab host name. */
  readonly pairing: Record<string, PairingPassword>;
  readonly removals: RemovalRecord[];
}

/** A SQL backup file's metadata. */
export interface BackupRecord {
  readonly path: string;
  readonly sizeBytes: number;
  readonly valid: boolean;
  readonly schemaVersion: string;
  readonly finishedUtc: string;
}

/** A session on a database as sys.sysprocesses shows it. */
export interface DatabaseSession {
  readonly hostName: string;
  readonly programName: string;
  readonly loginName: string;
}

/** An App-V database. */
export interface AppVDatabaseState {
  /** The farm (FarmSpec.name) whose servers share it. */
  readonly farm: string;
  readonly sql: string;
  readonly name: string;
  schemaVersion: string;
  /** Lab names of the servers that use it. */
  readonly members: string[];
  readonly backups: Record<string, BackupRecord>;
  /**
   * Sessions on the database from hosts that are not lab members of its farm (an App-V server the program does not
   * declare, a reporting tool): the members' own sessions follow their App-V service (`World.databaseSessions`).
   */
  readonly otherSessions: DatabaseSession[];
  readonly sizeBytes: number;
}

/** Default account name on every host. */
export const DEFAULT_USER = "administrator";

/** Key of a Windows path in `files`. */
export function fileKey(path: string): string {
  return path.replace(/\//g, "\\").toLowerCase();
}

/** sha256 hex of text. */
export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The vendor's published hash of an installer build (the lab derives it from product and version). */
export function vendorSha256(product: InstallerProduct, version: string): string {
  return sha256(`vendor-installer:${product}:${version}`);
}

/** The simulated world. */
export class World {
  readonly hosts = new Map<string, HostState>();
  readonly pods = new Map<string, PodState>();
  /** Keyed by `${sqlHost}/${database}` lower-cased. */
  readonly databases = new Map<string, AppVDatabaseState>();
  /** SQL logins, keyed by the SQL host's lab name. */
  readonly sqlLogins = new Map<string, SqlLoginSpec[]>();
  readonly timeline: TimelineEvent[] = [];
  private lastPid = 4000;

  constructor(readonly clock: SimClock) {}

  /** The host, or a thrown error naming the known hosts. */
  host(name: string): HostState {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`[host] "${name}" is not a lab host; known: ${[...this.hosts.keys()].join(", ")}.`);
    return h;
  }

  /** Finds a host by lab name or computer name, case-insensitively. */
  findHost(name: string): HostState | undefined {
    const n = name.toLowerCase();
    for (const h of this.hosts.values()) {
      if (h.name.toLowerCase() === n || h.computerName.toLowerCase() === n) return h;
    }
    return undefined;
  }

  /** Adds a host with the products and services of its role, all healthy. */
  addHost(
    spec: HostSpecBase,
    role: HostRole,
    version: string | undefined,
    extra: {
      pod?: string;
      database?: { sql: string; name: string };
      csRole?: "standard" | "replica";
      utcOffsetMinutes?: number;
      cloudPod?: boolean;
    } = {},
  ): HostState {
    if (this.hosts.has(spec.name)) throw new Error(`[name] host "${spec.name}" is defined twice.`);
    const displayName = version ? productDisplayName(role, version) : undefined;
    const computerName = spec.computerName ?? spec.name.toUpperCase();
    const host: HostState = {
      name: spec.name,
      computerName,
      fqdn: spec.domain ? `${computerName}.${spec.domain}` : computerName,
      address: `10.20.0.${this.hosts.size + 11}`,
      role,
      pod: extra.pod,
      database: extra.database,
      csRole: extra.csRole,
      utcOffsetMinutes: extra.utcOffsetMinutes ?? 0,
      products: displayName && version ? [{ displayName, displayVersion: version, installLocation: installLocation(role) }] : [],
      services: servicesFor(role, version, { cloudPod: extra.cloudPod }).map((d) => ({
        name: d.name,
        displayName: d.displayName,
        status: d.runningWhenHealthy ? "Running" : "Stopped",
        startType: d.startType,
        primary: d.primary === true,
      })),
      files: {},
      hooks: [],
      ipsecRules: [],
      absent: [...(spec.absent ?? [])],
      installing: false,
      powershellVersion: spec.powershellVersion ?? "5.1.17763.1852",
      installers: [],
      runRecords: {},
      clientSessions: { open: [], dropped: 0 },
    };
    const apps = iisFor(role);
    if (apps.length > 0) {
      (host as { iis?: HostState["iis"] }).iis = {
        applications: apps,
        pools: Object.fromEntries(apps.map((a) => [a.pool, "Started" as const])),
      };
    }
    this.hosts.set(spec.name, host);
    return host;
  }

  /** Version of the role's product on a host (from the Uninstall key), if installed. */
  installedVersion(host: HostState): string | undefined {
    return host.products[0]?.displayVersion;
  }

  /** Looks a service up by display name, case-insensitively. */
  service(host: HostState, displayName: string): ServiceStatus | undefined {
    const n = displayName.toLowerCase();
    return host.services.find((s) => s.displayName.toLowerCase() === n);
  }

  /** The client sessions still open on a host (those whose user has not logged off yet). */
  liveClientSessions(host: HostState): ClientSession[] {
    const now = this.clock.now();
    return host.clientSessions.open.filter((s) => s.endsAtMs === undefined || s.endsAtMs > now);
  }

  /** Stopping the App-V service cuts every client still streaming from it. */
  private cutClientSessions(host: HostState): void {
    host.clientSessions.dropped += this.liveClientSessions(host).length;
    host.clientSessions.open.splice(0);
  }

  /** Sets a service's status and records the change on the timeline. */
  setServiceStatus(host: HostState, svc: ServiceStatus, status: "Running" | "Stopped"): void {
    if (svc.status === status) return;
    if (svc.primary && status === "Stopped") this.cutClientSessions(host);
    this.record(host.name, svc.displayName, svc.status, status, svc.primary);
    svc.status = status;
  }

  /**
   * Starts or stops an IIS application pool and records it on the timeline as `AppPool:<name>`; the App-V pool is the
   * host's primary: it says whether the Management Web Service serves.
   */
  setAppPoolState(host: HostState, pool: string, state: "Started" | "Stopped"): void {
    const pools = host.iis?.pools;
    if (!pools || !(pool in pools) || pools[pool] === state) return;
    if (pool === APPV_APP_POOL && state === "Stopped") this.cutClientSessions(host);
    this.record(
      host.name,
      `AppPool:${pool}`,
      pools[pool] === "Started" ? "Running" : "Stopped",
      state === "Started" ? "Running" : "Stopped",
      pool === APPV_APP_POOL,
    );
    pools[pool] = state;
  }

  /**
   * Whether a host serves App-V: its primary service runs, or, for a Management Web Service, IIS runs and the App-V
   * application's pool is started.
   */
  isServing(host: HostState): boolean {
    if (host.iis) {
      const w3 = host.services.find((s) => s.name === "W3SVC");
      return w3?.status === "Running" && host.iis.pools[APPV_APP_POOL] === "Started";
    }
    return host.services.some((s) => s.primary && s.status === "Running");
  }

  /** Replaces a host's services (a major upgrade renames them), recording removals and additions. */
  replaceServices(host: HostState, next: ServiceStatus[]): void {
    for (const old of host.services) {
      if (!next.some((n) => n.displayName === old.displayName)) {
        this.record(host.name, old.displayName, old.status, "Absent", old.primary);
      }
    }
    for (const n of next) {
      const old = host.services.find((o) => o.displayName === n.displayName);
      if (!old) this.record(host.name, n.displayName, "Absent", n.status, n.primary);
      else if (old.status !== n.status) this.record(host.name, n.displayName, old.status, n.status, n.primary);
    }
    host.services = next;
  }

  /** Sets a security server's IPsec state and records it on the timeline. */
  setIpsec(link: SecurityServerLink, state: IpsecState): void {
    if (link.ipsec === state) return;
    this.record(link.host, "IPsec", link.ipsec, state, false);
    link.ipsec = state;
  }

  /**
   * Pairs a security server with its Connection Server while "Use IPsec for Security Server Connections" is on: each
   * host gets a connection security rule naming the other's address (docs/sources.md#horizon-pairing-and-ipsec,
   * the chrisdhalstead/horizon-security-server-management README). The rules stay when the global setting changes later: "Prepare to Upgrade or Reinstall a Security Server" says only that a pairing
   * made with IPsec off has no rules, and removing them is the separate "Prepare for Upgrade" step.
   */
  createPairingRules(ss: HostState, cs: HostState): void {
    for (const [host, other] of [
      [ss, cs],
      [cs, ss],
    ] as const) {
      const displayName = `${PAIRING_RULE_PREFIX}${other.address}`;
      if (!host.ipsecRules.some((r) => r.displayName === displayName))
        host.ipsecRules.push({ displayName, remoteAddress: other.address, store: "Local" });
    }
  }

  /** The pairing rules of a pair still on either host. */
  pairingRules(ss: HostState, cs: HostState): IpsecRule[] {
    return [
      ...ss.ipsecRules.filter((r) => r.displayName.startsWith(PAIRING_RULE_PREFIX) && r.remoteAddress === cs.address),
      ...cs.ipsecRules.filter((r) => r.displayName.startsWith(PAIRING_RULE_PREFIX) && r.remoteAddress === ss.address),
    ];
  }

  /** The pod a host belongs to, or a thrown error. */
  podOf(host: HostState): PodState {
    const pod = host.pod ? this.pods.get(host.pod) : undefined;
    if (!pod) throw new Error(`${host.computerName} is not part of a Horizon pod.`);
    return pod;
  }

  /** The App-V database at `sql`/`name`, if any. */
  database(sql: string, name: string): AppVDatabaseState | undefined {
    return this.databases.get(`${sql}/${name}`.toLowerCase());
  }

  /** A new process id (Windows PIDs are multiples of 4). */
  nextPid(): number {
    this.lastPid += 4 * 37;
    return this.lastPid;
  }

  /**
   * Logs in to the SQL Server on `sqlHost` as SQL Server does: a login that does not exist and a wrong password both
   * answer "Login failed for user" (error 18456, the same message for either, by design).
   */
  sqlLogin(sqlHost: string, user: string, password: string): { ok: true; sysadmin: boolean } | { ok: false; message: string } {
    const login = (this.sqlLogins.get(sqlHost) ?? []).find((l) => l.user.toLowerCase() === user.toLowerCase());
    if (!login || login.password !== password)
      return { ok: false, message: `Login failed for user '${user}'. (Microsoft SQL Server, Error: 18456)` };
    return { ok: true, sysadmin: login.sysadmin ?? true };
  }

  /**
   * The sessions on an App-V database: one per member server whose App-V service serves (it keeps a connection to its
   * configuration database, "How to Upgrade the Servers and System Components"), and the database's other sessions.
   */
  databaseSessions(db: AppVDatabaseState): DatabaseSession[] {
    const members = db.members
      .map((m) => this.host(m))
      .filter((h) => this.isServing(h))
      .map((h) => ({
        hostName: h.computerName,
        programName: h.iis ? "w3wp.exe" : (h.services.find((s) => s.primary)?.displayName ?? "App-V"),
        loginName: `${h.computerName}$`,
      }));
    return [...members, ...db.otherSessions];
  }

  /** Adds or replaces a file. */
  writeFile(host: HostState, entry: FileEntry): void {
    host.files[fileKey(entry.path)] = entry;
  }

  /** Writes a text file (logs). */
  writeTextFile(host: HostState, path: string, content: string): void {
    this.writeFile(host, { path, content, sha256: sha256(content), sizeBytes: Buffer.byteLength(content) });
  }

  private record(host: string, service: string, from: string, to: string, primary: boolean): void {
    const atMs = this.clock.now();
    this.timeline.push({ host, service, from, to, atMs, at: new Date(atMs).toISOString(), primary });
  }
}

/** Whether a host uses an App-V database (by role). */
export function isDatabaseMember(host: HostState): boolean {
  return usesAppVDatabase(host.role);
}
