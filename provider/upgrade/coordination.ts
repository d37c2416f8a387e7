/**
 * What a product provider passes to `runPlan` to coordinate with other runs (issue 19): the run lease on the server's
 * host (lease.ts), the availability guard over the other members of its group (guard.ts), and owed after-hooks
 * (owedHooks.ts). Built from the `guard` input, which the resource classes fill with the stack and project
 * (`pulumi.getStack()`, `pulumi.getProject()`) and `HorizonPod` with the other members of each availability group.
 */
import { z } from "zod";
import { type Lease, getMemberState, getRunLease } from "../operations/leaseOperations";
import { isHostKeyError } from "../transport/errors";
import type { Session } from "../transport/session";
import { guardGroup, type MemberReading } from "./guard";
import { RUN_ID, defaultLeaseMinutes, describeLease, isExpired, markOut, releaseLease, runIdentity, takeLease } from "./lease";
import { clearOwedHook, owedAfterHook, recordOwedHook, withOwedHook } from "./owedHooks";
import type { Plan } from "./steps";
import type { RunCoordination } from "./runner";

/** How long the guard waits for a member to come back when the program sets nothing, in host minutes. */
export const DEFAULT_GUARD_WAIT_MINUTES = 15;
/** How often it reads the group again while waiting, in host seconds. */
const GUARD_POLL_SECONDS = 15;

/** The `guard` input (validated with the resource's other inputs). */
export const guardInputSchema = z
  .object({
    stack: z.string().min(1).max(400).optional(),
    project: z.string().min(1).max(400).optional(),
    leaseMinutes: z.number().int().min(5, "must be at least 5 minutes").max(10_080, "must be at most a week (10080 minutes)").optional(),
    waitMinutes: z.number().min(0).max(1440, "must be at most 1440 minutes (a day)").optional(),
    /** The other members of this server's availability group. */
    group: z
      .array(z.object({ name: z.string().min(1).max(255), connection: z.unknown() }).strict())
      .max(100)
      .optional(),
    /** Members leased by this same run may be out at once (Horizon 2203+ parallel Connection Servers). */
    sameRunMayBeOut: z.boolean().optional(),
  })
  .strict();
export type GuardInputs = z.infer<typeof guardInputSchema>;

/** The connections of the group, for redaction (their passwords and keys must never be printed). */
export function groupConnections(guard: GuardInputs | undefined): unknown[] {
  return (guard?.group ?? []).map((m) => m.connection);
}

export interface CoordinationContext {
  resource: string;
  /** The server's host as messages name it. */
  host: string;
  session: Session;
  guard: GuardInputs | undefined;
  /** Display names (`-like` patterns) of the product's service on the group's members. */
  servicePatterns: string[];
  timeBudgetMinutes: number;
  /** Host seconds per real second (the lab's time factor; 1 on real hosts). */
  scale: number;
  log: (line: string) => void;
  /** Removes secrets from text recorded on the host (a hook's output). */
  redact(text: string): string;
  /** A session to a member (never a caching one: the guard must read live). */
  openMember(connection: unknown): Session;
}

/** The lease, guard and owed-hook calls of one server's run. */
export function coordinationFor(c: CoordinationContext): RunCoordination {
  const id = runIdentity(c.guard);
  const leaseMinutes = c.guard?.leaseMinutes ?? defaultLeaseMinutes(c.timeBudgetMinutes);
  const waitMinutes = c.guard?.waitMinutes ?? DEFAULT_GUARD_WAIT_MINUTES;
  let lease: Lease | undefined;
  return {
    async takeLease() {
      lease = await takeLease(c.session, c.host, id, leaseMinutes, c.log);
      c.log(`${c.host}: run lease taken (run ${id.runId}, stack ${id.stack}, project ${id.project}, expires ${lease.expires})`);
    },
    async guard(_step, remainingMs) {
      const members = c.guard?.group ?? [];
      if (members.length === 0 || !lease) return;
      const sessions = members.map((m) => ({ name: m.name, session: c.openMember(m.connection) }));
      const read = (): Promise<MemberReading[]> =>
        Promise.all(
          sessions.map(async ({ name, session }) => {
            try {
              return { name, state: (await getMemberState(session, { displayNameLike: c.servicePatterns })).result };
            } catch (e) {
              return { name, error: (e as Error).message };
            }
          }),
        );
      const own = lease;
      await guardGroup(
        c.host,
        own,
        {
          read,
          mark: (out) => markOut(c.session, id.runId, out),
          sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
          now: Date.now,
        },
        {
          waitMs: Math.max(0, Math.min((waitMinutes * 60_000) / c.scale, remainingMs())),
          pollMs: Math.max(10, (GUARD_POLL_SECONDS * 1000) / c.scale),
          log: (line) => c.log(`${c.host}: ${line}`),
          sameRunMayBeOut: c.guard?.sameRunMayBeOut,
          waitMinutesText: `${waitMinutes} minute(s) (host clock)`,
        },
      );
    },
    async hookAfterFailed(_step, err) {
      const message = err instanceof Error ? err.message : String(err);
      const exit = /exited with (-?\d+)/.exec(message);
      await recordOwedHook(
        c.session,
        c.resource,
        { failedAt: new Date().toISOString(), exitCode: exit ? Number(exit[1]) : 1, output: [c.redact(message).slice(-400)] },
        lease,
      );
    },
    async hookAfterDone() {
      await clearOwedHook(c.session, c.resource);
    },
    async release() {
      await releaseLease(c.session, id.runId);
    },
  };
}

