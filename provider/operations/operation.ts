/**
 * The shape of a named remote operation (docs/wire-protocol.md §3, §5): its name, its PowerShell body, a zod schema
 * for its params and one for its result, and how to run it on a session with both checked.
 */
import { z } from "zod";
import { TransportError } from "../transport/errors";
import { operationHeader } from "../transport/powershell";
import { redactValue, secretsOf } from "../transport/redact";
import type { RunOptions, RunResult, Session } from "../transport/session";

/**
 * Lines every script starts with after its header: the params argument, stop on any error, no progress bars, and
 * `Write-VdiResult`, which prints the one result line as compact JSON (§4). An override body can rely on them.
 */
export const PRELUDE = String.raw`param($p)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
function Write-VdiResult($Value) {
  'VDIUPGRADE-RESULT ' + (ConvertTo-Json -Compress -Depth 5 -InputObject $Value)
}`;

/** A named operation. */
/** An operation of any params and result, for registries that hold every operation. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- params are contravariant: `unknown` would refuse every operation
export type AnyOperationDefinition = OperationDefinition<any, any>;

export interface OperationDefinition<P, R> {
  /** Name in the header line and in the lab (e.g. "Get-HostFacts"). */
  readonly name: string;
  /** Default body (after the prelude). */
  readonly body: string;
  /** Whether an operator may replace the body (the vendor documents the mechanism only in a GUI or not at all). */
  readonly overridable: boolean;
  /** Params accepted. */
  readonly params: z.ZodType<P, z.ZodTypeDef, unknown>;
  /** Result promised. */
  readonly result: z.ZodType<R, z.ZodTypeDef, unknown>;
  /** Deadline for these params, in seconds. */
  deadlineSeconds(params: P): number;
}

/** Options of one operation call. */
export interface OperationOptions extends RunOptions {
  /**
   * Replacement body for an overridable operation (the header and the prelude stay; the result shape is still
   * validated). Refused for the others.
   */
  readonly body?: string;
}

/** The exact script text of an operation: header, prelude, body. */
export function scriptFor(def: OperationDefinition<unknown, unknown>, body?: string): string {
  if (body !== undefined && !def.overridable) {
    throw new Error(`[body] ${def.name} cannot be overridden: only operations marked overridable accept a replacement body.`);
  }
  const text = body ?? def.body;
  if (/^\s*#\s*vdi-upgrade operation:/m.test(text)) {
    throw new Error(`[body] the replacement body of ${def.name} must not contain a header line; it is added for you.`);
  }
  return `${operationHeader(def.name)}\n${PRELUDE}\n${text.replace(/\s+$/, "")}\n`;
}

function issues(error: z.ZodError): string {
  return error.issues.map((i) => `[${i.path.join(".") || "(root)"}] ${i.message}`).join("; ");
}

/**
 * Runs an operation: validates params (nothing is sent when they are wrong), runs the script, validates the result.
 * Throws a `TransportError` (`invalid-params`, `invalid-result`, or one of the transport's codes).
 */
export async function runOperation<P, R>(
  session: Session,
  def: OperationDefinition<P, R>,
  params: P,
  options: OperationOptions = {},
): Promise<RunResult<R>> {
  const parsed = def.params.safeParse(params);
  const secrets = secretsOf(params);
  if (!parsed.success) {
    throw new TransportError(
      "invalid-params",
      `${def.name}: invalid params ${JSON.stringify(redactValue(params, secrets))}: ${issues(parsed.error)}. Nothing was sent to ${session.label}.`,
      { host: session.label, operation: def.name, mayHaveRun: false },
    );
  }
  const script = scriptFor(def as OperationDefinition<unknown, unknown>, options.body);
  const run = await session.run<unknown>(
    { operation: def.name, script, params: parsed.data as Record<string, unknown> },
    { deadlineSeconds: options.deadlineSeconds ?? def.deadlineSeconds(parsed.data), onLine: options.onLine },
  );
  const result = def.result.safeParse(run.result);
  if (!result.success) {
    throw new TransportError(
      "invalid-result",
      `${def.name} on ${session.label} returned ${JSON.stringify(run.result).slice(0, 300)}, which is not the promised shape: ${issues(result.error)}.` +
        (options.body !== undefined ? " The operator override of its body must print the same result shape." : ""),
      { host: session.label, operation: def.name, exitCode: run.exitCode, mayHaveRun: true },
    );
  }
  return { ...run, result: result.data };
}

/** `secrets` as the wire protocol carries them: names to non-empty strings. */
export const secretsSchema = z.record(z.string().min(1));
