/**
 * One SSH connection per host per process: a module-level pool keyed by target, jump host and credentials, reused
 * across operations, closed after an idle period (an unref'd timer, so the pool never keeps the process alive) and
 * dropped as soon as its connection errors or closes.
 *
 * A connection carries at most `maxSessions` operations at once (the host's sshd refuses channels beyond its
 * `MaxSessions`, 10 by default); further borrowers wait in the order they asked. A channel the host refuses anyway
 * gives its slot back and lowers the connection's limit to what it carries; the shared connection is never ended for
 * it, since that would cut every operation running on it (issue 11).
 */
import { createHash } from "node:crypto";
import { type DialOptions, type DialedConnection, dial } from "./connect";
import { type ResolvedConnection, describeConnection } from "./connectionArgs";

/** Default idle period before a pooled connection is closed. */
export const DEFAULT_IDLE_SECONDS = 60;

interface Waiter {
  readonly ticket: number;
  /** Not granted before this time (ms since epoch): the backoff after a refused channel. */
  readonly notBefore: number;
  /** `true`: a slot on this entry; `false`: the entry left the pool, start over; an error: its dial failed. */
  readonly wake: (granted: boolean | Error) => void;
}

interface PoolEntry {
  readonly key: string;
  readonly dialing: Promise<DialedConnection>;
  connection?: DialedConnection;
  /** Slots handed out (leases not yet returned). */
  active: number;
  /** Operations allowed at once: the smallest `maxSessions` asked for, lowered when the host refuses a channel. */
  limit: number;
  /** Borrowers waiting for a slot, by ticket. */
  readonly waiters: Waiter[];
  pumpTimer?: NodeJS.Timeout;
  idleMs: number;
  idleTimer?: NodeJS.Timeout;
  /** Left the pool (closed, failed, retired or idle); no new slots. */
  gone: boolean;
  /** The connection closed or errored. */
  closed: boolean;
  /** Told once when the connection closes: the one `close` listener per connection fans out to these. */
  readonly closeListeners: Set<() => void>;
}

const pool = new Map<string, PoolEntry>();
let nextTicket = 0;

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

/** A session slot on a pooled connection. Exactly one of `release`, `refused`, `retire`, `discard` gives it back. */
export interface Lease {
  readonly connection: DialedConnection;
  /** Place in the queue; pass it back to `acquire` to keep it after a refused channel. */
  readonly ticket: number;
  /** True once the connection closed or errored. */
  readonly closed: boolean;
  /** Calls `listener` when the connection closes (at once if it has); returns the unsubscribe function. */
  onClose(listener: () => void): () => void;
  /** Gives the slot back; the idle timer starts when nobody uses the connection. */
  release(): void;
  /**
   * The host refused a channel on this live connection: gives the slot back and lowers the connection's limit to the
   * slots still out (at least 1). The connection stays, with everything running on it.
   */
  refused(): void;
  /**
   * Takes the connection out of the pool (the next borrower dials a new one) without cutting the operations still
   * running on it; it is closed when the last of them gives its slot back. For a connection that stopped answering.
   */
  retire(): void;
  /** Closes the connection now and removes it from the pool: only for a connection that is already dead. */
  discard(): void;
}

/** Options of `acquire`. */
export interface AcquireOptions extends DialOptions {
  /** Seconds a pooled connection stays open unused. @default 60 */
  readonly idleSeconds?: number;
  /** Keep this place in the queue (a borrower coming back after a refused channel). */
  readonly ticket?: number;
  /** Do not take a slot before this many ms from now (the backoff after a refused channel). */
  readonly delayMs?: number;
}

function remove(entry: PoolEntry, dialError?: Error): void {
  entry.gone = true;
  if (entry.idleTimer) clearTimeout(entry.idleTimer);
  if (entry.pumpTimer) clearTimeout(entry.pumpTimer);
  entry.idleTimer = entry.pumpTimer = undefined;
  if (pool.get(entry.key) === entry) pool.delete(entry.key);
  // Whoever still waits shares the failed dial's error, or starts over on a new connection, in ticket order.
  for (const w of entry.waiters.splice(0)) w.wake(dialError ?? false);
}

