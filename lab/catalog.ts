/**
 * What the simulated Windows hosts have installed: product DisplayNames, install locations, Windows services and the
 * version numbers the lab uses. Pure data and pure functions; no state.
 *
 * Sources: docs/sources.md#horizon-services (service display names, startup types, which services the
 * Connection/Security Server service drags along), docs/sources.md#horizon-installed-version (Uninstall DisplayName "VMware Horizon 7 Connection Server"),
 * docs/sources.md#appv-services-and-paths (App-V service display names). Where the reference says UNCONFIRMED the lab picks a value and says so here.
 */

/** Role of a simulated host; decides which products and services it has. */
export type HostRole =
  | "connection-server"
  | "security-server"
  | "appv-management"
  | "appv-streaming"
  | "appv-management-service"
  | "appv-console"
  | "sql"
  | "plain";

/** Product family an installer file belongs to. The Horizon installer serves both CS and SS (role chosen at install). */
export type InstallerProduct = "horizon-connection-server" | "appv-server";

/** Windows service startup type. */
export type StartType = "Automatic" | "Manual" | "Disabled";

/** A Windows service as `Get-Service` shows it. */
export interface ServiceDefinition {
  readonly name: string;
  readonly displayName: string;
  readonly startType: StartType;
  /** Running when the role is healthy. */
  readonly runningWhenHealthy: boolean;
  /** The service whose state says whether the host serves users (one per role). */
  readonly primary?: boolean;
}

/**
 * App-V version numbers the lab uses (lab convention; only 4.5 RTM = 4.5.0.1485 is sourced, docs/sources.md#appv-services-and-paths).
 * Service packs bump the third field.
 */
export const APPV_VERSIONS = {
  "4.0 SP1": "4.0.1.1850",
  "4.1": "4.1.0.56",
  "4.1 SP1": "4.1.1.1",
  "4.5": "4.5.0.1485",
  "4.5 SP1": "4.5.1.15580",
  "4.5 SP2": "4.5.2.17140",
} as const;

/** Horizon versions used by the CLI and tests (7.12.0 build from docs/sources.md#horizon-silent-install; the 7.13.2 build number is a lab invention). */
export const HORIZON_VERSIONS = {
  "7.12.0": "7.12.0.15770369",
  "7.13.2": "7.13.2.21000000",
  "8.5.0 (2203)": "8.5.0.19586897",
} as const;

/** Default path of vdmadmin.exe on a VMware-branded Connection Server (docs/sources.md#vdmadmin). */
export const VDMADMIN_PATH = "C:\\Program Files\\VMware\\VMware View\\Server\\tools\\bin\\vdmadmin.exe";

/** vdmexport.exe beside vdmadmin.exe (docs/sources.md#horizon-order-and-replication: "use vdmexport.exe to back up the LDAP database"). */
export const VDMEXPORT_PATH = "C:\\Program Files\\VMware\\VMware View\\Server\\tools\\bin\\vdmexport.exe";

/** Parses a dotted version ("7.12.0.15770369") into numbers; throws on anything else. */
export function parseVersion(version: string): number[] {
  if (!/^\d+(\.\d+){0,3}$/.test(version)) {
    throw new Error(`[version] "${version}" is not a dotted version like 7.12.0.15770369.`);
  }
  return version.split(".").map((p) => Number(p));
}

