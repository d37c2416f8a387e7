/**
 * Checks of the PowerShell that reaches a host, before it leaves: an operation's script (its default body or an
 * operator's override) parses as Windows PowerShell 5.1 and reads only parameters its params schema declares; and the
 * script inputs of a resource (`overrides.*Script`, `database.schemaScript`) fail `check` with the property, the
 * line, the column and the text there.
 */
import { z } from "zod";
import { shorten } from "../errors/shorten";
import { type AnyOperationDefinition, type OperationDefinition, PRELUDE, scriptFor } from "../operations/operation";
import type { CheckFailure } from "../lifecycle/inputSupport";
import { redactText } from "../transport/redact";
import { type ParamRead, type ScriptProblem, analyseScript } from "./analyse";
import { type PowerShellGrammar, loadPowerShellGrammar } from "./grammar";

/** A schema without its optional, nullable, default and refinement wrappers, and whether it may be absent. */
function unwrap(schema: z.ZodTypeAny): { inner: z.ZodTypeAny; optional: boolean } {
  let inner = schema;
  let optional = false;
  for (;;) {
    if (inner instanceof z.ZodOptional || inner instanceof z.ZodDefault) optional = true;
    if (inner instanceof z.ZodOptional || inner instanceof z.ZodNullable) inner = inner.unwrap();
    else if (inner instanceof z.ZodDefault) inner = inner._def.innerType;
    else if (inner instanceof z.ZodEffects) inner = inner.innerType();
    else return { inner, optional };
  }
}

function keyOf(shape: Record<string, z.ZodTypeAny>, name: string): string | undefined {
  return Object.keys(shape).find((k) => k.toLowerCase() === name.toLowerCase());
}

/** Options of `checkParamReads`. */
export interface ParamCheckOptions {
  /** The operation, for messages. */
  readonly operation: string;
  /** Also report each required parameter no read reaches (default bodies: a parameter sent and never used is a bug). */
  readonly requireAll?: boolean;
}

/**
 * Each read of a parameter the schema does not declare (member names compare as PowerShell compares them, ignoring
 * case), down to where the schema stops being an object; with `requireAll`, each required parameter never read.
 */
export function checkParamReads(reads: readonly ParamRead[], schema: z.ZodTypeAny, options: ParamCheckOptions): ScriptProblem[] {
  const problems: ScriptProblem[] = [];
  for (const read of reads) {
    let current = unwrap(schema).inner;
    const seen: string[] = [];
    for (const name of read.path) {
      if (!(current instanceof z.ZodObject)) break;
      const shape = current.shape as Record<string, z.ZodTypeAny>;
      const key = keyOf(shape, name);
      if (key === undefined) {
        const where = seen.length === 0 ? `the params of ${options.operation}` : `$p.${shorten(seen.join("."))}`;
        const known = Object.keys(shape);
        problems.push({
          code: "unknown-param",
          line: read.line,
          column: read.column,
          lineText: "",
          message:
            `reads $p.${shorten([...seen, name].join("."))}, which is not in ${where}` +
            (known.length > 0 ? `: it has ${known.join(", ")}` : ": it has none"),
        });
        break;
      }
      seen.push(key);
      current = unwrap(shape[key]).inner;
    }
  }
  if (options.requireAll) {
    const readPaths = reads.map((r) => r.path.map((n) => n.toLowerCase()).join("."));
    const visit = (s: z.ZodTypeAny, prefix: string[]) => {
      const inner = unwrap(s).inner;
      if (!(inner instanceof z.ZodObject)) return;
      for (const [key, value] of Object.entries(inner.shape as Record<string, z.ZodTypeAny>)) {
        const path = [...prefix, key];
        const dotted = path.join(".").toLowerCase();
        const read = readPaths.some((p) => p === dotted || p.startsWith(`${dotted}.`));
        if (!unwrap(value).optional && !read) {
          problems.push({
            code: "unread-param",
            line: 1,
            column: 1,
            lineText: "",
            message: `never reads the required parameter $p.${path.join(".")} of ${options.operation}`,
          });
        }
        // The required members of an optional object count only when the body reads that object.
        if (!unwrap(value).optional || read) visit(value, path);
      }
    };
    visit(schema, []);
  }
  return problems;
}

