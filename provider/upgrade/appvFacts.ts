/**
 * Reading the live facts an App-V plan is computed from: each server (account, clock, installed version, its role's
 * service, the setup's hash) and the configuration database's schema version. Read-only operations only: preview runs
 * these.
 */
import { getAppVDatabase, getHostFacts } from "../operations";
import type { Session } from "../transport/session";
import { compareAppVVersions, parseAppVVersion } from "../versions/appv";
import type { AppVDatabaseFacts, AppVHostFacts } from "./appvPlan";
import { type HostReadOptions, type VersionScheme, isHostKeyError, readHost, reasonOf } from "./hostFacts";

/** What to read on an App-V host. */
export type AppVReadOptions = HostReadOptions;

/** App-V's version scheme (4.1, 4.1 SP1, 4.5 SP2, builds such as 4.5.2.17140). */
export const APPV_VERSIONS: VersionScheme<NonNullable<ReturnType<typeof parseAppVVersion>>> = {
  parse: parseAppVVersion,
  compare: compareAppVVersions,
};

/** Reads an App-V host (see `readHost`). */
export function readAppVHost(session: Session, opts: AppVReadOptions): Promise<AppVHostFacts> {
  return readHost(session, opts, APPV_VERSIONS);
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
    return { label, reachable: false, error: reasonOf(e) };
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
    return { label, reachable: true, error: reasonOf(e) };
  }
}
