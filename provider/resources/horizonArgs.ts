/**
 * The public argument types of the Horizon resources. Each field says its default; `pulumi.Input` everywhere, so
 * outputs of other resources (a staged installer's path, the previous server's result) can be passed in.
 */
import * as pulumi from "@pulumi/pulumi";
import type { SecretReference } from "../secrets/references";

/**
 * A secret: the value (pass it as a Pulumi secret), or a reference the provider process resolves itself,
 * `{ fromEnv: "CS1_SSH_PASSWORD" }` or `{ fromFile: "/run/secrets/cs1" }`, so the value never enters the engine
 * (docs/security.md). Recommended for pipelines.
 */
export type SecretInput = pulumi.Input<string | SecretReference>;
import type { AvailabilityGuardArgs } from "./guardArgs";

/**
 * How to reach a Windows host over SSH: the same shape as `@pulumi/command`'s `remote.ConnectionArgs`, so one object
 * serves both, plus an explicit opt-out of host-key checking. Pass `password`, `privateKey` and `privateKeyPassword`
 * as Pulumi secrets or, better, as references (`{ fromEnv }`, `{ fromFile }`: `SecretInput`).
 */
export interface ConnectionArgs {
  /** Host name or address. */
  host: pulumi.Input<string>;
  /** @default 22 */
  port?: pulumi.Input<number>;
  /** The Windows account to log in as, an administrator (e.g. "Administrator", "CORP\\svc-upgrade"). Required: unlike `@pulumi/command` there is no "root" default. */
  user: pulumi.Input<string>;
  password?: SecretInput;
  /** An OpenSSH or PEM private key (its text; `{ fromFile }` reads it from a file as is). */
  privateKey?: SecretInput;
  privateKeyPassword?: SecretInput;
  /** @default $SSH_AUTH_SOCK */
  agentSocketPath?: pulumi.Input<string>;
  /** Connection attempts before giving up (1 to 100; unlimited is refused). @default 10 */
  dialErrorLimit?: pulumi.Input<number>;
  /** Seconds per connection attempt; 0 for no limit. @default 15 */
  perDialTimeout?: pulumi.Input<number>;
  /** The host's public key (an OpenSSH line such as `ssh-ed25519 AAAA...`) or its `SHA256:` fingerprint. Required unless `insecureSkipHostKeyCheck`. */
  hostKey?: pulumi.Input<string>;
  /** A jump host, same fields. */
  proxy?: pulumi.Input<Omit<ConnectionArgs, "proxy" | "maxSessions">>;
  /** Accept any host key. Never for production: anyone on the path could pose as the host. @default false */
  insecureSkipHostKeyCheck?: pulumi.Input<boolean>;
  /**
   * Operations at once on the one SSH connection to this host (1 to 64); more wait their turn in order. Keep it
   * below the host's sshd `MaxSessions` (10 by default); lower it when the host's is lower (docs/transport.md).
   * Not for `proxy`. @default 8
   */
  maxSessions?: pulumi.Input<number>;
}

/** The installer on the host. */
export interface InstallerArgs {
  /** Full path of the installer on the host, e.g. `C:\Installers\VMware-Horizon-Connection-Server-x86_64-7.13.2-21000000.exe`. */
  path: pulumi.Input<string>;
  /** SHA-256 of the vendor's file (64 hex digits): the upgrade refuses a file that differs. */
  sha256: pulumi.Input<string>;
  /**
   * The installer's silent arguments, replacing the documented default (`/s /v"/qn /l*v ""<log>"" ..."`, see
   * docs/horizon.md). `{{log}}` stands for the log path and `{{secret:pairingPassword}}` for the pairing password,
   * filled in on the host so it never sits on a command line.
   */
  arguments?: pulumi.Input<string>;
}

/**
 * When upgrades may run. Weekly: `{ days: ["Sat"], from: "22:00", to: "04:00", utcOffset: "+01:00" }` (a window may
 * cross midnight; `days` are the days it opens). One-off: `{ start: "2026-12-05T22:00:00Z", end: "2026-12-06T04:00:00Z" }`.
 * Judged by the host's clock. @default always open
 */
