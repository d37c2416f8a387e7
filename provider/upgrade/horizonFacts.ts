/**
 * Reading the live facts a Horizon plan is computed from: the host (account, clock, installed version, the product's
 * service, the installer's hash) and, for a security server, what its paired Connection Server says about the pod.
 * Read-only operations only: preview runs these.
 */
import { getFileHash, getHostFacts, getInstalledProduct, getSecurityServerList, getServiceState } from "../operations";
import { isTransportError } from "../transport/errors";
import type { Session } from "../transport/session";
import { compareHorizonVersions, parseHorizonVersion } from "../versions/horizon";
import type { HostFacts, PairingFacts } from "./horizonPlan";

/** What to read on a Horizon host. */
export interface HostReadOptions {
  /** Name used in plans and messages until the computer name is read. */
  readonly label: string;
  readonly productPatterns: readonly string[];
  readonly servicePattern: string;
  /** Hash this installer when the host is behind `target` (hashing 300 MB is not free). */
  readonly installerPath?: string;
  readonly target?: string;
  /** Deadline of each read, seconds. */
  readonly deadlineSeconds?: number;
}

/** A transport error that must not be turned into "unreachable": the operator has to act on it. */
export function isHostKeyError(e: unknown): boolean {
  return isTransportError(e, "host-key-mismatch") || isTransportError(e, "host-key-not-pinned");
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The newest parseable version among the product entries, or the first entry's raw text. */
function pickVersion(products: readonly { displayVersion: string }[]): string | undefined {
  let best: string | undefined;
  for (const p of products) {
    const v = parseHorizonVersion(p.displayVersion);
    if (!v) continue;
    if (!best || compareHorizonVersions(v, parseHorizonVersion(best)!) > 0) best = p.displayVersion;
  }
  return best ?? products[0]?.displayVersion;
}

/**
 * Reads a Horizon host. A host that cannot be reached comes back `reachable: false` with the reason; a host-key
 * refusal is thrown (it needs the operator, and its message carries the fingerprint to pin).
 */
export async function readHorizonHost(session: Session, opts: HostReadOptions): Promise<HostFacts> {
  const run = { deadlineSeconds: opts.deadlineSeconds };
  try {
    const host = (await getHostFacts(session, run)).result;
    const products = (await getInstalledProduct(session, { displayNameLike: [...opts.productPatterns] }, run)).result.products;
    const liveVersion = pickVersion(products);
    const services = (await getServiceState(session, { displayNames: [opts.servicePattern] }, run)).result.services;
    const service = services[0];
    const facts: HostFacts = {
      host: host.computerName || opts.label,
      reachable: true,
      isAdmin: host.isAdmin,
      user: host.user,
      hostNow: host.utcNow,
      liveVersion,
      serviceStatus: service?.status ?? "missing",
      serviceDisplayName: service?.displayName,
    };
    const live = liveVersion ? parseHorizonVersion(liveVersion) : undefined;
    const target = opts.target ? parseHorizonVersion(opts.target) : undefined;
    if (opts.installerPath && live && target && compareHorizonVersions(live, target) < 0) {
      const hash = (await getFileHash(session, { path: opts.installerPath }, run)).result;
      facts.installer = { exists: hash.exists, sha256: hash.sha256 };
    }
    return facts;
  } catch (e) {
    if (isHostKeyError(e)) throw e;
    return { host: opts.label, reachable: false, unreachableReason: reason(e) };
  }
}

/** Options of `readPairingFacts`. */
export interface PairingReadOptions extends HostReadOptions {
  /** Operator replacement of the Get-SecurityServerList body. */
  readonly securityServerListScript?: string;
}

/** Reads the paired Connection Server: its version and the pod's Security Servers list with the IPsec setting. */
export async function readPairingFacts(session: Session, opts: PairingReadOptions): Promise<PairingFacts> {
  const connectionServer = await readHorizonHost(session, { ...opts, installerPath: undefined });
  if (!connectionServer.reachable) return { connectionServer };
  try {
    const list = (await getSecurityServerList(session, {}, { body: opts.securityServerListScript, deadlineSeconds: opts.deadlineSeconds })).result;
    return { connectionServer, securityServers: list.securityServers, useIpsec: list.useIpsec };
  } catch (e) {
    if (isHostKeyError(e)) throw e;
    return { connectionServer, listError: reason(e) };
  }
}
