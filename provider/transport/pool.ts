/**
 * One SSH connection per host per process: a module-level pool keyed by target, jump host and credentials, reused
 * across operations, closed after an idle period (an unref'd timer, so the pool never keeps the process alive) and
 * dropped as soon as its connection errors or closes.
 */
import { createHash } from "node:crypto";
import { type DialOptions, type DialedConnection, dial } from "./connect";
import { type ResolvedConnection, describeConnection } from "./connectionArgs";

/** Default idle period before a pooled connection is closed. */
export const DEFAULT_IDLE_SECONDS = 60;

interface PoolEntry {
  readonly key: string;
  readonly dialing: Promise<DialedConnection>;
  connection?: DialedConnection;
  users: number;
  idleMs: number;
  idleTimer?: NodeJS.Timeout;
  gone: boolean;
}

const pool = new Map<string, PoolEntry>();

/**
 * The pool key: who connects where through what. Credentials and the host-key pin are part of it (as a digest), so
 * a caller never rides on a connection that another caller's credentials opened.
 */
export function poolKey(c: ResolvedConnection): string {
  const digest = createHash("sha256");
  for (const x of [c, c.proxy]) {
    if (!x) continue;
    digest.update(
      JSON.stringify([
        x.password ?? null,
        x.privateKey ?? null,
        x.privateKeyPassword ?? null,
        x.agentSocketPath ?? null,
        x.hostKey?.fingerprint ?? null,
        x.insecureSkipHostKeyCheck,
      ]),
    );
  }
  return `${describeConnection(c)}#${digest.digest("hex").slice(0, 16)}`;
}

/** A connection borrowed from the pool. */
export interface Lease {
  readonly connection: DialedConnection;
  /** Gives it back; the idle timer starts when nobody uses it. */
  release(): void;
  /** Closes it and removes it from the pool (after an error that leaves its state unknown). */
  discard(): void;
}

function remove(entry: PoolEntry): void {
  entry.gone = true;
  if (entry.idleTimer) clearTimeout(entry.idleTimer);
  if (pool.get(entry.key) === entry) pool.delete(entry.key);
}

/** Borrows the pooled connection for `c`, dialing it if there is none (concurrent callers share one dial). */
export async function acquire(
  c: ResolvedConnection,
  options: DialOptions & { readonly idleSeconds?: number } = {},
): Promise<Lease> {
  const key = poolKey(c);
  let entry = pool.get(key);
  if (!entry || entry.gone) {
    const created: PoolEntry = {
      key,
      dialing: dial(c, options),
      users: 0,
      idleMs: (options.idleSeconds ?? DEFAULT_IDLE_SECONDS) * 1000,
      gone: false,
    };
    pool.set(key, created);
    created.dialing.then(
      (conn) => {
        created.connection = conn;
        const drop = () => remove(created);
        conn.client.once("close", drop);
        conn.client.on("error", drop);
        if (created.gone) conn.end();
      },
      () => remove(created),
    );
    entry = created;
  }
  const e = entry;
  e.users++;
  if (e.idleTimer) {
    clearTimeout(e.idleTimer);
    e.idleTimer = undefined;
  }
  let connection: DialedConnection;
  try {
    connection = await e.dialing;
  } catch (err) {
    e.users--;
    throw err;
  }
  let returned = false;
  return {
    connection,
    release() {
      if (returned) return;
      returned = true;
      e.users--;
      if (e.users > 0 || e.gone) return;
      e.idleTimer = setTimeout(() => {
        remove(e);
        connection.end();
      }, e.idleMs);
      e.idleTimer.unref();
    },
    discard() {
      if (returned) return;
      returned = true;
      e.users--;
      remove(e);
      connection.end();
    },
  };
}

/** Closes every pooled connection (end of a run, tests). */
export function closeAllConnections(): void {
  for (const entry of [...pool.values()]) {
    remove(entry);
    entry.connection?.end();
  }
}

/** How many connections the pool holds (tests, diagnostics). */
export function pooledConnectionCount(): number {
  return pool.size;
}
