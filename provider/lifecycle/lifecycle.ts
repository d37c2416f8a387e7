/**
 * The one lifecycle of every resource kind: check, diff, create, update, read and delete written once over a product's
 * spec (`KindSpec`: validate, observe live facts, judge, plan, step actions, outputs, id). Thin CRUD over pure planning:
 * - `check` validates the inputs, reads the hosts live (bounded, read-only) and returns the inputs with the live facts
 *   and the plan, so `pulumi preview` shows what `up` will do, or fails naming every reason an operator must act on;
 * - `diff` reports a change when the plan is not empty, the server is blocked, the desired state changed or the
 *   recorded live facts drifted; never a replacement;
 * - `create` adopts the installation and `update` upgrades it: both re-read the hosts, re-plan and run the plan
 *   (`converge`, one step at a time through `runStep`);
 * - `read` reads the hosts back (refresh shows drift); `remove` only stops managing (never uninstalls).
 */
import { scriptInputFailures } from "../powershell/scriptCheck";
import type { ScriptInput } from "../powershell/scriptCheck";
import { connectionFieldOf } from "../transport/errors";
import { redactText } from "../transport/redact";
import type { ConnectionArgs } from "../transport/connectionArgs";
import { sessionFactory } from "../transport/sessions";
import { type CoordinationContext, coordinationFor } from "../upgrade/coordination";
import { runPlan } from "../upgrade/runner";
import type { Plan, PlannedStep } from "../upgrade/steps";
import { type Props, type ResourceDescriptor, desiredState, inputsFromOutputs, secretValuesOf } from "./descriptor";
import { type CheckFailure, type Validated, isUnknown, safeFailures } from "./inputSupport";
import { clean, planLines, say, stable } from "./support";

/** Seconds each read may take while planning in `check` (preview must not hang on a dead host). */
export const CHECK_READ_DEADLINE_SECONDS = 30;

/** What every observation carries: the plan computed from the live facts. */
export interface Observation {
  plan: Plan;
}

/** What a spec's judgement of an observation says at `check`. */
export interface Judgement {
  /** Why `pulumi preview` must fail (bad program, closed window, a state an operator must act on). */
  failures: CheckFailure[];
  /** Lines printed with the plan (e.g. how the farm's window fits). */
  planNotes?: string[];
  /** Lines printed after the plan (e.g. an overrun ahead). */
  notes?: string[];
}

/** Where a run stands while its steps run: what the steps verified. */
export interface StepContext<I, C, O, V = unknown> {
  inputs: I;
  validated: Validated<I, V>;
  ctx: C;
  observed: O;
  secrets: readonly string[];
}

/**
 * A kind of resource as the lifecycle drives it. `I` is the validated, parsed inputs, `C` the sessions to its hosts,
 * `O` what `observe` read and planned, `S` what the steps verified while they ran.
 */
export interface KindSpec<
  I extends { resourceName: string; timeBudgetMinutes?: number; timeScale?: number },
  C,
  O extends Observation,
  S,
  V = unknown,
> {
  readonly descriptor: ResourceDescriptor;
  /** Every output key of the product (a stored state may carry any of them back): `diff` ignores them. */
  readonly computedKeys: readonly string[];
  /** The per-server time budget when the program does not set `timeBudgetMinutes`. */
  readonly defaultBudgetMinutes: number;
  /** Script overrides parsed before anything touches a host (issue 15). */
  readonly scriptInputs?: readonly ScriptInput[];
  /** Parses the inputs once: typed values (versions normalised, the window parsed) or every failure. */
  validate(news: Props, purpose: "check" | "converge" | "read"): Validated<I, V>;
  /** Why the plan cannot be computed yet (a connection not known in preview): what to say and the plan line. */
  pending(inputs: I): { say: string; plan: string } | undefined;
  /** The sessions to the hosts, from the transport's factory (planning sessions for check and read). */
  connect(inputs: I, planning: boolean): C;
  /** Reads the live facts and plans. Read-only. */
  observe(ctx: C, validated: Validated<I, V>, deadlineSeconds?: number): Promise<O>;
  /** The input holding the connection an error is about (a security server also reads its Connection Server's). */
  connectionProperty?(inputs: I, error: unknown): string;
  /** `check`'s verdict on what was observed. */
  judge(validated: Validated<I, V>, observed: O, secrets: readonly string[]): Judgement;
  /** Prints the plan, prefixed with the resource name. */
  printPlan(inputs: I, observed: O, secrets: readonly string[], notes: readonly string[]): void;
  /** What `check` and `read` add to the inputs: the live facts and the plan. */
  planOutputs(observed: O): Props;
  /** Throws when `up` must not run the plan (bad program, blocked, closed window); returns lines to print with it. */
  refuse(run: StepContext<I, C, O, V>): Promise<string[]>;
  /** What the steps start from. */
  initialState(run: StepContext<I, C, O, V>): S;
  /** Runs one step of the plan. */
  runStep(run: StepContext<I, C, O, V>, step: PlannedStep, remainingMs: () => number, state: S): Promise<void>;
  /** The error `up` reports after a failed step (e.g. with the farm's state and how to go back). */
  failure?(run: StepContext<I, C, O, V>, error: unknown, state: S): Promise<Error>;
  /** The resource's id and outputs after a successful run. */
  outputs(run: StepContext<I, C, O, V>, state: S, news: Props, olds?: Props): Promise<{ id: string; outs: Props }>;
  /** Whether `read` found the hosts; otherwise what to say while keeping the last known state. */
  unreachable(observed: O): string | undefined;
  /** The outputs `read` returns from the stored ones and what it read. */
  refreshed(ctx: C, props: Props, observed: O): Promise<Props>;
  /** Recorded live facts that drifted from the desired state (`diff` reports a change). */
  drift?(olds: Props, news: Props): string[];
  /**
   * What this server's run coordinates on with other runs (docs/concurrent-runs.md): its host and session (the run
   * lease and owed after-hooks live there), its availability group and the product's service on the group's members.
   */
  coordination?(run: StepContext<I, C, O, V>): Coordinated | undefined;
}

