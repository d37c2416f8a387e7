/**
 * A server's status for pipelines and reviewers: ready (up will run its steps), waiting (for a predecessor, an
 * expected state in preview), blocked (an operator must act; `code` is stable), or done. Pure.
 */

/** Where a server stands, as a pipeline can gate on it. */
export interface ServerStatus {
  readonly state: "ready" | "waiting" | "blocked" | "done";
  /** Stable kebab-case code of a blocked state (e.g. `installer-hash-mismatch`). */
  readonly code?: string;
  /** The reason in words; empty when ready or done. */
  readonly reason: string;
  /** What it waits for (e.g. "CS1 reaches 7.13.2"). */
  readonly waitingFor?: string;
}

/** One step of a plan as structured data. */
export interface PlanStep {
  /** The step's name, e.g. `install`. */
  readonly step: string;
  /** The host it runs on, as the plan names it (e.g. `CS1`). */
  readonly host: string;
  readonly detail: string;
}

const PLAN_LINE = /^\s*\d+\.\s+([a-z0-9-]+) on ([^:]+):\s*(.*)$/s;
const WAITING = /^after (.+?): /s;
const CODE = /^([a-z0-9]+(?:-[a-z0-9]+)+): /;
/** Codes of an expected wait for a predecessor in the same run (Horizon's security server, App-V's farm completion). */
const WAIT_CODES = new Set(["waiting-for-connection-server", "servers-behind"]);

/** Parses one line of the `plan` output ("2. install on CS1: run ..."); undefined for a line of another shape. */
export function parsePlanLine(line: string): PlanStep | undefined {
  const m = PLAN_LINE.exec(line);
  return m ? { step: m[1], host: m[2].trim(), detail: m[3] } : undefined;
}

/** The structured steps of a plan's lines; lines of another shape are left out. */
export function planSteps(lines: readonly string[]): PlanStep[] {
  return lines.map(parsePlanLine).filter((s): s is PlanStep => s !== undefined);
}

/**
 * The status of a server from its plan lines and its blocked reason. A reason "after X: ..." or a wait's code is an
 * expected wait (keeping its code); any other reason blocks, with its code when it starts with one (or `code` when the
 * caller knows it).
 */
export function statusOf(plan: readonly string[], blockedReason: string | undefined, code?: string): ServerStatus {
  if (blockedReason && blockedReason.length > 0) {
    const wait = WAITING.exec(blockedReason);
    if (wait || (code !== undefined && WAIT_CODES.has(code))) {
      return { state: "waiting", ...(code ? { code } : {}), reason: blockedReason, ...(wait ? { waitingFor: wait[1] } : {}) };
    }
    const prefixed = CODE.exec(blockedReason);
    return { state: "blocked", code: code ?? prefixed?.[1] ?? "blocked", reason: blockedReason };
  }
  return plan.length === 0 ? { state: "done", reason: "" } : { state: "ready", reason: "" };
}

function isStatus(v: unknown): v is ServerStatus {
  const s = v as ServerStatus | undefined;
  return !!s && typeof s === "object" && ["ready", "waiting", "blocked", "done"].includes(s.state) && typeof s.reason === "string";
}

/**
 * The status of a server resource from its preview inputs: its `status` output where the resource reports one,
 * otherwise derived from `plan` and `blockedReason`. A resource being deleted is done (delete never uninstalls).
 */
export function statusFromInputs(inputs: Record<string, unknown>, deleting = false): ServerStatus {
  if (deleting) return { state: "done", reason: "" };
  if (isStatus(inputs.status)) return inputs.status;
  const plan = Array.isArray(inputs.plan) ? inputs.plan.filter((l): l is string => typeof l === "string") : [];
  const reason = typeof inputs.blockedReason === "string" ? inputs.blockedReason : undefined;
  const code = typeof inputs.blockedCode === "string" ? inputs.blockedCode : undefined;
  return statusOf(plan, reason, code);
}

/**
 * `props` with `steps` (the plan as objects) and `status` added, derived from its `plan`, `blockedReason` and
 * `blockedCode`; props without a plan are returned as they are. The dynamic providers' shims apply it to what
 * check, read, create and update return, so both products report both the same way.
 */
export function withStatus<T>(props: T): T {
  if (!props || typeof props !== "object" || !Array.isArray((props as { plan?: unknown }).plan)) return props;
  const p = props as Record<string, unknown>;
  const plan = (p.plan as unknown[]).filter((l): l is string => typeof l === "string");
  const reason = typeof p.blockedReason === "string" ? p.blockedReason : undefined;
  const code = typeof p.blockedCode === "string" ? p.blockedCode : undefined;
  return { ...p, steps: planSteps(plan), status: statusOf(plan, reason, code) } as T;
}

/** What a provider method returned, with `withStatus` applied to each of its property bags. */
export async function decorate<R>(result: R | Promise<R>): Promise<R> {
  const r = (await result) as Record<string, unknown> | undefined;
  if (!r || typeof r !== "object") return r as R;
  const out: Record<string, unknown> = { ...r };
  for (const key of ["inputs", "outs", "props"]) if (key in out) out[key] = withStatus(out[key]);
  return out as R;
}
