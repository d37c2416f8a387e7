/**
 * Vendor facts about Horizon that the procedures use (docs/sources.md). Where the reference marks
 * a fact unconfirmed, the resources take an override (`overrides`) and this is the documented default
 * (docs/horizon.md lists them).
 */

/** Uninstall-registry DisplayName patterns of the Connection Server product (docs/sources.md#horizon-installed-version: "VMware Horizon 7 Connection Server", "Omnissa Horizon Connection Server"). */
export const HORIZON_PRODUCT_PATTERNS: readonly string[] = ["*Horizon*Connection Server*"];

/**
 * Service display names as `-like` patterns (docs/sources.md#horizon-services): Horizon 7 says "VMware Horizon View Connection Server", Horizon 8
 * drops "View"; both match. Omnissa-era names are unconfirmed: override `serviceDisplayName`.
 */
export const CONNECTION_SERVER_SERVICE = "VMware Horizon*Connection Server";
/** The security server's service ("Upgrade View Security Server": "VMware Horizon View Security Server"). */
export const SECURITY_SERVER_SERVICE = "VMware Horizon*Security Server";

/**
 * The silent upgrade arguments (docs/sources.md#horizon-silent-install): `/s` for no splash or extraction dialog, `/v"..."` passed to msiexec with a
 * verbose log, doubled quotes inside `/v"..."`. A security server's upgrade asks for the pairing password, passed as
 * `VDM_SERVER_SS_PWD` (whether the external URLs must be passed again on upgrade is unconfirmed, docs/sources.md#unconfirmed: override
 * `installer.arguments` to add them). `{{log}}` is the log path; `{{secret:pairingPassword}}` is filled in on the host.
 */
export const CONNECTION_SERVER_ARGUMENTS = '/s /v"/qn /l*v ""{{log}}"" REBOOT=ReallySuppress"';
/** See `CONNECTION_SERVER_ARGUMENTS`. */
export const SECURITY_SERVER_ARGUMENTS =
  '/s /v"/qn /l*v ""{{log}}"" VDM_SERVER_SS_PWD=""{{secret:pairingPassword}}"" REBOOT=ReallySuppress"';

/** Where the installer's verbose log goes on the host. */
export function installerLogPath(resourceName: string): string {
  return `C:\\Windows\\Temp\\vdi-upgrade-${resourceName.replace(/[^A-Za-z0-9_.-]/g, "_")}.log`;
}

/** Minutes the pairing password stays valid (docs/sources.md#horizon-pairing-and-ipsec: the View API takes 1 to 1440). */
export const DEFAULT_PAIRING_TIMEOUT_MINUTES = 30;
/** Per-server time budget ("Upgrade View Security Server": "Budget 15 minutes to half an hour for each instance"). */
export const DEFAULT_TIME_BUDGET_MINUTES = 30;
/** Minutes a Horizon service may take to start after the installer. */
export const SERVICE_START_TIMEOUT_MINUTES = 10;

/**
 * The display name of the connection security rule a security server pairing creates on each host of the pair, up to
 * the other host's address: "VMware View Security Server QM Pairing with <IP address>" (a VMware staff architect's README,
 * chrisdhalstead/horizon-security-server-management, "Preparing Security Server for Upgrade or Reinstallation";
 * docs/sources.md#horizon-pairing-and-ipsec). Whether it is localised is UNCONFIRMED: a
 * rule to the partner under another name makes the read ambiguous and the upgrade refuses.
 */
export const IPSEC_RULE_PREFIX = "VMware View Security Server QM Pairing with ";