/** A server's part in the run lease, the availability guard and owed after-hooks (upgrade/coordination.ts). */
export type Coordinated = Pick<CoordinationContext, "host" | "session" | "guard" | "servicePatterns">;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyKindSpec = KindSpec<any, any, any, any, any>;

/** The values never to print for these inputs (the descriptor says where they sit). */
export function secretsOf(spec: AnyKindSpec, inputs: unknown): string[] {
  return secretValuesOf(spec.descriptor, inputs);
}

/**
 * Validates and plans from live facts. Failures are returned for bad input, for what the hosts say is wrong with the
 * program (a downgrade, a closed window) and for every state an operator must act on, so a preview that passes
 * against a real estate is the readiness check. `quiet` leaves the plan unprinted (a pod's readiness gate).
 */
export async function assess(
  spec: AnyKindSpec,
  news: Props,
  quiet = false,
  purpose: "check" | "read" = "check",
): Promise<{ inputs?: Props; failures?: CheckFailure[] }> {
  const validated = spec.validate(news, purpose);
  const scripts = spec.scriptInputs ? await scriptInputFailures(news, spec.scriptInputs, isUnknown, secretsOf(spec, news)) : [];
  if (!validated.inputs || scripts.length > 0) return { failures: [...validated.failures, ...scripts] };
  const inputs = validated.inputs;
  const secrets = secretsOf(spec, inputs);
  const pending = spec.pending(inputs);
  if (pending) {
    if (!quiet) say(inputs.resourceName, pending.say);
    return { inputs: clean({ ...inputs, plan: [pending.plan] }) };
  }
  let observed: Observation;
  try {
    observed = await observe(spec, spec.connect(inputs, true), validated, CHECK_READ_DEADLINE_SECONDS);
  } catch (e) {
    // A refused host key is the program's to fix: a failure naming the connection's field, not "unreachable".
    const field = connectionFieldOf(e);
    if (!field) throw e;
    const property = `${spec.connectionProperty?.(inputs, e) ?? "connection"}.${field}`;
    return { failures: [{ property, reason: `[${property}] ${redactText((e as Error).message, secrets)}` }] };
  }
  const verdict = spec.judge(validated, observed, secrets);
  if (verdict.failures.length > 0) return { failures: verdict.failures };
  if (!quiet) {
    spec.printPlan(inputs, observed, secrets, verdict.planNotes ?? []);
    for (const note of verdict.notes ?? []) say(inputs.resourceName, note, secrets);
  }
  return { inputs: clean({ ...inputs, ...spec.planOutputs(observed) }) };
}

/** Reads the live facts and plans (read-only): the spec's `observe`. */
export async function observe<C, O extends Observation>(
  spec: AnyKindSpec,
  ctx: C,
  validated: Validated<unknown>,
  deadlineSeconds?: number,
): Promise<O> {
  return spec.observe(ctx, validated, deadlineSeconds);
}

/** `check`: validate, then plan from live facts where the connections are known (`assess`). */
export async function check(spec: AnyKindSpec, _olds: unknown, news: Props): Promise<{ inputs?: unknown; failures?: CheckFailure[] }> {
  const r = await assess(spec, news);
  // Whatever step found it, a failure is never attached to a property whose printed value would hold a secret.
  return r.failures ? { ...r, failures: safeFailures(r.failures, news) } : r;
}

/**
 * `diff`: a change when the plan has steps or is blocked, the desired state changed, or the recorded live facts
 * drifted from it. Never a replacement. Refresh computes its diff here too, with the outputs it just read as `olds` and
 * the stored inputs as `news` (whose plan is the old one): only the drift check sees what refresh found.
 */
export async function diff(spec: AnyKindSpec, _id: string, olds: Props, news: Props): Promise<{ changes: boolean }> {
  // A plan made before the recorded facts were read (refresh passes the stored inputs of the last `up`) is stale.
  const stale =
    typeof news.plannedAt === "string" && typeof olds.readAt === "string" && Date.parse(news.plannedAt) < Date.parse(olds.readAt);
  const planned = !stale && Array.isArray(news.plan) && news.plan.length > 0;
  const blocked = !stale && typeof news.blockedReason === "string" && news.blockedReason.length > 0;
  const drifted = (spec.drift?.(olds, news) ?? []).length > 0;
  const desired = (p: Props) => stable(desiredState(spec.descriptor, p, spec.computedKeys));
  return { changes: planned || blocked || drifted || desired(olds) !== desired(news) };
}

