/**
 * Reading the live facts an App-V plan is computed from: each server (account, clock, installed version, its role's
 * service, the setup's hash) and the configuration database's schema version. Read-only operations only: preview runs
 * these.
 */
import { getAppVDatabase, getHostFacts, getWebApplicationPool } from "../operations";
import type { Session } from "../transport/session";
import { compareAppVVersions, parseAppVVersion } from "../versions/appv";
import type { AppVDatabaseFacts, AppVHostFacts } from "./appvPlan";
import { type HostReadOptions, type VersionScheme, isHostKeyError, readHost, reasonOf } from "./hostFacts";

/** What to read on an App-V host. */
export type AppVReadOptions = HostReadOptions & {
  /** For a Management Web Service: the physical path (`-like`) of its IIS application, whose pool is its service. */
  readonly webApplicationPath?: string;
};

/** App-V's version scheme (4.1, 4.1 SP1, 4.5 SP2, builds such as 4.5.2.17140). */
export const APPV_VERSIONS: VersionScheme<NonNullable<ReturnType<typeof parseAppVVersion>>> = {
  parse: parseAppVVersion,
  compare: compareAppVVersions,
};

/** Reads an App-V host (see `readHost`). */
export async function readAppVHost(session: Session, opts: AppVReadOptions): Promise<AppVHostFacts> {
  const facts: AppVHostFacts = await readHost(session, opts, APPV_VERSIONS);
  if (!facts.reachable || !opts.webApplicationPath) return facts;
  // The Management Web Service is an IIS application: its pool, found live by the application's folder, is what serves.
  try {
    const r = (await getWebApplicationPool(session, { physicalPathLike: opts.webApplicationPath }, { deadlineSeconds: opts.deadlineSeconds })).result;
    const app = r.applications[0];
    if (!app) return { ...facts, serviceStatus: "missing", serviceDisplayName: undefined };
    return {
      ...facts,
      appPool: app.applicationPool,
      serviceDisplayName: `IIS application pool '${app.applicationPool}'`,
      serviceStatus: r.iisRunning && app.poolState === "Started" ? "Running" : "Stopped",
    };
  } catch (e) {
    if (isHostKeyError(e)) throw e;
    return { ...facts, serviceStatus: "missing", serviceDisplayName: `IIS application pool (not readable: ${reasonOf(e).split("\n")[0]})` };
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
