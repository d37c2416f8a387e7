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
    "backup-configuration": "nothing was upgraded; fix the export (vdmexport on the Connection Server) and run `pulumi up` again, or waive the backup with a stated reason",
    "set-pairing-password": "nothing was upgraded; check the pairing password policy on the Connection Server and run `pulumi up` again",
    "prepare-ipsec": "the security server may now be out of service (its IPsec rules removed); run `pulumi up` again soon to upgrade it",
    install: "read the installer log on the host; `pulumi up` again re-reads the installed version and the host's installer run record: it waits for an installer still running instead of starting a second one, and runs the installer again only if the version is still not the target",
    "wait-service": "the product is installed; start the service by hand or run `pulumi up` again, which resumes at this step",
    "verify-version": "the installer finished but the version is not the target; read the installer log, then run `pulumi up` again",
    "remove-duplicates": "the upgrade is done; remove the duplicate entry with vdmadmin -S -r -s, or run `pulumi up` again",
    "hook-after": "the server is upgraded; check the hook's output (load balancer, smoke test) and run `pulumi up` again to re-run it",
};

/**
 * Runs `steps` in order. `budgetMs` is the real time the whole plan may take (the per-server budget scaled to real
 * time); the budget is checked before each step and handed to each step so long operations can bound themselves.
 */
export async function runPlan(resource: string, steps: PlannedStep[], action: StepAction, opts: { budgetMs: number; log: Log; now?: () => number }): Promise<void> {
    const now = opts.now ?? Date.now;
    const started = now();
    const remainingMs = () => opts.budgetMs - (now() - started);
    for (const [i, step] of steps.entries()) {
        const label = `step ${i + 1}/${steps.length} ${step.name} on ${step.host}`;
        if (remainingMs() <= 0) {
            throw failure("time-budget-exceeded", resource, step,
                `[${resource}] ${label} not started: the time budget is used up. Next: nothing of this step ran; ` +
                "run `pulumi up` again (in the next maintenance window if this one is over), which resumes here.");
        }
        opts.log(`${label}: started`);
        const stepStarted = now();
        try {
            await action(step, remainingMs);
        } catch (err: any) {
            const elapsed = ((now() - stepStarted) / 1000).toFixed(1);
            opts.log(`${label}: failed after ${elapsed} s`);
            const f = failure("step-failed", resource, step, `[${resource}] ${label} failed: ${err?.message ?? String(err)}. Next: ${NEXT_MOVE[step.name] ?? "run `pulumi up` again"}.`);
            f.cause = err;
            throw f;
        }
        const ended = now();
        opts.log(`${label}: done in ${((ended - stepStarted) / 1000).toFixed(1)} s`);
        // Machine-readable timing for `npm run bench` (overhead per step = this minus the host's own time).
        if (process.env.VDI_UPGRADE_STEP_TIMINGS === "1") {
            opts.log(`${STEP_TIMING_MARKER} ${JSON.stringify({ step: step.name, host: step.host, startMs: stepStarted, endMs: ended })}`);
        }
    }
}

/** Marker of the timing line printed per step when `VDI_UPGRADE_STEP_TIMINGS=1`. */
export const STEP_TIMING_MARKER = "step-timing";
