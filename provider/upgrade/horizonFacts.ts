/**
 * Reading the live facts a Horizon plan is computed from: the host (account, clock, installed version, the product's
 * service, the installer's hash) and, for a security server, what its paired Connection Server says about the pod.
 * Read-only operations only: preview runs these.
 */
import { getInstallerVersion, getIpsecRules, getPairingPasswordState, getSecurityServerList } from "../operations";
import type { Session } from "../transport/session";
import { compareHorizonVersions, parseHorizonVersion } from "../versions/horizon";
import { type HostFacts, type HostReadOptions, type VersionScheme, isHostKeyError, readHost, reasonOf } from "./hostFacts";
import type { HostIpsecFacts, PairIpsecFacts, PairingFacts } from "./horizonPlan";

export { isHostKeyError, type HostReadOptions } from "./hostFacts";

/** Horizon's version scheme (7.13.2, 7.13.2.21000000, release names such as 2312). */
export const HORIZON_VERSIONS: VersionScheme<NonNullable<ReturnType<typeof parseHorizonVersion>>> = {
  parse: parseHorizonVersion,
  compare: compareHorizonVersions,
};

/** Reads a Horizon host (see `readHost`), and the staged installer's own product version when its hash was read. */
export async function readHorizonHost(session: Session, opts: HostReadOptions): Promise<HostFacts> {
  const facts = await readHost(session, opts, HORIZON_VERSIONS);
  if (facts.installer?.exists && opts.installerPath) {
    try {
      facts.installer.productVersion = (await getInstallerVersion(session, { path: opts.installerPath }, { deadlineSeconds: opts.deadlineSeconds })).result.productVersion;
    } catch (e) {
      if (isHostKeyError(e)) throw e;
      facts.installer.productVersionError = reasonOf(e);
    }
  }
  return facts;
}

/** Options of `readPairingFacts`. */
export interface PairingReadOptions extends HostReadOptions {
  /** Operator replacement of the Get-SecurityServerList body. */
  readonly securityServerListScript?: string;
  /** Operator replacement of the Get-PairingPasswordState body. */
  readonly pairingPasswordStateScript?: string;
}

/** Reads the paired Connection Server: its version and the pod's Security Servers list with the IPsec setting. */
export async function readPairingFacts(session: Session, opts: PairingReadOptions): Promise<PairingFacts> {
  const connectionServer = await readHorizonHost(session, { ...opts, installerPath: undefined });
  if (!connectionServer.reachable) return { connectionServer };
  try {
    const list = (await getSecurityServerList(session, {}, { body: opts.securityServerListScript, deadlineSeconds: opts.deadlineSeconds })).result;
    const facts: PairingFacts = { connectionServer, securityServers: list.securityServers, useIpsec: list.useIpsec };
    try {
      const state = (await getPairingPasswordState(session, { connectionServer: opts.label }, { body: opts.pairingPasswordStateScript, deadlineSeconds: opts.deadlineSeconds })).result;
      facts.clock = { timeZoneId: state.timeZoneId, utcOffsetMinutes: state.utcOffsetMinutes };
    } catch (e) {
      if (isHostKeyError(e)) throw e;
    }
    return facts;
  } catch (e) {
    if (isHostKeyError(e)) throw e;
    return { connectionServer, listError: reasonOf(e) };
  }
}

/** Reads one host's names, addresses and connection security rules; a host-key refusal is thrown. */
export async function readHostIpsec(session: Session, deadlineSeconds?: number): Promise<HostIpsecFacts> {
  return (await getIpsecRules(session, { deadlineSeconds })).result;
}

/**
 * Reads the connection security rules on both hosts of a pair (read-only: preview runs it). A read that fails comes
 * back as `readError` naming the host, so the plan can refuse instead of guessing.
 */
export async function readPairIpsec(ssSession: Session, csSession: Session, labels: { ss: string; cs: string }, deadlineSeconds?: number): Promise<PairIpsecFacts> {
  const out: PairIpsecFacts = {};
  for (const [key, session, label] of [["securityServer", ssSession, labels.ss], ["connectionServer", csSession, labels.cs]] as const) {
    try {
      out[key] = await readHostIpsec(session, deadlineSeconds);
    } catch (e) {
      if (isHostKeyError(e)) throw e;
      return { ...out, readError: `on ${label}: ${reasonOf(e)}` };
    }
  }
  return out;
}
