/**
 * The public argument types of the App-V resources. Each field says its default; `pulumi.Input` everywhere, so outputs
 * of other resources (a staged setup's path, the farm's preparation) can be passed in.
 */
import * as pulumi from "@pulumi/pulumi";
import type { AvailabilityGuardArgs } from "./guardArgs";
import type { ConnectionArgs, MaintenanceWindowArgs, SecretInput } from "./horizonArgs";

/** Which App-V 4.x component a server runs. */
/**
 * Which App-V 4.x component a server runs. `console`: a host with only the Management Console ("How to Upgrade the Servers and System Components" (App-V 4.5), step 13),
 * upgraded after the servers and never stopped with them.
 */
export type AppVRoleArg = "management" | "streaming" | "management-service" | "console";

/** The App-V server setup on the host. */
export interface AppVInstallerArgs {
  /** Full path of the 4.5 setup on the host, e.g. `C:\Installers\AppV-4.5-SP2\setup.exe`. */
  path: pulumi.Input<string>;
  /** SHA-256 of the vendor's file (64 hex digits): the upgrade refuses a file that differs. */
  sha256: pulumi.Input<string>;
  /**
   * The setup's silent arguments. UNCONFIRMED default: Microsoft documents no silent command line for the App-V 4.5
   * server setup (unconfirmed by Microsoft's documents; docs/appv.md), so the default is the InstallShield form `/s /v"/qn /l*v ""{{log}}"""`; test it on
   * a lab copy of your farm and set what works there. `{{log}}` stands for the log path, `{{dbAdmin}}` for the
   * database administrative credentials on the server that upgrades the schema (empty elsewhere).
   */
  arguments?: pulumi.Input<string>;
}

/**
 * Replacements for vendor facts the reference could not confirm (docs/appv.md lists them).
 */
