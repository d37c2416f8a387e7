/**
 * The facts that stop an install whatever the product: the SSH account is not an elevated administrator, the
 * installer is not on the host, or it is not the vendor's file. Pure; checked by the plan and again at preflight.
 */
import type { HostFacts } from "./hostFacts";
import type { Blocked } from "./steps";

/** The declared installer. */
export interface DeclaredInstaller {
  readonly installerPath: string;
  readonly installerSha256: string;
}

/** Why the install cannot run on this host, or undefined. `noun` names the file in messages ("installer", "setup"). */
export function preflightBlock(facts: HostFacts, intent: DeclaredInstaller, noun: string): Blocked | undefined {
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
