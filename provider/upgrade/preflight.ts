/**
 * The facts that stop an install whatever the product: the host's Windows PowerShell is older than 5.1, the SSH
 * account is not an elevated administrator, the installer is not on the host, or it is not the vendor's file. Pure; checked by the plan and again at preflight.
 */
import type { HostFacts } from "./hostFacts";
import type { Blocked } from "./steps";

/** The declared installer. */
export interface DeclaredInstaller {
  readonly installerPath: string;
  readonly installerSha256: string;
}

/** The oldest Windows PowerShell the operation bodies are written for and checked against (issue 15). */
export const MINIMUM_POWERSHELL = { major: 5, minor: 1 } as const;

/**
 * Where a host below Windows PowerShell 5.1 gets it: "Windows Management Framework 5.1" (Microsoft Download Center)
 * and "Install and configure WMF 5.1" (https://learn.microsoft.com/powershell/scripting/windows-powershell/wmf/setup/install-configure).
 */
export const WMF_51_URL = "https://www.microsoft.com/en-us/download/details.aspx?id=54616";

/** Why the host's PowerShell cannot run the operations, or undefined (also when the version was not read). */
export function powershellBlock(facts: HostFacts): Blocked | undefined {
  const m = /^(\d+)\.(\d+)/.exec(facts.psVersion ?? "");
  if (!m) return undefined;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  if (major > MINIMUM_POWERSHELL.major || (major === MINIMUM_POWERSHELL.major && minor >= MINIMUM_POWERSHELL.minor)) return undefined;
  return {
    code: "powershell-too-old",
    reason:
      `${facts.host} runs Windows PowerShell ${facts.psVersion}; the upgrade's PowerShell is written for Windows PowerShell ` +
      `${MINIMUM_POWERSHELL.major}.${MINIMUM_POWERSHELL.minor}: install Windows Management Framework 5.1 (${WMF_51_URL}) on ` +
      `${facts.host}, restart it, then run again`,
  };
}

/**
 * The same rule as a `check` failure, so `pulumi preview` stops on such a host rather than only showing the plan as
 * blocked: nothing of the upgrade can run there.
 */
export function powershellFailures(facts: HostFacts, property = "connection"): { property: string; reason: string }[] {
  const block = powershellBlock(facts);
  return block ? [{ property, reason: `[${property}] ${block.reason}.` }] : [];
}

/** Why the install cannot run on this host, or undefined. `noun` names the file in messages ("installer", "setup"). */
export function preflightBlock(facts: HostFacts, intent: DeclaredInstaller, noun: string): Blocked | undefined {
  const powershell = powershellBlock(facts);
  if (powershell) return powershell;
  if (facts.isAdmin === false) {
    return {
      code: "not-admin",
      reason: `${facts.user ?? "the SSH account"} is not an elevated administrator on ${facts.host}; the ${noun} needs local administrator rights`,
    };
  }
  if (!facts.installer?.exists) {
    return { code: "installer-missing", reason: `the ${noun} ${intent.installerPath} is not on ${facts.host}; stage it there first` };
  }
  if (facts.installer.sha256 && facts.installer.sha256.toLowerCase() !== intent.installerSha256.toLowerCase()) {
    return {
      code: "installer-hash-mismatch",
      reason:
        `${intent.installerPath} on ${facts.host} has SHA-256 ${facts.installer.sha256}, not the declared ${intent.installerSha256.toLowerCase()}; ` +
        "replace the file with the vendor's or correct installer.sha256",
    };
  }
  return undefined;
}