export { RUN_ID };

/**
 * The plan with what the host records about other runs and owed hooks (`Get-RunLease`): an owed after-hook becomes the
 * step `hook-after` (owedHooks.ts), and a live lease of another run becomes a note, so preview shows both. A host whose
 * records cannot be read keeps the plan, with a note saying so (the lease step at `up` reads them again); a refused
 * host key is the program's to fix and is thrown, as every other read does.
 */
export async function withHostRecords(
  session: Session,
  plan: Plan,
  o: { resource: string; host: string; afterHookDeclared: boolean; deadlineSeconds?: number },
): Promise<Plan> {
  let records;
  try {
    records = (await getRunLease(session, { deadlineSeconds: o.deadlineSeconds })).result;
  } catch (e) {
    if (isHostKeyError(e)) throw e;
    const why = e instanceof Error ? e.message : String(e);
    return {
      ...plan,
      notes: [...(plan.notes ?? []), `${o.host}: the run lease and owed hooks could not be read (${why}); up reads them again`],
    };
  }
  let next = withOwedHook(plan, o.host, owedAfterHook(records.owedHooks, o.resource), o.afterHookDeclared);
  const l = records.lease;
  if (l && l.runId !== RUN_ID && !isExpired(l, records.utcNow)) {
    next = {
      ...next,
      notes: [...(next.notes ?? []), `${o.host} is leased by ${describeLease(l)}: up will refuse this server until that run is done`],
    };
  } else if (l && l.runId !== RUN_ID) {
    next = {
      ...next,
      notes: [...(next.notes ?? []), `${o.host} holds an expired lease of ${describeLease(l)}: up takes it over with a warning`],
    };
  }
  return next;
}

/** One member of a pod as the gate knows it, for the group's live state in preview. */
export interface GroupMember {
  group: string;
  name: string;
  connection: unknown;
  servicePattern: string;
}

/**
 * Each availability group's live state, as preview prints it (issue 19: "preview shows each group's live state"):
 * `Connection Servers: CS1 in service; CS2 "VMware Horizon View Connection Server" Stopped, leased by run ...`. Reads
 * every member live (`Get-MemberState`), never from remembered facts; a member that cannot be read says so.
 */
export async function describeGroups(
  members: readonly GroupMember[],
  openMember: (connection: unknown) => Session,
  deadlineSeconds?: number,
): Promise<string[]> {
  const states = await Promise.all(
    members.map(async (m) => {
      try {
        const s = (await getMemberState(openMember(m.connection), { displayNameLike: [m.servicePattern] }, { deadlineSeconds })).result;
        const lease =
          s.lease && !isExpired(s.lease, s.utcNow)
            ? `, leased by ${describeLease(s.lease)}${s.lease.out ? " (going out of service)" : ""}`
            : "";
        const svc = !s.service
          ? "no product service"
          : s.service.status === "Running"
            ? "in service"
            : `"${s.service.displayName}" ${s.service.status}`;
        return `${s.computerName} ${svc}${lease}`;
      } catch (e) {
        return `${m.name} unreadable (${(e as Error).message.split("\n")[0].slice(0, 120)})`;
      }
    }),
  );
  const groups = [...new Set(members.map((m) => m.group))];
  return groups.map(
    (g) =>
      `${g}: ${members
        .map((m, i) => (m.group === g ? states[i] : undefined))
        .filter(Boolean)
        .join("; ")}`,
  );
}