/** Lines before the body in an operation's script: the header line and the prelude. */
export const BODY_FIRST_LINE = 1 + PRELUDE.split("\n").length + 1;

/**
 * Checks an operation's script as it would be sent (header, prelude, body): problems located in the body's own lines
 * (line 1 is the body's first line). `body` is an override; without it, the default body, whose every required
 * parameter must also be read.
 */
export function checkOperationScript(
  grammar: PowerShellGrammar,
  def: OperationDefinition<unknown, unknown>,
  body?: string,
): ScriptProblem[] {
  let script: string;
  try {
    script = scriptFor(def, body);
  } catch (e) {
    return [{ code: "syntax-error", line: 1, column: 1, lineText: "", message: (e as Error).message.replace(/^\[body\] /, "") }];
  }
  const analysis = analyseScript(grammar, script);
  const problems = [
    ...analysis.problems,
    ...checkParamReads(analysis.paramReads, def.params as z.ZodTypeAny, { operation: def.name, requireAll: body === undefined }),
  ];
  const bodyLines = (body ?? def.body).split("\n");
  return problems.map((p) => {
    if (p.code === "unread-param") return p;
    const line = Math.max(1, p.line - (BODY_FIRST_LINE - 1));
    return { ...p, line, lineText: p.lineText || (bodyLines[line - 1] ?? "").trim().slice(0, 80) };
  });
}

/** A resource input that holds PowerShell: where it sits, and the operation whose body it replaces. */
export interface ScriptInput {
  readonly path: readonly string[];
  readonly operation: AnyOperationDefinition;
}

/** The failure `check` returns for a problem of a script input. */
export function failureOf(property: string, problem: ScriptProblem): CheckFailure {
  const where = problem.code === "unread-param" ? "" : ` line ${problem.line}, column ${problem.column}`;
  const text = problem.lineText ? `: ${JSON.stringify(problem.lineText)}` : "";
  return { property, reason: `[${property}]${where}: ${problem.message}${text}. Fix the script; nothing was sent to a host.` };
}

/** Problems reported per script; the rest are counted. */
export const MAX_PROBLEMS_PER_SCRIPT = 10;

function valueAt(news: Record<string, unknown>, path: readonly string[]): unknown {
  let v: unknown = news;
  for (const k of path) v = v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

/**
 * The failures of every script input present in `news` (values not known yet are skipped), with the resource's
 * `secrets` hidden from the quoted text (an override that pastes a password must not print it). The grammar is
 * loaded only when there is a script to check.
 */
export async function scriptInputFailures(
  news: Record<string, unknown>,
  inputs: readonly ScriptInput[],
  isUnknown: (v: unknown) => boolean,
  secrets: readonly string[] = [],
): Promise<CheckFailure[]> {
  const present = inputs
    .map((i) => ({ ...i, text: valueAt(news, i.path) }))
    .filter((i): i is ScriptInput & { text: string } => typeof i.text === "string" && i.text.trim().length > 0 && !isUnknown(i.text));
  if (present.length === 0) return [];
  const grammar = await loadPowerShellGrammar();
  const failures: CheckFailure[] = [];
  for (const i of present) {
    const property = i.path.join(".");
    const problems = checkOperationScript(grammar, i.operation, i.text);
    for (const problem of problems.slice(0, MAX_PROBLEMS_PER_SCRIPT)) {
      const failure = failureOf(property, problem);
      failures.push({ property, reason: redactText(failure.reason, secrets) });
    }
    if (problems.length > MAX_PROBLEMS_PER_SCRIPT) {
      failures.push({
        property,
        reason: `[${property}] and ${problems.length - MAX_PROBLEMS_PER_SCRIPT} more problems of the same script.`,
      });
    }
  }
  return failures;
}
