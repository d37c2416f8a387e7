/**
 * What validating a dynamic resource's inputs needs whatever the product: the engine's placeholder for values not
 * known yet (another resource's output during preview), a copy without them for schema checks, and the zod issues
 * that still count.
 */
import { z } from "zod";

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