/** Compares two dotted versions numerically: negative when a < b, 0 when equal, positive when a > b. */
export function compareVersions(a: string, b: string): number {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Uninstall-key DisplayName of the product a role runs at a version. */
export function productDisplayName(role: HostRole, version: string): string | undefined {
  const major = parseVersion(version)[0];
  switch (role) {
    case "connection-server":
    case "security-server":
      // docs/sources.md#horizon-installed-version: Horizon 7 registers "VMware Horizon 7 Connection Server" for both roles (same installer).
      return major >= 8 ? "VMware Horizon Connection Server" : "VMware Horizon 7 Connection Server";
    case "appv-management":
      return "Microsoft Application Virtualization Management Server";
    case "appv-streaming":
      return "Microsoft Application Virtualization Streaming Server";
    case "appv-management-service":
      return "Microsoft Application Virtualization Management Service";
    case "appv-console":
      // Lab convention (the server DisplayNames are UNCONFIRMED, docs/sources.md#unconfirmed); the same setup installs it ("How to Upgrade the Servers and System Components" step 13).
      return "Microsoft Application Virtualization Management Console";
    default:
      return undefined;
  }
}

/** Uninstall-key InstallLocation of the product a role runs. */
export function installLocation(role: HostRole): string {
  switch (role) {
    case "connection-server":
    case "security-server":
      return "C:\\Program Files\\VMware\\VMware View\\Server\\";
    case "appv-management":
      return "C:\\Program Files (x86)\\Microsoft System Center App Virt Management Server\\";
    case "appv-streaming":
      return "C:\\Program Files (x86)\\Microsoft System Center App Virt Streaming Server\\";
    case "appv-management-service":
      return "C:\\Program Files (x86)\\Microsoft System Center App Virt Management Service\\";
    case "appv-console":
      return "C:\\Program Files (x86)\\Microsoft System Center App Virt Management Console\\";
    default:
      return "";
  }
}

/** The installer product family that upgrades a role, if any. */
export function installerProductFor(role: HostRole): InstallerProduct | undefined {
  if (role === "connection-server" || role === "security-server") return "horizon-connection-server";
  if (role === "appv-management" || role === "appv-streaming" || role === "appv-management-service" || role === "appv-console") {
    return "appv-server";
  }
  return undefined;
}

/**
 * The Cloud Pod Architecture global LDAP instance on a Connection Server of a federated pod. The short name is
 * a public script's `ADAM_VMwareVDMDSG` (docs/sources.md#horizon-services: a reading of the name,
 * UNCONFIRMED); the display name follows the local instance's (`ADAM_VMwareVDMDS` = "VMwareVDMDS").
 */
export const CLOUD_POD_SERVICE = { name: "ADAM_VMwareVDMDSG", displayName: "VMwareVDMDSG" } as const;

/**
 * Windows services of a role at a version (docs/sources.md#horizon-services; Horizon 8 drops the word "View"); a Connection Server of a Cloud Pod
 * federation also runs the global LDAP instance (`cloudPod`).
 */
export function servicesFor(role: HostRole, version: string | undefined, opts: { cloudPod?: boolean } = {}): ServiceDefinition[] {
  const v = version && parseVersion(version)[0] >= 8 ? "VMware Horizon " : "VMware Horizon View ";
  switch (role) {
    case "connection-server":
      return [
        { name: "VMBlastSG", displayName: `${v}Blast Secure Gateway`, startType: "Automatic", runningWhenHealthy: true },
        {
          name: "wsbroker",
          displayName: `${v}Connection Server`,
          startType: "Automatic",
          runningWhenHealthy: true,
          primary: true,
        },
        { name: "wsnm", displayName: `${v}Framework Component`, startType: "Manual", runningWhenHealthy: true },
        { name: "wsmsgbus", displayName: `${v}Message Bus Component`, startType: "Manual", runningWhenHealthy: true },
        { name: "PCOIPSG", displayName: `${v}PCoIP Secure Gateway`, startType: "Manual", runningWhenHealthy: false },
        { name: "WSSH", displayName: `${v}Script Host`, startType: "Disabled", runningWhenHealthy: false },
        {
          name: "wstunnel",
          displayName: `${v}Security Gateway Component`,
          startType: "Manual",
          runningWhenHealthy: true,
        },
        { name: "wstomcat", displayName: `${v}Web Component`, startType: "Manual", runningWhenHealthy: true },
        { name: "ADAM_VMwareVDMDS", displayName: "VMwareVDMDS", startType: "Automatic", runningWhenHealthy: true },
        ...(opts.cloudPod ? [{ ...CLOUD_POD_SERVICE, startType: "Automatic" as const, runningWhenHealthy: true }] : []),
      ];
    case "security-server":
      return [
        { name: "VMBlastSG", displayName: `${v}Blast Secure Gateway`, startType: "Automatic", runningWhenHealthy: true },
        // Short name UNCONFIRMED (docs/sources.md#horizon-services, docs/sources.md#unconfirmed); the lab uses "wsbroker", callers should resolve by display name.
        {
          name: "wsbroker",
          displayName: `${v}Security Server`,
          startType: "Automatic",
          runningWhenHealthy: true,
          primary: true,
        },
        { name: "wsnm", displayName: `${v}Framework Component`, startType: "Manual", runningWhenHealthy: true },
        { name: "PCOIPSG", displayName: `${v}PCoIP Secure Gateway`, startType: "Manual", runningWhenHealthy: false },
        {
          name: "wstunnel",
          displayName: `${v}Security Gateway Component`,
          startType: "Manual",
          runningWhenHealthy: true,
        },
      ];
    case "appv-management":
      return [
        {
          name: "AppVirtServer",
          displayName: "Application Virtualization Management Server",
          startType: "Automatic",
          runningWhenHealthy: true,
          primary: true,
        },
      ];
    case "appv-streaming":
      return [
        {
          name: "AppVirtServer",
          displayName: "Application Virtualization Streaming Server",
          startType: "Automatic",
          runningWhenHealthy: true,
          primary: true,
        },
      ];
    case "appv-management-service":
      // The Management Web Service is an IIS application (docs/sources.md#appv-services-and-paths: "...\App Virt Management Service\
      // SftMgmt.udl"); IIS itself serves other sites too, so it is not the App-V service: the App-V application's pool
      // is (iisFor).
      return [
        {
          name: "W3SVC",
          displayName: "World Wide Web Publishing Service",
          startType: "Automatic",
          runningWhenHealthy: true,
        },
      ];
    case "appv-console":
      // The Management Console is an MMC snap-in: no Windows service ("How to Upgrade the Servers and System Components" step 13 lists it apart from the servers).
      return [];
    case "sql":
      return [
        {
          name: "MSSQLSERVER",
          displayName: "SQL Server (MSSQLSERVER)",
          startType: "Automatic",
          runningWhenHealthy: true,
          primary: true,
        },
      ];
    case "plain":
      return [];
  }
}

/**
 * Services started and stopped together with a service (docs/sources.md#horizon-services): the Connection Server service drags Framework,
 * Message Bus, Security Gateway and Web along; the Security Server service drags Framework and Security Gateway.
 */
export function companionServices(role: HostRole, displayName: string): string[] {
  const m = /^(VMware Horizon (?:View )?)(Connection Server|Security Server)$/.exec(displayName);
  if (!m) return [];
  const p = m[1];
  if (role === "connection-server" && m[2] === "Connection Server") {
    return [`${p}Framework Component`, `${p}Message Bus Component`, `${p}Security Gateway Component`, `${p}Web Component`];
  }
  if (role === "security-server" && m[2] === "Security Server") {
    return [`${p}Framework Component`, `${p}Security Gateway Component`];
  }
  return [];
}

/** Whether a role's host shares an App-V database (streaming servers do not use the database). */
export function usesAppVDatabase(role: HostRole): boolean {
  return role === "appv-management" || role === "appv-management-service";
}

/**
 * The MSI properties through which the lab's App-V setup takes the database administrative credentials its Database
 * Upgrade Required page asks for ("How to Upgrade the Servers and System Components" step 7: "Enter the database administrative credentials").
 * Lab convention: Microsoft documents no silent command line for the server setup (docs/sources.md#appv-setup, UNCONFIRMED), so
 * these names are the lab's, and a real farm's may differ.
 */
export const APPV_DB_ADMIN_PROPERTIES = { user: "DBADMINUSER", password: "DBADMINPASSWORD" } as const;

/** An IIS application: the site it belongs to, its path, where its files are, and its application pool. */
export interface IisApplicationDefinition {
  readonly site: string;
  readonly path: string;
  readonly physicalPath: string;
  readonly pool: string;
}

/** The IIS application pool of the App-V Management Web Service (lab convention; the real name is UNCONFIRMED). */
export const APPV_APP_POOL = "AppVirtManagementService";

/**
 * What IIS serves on a host of a role: the App-V Management Web Service beside IIS's Default Web Site and another
 * site, each application in its own pool, so stopping IIS (W3SVC) would take every site down and stopping the App-V
 * pool takes only the App-V application down. The App-V application's physical path is the web service's folder
 * (docs/sources.md#appv-services-and-paths); its site path and pool name are lab conventions (UNCONFIRMED).
 */
export function iisFor(role: HostRole): IisApplicationDefinition[] {
  if (role !== "appv-management-service") return [];
  return [
    { site: "Default Web Site", path: "/", physicalPath: "C:\\inetpub\\wwwroot", pool: "DefaultAppPool" },
    {
      site: "Default Web Site",
      path: "/AppVirtManagementService",
      physicalPath: "C:\\Program Files (x86)\\Microsoft System Center App Virt Management Service\\App Virt Management Service",
      pool: APPV_APP_POOL,
    },
    { site: "Intranet", path: "/", physicalPath: "D:\\Sites\\Intranet", pool: "IntranetAppPool" },
  ];
}