/** Hands free slots to waiters in ticket order; a waiter still backing off holds up the ones behind it. */
function pump(entry: PoolEntry): void {
  if (entry.pumpTimer) {
    clearTimeout(entry.pumpTimer);
    entry.pumpTimer = undefined;
  }
  while (!entry.gone && entry.waiters.length > 0 && entry.active < entry.limit) {
    const head = entry.waiters[0];
    const wait = head.notBefore - Date.now();
    if (wait > 0) {
      entry.pumpTimer = setTimeout(() => pump(entry), wait);
      return;
    }
    entry.waiters.shift();
    entry.active++;
    head.wake(true);
  }
  if (!entry.gone && entry.active === 0 && entry.waiters.length === 0) startIdle(entry);
}

function startIdle(entry: PoolEntry): void {
  if (entry.idleTimer || !entry.connection) return;
  const connection = entry.connection;
  entry.idleTimer = setTimeout(() => {
    remove(entry);
    connection.end();
  }, entry.idleMs);
  entry.idleTimer.unref();
}

function entryFor(c: ResolvedConnection, options: AcquireOptions): PoolEntry {
  const key = poolKey(c);
  const existing = pool.get(key);
  if (existing && !existing.gone) {
    existing.limit = Math.min(existing.limit, c.maxSessions);
    return existing;
  }
  const created: PoolEntry = {
    key,
    dialing: dial(c, options),
    active: 0,
    limit: c.maxSessions,
    waiters: [],
    idleMs: (options.idleSeconds ?? DEFAULT_IDLE_SECONDS) * 1000,
    gone: false,
    closed: false,
    closeListeners: new Set(),
  };
  pool.set(key, created);
  created.dialing.then(
    (conn) => {
      created.connection = conn;
      const lost = () => {
        if (created.closed) return;
        created.closed = true;
        remove(created);
        for (const l of [...created.closeListeners]) l();
        created.closeListeners.clear();
      };
      // The pool's only listeners on the connection, whatever the number of operations on it.
      conn.client.once("close", lost);
      conn.client.on("error", lost);
      if (created.gone && created.active === 0) conn.end();
    },
    (err: Error) => remove(created, err),
  );
  return created;
}

/** Waits for a slot on the pooled connection for `c` (in ticket order), dialing it if there is none. */
async function slot(c: ResolvedConnection, options: AcquireOptions, ticket: number): Promise<PoolEntry> {
  const notBefore = Date.now() + (options.delayMs ?? 0);
  for (;;) {
    const entry = entryFor(c, options);
    if (entry.idleTimer) {
      clearTimeout(entry.idleTimer);
      entry.idleTimer = undefined;
    }
    const granted = await new Promise<boolean | Error>((wake) => {
      const at = entry.waiters.findIndex((w) => w.ticket > ticket);
      entry.waiters.splice(at < 0 ? entry.waiters.length : at, 0, { ticket, notBefore, wake });
      pump(entry);
    });
    if (granted instanceof Error) throw granted;
    if (granted) return entry;
  }
}

/**
 * Borrows a session slot on the pooled connection for `c`, dialing it if there is none (concurrent callers share one
 * dial). Borrowers beyond `c.maxSessions` wait; slots are handed out in the order `acquire` was called.
 */
export async function acquire(c: ResolvedConnection, options: AcquireOptions = {}): Promise<Lease> {
  const ticket = options.ticket ?? ++nextTicket;
  const e = await slot(c, options, ticket);
  let connection: DialedConnection;
  try {
    connection = await e.dialing;
  } catch (err) {
    e.active--;
    throw err;
  }
  let returned = false;
  const giveBack = (): boolean => {
    if (returned) return false;
    returned = true;
    e.active--;
    return true;
  };
  const endIfUnused = () => {
    if (e.active === 0) connection.end();
  };
  return {
    connection,
    ticket,
    get closed() {
      return e.closed;
    },
    onClose(listener) {
      if (e.closed) {
        listener();
        return () => undefined;
      }
      e.closeListeners.add(listener);
      return () => void e.closeListeners.delete(listener);
    },
    release() {
      if (!giveBack()) return;
      if (e.gone) endIfUnused();
      else pump(e);
    },
    refused() {
      if (!giveBack()) return;
      // The host holds fewer sessions than we thought: carry no more than what is running now.
      e.limit = Math.max(1, Math.min(e.limit, e.active));
      if (e.gone) endIfUnused();
      else pump(e);
    },
    retire() {
      if (!giveBack()) return;
      remove(e);
      endIfUnused();
    },
    discard() {
      if (!giveBack()) return;
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
