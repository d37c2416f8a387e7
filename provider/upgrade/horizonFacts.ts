/**
 * Reading the live facts a Horizon plan is computed from: the host (account, clock, installed version, the product's
 * service, the installer's hash) and, for a security server, what its paired Connection Server says about the pod.
 * Read-only operations only: preview runs these.
 */
import { getIpsecRules, getPairingPasswordState, getSecurityServerList } from "../operations";
import type { Session } from "../transport/session";
import { compareHorizonVersions, parseHorizonVersion } from "../versions/horizon";
import { type HostFacts, type HostReadOptions, type VersionScheme, isHostKeyError, readHost, reasonOf, settle } from "./hostFacts";
import type { HostIpsecFacts, PairIpsecFacts, PairingFacts } from "./horizonPlan";

export { isHostKeyError, type HostReadOptions } from "./hostFacts";

/** Horizon's version scheme (7.13.2, 7.13.2.21000000, release names such as 2312). */
export const HORIZON_VERSIONS: VersionScheme<NonNullable<ReturnType<typeof parseHorizonVersion>>> = {
  parse: parseHorizonVersion,
  compare: compareHorizonVersions,
};

/** Reads a Horizon host (see `readHost`), with the staged installer's own product version when its hash is read. */
export async function readHorizonHost(session: Session, opts: HostReadOptions): Promise<HostFacts> {
  return readHost(session, { ...opts, installerVersion: true }, HORIZON_VERSIONS);
}

/** Options of `readPairingFacts`. */
export interface PairingReadOptions extends HostReadOptions {
  /** Operator replacement of the Get-SecurityServerList body. */
  readonly securityServerListScript?: string;
  /** Operator replacement of the Get-PairingPasswordState body. */
  readonly pairingPasswordStateScript?: string;
}

/**
 * Reads the paired Connection Server: its version and the pod's Security Servers list with the IPsec setting. The list
 * and the pairing password's state are asked for in the same round trip as the host's own facts (see `readHost`); they
 * are used only when the host was reachable, as when they were read after it.
 */
export async function readPairingFacts(session: Session, opts: PairingReadOptions): Promise<PairingFacts> {
  const run = { deadlineSeconds: opts.deadlineSeconds };
  const listRead = settle(getSecurityServerList(session, {}, { ...run, body: opts.securityServerListScript }));
  const stateRead = settle(
    getPairingPasswordState(session, { connectionServer: opts.label }, { ...run, body: opts.pairingPasswordStateScript }),
  );
  const connectionServer = await readHorizonHost(session, { ...opts, installerPath: undefined });
  const [list, state] = await Promise.all([listRead, stateRead]);
  if (!connectionServer.reachable) return { connectionServer };
  if (!list.ok) {
    if (isHostKeyError(list.error)) throw list.error;
    return { connectionServer, listError: reasonOf(list.error) };
  }
  const facts: PairingFacts = {
    connectionServer,
    securityServers: list.value.result.securityServers,
    useIpsec: list.value.result.useIpsec,
  };
  if (state.ok) facts.clock = { timeZoneId: state.value.result.timeZoneId, utcOffsetMinutes: state.value.result.utcOffsetMinutes };
  else if (isHostKeyError(state.error)) throw state.error;
  return facts;
}

/** Reads one host's names, addresses and connection security rules; a host-key refusal is thrown. */
export async function readHostIpsec(session: Session, deadlineSeconds?: number): Promise<HostIpsecFacts> {
  return (await getIpsecRules(session, { deadlineSeconds })).result;
}

/**
 * Reads the connection security rules on both hosts of a pair (read-only: preview runs it), both at once. A read that
 * fails comes back as `readError` naming the host (the security server's first, as when they were read one after the
 * other), so the plan can refuse instead of guessing.
 */
export async function readPairIpsec(
  ssSession: Session,
  csSession: Session,
  labels: { ss: string; cs: string },
  deadlineSeconds?: number,
): Promise<PairIpsecFacts> {
  const reads = await Promise.all([settle(readHostIpsec(ssSession, deadlineSeconds)), settle(readHostIpsec(csSession, deadlineSeconds))]);
  const out: PairIpsecFacts = {};
  for (const [key, read, label] of [
    ["securityServer", reads[0], labels.ss],
    ["connectionServer", reads[1], labels.cs],
  ] as const) {
    if (read.ok) {
      out[key] = read.value;
      continue;
    }
    if (isHostKeyError(read.error)) throw read.error;
    return { ...out, readError: `on ${label}: ${reasonOf(read.error)}` };
  }
  return out;
}
