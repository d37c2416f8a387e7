/**
 * Reading an estate's live facts once per preview (issue 16). Every dynamic resource of a program shares one provider
 * process, so a cache at module scope is shared by every `check` of a run:
 * - planning sessions (check, read) remember the result of each read-only operation by host, operation, script and
 *   params, for `FACTS_TTL_MS`; a second read of the same fact, by the same or another resource, is not sent again
 *   (one that is still in flight is joined);
 * - a pod's readiness gate (`HorizonPod`'s `<pod>-readiness`) assesses every member at once before the first server's
 *   check, bounded per host by the transport's session limit, so the later checks of the pod, which the pod orders one
 *   after another, find their facts already read;
 * - an operation run by an upgrading session (create, update) drops every fact remembered, on every host, before it
 *   starts and after it ends (a change on one host can change what another reports, and the hosts' clocks have moved
 *   on), and upgrading sessions never read from the cache: `up` always re-reads before it acts. Facts are reused only
 *   while this run has changed nothing: all of a preview, and the stretches of an `up` between two operations.
 * Nothing here is printed or stored: keys are SHA-256 digests (params may carry secrets), values stay in memory.
 */
import { createHash } from "node:crypto";
import type { OperationRequest, RunOptions, RunResult, Session } from "../transport/session";
import { stable } from "./stable";

/** How long a fact read in planning is reused: long enough for one preview of an estate, short enough that the
 * clock a maintenance window is judged by in `check` is never older than this (`up` re-reads it anyway). */
export const FACTS_TTL_MS = 60_000;

/** The operations that only read; nothing else is ever remembered. */
export const READ_ONLY_OPERATIONS: ReadonlySet<string> = new Set([
  "Get-HostFacts",
  "Get-InstalledProduct",
  "Get-ServiceState",
  "Get-FileHash",
  "Get-SecurityServerList",
  "Get-AppVDatabase",
  "Get-IpsecRules",
  "Get-InstallerVersion",
  "Get-PairingPasswordState",
  "Get-HorizonPrerequisites",
  "Get-ReplicationHealth",
  "Get-ClientSessions",
  "Get-DatabaseSessions",
  "Get-WebApplicationPool",
  "Test-SqlLogin",
  // Planning reads a run record without waiting (waitSeconds 0); the install step's waits run in upgrading sessions.
  "Get-InstallerRun",
  // The run lease and owed hooks a plan shows (the pod's gate and the server's own check read them once).
  "Get-RunLease",
]);

interface Entry {
  readonly at: number;
  readonly result: Promise<RunResult<unknown>>;
}

/** Facts by host label, then by digest of the request. */
const cache = new Map<string, Map<string, Entry>>();
/** Operations sent to hosts by planning sessions, and those answered from the cache (for tests and the benchmark). */
const counters = { sent: 0, reused: 0 };
let now: () => number = () => Date.now();

function digest(request: OperationRequest): string {
  return createHash("sha256")
    .update(`${request.operation}\n${request.script}\n${stable(request.params)}`)
    .digest("hex");
}

/** Forgets everything, resets the counters (tests); `clock` replaces Date.now. */
export function resetFactsCache(clock?: () => number): void {
  cache.clear();
  counters.sent = 0;
  counters.reused = 0;
  now = clock ?? (() => Date.now());
}

/** Read operations sent by planning sessions since the last reset, and those answered from the cache. */
export function factsCacheCounters(): { sent: number; reused: number } {
  return { ...counters };
}

/** A planning session: read-only operations are answered from the cache when a fresh answer is there. */
export function cachingSession(inner: Session): Session {
  return {
    label: inner.label,
    run<T>(request: OperationRequest, options?: RunOptions): Promise<RunResult<T>> {
      if (!READ_ONLY_OPERATIONS.has(request.operation) || options?.onLine) return inner.run<T>(request, options);
      const host = cache.get(inner.label) ?? new Map<string, Entry>();
      cache.set(inner.label, host);
      const key = digest(request);
      const hit = host.get(key);
      if (hit && now() - hit.at < FACTS_TTL_MS) {
        counters.reused++;
        return hit.result as Promise<RunResult<T>>;
      }
      counters.sent++;
      const result = inner.run<T>(request, options);
      host.set(key, { at: now(), result });
      // A rejection is remembered too (the host was unreachable a moment ago); the caller still sees it.
      result.catch(() => undefined);
      return result;
    },
  };
}

/** An upgrading session: never reads from the cache, and drops every remembered fact before and after each operation. */
export function writingSession(inner: Session): Session {
  return {
    label: inner.label,
    async run<T>(request: OperationRequest, options?: RunOptions): Promise<RunResult<T>> {
      cache.clear();
      try {
        return await inner.run<T>(request, options);
      } finally {
        cache.clear();
      }
    },
  };
}
