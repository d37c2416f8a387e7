/**
 * Reading the live facts an App-V plan is computed from: each server (account, clock, installed version, its role's
 * service, the setup's hash) and the configuration database's schema version. Read-only operations only: preview runs
 * these.
 */
import { getAppVDatabase, getHostFacts, getWebApplicationPool } from "../operations";
import type { Session } from "../transport/session";
import { compareAppVVersions, parseAppVVersion } from "../versions/appv";
import type { AppVDatabaseFacts, AppVHostFacts } from "./appvPlan";
import { type HostReadOptions, type VersionScheme, isHostKeyError, readHost, reasonOf, settle } from "./hostFacts";

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

/**
 * Reads an App-V host (see `readHost`). A Management Web Service's application pool is asked for in the same round trip
 * as the host's own facts, and used only when the host was reachable, as when it was read after them.
 */
export async function readAppVHost(session: Session, opts: AppVReadOptions): Promise<AppVHostFacts> {
  const poolRead = opts.webApplicationPath
    ? settle(getWebApplicationPool(session, { physicalPathLike: opts.webApplicationPath }, { deadlineSeconds: opts.deadlineSeconds }))
    : undefined;
  const facts: AppVHostFacts = await readHost(session, opts, APPV_VERSIONS);
  const pool = await poolRead;
  if (!facts.reachable || !pool) return facts;
  // The Management Web Service is an IIS application: its pool, found live by the application's folder, is what serves.
  if (!pool.ok) {
    if (isHostKeyError(pool.error)) throw pool.error;
    return {
      ...facts,
      serviceStatus: "missing",
      serviceDisplayName: `IIS application pool (not readable: ${reasonOf(pool.error).split("\n")[0]})`,
    };
  }
  const r = pool.value.result;
  const app = r.applications[0];
  if (!app) return { ...facts, serviceStatus: "missing", serviceDisplayName: undefined };
  return {
    ...facts,
    appPool: app.applicationPool,
    serviceDisplayName: `IIS application pool '${app.applicationPool}'`,
    serviceStatus: r.iisRunning && app.poolState === "Started" ? "Running" : "Stopped",
  };
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
  // Both at once (see `readHost`); the schema is used only when the host answered, as when it was read after it.
  const [host, schema] = await Promise.all([
    settle(getHostFacts(session, { deadlineSeconds: opts.deadlineSeconds })),
    settle(
      getAppVDatabase(
        session,
        { sqlServer: opts.sqlServer, database: opts.database, secrets: opts.secrets },
        { body: opts.body, deadlineSeconds: opts.deadlineSeconds },
      ),
    ),
  ]);
  if (!host.ok) {
    if (isHostKeyError(host.error)) throw host.error;
    return { label, reachable: false, error: reasonOf(host.error) };
  }
  if (!schema.ok) {
    if (isHostKeyError(schema.error)) throw schema.error;
    return { label, reachable: true, error: reasonOf(schema.error) };
  }
  return { label, reachable: true, schemaVersion: schema.value.result.schemaVersion };
}
