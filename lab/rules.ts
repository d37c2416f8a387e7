/**
 * The vendor rules the simulated installers enforce on their own. Pure: each takes facts and returns the
 * violations (exit code, stable code, explanation) in the order a real installer would hit them.
 *
 * Sources (titles and URLs in docs/sources.md): VMware's "Upgrade View Security Server" (CS first, pairing password,
 * IPsec removed) and "Prepare to Upgrade or Reinstall a Security Server"; Microsoft's "How to Upgrade the Servers and
 * System Components" (App-V: 4.5 only from 4.1/4.1 SP1, first server upgrades the schema, all servers sharing the
 * database offline); docs/sources.md#horizon-versions (SS older than/newer than CS; no SS in Horizon 8), docs/sources.md#horizon-order-and-replication (2203+ installer
 * blocks on LDAP replication errors).
 */
import { type HostRole, type InstallerProduct, compareVersions, installerProductFor } from "./catalog";
import type { FileEntry, PairingPassword } from "./state";

/** A rule an installer run breaks. */
export interface Violation {
  /** Installer exit code (1603 fatal error, 1619 package not found, 1620 invalid package). */
  readonly exitCode: number;
  /** Stable kebab-case reason code. */
  readonly code: string;
  readonly message: string;
}

/** Horizon 2203 (8.5), the first release whose installer checks LDAP replication (docs/sources.md#horizon-order-and-replication). */
const PARALLEL_UPGRADE_CHECK_FROM = "8.5";

/** The installer file must exist, be an installer, and carry the vendor's hash. */
export function checkInstallerFile(path: string, file: FileEntry | undefined): Violation[] {
  if (!file) {
    return [
      { exitCode: 1619, code: "installer-missing", message: `This installation package could not be opened: ${path} does not exist.` },
    ];
  }
  if (!file.installer) {
    return [{ exitCode: 1620, code: "installer-invalid", message: `${path} is not a valid installation package.` }];
  }
  if (file.sha256 !== file.installer.vendorSha256) {
    return [
      {
        exitCode: 1603,
        code: "installer-not-genuine",
        message:
          `The digital signature of ${path} is not valid: its SHA-256 ${file.sha256} differs from the vendor's ` +
          `${file.installer.vendorSha256}. The file was modified or corrupted; download it again.`,
      },
    ];
  }
  return [];
}

/** The installer must be for the product on this host and must not downgrade it. */
export function checkProductAndVersion(
  role: HostRole,
  product: InstallerProduct,
  installed: string | undefined,
  target: string,
): Violation[] {
  if (installerProductFor(role) !== product) {
    return [{ exitCode: 1603, code: "installer-wrong-product", message: `This ${product} installer does not apply to a ${role} host.` }];
  }
  if (installed && compareVersions(target, installed) < 0) {
    return [
      {
        exitCode: 1603,
        code: "downgrade-refused",
        message: `A newer version (${installed}) is already installed; the installer cannot downgrade it to ${target}.`,
      },
    ];
  }
  return [];
}

/** A Horizon installer run over SSH has no desktop: it needs `/s` and `/qn` (docs/sources.md#horizon-silent-install). */
export function checkSilentHorizon(silent: boolean, switches: readonly string[]): Violation[] {
  if (silent && switches.includes("/qn")) return [];
  return [
    {
      exitCode: 1603,
      code: "installer-not-silent",
      message: 'The installer needs a user interface but the session has no desktop: pass /s and /v"/qn ...".',
    },
  ];
}

/** Facts a Security Server installer checks. */
export interface SecurityServerInstallFacts {
  readonly target: string;
  /** Connection security rules of this pair still on the security server or its Connection Server. */
  readonly remainingIpsecRules: readonly string[];
  /** `VDM_SERVER_SS_PWD` from the command line. */
  readonly passwordGiven: string | undefined;
  /** The pairing password set on the paired CS, if any. */
  readonly pairing: PairingPassword | undefined;
  readonly nowMs: number;
  readonly pairedWith: string;
  readonly connectionServerVersion: string | undefined;
}

/** Security server upgrade rules ("Upgrade View Security Server", "Prepare to Upgrade or Reinstall a Security Server", docs/sources.md#horizon-versions). */
export function checkSecurityServerInstall(f: SecurityServerInstallFacts): Violation[] {
  const out: Violation[] = [];
  if (compareVersions(f.target, "8") >= 0) {
    out.push({
      exitCode: 1603,
      code: "security-server-unsupported",
      message: `Horizon ${f.target} has no Security Server role; replace the security server with a Unified Access Gateway.`,
    });
  }
  // "Prepare to Upgrade or Reinstall a Security Server": "If the existing IPsec rules are not removed before you upgrade or reinstall, the pairing fails", whatever
  // the global setting says now: the rules are those of the pairing, on either host of the pair.
  if (f.remainingIpsecRules.length > 0) {
    out.push({
      exitCode: 1603,
      code: "ipsec-rules-present",
      message:
        `Pairing with ${f.pairedWith} failed: the existing IPsec rules for this security server are still in place ` +
        `(${f.remainingIpsecRules.join(", ")}). Run 'Prepare for Upgrade or Reinstallation' for this security server first.`,
    });
  }
  if (!f.pairing) {
    out.push({
      exitCode: 1603,
      code: "pairing-password-not-set",
      message: `No security server pairing password is configured on ${f.pairedWith}.`,
    });
  } else if (f.nowMs >= f.pairing.expiresMs) {
    out.push({
      exitCode: 1603,
      code: "pairing-password-expired",
      message: `The security server pairing password on ${f.pairedWith} expired at ${new Date(f.pairing.expiresMs).toISOString()}.`,
    });
  } else if (f.passwordGiven === undefined) {
    out.push({ exitCode: 1603, code: "pairing-password-missing", message: "VDM_SERVER_SS_PWD was not supplied." });
  } else if (f.passwordGiven !== f.pairing.password) {
    out.push({
      exitCode: 1603,
      code: "pairing-password-wrong",
      message: `The security server pairing password was rejected by ${f.pairedWith}.`,
    });
  }
  // docs/sources.md#horizon-versions: an older security server cannot pair with a newer Connection Server, and a newer one with an older Connection
  // Server is not supported: the pairing needs the same version on both.
  if (f.connectionServerVersion && compareVersions(f.connectionServerVersion, f.target) > 0) {
    out.push({
      exitCode: 1603,
      code: "connection-server-newer",
      message:
        `The paired Connection Server ${f.pairedWith} runs ${f.connectionServerVersion}, newer than ${f.target}; a security server ` +
        "pairs only with a Connection Server of the same version.",
    });
  }
  if (f.connectionServerVersion && compareVersions(f.connectionServerVersion, f.target) < 0) {
    out.push({
      exitCode: 1603,
      code: "connection-server-older",
      message:
        `The paired Connection Server ${f.pairedWith} runs ${f.connectionServerVersion}, older than ${f.target}; ` +
        "upgrade the Connection Server first.",
    });
  }
  return out;
}

