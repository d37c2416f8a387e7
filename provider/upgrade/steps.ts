/**
 * The steps an upgrade is made of, shared by the Horizon and App-V procedures. A plan is the ordered list of steps
 * still to do for one server, computed from live facts; preview shows it and up runs exactly it.
 */

/** Names of the steps, stable: they appear in preview, in progress lines and in errors. */
export type StepName =
  | "preflight"
  | "hook-before"
  | "backup-configuration"
  | "set-pairing-password"
  | "prepare-ipsec"
  | "drain-sessions"
  | "stop-services"
  | "backup-database"
  | "verify-backup"
  | "install"
  | "wait-service"
  | "start-service"
  | "verify-version"
  | "remove-duplicates"
  | "hook-after";

/** One step of a plan: its name and what it will do on which host, in words an administrator reads in preview. */
export interface PlannedStep {
  name: StepName;
  /** The host the step acts on (a security server's pairing steps act on its Connection Server). */
  host: string;
  detail: string;
}

/** Why a server cannot be upgraded now, with a stable code. */
export interface Blocked {
  code: string;
  reason: string;
}

/** The plan for one server. */
export interface Plan {
  /** Steps still to do, in order; empty when the server already runs the target. */
  steps: PlannedStep[];
  /** Set when up would refuse to run the steps now (or, with `after`, until something else is done first). */
  blocked?: Blocked;
  /** A condition that another resource of the same run satisfies first, e.g. "cs1 reaches 7.13.2". */
  after?: string;
  /** Things preview reports that block nothing (e.g. a duplicate entry left alone because it is ambiguous). */
  notes?: string[];
}

/** The plan's steps as the lines preview and the `plan` output show: `2. install on CS1: run ...`. */
export function planLines(plan: Plan): string[] {
  return plan.steps.map((s, i) => `${i + 1}. ${s.name} on ${s.host}: ${s.detail}`);
}

/**
 * Why the plan cannot run now, as one line (the `blockedReason` output): `after X: reason` when it waits for another
 * resource of the same run, else `code: reason`; undefined when it can run.
 */
export function blockedText(plan: Plan): string | undefined {
  if (!plan.blocked) return undefined;
  return plan.after ? `after ${plan.after}: ${plan.blocked.reason}` : `${plan.blocked.code}: ${plan.blocked.reason}`;
}
