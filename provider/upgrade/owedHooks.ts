/**
 * Owed after-hooks (issue 19): an after-hook that failed is recorded on the host, with the lease of the run whose hook
 * failed, and the next plan runs it again until it succeeds; the server is not done while a hook is owed (its plan is
 * not empty). The hook's text is never recorded (it may hold credentials of a load balancer): the next run uses the
 * hook the program declares.
 */
import { type Lease, type OwedHook, setOwedHook } from "../operations/leaseOperations";
import type { Session } from "../transport/session";
import type { Plan, PlannedStep } from "./steps";

/** The owed after-hook of `resource` among a host's records, if any. */
export function owedAfterHook(records: readonly OwedHook[], resource: string): OwedHook | undefined {
  return records.find((r) => r.resource === resource && r.phase === "after");
}

/** The words preview shows for an owed hook: "after-hook owed on CS2: it failed at ... (exit 1, run ... of stack s)". */
export function describeOwed(host: string, owed: OwedHook): string {
  const by = owed.lease ? `, run ${owed.lease.runId} of stack ${owed.lease.stack}, project ${owed.lease.project}` : "";
  return `after-hook owed on ${host}: it failed at ${owed.failedAt} (exit ${owed.exitCode}${by})`;
}

/**
 * The plan with the owed after-hook added: a plan that would otherwise be empty (the version is reached) gets the one
 * step `hook-after`; a plan that already ends with the hook keeps it. A blocked plan is left as it is (the hook runs
 * once the server's upgrade can go on). Without an after-hook declared any more, the record stays and a note says so.
 */
export function withOwedHook(plan: Plan, host: string, owed: OwedHook | undefined, afterHookDeclared: boolean): Plan {
  if (!owed || plan.blocked) return plan;
  const words = describeOwed(host, owed);
  if (!afterHookDeclared)
    return { ...plan, notes: [...(plan.notes ?? []), `${words}; no after hook is declared any more: run it by hand`] };
  if (plan.steps.some((s) => s.name === "hook-after")) {
    return { ...plan, notes: [...(plan.notes ?? []), words] };
  }
  const step: PlannedStep = { name: "hook-after", host, detail: `${words}; run the after-upgrade hook again` };
  return { ...plan, steps: [...plan.steps, step] };
}

/** Records a failed after-hook on the host, with the run's lease. */
export async function recordOwedHook(
  session: Session,
  resource: string,
  failure: { failedAt: string; exitCode: number; output: string[] },
  lease: Lease | undefined,
): Promise<void> {
  const l = lease
    ? { runId: lease.runId, stack: lease.stack, project: lease.project, host: lease.host, since: lease.since, expires: lease.expires }
    : undefined;
  await setOwedHook(session, { resource, phase: "after", ...failure, ...(l ? { lease: l } : {}) });
}

/** Clears the record once the hook succeeded. */
export async function clearOwedHook(session: Session, resource: string): Promise<void> {
  await setOwedHook(session, { resource, phase: "after", clear: true });
}
