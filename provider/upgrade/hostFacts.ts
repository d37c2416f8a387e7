/**
 * Reading what a server runs, the same for every product: the account and the host's clock, the product's version
 * from the Uninstall registry, its main service, and (only when the host is behind its target, since hashing a large
 * installer is not free) the installer's SHA-256. Read-only operations: preview runs these.
 */
import { getFileHash, getHostFacts, getInstalledProduct, getInstallerRun, getServiceState } from "../operations";
import { isHostKeyError, isTransportError } from "../transport/errors";
import type { Session } from "../transport/session";

/** What was read from one host. `reachable: false` means nothing else is known. */
export interface HostFacts {
  /** The host's computer name (or the label when it could not be read). */
  host: string;
  reachable: boolean;
  unreachableReason?: string;
  isAdmin?: boolean;
  user?: string;
  /** The host's clock (ISO 8601), which maintenance windows are judged by. */
  hostNow?: string;
  /** `$PSVersionTable.PSVersion` of the Windows PowerShell the operations run in (e.g. 5.1.17763.1852). */
  psVersion?: string;
  /** DisplayVersion from the Uninstall registry; undefined when the product is not installed. */
  liveVersion?: string;
  /** Status of the product's main service, or "missing". */
  serviceStatus?: string;
  /** The exact display name of that service on this host. */
  serviceDisplayName?: string;
  /** Tools a planned step needs that the host lacks (read only when the host is behind its target). */
  missing?: string[];
  /** Read only when the host is behind its target. */
  installer?: {
    exists: boolean;
    sha256?: string | null;
    /** The file's own product version, where the product reads it (null: the file has none). */
    productVersion?: string | null;
    /** Why the product version could not be read. */
    productVersionError?: string;
  };
  /** An installer started earlier that still runs, from the host's run record (read when behind the target). */
  installerRun?: { pid: number; startedUtc: string; logPath: string; target: string };
}

/** How a product's versions parse and compare. */
export interface VersionScheme<V> {
  parse(text: string): V | undefined;
  compare(a: V, b: V): number;
}

/** What to read on a host. */
export interface HostReadOptions {
  /** Name used in plans and messages until the computer name is read. */
  readonly label: string;
  readonly productPatterns: readonly string[];
  readonly servicePattern: string;
  /** Hash this installer when the host is behind `target`. */
  readonly installerPath?: string;
  readonly target?: string;
  /** Key of the host's installer run record to read when the host is behind `target` ("horizon-connection-server"). */
  readonly installerProduct?: string;
  /** Deadline of each read, seconds. */
  readonly deadlineSeconds?: number;
}

/** A transport error that must not be turned into "unreachable": the operator has to act on it (pin the key). */
export { isHostKeyError } from "../transport/errors";

/** The message of an error, for a reason shown to the operator. */
export function reasonOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The newest parseable version among the product entries, or the first entry's raw text. */
function pickVersion<V>(products: readonly { displayVersion: string }[], scheme: VersionScheme<V>): string | undefined {
  let best: { text: string; v: V } | undefined;
  for (const p of products) {
    const v = scheme.parse(p.displayVersion);
    if (v !== undefined && (!best || scheme.compare(v, best.v) > 0)) best = { text: p.displayVersion, v };
  }
  return best?.text ?? products[0]?.displayVersion;
}

/**
 * Reads a host. A host that cannot be reached comes back `reachable: false` with the reason; a host-key refusal is
 * thrown (its message carries the fingerprint to pin).
 */
export async function readHost<V>(session: Session, opts: HostReadOptions, scheme: VersionScheme<V>): Promise<HostFacts> {
  const run = { deadlineSeconds: opts.deadlineSeconds };
  try {
    const host = (await getHostFacts(session, run)).result;
    const products = (await getInstalledProduct(session, { displayNameLike: [...opts.productPatterns] }, run)).result.products;
    const liveVersion = pickVersion(products, scheme);
    const service = (await getServiceState(session, { displayNames: [opts.servicePattern] }, run)).result.services[0];
    const facts: HostFacts = {
      host: host.computerName || opts.label,
      reachable: true,
      isAdmin: host.isAdmin,
      user: host.user,
      hostNow: host.utcNow,
      psVersion: host.psVersion,
      liveVersion,
      serviceStatus: service?.status ?? "missing",
      serviceDisplayName: service?.displayName,
    };
    const live = liveVersion !== undefined ? scheme.parse(liveVersion) : undefined;
    const target = opts.target !== undefined ? scheme.parse(opts.target) : undefined;
    if (opts.installerPath && live !== undefined && target !== undefined && scheme.compare(live, target) < 0) {
      // Both reads at once, on two channels of the host's one connection: preview waits for the slower only. The run
      // records are readable by administrators only; a non-administrator is blocked by the plan anyway.
      const [hash, installerRun] = await Promise.all([
        getFileHash(session, { path: opts.installerPath }, run),
        opts.installerProduct && host.isAdmin ? getInstallerRun(session, { product: opts.installerProduct, waitSeconds: 0 }, run) : undefined,
      ]);
      facts.installer = { exists: hash.result.exists, sha256: hash.result.sha256 };
      const record = installerRun?.result.running ? installerRun.result.record : null;
      if (record) facts.installerRun = { pid: record.pid, startedUtc: record.startedUtc, logPath: record.logPath, target: record.target };
    }
    return facts;
  } catch (e) {
    if (isHostKeyError(e)) throw e;
    return { host: opts.label, reachable: false, unreachableReason: reasonOf(e) };
  }
}
