/**
 * The run lease (issue 19, "a run lease on each host"): before the first step that changes a host, the run takes a
 * lease held on the host itself (leaseOperations.ts: a file created atomically), naming the run, its stack and
 * project, since when and until when. A live lease of another run refuses with who holds it; an expired one is taken
 * over with a warning; the lease is released at the end of the server's work, and a crashed run's lease expires.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { type Lease, newRunLease, setRunLease } from "../operations/leaseOperations";
import type { Session } from "../transport/session";

/**
 * This provider process's run id: one per `pulumi up` (the engine starts one provider process per run), so every
 * server of one run shares it and two runs never do.
 */
export const RUN_ID = `${machine()}-${process.pid}-${randomUUID().slice(0, 8)}`;

function machine(): string {
  return hostname()
    .split(".")[0]
    .replace(/[^A-Za-z0-9_.]/g, "_");
}

/**
 * Whether the run that holds a lease is known to be gone: its run id names this machine and a process id that no
 * longer exists (a provider process killed or crashed here; the next `up` from the same runner need not wait for the
 * lease to expire). Undefined when that cannot be known (another machine, a live process, a run id of another form).
 */
export function holderGone(runId: string, isAlive: (pid: number) => boolean = processAlive): string | undefined {
  const m = /^(.+)-(\d+)-[0-9a-f]{8}$/.exec(runId);
  if (!m || m[1] !== machine()) return undefined;
  const pid = Number(m[2]);
  if (pid === process.pid || isAlive(pid)) return undefined;
  return `its provider process (PID ${pid} on this machine) is gone`;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Who is running: the run id, and the stack and project the resource classes pass in (`pulumi.getStack()`, `getProject()`). */
export interface RunIdentity {
  runId: string;
  stack: string;
  project: string;
}

/**
 * The lease's lifetime when the program sets none: twice the server's time budget (a run cannot legitimately work on
 * one server longer than its budget), at least an hour. A crashed run's lease expires after it.
 */
export function defaultLeaseMinutes(timeBudgetMinutes: number): number {
  return Math.max(60, 2 * timeBudgetMinutes);
}

/** This run's identity; the project falls back to the provider process's `PULUMI_PROJECT` (set by the engine). */
export function runIdentity(given: { stack?: string; project?: string } | undefined): RunIdentity {
  return {
    runId: RUN_ID,
    stack: given?.stack || "unknown-stack",
    project: given?.project || process.env.PULUMI_PROJECT || "unknown-project",
  };
}

/** "run X (stack S, project P) since T, expires E". */
export function describeLease(l: Pick<Lease, "runId" | "stack" | "project" | "since" | "expires">): string {
  return `run ${l.runId} (stack ${l.stack}, project ${l.project}) since ${l.since}, expires ${l.expires}`;
}

/** Whether a lease has expired by the host's clock (`utcNow` read with it). */
export function isExpired(lease: Pick<Lease, "expires">, utcNow: string): boolean {
  const expires = Date.parse(lease.expires);
  const now = Date.parse(utcNow);
  return Number.isFinite(expires) && Number.isFinite(now) && expires <= now;
}

/** A lease of another run that refused this one; `code` is stable. */
export interface LeaseHeld extends Error {
  code: "lease-held";
  holder: Lease;
}

/**
 * Takes this run's lease on the host behind `session` (`host` names it in messages). Returns the lease; throws a
 * `LeaseHeld` naming the holder when another run's lease is live.
 */
export async function takeLease(
  session: Session,
  host: string,
  id: RunIdentity,
  minutes: number,
  warn: (line: string) => void,
  gone: (runId: string) => string | undefined = holderGone,
): Promise<Lease> {
  const params = { runId: id.runId, stack: id.stack, project: id.project, minutes };
  const first = (await newRunLease(session, params)).result;
  if (first.taken) return first.lease;
  let holder = first.lease;
  const expired = isExpired(holder, first.utcNow);
  const dead = expired ? undefined : gone(holder.runId);
  if (expired || dead) {
    // Compare-and-swap on the holder's run id: if a third run took it over meanwhile, this one does not win.
    const again = (await newRunLease(session, { ...params, takeOverRunId: holder.runId })).result;
    if (again.taken) {
      const why = expired
        ? `the expired lease on ${host} of ${describeLease(holder)} (host clock ${first.utcNow})`
        : `the lease on ${host} of ${describeLease(holder)}: ${dead}`;
      warn(`warning: took over ${why}; that run ended without releasing it`);
      return again.lease;
    }
    holder = again.lease;
  }
  const err = new Error(
    `${host} is leased by ${describeLease(holder)}: another run is working on this host. Nothing was changed on it; ` +
      "run `pulumi up` again once that run is done, or, if it crashed, once its lease expires",
  ) as LeaseHeld;
  err.code = "lease-held";
  err.holder = holder;
  throw err;
}

/** Marks this run's lease out of service (the guard passed) or back. */
export async function markOut(session: Session, runId: string, out: boolean): Promise<void> {
  await setRunLease(session, { runId, out });
}

/** Releases this run's lease; a lease another run took over meanwhile is left alone. */
export async function releaseLease(session: Session, runId: string): Promise<void> {
  await setRunLease(session, { runId, release: true });
}
