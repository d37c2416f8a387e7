/**
 * The audit log of every operation a host ran, the lab-wide timeline of service state changes, and the outage
 * arithmetic tests use ("never more than one security server out of service at a time").
 */

/** How an operation ended, as the host saw it. */
export type AuditOutcome = "running" | "ok" | "error" | "not-run";

/** One operation on one host. Secrets are already replaced by `***`. */
export interface AuditEntry {
  /** Lab-wide sequence number, in start order. */
  readonly seq: number;
  readonly host: string;
  readonly operation: string;
  /** Account that ran it. */
  readonly user: string;
  /** Simulated start time (ISO 8601). */
  readonly simTime: string;
  /** Real start time (ISO 8601). */
  readonly realTime: string;
  /** Params with every `params.secrets` value replaced by `***` and scrubbed everywhere else. */
  readonly params: unknown;
  outcome: AuditOutcome;
  /** Simulated end time. */
  simEndTime?: string;
  /** Real end time (ISO 8601). */
  realEndTime?: string;
  result?: unknown;
  error?: string;
  /** Connection fault that hit this call ("drop-before", "drop-during", "drop-after", "hang"). */
  fault?: string;
}

/** Redaction mark. */
export const REDACTED = "***";

/** Secret values carried in `params.secrets` (non-empty strings). */
export function collectSecrets(params: unknown): string[] {
  const secrets = (params as { secrets?: unknown } | null)?.secrets;
  if (typeof secrets !== "object" || secrets === null) return [];
  return Object.values(secrets).filter((v): v is string => typeof v === "string" && v.length > 0);
}

/**
 * Returns a deep copy of `value` with every value under a top-level `secrets` object replaced by `***` and every
 * occurrence of a secret inside any other string replaced too (longest secrets first).
 */
export function redact<T>(value: T, secrets: readonly string[]): T {
  const sorted = [...secrets].sort((a, b) => b.length - a.length);
  const scrub = (s: string): string => sorted.reduce((acc, secret) => acc.split(secret).join(REDACTED), s);
  const walk = (v: unknown, underSecrets: boolean): unknown => {
    if (typeof v === "string") return underSecrets ? REDACTED : scrub(v);
    if (Array.isArray(v)) return v.map((x) => walk(x, underSecrets));
    if (typeof v === "object" && v !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x, underSecrets || k === "secrets");
      return out;
    }
    return v;
  };
  return walk(value, false) as T;
}

/** A service (or IPsec) state change on a host. */
export interface TimelineEvent {
  readonly host: string;
  /** Service display name, or "IPsec" for a security server's IPsec rules. */
  readonly service: string;
  /** "Running" | "Stopped" | "Absent" for services; "active" | "prepared" | "none" for IPsec. */
  readonly from: string;
  readonly to: string;
  /** Simulated time, ms since 1970. */
  readonly atMs: number;
  /** Simulated time, ISO 8601. */
  readonly at: string;
  /** True for the service that says whether the host serves users. */
  readonly primary: boolean;
}

/**
 * Largest number of `hosts` out of service at the same simulated instant. A host is out of service while none of
 * its primary services is Running, or while its IPsec rules are "prepared" (the security server cannot talk to its
 * Connection Server until it is upgraded). States before the first event come from that event's `from`; a host
 * with no events is assumed in service.
 */
export function maxOutOfService(events: readonly TimelineEvent[], hosts: readonly string[]): number {
  const wanted = new Set(hosts);
  const relevant = events.filter((e) => wanted.has(e.host) && (e.primary || e.service === "IPsec"));
  const state = new Map<string, Map<string, string>>();
  for (const e of relevant) {
    const m = state.get(e.host) ?? new Map<string, string>();
    if (!m.has(e.service)) m.set(e.service, e.from);
    state.set(e.host, m);
  }
  const isOut = (m: Map<string, string>): boolean => {
    let anyPrimary = false;
    let anyRunning = false;
    for (const [svc, st] of m) {
      if (svc === "IPsec") {
        if (st === "prepared") return true;
      } else {
        anyPrimary = true;
        if (st === "Running") anyRunning = true;
      }
    }
    return anyPrimary && !anyRunning;
  };
  const count = (): number => [...state.values()].filter(isOut).length;
  let max = count();
  const sorted = [...relevant].sort((a, b) => a.atMs - b.atMs);
  for (let i = 0; i < sorted.length; i++) {
    const e = sorted[i];
    state.get(e.host)!.set(e.service, e.to);
    // Events at the same instant are one change: count after all of them.
    if (i + 1 < sorted.length && sorted[i + 1].atMs === e.atMs) continue;
    max = Math.max(max, count());
  }
  return max;
}
