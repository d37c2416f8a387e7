/**
 * Reading what a server runs, the same for every product: the account and the host's clock, the product's version
 * from the Uninstall registry, its main service, and (only when the host is behind its target, since hashing a large
 * installer is not free) the installer's SHA-256. Read-only operations: preview runs these.
 */
import { getFileHash, getHostFacts, getInstalledProduct, getInstallerRun, getInstallerVersion, getServiceState } from "../operations";
import { isHostKeyError } from "../transport/errors";
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
  /** Also read the installer file's own product version, beside its hash (Horizon installers carry the build). */
  readonly installerVersion?: boolean;
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

/** What a read came to: its value, or the error it failed with (never a rejected promise left unwatched). */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Starts a read now and lets the caller look at its outcome later, in whatever order the caller decides. */
export function settle<T>(read: Promise<T>): Promise<Settled<T>> {
  return read.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/** The value of a settled read, or its error thrown. */
export function valueOf<T>(s: Settled<T>): T {
  if (!s.ok) throw s.error;
  return s.value;
}

/**
 * Reads a host. A host that cannot be reached comes back `reachable: false` with the reason; a host-key refusal is
 * thrown (its message carries the fingerprint to pin).
 *
 * The reads that do not depend on each other go out at once, on channels of the host's one connection (at most its
 * `MaxSessions` at a time: the transport queues the rest): the account, the installed product and its service in one
 * round trip, then, for a host behind its target, the installer's hash, its run record and its product version in a
 * second. The engine runs the `check` of one resource at a time, so every round trip a check waits for delays every
 * other resource of the run (docs/scaling.md). The outcome is what reading one after another gave: the first read
 * (in that order) that failed decides the reason, and a read is used only where the one-at-a-time order would have
 * made it.
 */
export async function readHost<V>(session: Session, opts: HostReadOptions, scheme: VersionScheme<V>): Promise<HostFacts> {
  const run = { deadlineSeconds: opts.deadlineSeconds };
  try {
    const first = await Promise.all([
      settle(getHostFacts(session, run)),
      settle(getInstalledProduct(session, { displayNameLike: [...opts.productPatterns] }, run)),
      settle(getServiceState(session, { displayNames: [opts.servicePattern] }, run)),
    ]);
    const host = valueOf(first[0]).result;
    const products = valueOf(first[1]).result.products;
    const service = valueOf(first[2]).result.services[0];
    const liveVersion = pickVersion(products, scheme);
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
      // Only for a host behind its target (hashing a large installer is not free). The run records are readable by
      // administrators only; a non-administrator is blocked by the plan anyway. The product version is used only when
      // the file exists (Get-InstallerVersion answers `exists: false` for a missing file); its failure is not the
      // host's, it is reported beside the installer.
      const [hash, installerRun, version] = await Promise.all([
        getFileHash(session, { path: opts.installerPath }, run),
        opts.installerProduct && host.isAdmin
          ? getInstallerRun(session, { product: opts.installerProduct, waitSeconds: 0 }, run)
          : undefined,
        opts.installerVersion ? settle(getInstallerVersion(session, { path: opts.installerPath }, run)) : undefined,
      ]);
      facts.installer = { exists: hash.result.exists, sha256: hash.result.sha256 };
      if (version && hash.result.exists) {
        if (version.ok) facts.installer.productVersion = version.value.result.productVersion;
        else if (isHostKeyError(version.error)) throw version.error;
        else facts.installer.productVersionError = reasonOf(version.error);
      }
      const record = installerRun?.result.running ? installerRun.result.record : null;
      if (record) facts.installerRun = { pid: record.pid, startedUtc: record.startedUtc, logPath: record.logPath, target: record.target };
    }
    return facts;
  } catch (e) {
    if (isHostKeyError(e)) throw e;
    return { host: opts.label, reachable: false, unreachableReason: reasonOf(e) };
  }
}
