/**
 * The live availability guard (issue 19, "never two servers of a pod out at once, whoever else is at work"):
 * immediately before a step takes a server out of service, read every other member of its availability group (the
 * pod's Connection Servers; the pod's security servers) live, and go only when each is in service and no other run is
 * taking one out. Otherwise wait a bounded time, then refuse naming the member and its state.
 *
 * Two runs starting at the same moment on two members must not both go. Each run first marks its own lease "out"
 * (lease.ts), then reads the others: a run that reads after the other's mark sees it. When both see each other's mark,
 * the tie-break decides: the older lease wins (its `since`, then the run id, compared as text; both runs read the same
 * two values, so they agree). The loser clears its mark and waits; the winner waits until the loser's mark is gone (it
 * cannot know whether the loser read before its mark and went ahead). So a run goes only after a read that saw no other
 * mark and every member in service; no two runs can both do that, and neither waits for the other forever.
 */
import type { Lease, MemberState } from "../operations/leaseOperations";
import { describeLease, isExpired } from "./lease";

/** What the guard read on one other member of the group. */
export interface MemberReading {
  name: string;
  state?: MemberState;
  /** Why it could not be read. */
  error?: string;
}

/** The verdict on one reading of the group. */
export type GuardVerdict =
  | { go: true }
  | {
      go: false;
      /** The member that holds this run back, and why, in words. */
      member: string;
      reason: string;
      /** This run lost the tie-break: clear its own mark before waiting. */
      backOff: boolean;
      /** The other run's lease, when a lease is the reason. */
      holder?: Lease;
    };

/** The tie-break key: older lease first, then the run id. */
function key(l: Pick<Lease, "since" | "runId">): string {
  return `${new Date(Date.parse(l.since) || 0).toISOString()} ${l.runId}`;
}

/**
 * Judges one reading of the group for the run holding `own` (its lease on the server it is about to take out).
 * `sameRun` says whether members leased by this same run may be out too (Horizon 2203+ parallel Connection Servers).
 * Pure.
 */
export function judgeGroup(
  own: Pick<Lease, "runId" | "since">,
  readings: readonly MemberReading[],
  opts: { sameRunMayBeOut?: boolean } = {},
): GuardVerdict {
  for (const reading of readings) {
    // Named as the host names itself (its computer name), as every other message names hosts.
    const r = { ...reading, name: reading.state?.computerName || reading.name };
    if (!r.state)
      return {
        go: false,
        member: r.name,
        reason: `${r.name} could not be read (${r.error ?? "no answer"}), so it cannot be known to be in service`,
        backOff: false,
      };
    const lease = r.state.lease && !isExpired(r.state.lease, r.state.utcNow) ? r.state.lease : undefined;
    const sameRun = lease?.runId === own.runId;
    if (sameRun && opts.sameRunMayBeOut) continue;
    const svc = r.state.service;
    if (!svc)
      return { go: false, member: r.name, reason: `${r.name} has no service of the product (it cannot serve users)`, backOff: false };
    if (svc.status !== "Running") {
      const by = lease && !sameRun ? `; it is leased by ${describeLease(lease)}` : "";
      return {
        go: false,
        member: r.name,
        reason: `${r.name}: "${svc.displayName}" is ${svc.status}${by}`,
        backOff: false,
        holder: lease && !sameRun ? lease : undefined,
      };
    }
    if (lease && !sameRun && lease.out) {
      const wins = key(own) < key(lease);
      return {
        go: false,
        member: r.name,
        reason: `${r.name} is about to go out of service: it is leased by ${describeLease(lease)}, which passed or is passing its own availability guard`,
        backOff: !wins,
        holder: lease,
      };
    }
  }
  return { go: true };
}

/** How the guard reads and marks; injected so the loop is tested without hosts. */
export interface GuardIo {
  /** Reads every other member of the group (never throws: unreadable members come back with `error`). */
  read(): Promise<MemberReading[]>;
  /** Marks this run's own lease out of service (true) or clears the mark (false). */
  mark(out: boolean): Promise<void>;
  /** Sleeps this many real milliseconds. */
  sleep(ms: number): Promise<void>;
  now(): number;
}

/** A refusal of the guard; `code` is stable. */
export interface GuardRefusal extends Error {
  code: "availability-guard";
  member: string;
  holder?: Lease;
}

/**
 * Runs the guard for the server `host` (whose lease is `own`): returns when it may go out of service (its lease left
 * marked out until released), or throws a `GuardRefusal` after `waitMs` naming the member and its state.
 */
export async function guardGroup(
  host: string,
  own: Pick<Lease, "runId" | "since">,
  io: GuardIo,
  opts: { waitMs: number; pollMs: number; log: (line: string) => void; sameRunMayBeOut?: boolean; waitMinutesText: string },
): Promise<void> {
  const deadline = io.now() + opts.waitMs;
  let said = "";
  for (;;) {
    await io.mark(true);
    const verdict = judgeGroup(own, await io.read(), opts);
    if (verdict.go) {
      opts.log(`availability guard: every other member of ${host}'s group is in service and no other run is taking one out; going ahead`);
      return;
    }
    // Whatever held this run back, it does not keep its mark while it waits: another run may then go.
    await io.mark(false);
    if (io.now() >= deadline) {
      const err = new Error(
        `availability guard: ${host} was not taken out of service because ${verdict.reason}; waited ${opts.waitMinutesText} for it. ` +
          "Nothing was changed on the server; bring that member back into service (or let the other run finish), then run `pulumi up` again",
      ) as GuardRefusal;
      err.code = "availability-guard";
      err.member = verdict.member;
      err.holder = verdict.holder;
      throw err;
    }
    if (verdict.reason !== said) {
      opts.log(
        `availability guard: waiting (at most ${opts.waitMinutesText}): ${verdict.reason}${verdict.backOff ? " (the older lease goes first)" : ""}`,
      );
      said = verdict.reason;
    }
    await io.sleep(opts.pollMs);
  }
}
