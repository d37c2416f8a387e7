/**
 * Reading the live facts an App-V plan is computed from: each server (account, clock, installed version, its role's
 * service, the setup's hash) and the configuration database's schema version. Read-only operations only: preview runs
 * these.
 */
import { getAppVDatabase, getFileHash, getHostFacts, getInstalledProduct, getServiceState } from "../operations";
import type { Session } from "../transport/session";
import { compareAppVVersions, parseAppVVersion } from "../versions/appv";
import { isHostKeyError } from "./horizonFacts";
import type { AppVDatabaseFacts, AppVHostFacts } from "./appvPlan";

/** What to read on an App-V host. */
export interface AppVReadOptions {
  /** Name used in plans and messages until the computer name is read. */
  readonly label: string;
  readonly productPatterns: readonly string[];
  readonly servicePattern: string;
  /** Hash this setup when the host is behind `target`. */
  readonly installerPath?: string;
  readonly target?: string;
  /** Deadline of each read, seconds. */
  readonly deadlineSeconds?: number;
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The newest parseable App-V version among the product entries, or the first entry's raw text. */
function pickVersion(products: readonly { displayVersion: string }[]): string | undefined {
  let best: string | undefined;
  for (const p of products) {
    const v = parseAppVVersion(p.displayVersion);
    if (!v) continue;
    if (!best || compareAppVVersions(v, parseAppVVersion(best)!) > 0) best = p.displayVersion;
  }
  return best ?? products[0]?.displayVersion;
}

/**
 * Reads an App-V host. A host that cannot be reached comes back `reachable: false` with the reason; a host-key refusal
 * is thrown (the operator has to pin the key).
 */
export async function readAppVHost(session: Session, opts: AppVReadOptions): Promise<AppVHostFacts> {
  const run = { deadlineSeconds: opts.deadlineSeconds };
  try {
    const host = (await getHostFacts(session, run)).result;
    const products = (await getInstalledProduct(session, { displayNameLike: [...opts.productPatterns] }, run)).result.products;
    const liveVersion = pickVersion(products);
    const service = (await getServiceState(session, { displayNames: [opts.servicePattern] }, run)).result.services[0];
    const facts: AppVHostFacts = {
      host: host.computerName || opts.label,
      reachable: true,
      isAdmin: host.isAdmin,
      user: host.user,
      hostNow: host.utcNow,
      liveVersion,
      serviceStatus: service?.status ?? "missing",
      serviceDisplayName: service?.displayName,
    };
    const live = liveVersion ? parseAppVVersion(liveVersion) : undefined;
    const target = opts.target ? parseAppVVersion(opts.target) : undefined;
    if (opts.installerPath && live && target && compareAppVVersions(live, target) < 0) {
      const hash = (await getFileHash(session, { path: opts.installerPath }, run)).result;
      facts.installer = { exists: hash.exists, sha256: hash.sha256 };
    }
    return facts;
  } catch (e) {
    if (isHostKeyError(e)) throw e;
    return { host: opts.label, reachable: false, unreachableReason: reason(e) };
  }
}

/** What to read about the database. */
export interface AppVDatabaseReadOptions {
  readonly sqlServer: string;
  readonly database: string;
  readonly secrets?: { sqlUser: string; sqlPassword: string };
  /** Operator replacement of the Get-AppVDatabase body (where 4.x records its schema version is UNCONFIRMED). */
  readonly body?: string;
  readonly deadlineSeconds?: number;
}

/**
 * Reads the database's schema version on the SQL host. An unreachable SQL host is `reachable: false`; a query that
 * fails (the default Get-AppVDatabase body guesses where the version is kept) leaves the schema version unknown, and
 * the plan falls back to the servers' versions.
 */
export async function readAppVDatabase(session: Session, opts: AppVDatabaseReadOptions): Promise<AppVDatabaseFacts> {
  const label = `${opts.sqlServer}/${opts.database}`;
  try {
    await getHostFacts(session, { deadlineSeconds: opts.deadlineSeconds });
  } catch (e) {
    if (isHostKeyError(e)) throw e;
    return { label, reachable: false, error: reason(e) };
  }
  try {
    const r = await getAppVDatabase(
      session,
      { sqlServer: opts.sqlServer, database: opts.database, secrets: opts.secrets },
      { body: opts.body, deadlineSeconds: opts.deadlineSeconds },
    );
    return { label, reachable: true, schemaVersion: r.result.schemaVersion };
  } catch (e) {
    if (isHostKeyError(e)) throw e;
    return { label, reachable: true, error: reason(e) };
  }
}
