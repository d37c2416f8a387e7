/**
 * Vendor facts about Microsoft App-V 4.x servers that the procedure uses (docs/sources.md#appv-setup).
 * Several are UNCONFIRMED (docs/sources.md#unconfirmed); each is a default the resources let the operator override (`overrides`,
 * `installer.arguments`).
 */

/** Which App-V 4.x component a server runs. */
export type AppVRole = "management" | "streaming" | "management-service" | "console";

/**
 * Uninstall-registry DisplayName patterns of the App-V server products. UNCONFIRMED (docs/sources.md#appv-services-and-paths, docs/sources.md#unconfirmed): the exact server
 * DisplayName strings are not documented; override `overrides.productDisplayNames`.
 */
export const APPV_PRODUCT_PATTERNS: readonly string[] = [
  "*Application Virtualization*Server*",
  "*Application Virtualization*Management Service*",
];

/**
 * The display name of the service that says whether a server serves users. Management Server: KB 2615139; Streaming
 * Server: a public script (docs/sources.md#appv-services-and-paths). The Management Web Service is an IIS application (docs/sources.md#appv-services-and-paths: its files and SftMgmt.udl are
 * in `...\App Virt Management Service\`), not a Windows service: what serves is its IIS application pool, found live
 * (`APPV_WEB_APPLICATION_PATH`), and stopping IIS itself would stop every other site; its entry here is a label.
 */
export const APPV_SERVICES: Readonly<Record<AppVRole, string>> = {
  management: "Application Virtualization Management Server",
  streaming: "Application Virtualization Streaming Server",
  "management-service": "IIS application pool of the App-V Management Web Service",
  console: "(none: the Management Console has no service)",
};

/**
 * Uninstall-registry DisplayName patterns of a Management Console host's product ("How to Upgrade the Servers and System Components" step 13: the same setup
 * upgrades "all other computers where you installed the Application Virtualization Management Console"). UNCONFIRMED
 * like the servers' (docs/sources.md#unconfirmed); override `overrides.productDisplayNames`.
 */
export const APPV_CONSOLE_PATTERNS: readonly string[] = ["*Application Virtualization*Management Console*"];

/** The product patterns of a role. */
export function appvProductPatterns(role: AppVRole | undefined): readonly string[] {
  return role === "console" ? APPV_CONSOLE_PATTERNS : APPV_PRODUCT_PATTERNS;
}

/**
 * The physical path (a `-like` pattern) of the Management Web Service's IIS application, by which its application pool
 * is identified live. The folder is from docs/sources.md#appv-services-and-paths (`...\App Virt Management Service\SftMgmt.udl`); the application's site,
 * path and pool name are UNCONFIRMED, so the pool is looked up, never assumed. Override `overrides.webApplicationPath`.
 */
export const APPV_WEB_APPLICATION_PATH = "*\\App Virt Management Service*";

/**
 * The PowerShell that starts or stops a server's App-V service by hand: `Start-Service -DisplayName ...`, or for the
 * Management Web Service its application pool (by name when it was read, else found by its physical path).
 */
export function appvServiceCommand(
  verb: "Start" | "Stop",
  role: string | undefined,
  service: string,
  pool?: string,
  webPath: string = APPV_WEB_APPLICATION_PATH,
): string {
  if (role !== "management-service") return `${verb}-Service -DisplayName '${service}'`;
  if (pool) return `Import-Module WebAdministration; ${verb}-WebAppPool -Name '${pool.replace(/'/g, "''")}'`;
  return `Import-Module WebAdministration; Get-WebApplication | Where-Object { $_.PhysicalPath -like '${webPath.replace(/'/g, "''")}' } | ForEach-Object { ${verb}-WebAppPool -Name $_.applicationPool }`;
}

/**
 * Default silent arguments of the App-V 4.5 server setup. UNCONFIRMED: Microsoft documents only the interactive
 * wizard for the server (docs/sources.md#appv-setup); this is the InstallShield form (`/s`, then `/v"..."` handed to msiexec with a verbose
 * log). Capture a verbose log of an interactive upgrade to learn the real property names, and set
 * `installer.arguments` to what your site has tested. `{{log}}` is replaced by the log path.
 */
export const APPV_SERVER_ARGUMENTS = '/s /v"/qn /l*v ""{{log}}""{{dbAdmin}}"';

/**
 * The MSI properties that give the setup the database administrative credentials its Database Upgrade Required page
 * asks for ("How to Upgrade the Servers and System Components" step 7: "Enter the database administrative credentials"). UNCONFIRMED (docs/sources.md#appv-setup: no
 * documented silent command line): capture a verbose log of an interactive upgrade for the real names and set
 * `overrides.databaseAdminProperties`. In the arguments, `{{dbAdmin}}` stands for
 * ` <user>=""<login>"" <password>=""<password>""` on the server that upgrades the schema, and for nothing elsewhere; the
 * values reach the host as secrets, never on a command line in clear.
 */
export const APPV_DB_ADMIN_PROPERTIES: Readonly<{ user: string; password: string }> = { user: "DBADMINUSER", password: "DBADMINPASSWORD" };

/** What `{{dbAdmin}}` stands for in the setup's arguments. */
export function appvDbAdminArguments(given: boolean, properties: { user: string; password: string } = APPV_DB_ADMIN_PROPERTIES): string {
  // MsiHiddenProperties keeps both values out of the setup's log (Windows Installer writes every other property's value).
  return given
    ? ` ${properties.user}=""{{secret:dbAdminUser}}"" ${properties.password}=""{{secret:dbAdminPassword}}"" MsiHiddenProperties=""${properties.user};${properties.password}""`
    : "";
}

/** Where the setup's verbose log goes on the host. */
export function appvInstallerLogPath(resourceName: string): string {
  return `C:\\Windows\\Temp\\vdi-upgrade-${resourceName.replace(/[^A-Za-z0-9_.-]/g, "_")}.log`;
}

/** The App-V database's default name (docs/sources.md#appv-upgrade-and-database migration doc: APPVIRT; the SQL-script whitepaper uses APPVIRTDB). */
export const APPV_DEFAULT_DATABASE = "APPVIRT";

/** The default backup file on the SQL Server for a target: `C:\Backup\APPVIRT-before-4.5-SP2.bak`. */
export function defaultBackupPath(database: string, target: string): string {
  return `C:\\Backup\\${database.replace(/[^A-Za-z0-9_.-]/g, "_")}-before-${target.replace(/[^A-Za-z0-9_.-]/g, "-")}.bak`;
}

/** Per-server time budget, minutes (as for Horizon). */
export const DEFAULT_APPV_TIME_BUDGET_MINUTES = 30;
/** Minutes an App-V service may take to start or stop. */
export const APPV_SERVICE_TIMEOUT_MINUTES = 10;

/** Ports whose established connections count as App-V client sessions: RTSP 554 and RTSPS 322 (KB 2615139, docs/sources.md#appv-services-and-paths). */
export const APPV_CLIENT_PORTS: readonly number[] = [554, 322];
/** Minutes `up` waits for client sessions to end before it refuses to stop the farm. */
export const DEFAULT_USER_SESSION_DRAIN_MINUTES = 15;