/** Runs the upgrade: re-read, re-plan, refuse if blocked, run the steps, verify. Shared by create and update. */
export async function converge(spec: AnyKindSpec, news: Props, olds?: Props): Promise<{ id: string; outs: Props }> {
  const validated = spec.validate(news, "converge");
  if (!validated.inputs) throw new Error(validated.failures.map((f) => f.reason).join("\n"));
  const inputs = validated.inputs;
  const resource: string = inputs.resourceName;
  const secrets = secretsOf(spec, inputs);
  const ctx = spec.connect(inputs, false);
  const observed = await observe<unknown, Observation>(spec, ctx, validated);
  const run: StepContext<Props, unknown, Observation> = { inputs, validated, ctx, observed, secrets };
  const notes = await spec.refuse(run);
  // `check` printed the plan at registration; print it again only if the hosts changed since.
  if (stable(planLines(observed.plan)) !== stable(news.plan)) spec.printPlan(inputs, observed, secrets, notes);
  const budgetMinutes = inputs.timeBudgetMinutes ?? spec.defaultBudgetMinutes;
  const scale = inputs.timeScale ?? 1;
  // What the steps verified (service, version, backup) as they run; the outputs report it.
  const state = spec.initialState(run);
  try {
    const log = (line: string) => say(resource, line, secrets);
    const coordinated = spec.coordination?.(run);
    await runPlan(resource, observed.plan.steps, (step, remainingMs) => runStep(spec, run, step, remainingMs, state), {
      budgetMs: (budgetMinutes * 60_000) / scale,
      log,
      // The run lease before the first change, the availability guard before the server leaves service, an after-hook
      // that failed recorded as owed. The guard reads the group's members live, never through a planning cache.
      coordination:
        coordinated &&
        coordinationFor({
          resource,
          ...coordinated,
          timeBudgetMinutes: budgetMinutes,
          scale,
          log,
          redact: (text) => redactText(text, secrets),
          openMember: (connection) => sessionFactory().open(connection as ConnectionArgs, "changing"),
        }),
    });
  } catch (e) {
    throw spec.failure ? await spec.failure(run, e, state) : e;
  }
  const { id, outs } = await spec.outputs(run, state, news, olds);
  // Write-only inputs (a pairing password, the guard's group connections) are never stored as outputs.
  const stored = Object.fromEntries(Object.entries(outs).filter(([k]) => !spec.descriptor.writeOnlyInputs.includes(k)));
  return { id, outs: clean(stored) };
}

/** Runs one step of the plan: the spec's step action. */
export async function runStep<S>(
  spec: AnyKindSpec,
  run: StepContext<Props, unknown, Observation>,
  step: PlannedStep,
  remainingMs: () => number,
  state: S,
): Promise<void> {
  return spec.runStep(run, step, remainingMs, state);
}

/** `create`: adopt the existing installation and bring it to the target. */
export async function create(spec: AnyKindSpec, inputs: Props): Promise<{ id: string; outs: Props }> {
  return converge(spec, inputs);
}

/** `update`: run the procedure again from live facts (a changed target, a resumed failure, drift). */
export async function update(spec: AnyKindSpec, _id: string, olds: Props, news: Props): Promise<{ outs: Props }> {
  return { outs: (await converge(spec, news, olds)).outs };
}

/**
 * `read` (refresh): the live facts; the inputs come back with a fresh plan. Write-only inputs are not in the stored
 * outputs and validation for reading does not ask for them.
 */
export async function read(spec: AnyKindSpec, id: string, props: Props): Promise<{ id: string; props: Props; inputs?: Props }> {
  const validated = spec.validate(props, "read");
  if (!validated.inputs) {
    say(
      props.resourceName ?? id,
      ["refresh cannot read the host: the stored state is not valid input:", ...validated.failures.map((f) => `  ${f.reason}`)],
      secretsOf(spec, props),
    );
    return { id, props };
  }
  const ctx = spec.connect(validated.inputs, true);
  const observed = await observe<unknown, Observation>(spec, ctx, validated);
  const unreachable = spec.unreachable(observed);
  if (unreachable) {
    say(props.resourceName ?? id, unreachable);
    return { id, props };
  }
  const refreshed = await spec.refreshed(ctx, props, observed);
  const inputs = { ...inputsFromOutputs(spec.descriptor, props), ...spec.planOutputs(observed) };
  return { id, props: clean(refreshed), inputs: clean(inputs) };
}

/** `delete`: stop managing. Nothing is uninstalled, no service is touched. */
export async function remove(_spec: AnyKindSpec, id: string, props: Props): Promise<void> {
  say(props.resourceName ?? id, "no longer managed by this stack; nothing was uninstalled");
}
