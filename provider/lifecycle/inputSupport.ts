/**
 * What validating a dynamic resource's inputs needs whatever the product: the engine's placeholder for values not
 * known yet (another resource's output during preview), a copy without them for schema checks, and the zod issues
 * that still count.
 */
import { z } from "zod";
import { SECRET_FIELD_NAMES, describeReceived, shorten } from "../errors/shorten";
import type { MaintenanceWindow } from "../schedule/maintenanceWindow";

/** A `check` failure as the dynamic provider returns it. */
export interface CheckFailure {
  property: string;
  reason: string;
  /** The stable code of the upgrade-path rule broken (provider/versions/rules.ts), which also ends the reason. */
  code?: string;
}

/** Result of validating a resource's inputs. */
export interface Validated<T, V = unknown> {
  /** The inputs with versions normalised; undefined when there are failures. */
  inputs?: T;
  failures: CheckFailure[];
  /** The maintenance window, parsed. */
  window?: MaintenanceWindow;
  /** `targetVersion`, parsed once: readers, planners and steps compare with it instead of parsing the text again. */
  target?: V;
}

const FULL_PATH = /^([a-zA-Z]:\\|\\\\[^\\]+\\[^\\]+\\)/;
/** A full Windows path of an installer or tool on the host. */
export const windowsPath = z
  .string()
  .max(259, "must be at most 259 characters (MAX_PATH)")
  .refine((p) => FULL_PATH.test(p), "must be a full Windows path such as C:\\Installers\\setup.exe or \\\\server\\share\\setup.exe")
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
  .refine((p) => !/[\u0000-\u001f<>"|?*]/.test(p), 'must not contain control characters or any of < > " | ? *');

/** The vendor's SHA-256 of an installer. */
export const sha256 = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, "must be the 64 hexadecimal digits of the vendor's SHA-256 (Get-FileHash -Algorithm SHA256)");

/** The engine's placeholder for a value not known until another resource is done (`rpc.unknownValue`). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** True when the unknown placeholder appears anywhere inside `value`. */
export function isUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(isUnknown);
  if (value && typeof value === "object") return Object.values(value).some(isUnknown);
  return false;
}

/** The value at a path (object keys and array indexes), or undefined. */
export function valueAt(obj: unknown, path: readonly (string | number)[]): unknown {
  return path.reduce<unknown>((o, k) => (o == null || typeof o !== "object" ? undefined : (o as Record<string | number, unknown>)[k]), obj);
}

