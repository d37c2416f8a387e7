/**
 * The step engine: runs a plan's steps in order, one at a time, with a start and an end line per step (host and
 * elapsed time), inside the server's time budget, and stops at the first failure with an error that names the
 * resource, the host, the step and what to do. Shared by the Horizon and App-V providers.
 */
import { PlannedStep } from "./steps";

/** Where progress lines go; the providers print them, prefixed with the resource name, to the engine's diagnostics. */
export type Log = (line: string) => void;

/** A step implementation: does the step's work or throws. */
export type StepAction = (step: PlannedStep, remainingMs: () => number) => Promise<void>;

/** An error the step engine raises: carries the step so callers and tests can tell where an upgrade stopped. */
export interface StepFailure extends Error {
  code: "step-failed" | "time-budget-exceeded";
  resource: string;
  step: string;
  host: string;
  /** The error the step's action threw. */
  cause?: unknown;
}

/** The message of whatever was thrown. */
function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function failure(code: StepFailure["code"], resource: string, step: PlannedStep, message: string): StepFailure {
  const err = new Error(message) as StepFailure;
  err.code = code;
  err.resource = resource;
  err.step = step.name;
  err.host = step.host;
  return err;
}

/** What an administrator can do after a step failed; the next `up` resumes from live facts in every case. */
const NEXT_MOVE: Partial<Record<PlannedStep["name"], string>> = {
  preflight: "nothing was changed on the host; fix the cause and run `pulumi up` again",
  "hook-before": "nothing was upgraded; check the hook's output, fix it and run `pulumi up` again",
  "backup-configuration":
    "nothing was upgraded; fix the export (vdmexport on the Connection Server) and run `pulumi up` again, or waive the backup with a stated reason",
  "set-pairing-password": "nothing was upgraded; check the pairing password policy on the Connection Server and run `pulumi up` again",
  "prepare-ipsec": "the security server may now be out of service (its IPsec rules removed); run `pulumi up` again soon to upgrade it",
  install:
    "read the installer log on the host; `pulumi up` again re-reads the installed version and the host's installer run record: it waits for an installer still running instead of starting a second one, and runs the installer again only if the version is still not the target",
  "wait-service": "the product is installed; start the service by hand or run `pulumi up` again, which resumes at this step",
  "verify-version": "the installer finished but the version is not the target; read the installer log, then run `pulumi up` again",
  "remove-duplicates": "the upgrade is done; remove the duplicate entry with vdmadmin -S -r -s, or run `pulumi up` again",
  "hook-after":
    "the server is upgraded; check the hook's output (load balancer, smoke test) and run `pulumi up` again, which runs the hook again",
};

/**
 * What a product provider passes to `runPlan` so the step engine coordinates with other runs (issue 19): each is
 * optional and called by the engine at its place in the plan, whatever the product.
 */
export interface RunCoordination {
  /** Before the first step that changes the host (every step but `preflight`): take the run lease. Throws to refuse. */
  takeLease?(step: PlannedStep): Promise<void>;
  /** Immediately before the first step that takes the server out of service (`OUT_OF_SERVICE_STEPS`): the availability guard. */
  guard?(step: PlannedStep, remainingMs: () => number): Promise<void>;
  /** After the after-hook failed: record it owed (on the host, with the lease). */
  hookAfterFailed?(step: PlannedStep, err: unknown): Promise<void>;
  /** After the after-hook succeeded: clear its owed record. */
  hookAfterDone?(step: PlannedStep): Promise<void>;
  /** At the end of the server's work, success or failure, once `takeLease` ran: release the lease. */
  release?(): Promise<void>;
}

/**
 * Steps that take the server out of service: the before-hook (it drains the server from the load balancer), removing
 * a security server's IPsec rules (it cannot reach its Connection Server until upgraded), draining and stopping App-V
 * services, and the installer (it stops the product's service).
 */
export const OUT_OF_SERVICE_STEPS: ReadonlySet<PlannedStep["name"]> = new Set([
  "hook-before",
  "prepare-ipsec",
  "drain-sessions",
  "stop-services",
  "install",
]);

/**
 * Runs `steps` in order. `budgetMs` is the real time the whole plan may take (the per-server budget scaled to real
 * time); the budget is checked before each step and handed to each step so long operations can bound themselves.
 */
export async function runPlan(
  resource: string,
  steps: PlannedStep[],
  action: StepAction,
  opts: { budgetMs: number; log: Log; now?: () => number; coordination?: RunCoordination },
): Promise<void> {
  const now = opts.now ?? Date.now;
  const started = now();
  const remainingMs = () => opts.budgetMs - (now() - started);
  const co = opts.coordination ?? {};
  let leased = false;
  let guarded = false;
  try {
    for (const [i, step] of steps.entries()) {
      const label = `step ${i + 1}/${steps.length} ${step.name} on ${step.host}`;
      if (remainingMs() <= 0) {
        throw failure(
          "time-budget-exceeded",
          resource,
          step,
          `[${resource}] ${label} not started: the time budget is used up. Next: nothing of this step ran; ` +
            "run `pulumi up` again (in the next maintenance window if this one is over), which resumes here.",
        );
      }
      // The run lease before the first change, the guard right before the server leaves service.
      try {
        if (!leased && step.name !== "preflight" && co.takeLease) {
          await co.takeLease(step);
          leased = true;
        }
        if (!guarded && OUT_OF_SERVICE_STEPS.has(step.name) && co.guard) {
          await co.guard(step, remainingMs);
          guarded = true;
        }
      } catch (err) {
        const f = failure("step-failed", resource, step, `[${resource}] ${label} not started: ${messageOf(err)}.`);
        f.cause = err;
        throw f;
      }
      opts.log(`${label}: started`);
      const stepStarted = now();
      try {
        await action(step, remainingMs);
      } catch (err) {
        const elapsed = ((now() - stepStarted) / 1000).toFixed(1);
        opts.log(`${label}: failed after ${elapsed} s`);
        let owed = "";
        if (step.name === "hook-after" && co.hookAfterFailed) {
          try {
            await co.hookAfterFailed(step, err);
            owed = ` The hook is recorded as owed on ${step.host}: the next \`pulumi up\` runs it again, and the server is not done until it succeeds.`;
          } catch (e) {
            owed = ` Recording the owed hook on ${step.host} failed too (${messageOf(e)}).`;
          }
        }
        const f = failure(
          "step-failed",
          resource,
          step,
          `[${resource}] ${label} failed: ${messageOf(err)}. Next: ${NEXT_MOVE[step.name] ?? "run `pulumi up` again"}.${owed}`,
        );
        f.cause = err;
        throw f;
      }
      if (step.name === "hook-after" && co.hookAfterDone) await co.hookAfterDone(step);
      const ended = now();
      opts.log(`${label}: done in ${((ended - stepStarted) / 1000).toFixed(1)} s`);
      // Machine-readable timing for `npm run bench` (overhead per step = this minus the host's own time).
      if (process.env.VDI_UPGRADE_STEP_TIMINGS === "1") {
        opts.log(`${STEP_TIMING_MARKER} ${JSON.stringify({ step: step.name, host: step.host, startMs: stepStarted, endMs: ended })}`);
      }
    }
  } finally {
    if (leased && co.release) {
      try {
        await co.release();
      } catch (e) {
        // The lease then expires by itself; say so rather than mask the run's own outcome.
        opts.log(`the run lease could not be released (${messageOf(e)}); it expires by itself`);
      }
    }
  }
}

/** Marker of the timing line printed per step when `VDI_UPGRADE_STEP_TIMINGS=1`. */
export const STEP_TIMING_MARKER = "step-timing";