export type MaintenanceWindowArgs =
  | { days?: pulumi.Input<pulumi.Input<string>[]>; from: pulumi.Input<string>; to: pulumi.Input<string>; utcOffset?: pulumi.Input<string> }
  | { start: pulumi.Input<string>; end: pulumi.Input<string> };

/** PowerShell run on the server around its upgrade: drain from and restore to the load balancer, a smoke test. */
export interface HooksArgs {
  /** Runs after preflight, before anything changes (e.g. take the server out of the load-balancer pool). */
  before?: pulumi.Input<string>;
  /** Runs after the version is verified (e.g. put it back; log in to a remote desktop). A non-zero exit fails the upgrade. */
  after?: pulumi.Input<string>;
}

/**
 * Replacements for vendor facts the reference could not confirm (docs/horizon.md lists each and its default). Script
 * overrides replace an operation's PowerShell body; they must print the same result shape.
 */
export interface HorizonOverrides {
  /** @default "VMware Horizon View Connection Server" / "VMware Horizon View Security Server" (Horizon 7 display names) */
  serviceDisplayName?: pulumi.Input<string>;
  /** Uninstall-registry DisplayName patterns that identify the product. @default ["*Horizon*Connection Server*"] */
  productDisplayNames?: pulumi.Input<pulumi.Input<string>[]>;
  /** @default "C:\\Program Files\\VMware\\VMware View\\Server\\tools\\bin\\vdmadmin.exe" */
  vdmadminPath?: pulumi.Input<string>;
  /** PowerShell body of Get-SecurityServerList (run on the Connection Server). */
  securityServerListScript?: pulumi.Input<string>;
  /** PowerShell body of Set-PairingPassword (run on the Connection Server). */
  pairingPasswordScript?: pulumi.Input<string>;
  /** PowerShell body of Invoke-PrepareSecurityServer, "Prepare for Upgrade or Reinstallation" (run on each host of the pair). */
  prepareSecurityServerScript?: pulumi.Input<string>;
  /**
   * PowerShell body of Start-Installer, which starts the installer outside the SSH session (by default through WMI's
   * `Win32_Process.Create`) and writes its run record. `START_INSTALLER_BREAKAWAY_BODY` starts it with
   * CREATE_BREAKAWAY_FROM_JOB instead, on hosts whose OpenSSH allows break-away (docs/horizon.md, "A lost connection
   * during the installer").
   */
  startInstallerScript?: pulumi.Input<string>;
  /** @default "C:\\Program Files\\VMware\\VMware View\\Server\\tools\\bin\\vdmexport.exe" */
  vdmexportPath?: pulumi.Input<string>;
  /** PowerShell body of Get-PairingPasswordState (reads the pairing password's ADAM attributes on the Connection Server). */
  pairingPasswordStateScript?: pulumi.Input<string>;
  /** PowerShell body of Invoke-Vdmexport (the configuration backup; default `vdmexport.exe -f <path>`). */
  vdmexportScript?: pulumi.Input<string>;
  /**
   * The Windows service of the Cloud Pod global LDAP instance, whose presence marks a pod in a federation. The
   * default is a reading of a public script, not confirmed by the vendor sources. @default "ADAM_VMwareVDMDSG"
   */
  cloudPodServiceName?: pulumi.Input<string>;
}

/** What every Horizon server resource takes. */
export interface HorizonServerArgs {
  /** How to reach the host. */
  connection: pulumi.Input<ConnectionArgs>;
  /** The version the server must run: `7.13.2`, `7.13.2.21000000`, `8.12.0`, or a release name such as `2312`. */
  targetVersion: pulumi.Input<string>;
  installer: pulumi.Input<InstallerArgs>;
  /** @default always open */
  maintenanceWindow?: pulumi.Input<MaintenanceWindowArgs>;
  /** Minutes one server's upgrade may take, from its first step; VMware's "Upgrade View Security Servers" budgets 15 to 30. @default 30 */
  timeBudgetMinutes?: pulumi.Input<number>;
  hooks?: pulumi.Input<HooksArgs>;
  overrides?: pulumi.Input<HorizonOverrides>;
  /**
   * Outputs of servers that must finish first. Passing an output both orders the upgrades and makes this server read
   * its live facts only after them. `HorizonPod` fills this in.
   */
  upgradeAfter?: pulumi.Input<pulumi.Input<string>[]>;
  /** For simulated hosts only: host-clock seconds per real second, so deadlines follow a fast lab clock. @default 1 */
  timeScale?: pulumi.Input<number>;
  /** Coordination with other runs (issue 19): availability group, lease lifetime, guard wait. `HorizonPod` fills the group. */
  guard?: pulumi.Input<AvailabilityGuardArgs>;
}