/** Copy of `value` without unknown placeholders (unknown leaves become undefined), for schema checks. */
export function stripUnknown(value: unknown): unknown {
  if (value === UNKNOWN) return undefined;
  if (Array.isArray(value)) return value.map(stripUnknown);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const s = stripUnknown(v);
      // defineProperty: a "__proto__" key (JSON.parse makes one) stays an own field, reported as unknown, instead of
      // becoming the copy's prototype and smuggling its fields in.
      if (s !== undefined) Object.defineProperty(out, k, { value: s, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}

/** The issues of a schema check that count: a value not known yet is not a failure; an unknown field beside one is. */
export function issuesThatCount(result: z.SafeParseReturnType<unknown, unknown>, news: unknown): z.ZodError {
  if (result.success) return new z.ZodError([]);
  return new z.ZodError(result.error.issues.filter((i) => i.code === "unrecognized_keys" || !isUnknown(valueAt(news, i.path))));
}

function article(noun: string): string {
  return `${/^[aeiou]/i.test(noun) ? "an" : "a"} ${noun}`;
}

/** zod's wording for a wrong type or a missing field, turned into what to give instead. */
function fixFor(issue: z.ZodIssue): string {
  // zod's enum message quotes the whole value received; the value is quoted (shortened) after the reason instead.
  if (issue.code === "invalid_enum_value") return `must be one of ${issue.options.map((o) => JSON.stringify(o)).join(", ")}`;
  const zodDefault = /^(Required|Expected .+, received .+|String must contain (at least|at most) .+)$/.test(issue.message);
  if (!zodDefault) return issue.message;
  if (issue.code === "invalid_type") {
    // zod names an enum's type as its values joined with " | ".
    const expected = String(issue.expected).includes(" | ")
      ? `one of ${String(issue.expected).replace(/'/g, '"').split(" | ").join(", ")}`
      : article(issue.expected);
    return issue.received === "undefined" ? `is required: give ${expected}` : `must be ${expected}, not ${article(issue.received)}`;
  }
  if (issue.code === "too_small" && issue.type === "string") return "must not be empty";
  if (issue.code === "too_big" && issue.type === "string") return `must be at most ${issue.maximum} characters`;
  return issue.message;
}

/** A property path as messages name it: `connection.hostKey` by default. */
export type PropertyName = (path: readonly (string | number)[]) => string;

/**
 * One failure per zod issue: the property in brackets, what is allowed or the fix, and the value received (shortened,
 * secret fields hidden at any depth).
 */
export function zodFailures(error: z.ZodError, inputs: unknown, name: PropertyName = (p) => p.join(".") || "(inputs)"): CheckFailure[] {
  return error.issues.map((issue) => {
    const property = name(issue.path);
    if (issue.code === "unrecognized_keys") {
      return {
        property,
        reason: `[${property}] unknown field(s) ${issue.keys.map((k) => `"${shorten(k)}"`).join(", ")}: remove them (see the resource's documented arguments).`,
      };
    }
    return { property, reason: `[${property}] ${fixFor(issue)} (received ${describeReceived(valueAt(inputs, issue.path), issue.path)}).` };
  });
}

/** The failures without repeats (two checks may find the same problem). */
export function dedupe(failures: CheckFailure[]): CheckFailure[] {
  const seen = new Set<string>();
  return failures.filter((f) => (seen.has(f.reason) ? false : (seen.add(f.reason), true)));
}

/** The segments of a failure's property: `servers[0].connection.port` is servers, 0, connection, port. */
function segments(property: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of property.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]);
  return out;
}

/** Whether a value holds a secret field at any depth. */
function holdsSecret(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(holdsSecret);
  if (value && typeof value === "object") {
    return Object.entries(value).some(([k, v]) => (SECRET_FIELD_NAMES.has(k) && v !== undefined) || holdsSecret(v));
  }
  return false;
}

/**
 * The failures with properties the engine can print safely. The engine prints a failure as "property P value {V} has
 * a problem: reason", V being the input named P: for a top-level property such as `connection` that is the whole
 * object, password included, whatever the reason says (issue 11). A nested path such as `connection.port` prints
 * `{<nil>}`, and no property prints "resource 'x' has a problem: reason" (both seen from the real engine, see
 * tests/resources/validationSecrets.spec.ts). So a failure keeps its property (the deepest path, as the validators
 * give it) unless that property is a secret field or its value holds one, and then it has none: every path above it
 * holds the secret too. The reason still names the field in brackets.
 */
export function safeFailures(failures: readonly CheckFailure[], inputs: unknown): CheckFailure[] {
  return failures.map((f) => {
    if (f.property === "" || f.property === "(inputs)") return f;
    const path = segments(f.property);
    const secret = path.some((p) => SECRET_FIELD_NAMES.has(String(p))) || holdsSecret(valueAt(inputs, path));
    return secret ? { property: "", reason: f.reason } : f;
  });
}

/** The failures of a schema check of `news`: values not known yet are skipped, each failure names its property. */
export function schemaFailures(schema: z.ZodTypeAny, news: Record<string, unknown>, name?: PropertyName): CheckFailure[] {
  const known = stripUnknown(news) as Record<string, unknown>;
  return zodFailures(issuesThatCount(schema.safeParse(known), news), known, name);
}