/**
 * Connection Server upgrade rules (docs/sources.md#horizon-order-and-replication): from 2203 the installer blocks the upgrade while LDAP replication has errors,
 * local (389) or, in a Cloud Pod federation, global (22389) (Horizon 2203 upgrades, "Parallel upgrades",
 * docs.vmware.com/en/VMware-Horizon/2203/horizon-upgrades/GUID-1B7271A5-3312-49DF-97CF-53FEC8C4AED8.html).
 */
export function checkConnectionServerInstall(target: string, replicationHealthy: boolean, globalReplicationHealthy = true): Violation[] {
  if (compareVersions(target, PARALLEL_UPGRADE_CHECK_FROM) < 0) return [];
  const out: Violation[] = [];
  if (!replicationHealthy) {
    out.push({
      exitCode: 1603,
      code: "replication-unhealthy",
      message: "LDAP replication has errors (repadmin /showrepl localhost:389); the upgrade is blocked until replication is healthy.",
    });
  }
  if (!globalReplicationHealthy) {
    out.push({
      exitCode: 1603,
      code: "global-replication-unhealthy",
      message:
        "Cloud Pod global LDAP replication has errors (repadmin /showrepl localhost:22389); the upgrade is blocked until replication is healthy.",
    });
  }
  return out;
}

/** Facts an App-V setup checks. */
export interface AppVInstallFacts {
  readonly installed: string | undefined;
  readonly target: string;
  /** Undefined for a server that does not use the database (streaming). */
  readonly schemaVersion?: string;
  /** Other servers on the same database whose App-V service is Running. */
  readonly runningPeers: readonly string[];
  /**
   * The database administrative credentials the setup was given, as SQL Server judged them: missing, refused (the
   * message), not an administrator, or accepted. Only a schema upgrade asks for them ("How to Upgrade the Servers and System Components" step 7).
   */
  readonly adminLogin?: { readonly state: "missing" | "refused" | "not-admin" | "ok"; readonly user?: string; readonly message?: string };
}

/** Outcome of the App-V rules: violations, and whether this run upgrades the database schema. */
export interface AppVVerdict {
  readonly violations: Violation[];
  readonly upgradesSchema: boolean;
}

/** App-V upgrade rules ("How to Upgrade the Servers and System Components"). */
export function checkAppVInstall(f: AppVInstallFacts): AppVVerdict {
  const violations: Violation[] = [];
  if (f.installed && compareVersions(f.target, "4.5") >= 0 && compareVersions(f.installed, "4.1") < 0) {
    violations.push({
      exitCode: 1603,
      code: "appv-source-too-old",
      message: `App-V ${f.target} can be installed over 4.1 or 4.1 SP1 only; this server runs ${f.installed}. Upgrade it to 4.1 first or uninstall it.`,
    });
  }
  const upgradesSchema = f.schemaVersion !== undefined && compareVersions(f.target, f.schemaVersion) > 0;
  if (upgradesSchema && f.runningPeers.length > 0) {
    violations.push({
      exitCode: 1603,
      code: "schema-upgrade-peers-online",
      message:
        `Database Upgrade Required: the schema (${f.schemaVersion}) cannot be upgraded to ${f.target} while other servers ` +
        `sharing the database are online: ${f.runningPeers.join(", ")}. Stop their App-V services first.`,
    });
  }
  // "How to Upgrade the Servers and System Components" step 7: "If the Database Upgrade Required page is displayed ... Enter the database administrative
  // credentials". The silent setup has no page to ask on: without them, or with credentials SQL refuses, it fails.
  const login = f.adminLogin ?? { state: "missing" as const };
  if (upgradesSchema && login.state !== "ok") {
    const why =
      login.state === "missing"
        ? "no database administrative credentials were given"
        : login.state === "refused"
          ? `the database administrative credentials were refused: ${login.message ?? "Login failed"}`
          : `the login '${login.user}' is not a database administrator (sysadmin)`;
    violations.push({
      exitCode: 1603,
      code: "schema-upgrade-credentials",
      message: `Database Upgrade Required: the schema (${f.schemaVersion}) must be upgraded to ${f.target}, and ${why}.`,
    });
  }
  return { violations, upgradesSchema };
}