/** A Connection Server (standard or replica) to bring to `targetVersion`. */
export interface ConnectionServerArgs extends HorizonServerArgs {
  /** Informational: replicas and standard servers upgrade the same way. @default "standard" */
  role?: pulumi.Input<"standard" | "replica">;
  /**
   * Read LDAP replication health in preview and again at preflight, and stop if it has errors: `repadmin /showrepl
   * localhost:389` and, in a Cloud Pod federation, `localhost:22389`, the documented precondition of upgrading
   * Connection Servers in parallel (Horizon 2203+). `HorizonPod` sets it on every Connection Server of a parallel
   * upgrade, the first included. @default false
   */
  checkReplication?: pulumi.Input<boolean>;
  /**
   * In a Cloud Pod Architecture federation: replication of the global instance (22389) is read too. "detect" reads
   * whether the global instance's service is present (`overrides.cloudPodServiceName`). @default "detect"
   */
  cloudPodFederation?: pulumi.Input<"detect" | boolean>;
  /**
   * Set by `HorizonPod` on each Connection Server of a parallel upgrade: preview refuses a target older than 2203,
   * for which the vendor documents no parallel upgrade. @default false
   */
  parallelUpgrade?: pulumi.Input<boolean>;
  /**
   * Back up the pod's View LDAP configuration with vdmexport before this server's installer, and verify the file
   * (exists, not empty): the vendor's preparation on one Connection Server of the group. `HorizonPod` sets it on its
   * first Connection Server. Waive it only with a stated reason. @default no backup (HorizonPod: a backup to
   * `C:\ProgramData\vdi-upgrade\<resource>-before-<target>.LDF`)
   */
  configurationBackup?: pulumi.Input<ConfigurationBackupArgs>;
}

/** The configuration backup before a pod's first Connection Server, or why there is none. */
export interface ConfigurationBackupArgs {
  /** Where vdmexport writes on the Connection Server. @default `C:\ProgramData\vdi-upgrade\<resource>-before-<target>.LDF` */
  path?: pulumi.Input<string>;
  /** Going on without a backup: the reason (at least 10 characters) is required. */
  waive?: pulumi.Input<{ reason: pulumi.Input<string> }>;
}

/** The Connection Server a security server is paired with. */
export interface PairedConnectionServerArgs {
  /** Its NetBIOS name in the pod, as vdmadmin and the Security Servers list know it. */
  name: pulumi.Input<string>;
  connection: pulumi.Input<ConnectionArgs>;
  /** Its declared target, so preview can say "after cs1 reaches 7.13.2". */
  targetVersion?: pulumi.Input<string>;
  /** An output of its ConnectionServer resource (`installedVersion`): orders this server after it. */
  upgraded?: pulumi.Input<string>;
}

/** A Security Server to bring to `targetVersion` (Horizon 7 only; 2006 and later have none). */
export interface SecurityServerArgs extends HorizonServerArgs {
  connectionServer: PairedConnectionServerArgs;
  /** The security server pairing password to set on the Connection Server and give the installer. A secret, or a reference (`SecretInput`). */
  pairingPassword: SecretInput;
  /** Minutes the pairing password stays valid (1 to 1440). @default 30 */
  pairingTimeoutMinutes?: pulumi.Input<number>;
  /** "detect" reads the global "Use IPsec for Security Server Connections" setting. @default "detect" */
  ipsec?: pulumi.Input<"detect" | "on" | "off">;
  /** The name the pod lists this server under, when it differs from the host's computer name. @default the computer name */
  registeredName?: pulumi.Input<string>;
}