export interface AppVOverrides {
  /**
   * The display name (a `-like` pattern) of the role's service. @default "Application Virtualization Management Server"
   * or "Application Virtualization Streaming Server"; not used for the Management Web Service, whose IIS application
   * pool is found by `webApplicationPath`
   */
  serviceDisplayName?: pulumi.Input<string>;
  /**
   * Uninstall-registry DisplayName patterns of the App-V server product.
   * @default ["*Application Virtualization*Server*", "*Application Virtualization*Management Service*"]
   */
  productDisplayNames?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * PowerShell body of Start-Installer, which starts the installer outside the SSH session (by default through WMI's
   * `Win32_Process.Create`) and writes its run record. `START_INSTALLER_BREAKAWAY_BODY` starts it with
   * CREATE_BREAKAWAY_FROM_JOB instead, on hosts whose OpenSSH allows break-away (docs/appv.md, "A lost connection
   * during the installer").
   */
  startInstallerScript?: pulumi.Input<string>;
  /**
   * For a Management Web Service: the physical path (a `-like` pattern) of its IIS application, whose application
   * pool is stopped and started instead of IIS (UNCONFIRMED, found live). @default "*\App Virt Management Service*"
   */
  webApplicationPath?: pulumi.Input<string>;
  /**
   * The setup's MSI properties for the database administrative credentials (UNCONFIRMED).
   * @default { user: "DBADMINUSER", password: "DBADMINPASSWORD" }
   */
  databaseAdminProperties?: pulumi.Input<{ user: pulumi.Input<string>; password: pulumi.Input<string> }>;
}

/** What the farm tells each of its servers, so a failure can state the farm's exact state. Filled in by `AppVFarm`. */
export interface AppVFarmContextArgs {
  /** The farm's name. */
  name: pulumi.Input<string>;
  /** `SQL1/APPVIRT`. */
  database: pulumi.Input<string>;
  /** Where the verified backup was written on the SQL Server (the preparation's output). */
  backupPath?: pulumi.Input<string>;
  /** The operator's reason for waiving the backup. */
  backupWaived?: pulumi.Input<string>;
  /** This server's name in the farm. */
  self?: pulumi.Input<string>;
  /** The farm's server that upgrades the schema (the first database member in order). */
  schemaServer?: pulumi.Input<string>;
  /** The servers upgraded after this one, which stay stopped until their turn, each with the command that starts it. */
  later?: pulumi.Input<pulumi.Input<string>[]>;
  /** Every server of the farm, in upgrade order, with its role and its service's display name. */
  members?: pulumi.Input<pulumi.Input<{ name: string; role: string; service: string }>[]>;
  /** The SQL Server instance as sqlcmd `-S` takes it, for the restore command. */
  sqlServer?: pulumi.Input<string>;
  /** The servers upgraded before this one, with the version and service state their resources verified. */
  done?: pulumi.Input<pulumi.Input<{ name: string; version?: string; service?: string }>[]>;
  /** Each server's version when the preparation read it. */
  before?: pulumi.Input<Record<string, string>>;
}

/** One App-V server to bring to `targetVersion`. */
export interface AppVServerArgs {
  /** How to reach the host. */
  connection: pulumi.Input<ConnectionArgs>;
  /** The server's role. @default "management" */
  role?: pulumi.Input<AppVRoleArg>;
  /** The version the server must run: 4.1, 4.1 SP1, 4.5, 4.5 SP1, 4.5 SP2 (any case, "sp 2" too) or a build such as 4.5.2.17140. */
  targetVersion: pulumi.Input<string>;
  installer: pulumi.Input<AppVInstallerArgs>;
  /** @default always open */
  maintenanceWindow?: pulumi.Input<MaintenanceWindowArgs>;
  /** The run lease's lifetime (the lease is taken on the host before the first change; docs/concurrent-runs.md). */
  guard?: pulumi.Input<Pick<AvailabilityGuardArgs, "leaseMinutes">>;
  /** Minutes this server's upgrade may take, from its first step. @default 30 */
  timeBudgetMinutes?: pulumi.Input<number>;
  overrides?: pulumi.Input<AppVOverrides>;
  /** Outputs that must be known first: orders this server after them (`AppVFarm` fills it in). */
  upgradeAfter?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * The database administrative credentials this server's setup passes on ("How to Upgrade the Servers and System Components" (App-V 4.5), step 7), when it upgrades the
   * schema; secrets. `AppVFarm` gives them to the farm's first database member only.
   */
  databaseAdmin?: pulumi.Input<{ user: SecretInput; password: SecretInput }>;
  /** The farm this server belongs to, for error messages. `AppVFarm` fills it in. */
  farm?: pulumi.Input<AppVFarmContextArgs>;
  /** For simulated hosts only: host-clock seconds per real second. @default 1 */
  timeScale?: pulumi.Input<number>;
}

/** The farm's configuration database and how to back it up. */
export interface AppVDatabaseArgs {
  /** How to reach the SQL Server's Windows host over SSH (sqlcmd runs there). */
  connection: pulumi.Input<ConnectionArgs>;
  /** The SQL Server instance as sqlcmd `-S` takes it: `SQL1`, `SQL1\APPV`. */
  sqlServer: pulumi.Input<string>;
  /** @default "APPVIRT" */
  name?: pulumi.Input<string>;
  /** Backup file, a path on the SQL Server. @default `C:\Backup\<name>-before-<target>.bak` */
  backupPath?: pulumi.Input<string>;
  /** SQL login for BACKUP DATABASE; a secret. @default Windows authentication (sqlcmd -E) */
  sqlUser?: SecretInput;
  /** Its password; a secret (or a reference: `SecretInput`). */
  sqlPassword?: SecretInput;
  /**
   * The database administrative credentials the schema upgrade needs ("How to Upgrade the Servers and System Components" (App-V 4.5), step 7: "Enter the database
   * administrative credentials"), a SQL login; secrets. The first server's setup receives them, and preview checks
   * that they log in to SQL (read-only) before any service is stopped. @default sqlUser and sqlPassword
   */
  adminUser?: SecretInput;
  /** Its password; a secret (or a reference: `SecretInput`). @default sqlPassword */
  adminPassword?: SecretInput;
  /** Replacement PowerShell body of Get-AppVDatabase (where App-V 4.x records its schema version is UNCONFIRMED). */
  schemaScript?: pulumi.Input<string>;
  /**
   * Hosts known to hold sessions on the App-V database that are not App-V servers (a reporting server, a DBA's
   * workstation). Any other host with a session that is not one of the farm's servers blocks the farm at preview:
   * every server sharing the database must be taken offline before the schema upgrade ("How to Upgrade the Servers and System Components" (App-V 4.5)). @default none
   */
  otherClients?: pulumi.Input<pulumi.Input<string>[]>;
  /** Replacement PowerShell body of Get-DatabaseSessions (default: `sys.sysprocesses` filtered to the database). */
  sessionsScript?: pulumi.Input<string>;
}

/** The backup before the schema upgrade. */
export interface AppVBackupArgs {
  /**
   * Go on without a backup. Microsoft's "How to Upgrade the Servers and System Components" (App-V 4.5): without it "you will lose the configuration data" if the upgrade fails, so a
   * reason is required. @default not waived: a full, verified backup is taken
   */
  waive?: pulumi.Input<{ reason: pulumi.Input<string> }>;
}

/** A server of the farm. */
export interface AppVFarmServer extends Omit<
  AppVServerArgs,
  "targetVersion" | "upgradeAfter" | "farm" | "databaseAdmin" | "timeScale" | "maintenanceWindow" | "timeBudgetMinutes"
> {
  /** Its name in the farm (the child is named `<farm>-<name>`). */
  name: string;
  /** Must equal the farm's target (all servers sharing a database run one version). @default the farm's targetVersion */
  targetVersion?: pulumi.Input<string>;
}

/** What `AppVFarm` takes. */
export interface AppVFarmArgs {
  /** The version every server of the farm must run. */
  targetVersion: pulumi.Input<string>;
  /** In upgrade order; the first database member (not a streaming server) upgrades the schema. */
  servers: AppVFarmServer[];
  database: AppVDatabaseArgs;
  /** @default a full, verified backup is required */
  backup?: AppVBackupArgs;
  /**
   * "sequential": one server at a time. "parallel-after-first": the first server upgrades the schema, then the others
   * all at once ("How to Upgrade the Servers and System Components" (App-V 4.5): "one at a time or all at once as the operator chooses"). @default "sequential"
   */
  order?: "sequential" | "parallel-after-first";
  /** @default always open */
  maintenanceWindow?: pulumi.Input<MaintenanceWindowArgs>;
  /** Minutes each server's upgrade (and the preparation) may take. @default 30 */
  timeBudgetMinutes?: pulumi.Input<number>;
  /**
   * Minutes the whole farm may take, from the preparation to the last server. The preparation starts only when the
   * maintenance window's remaining time covers it: once the schema is upgraded the rollout runs to the end even if the
   * window closes (stopping would leave the farm down). @default the servers' budgets added up (timeBudgetMinutes
   * times the servers still below the target)
   */
  farmTimeBudgetMinutes?: pulumi.Input<number>;
  /** Users still connected when the farm is about to be stopped ("How to Upgrade the Servers and System Components" (App-V 4.5): "User sessions should be shut down before you begin"). */
  userSessions?: pulumi.Input<AppVUserSessionsArgs>;
  /** For simulated hosts only: host-clock seconds per real second. @default 1 */
  timeScale?: pulumi.Input<number>;
}

/** What to do about App-V clients still connected before the preparation stops the farm. */
export interface AppVUserSessionsArgs {
  /** Minutes `up` waits for the connections to end before it refuses (or, with `proceed`, stops anyway). @default 15 */
  drainMinutes?: pulumi.Input<number>;
  /** Stop the servers even with users still connected once `drainMinutes` is over (they lose their sessions). @default false */
  proceed?: pulumi.Input<boolean>;
  /**
   * The ports whose established connections count as client sessions. UNCONFIRMED as the measure of user sessions:
   * App-V clients stream over RTSP (554) or RTSPS (322), KB 2615139. @default [554, 322]
   */
  ports?: pulumi.Input<pulumi.Input<number>[]>;
  /** Replacement PowerShell body of Get-ClientSessions (it must print `{ connections: [{ remoteAddress, localPort }] }`). */
  script?: pulumi.Input<string>;
}
