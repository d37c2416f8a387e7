/**
 * Helpers shared by the hostile-input properties (issue 6), hostileInput.spec.ts for Horizon and
 * hostileAppVInput.spec.ts for App-V: running a property with a readable counterexample, editing inputs by path as
 * JSON would make them, planted secrets and the checks every failure list must pass.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import type { CheckFailure } from "../../provider/products/horizonInputs";
import { hostileString, hostileValue, hugeString } from "./arbitraries";

/** Resource inputs as the tests build them: plain JSON-like objects. */
export type Inputs = Record<string, any>;

/** A field that gets hostile values, for resources of kind `K`. */
export interface Field<K extends string> {
  readonly path: readonly string[];
  readonly kinds: readonly K[];
  /** Values to try: with `huge`, only huge strings; without, everything else hostile. */
  readonly values: (huge: boolean) => fc.Arbitrary<unknown>;
  readonly secret?: boolean;
  /** Brings the object around the field to a valid shape first (a window's other fields, for instance). */
  readonly setup?: (i: Inputs) => void;
}

/** An object whose fields are all declared, for resources of kind `K`: a field not in `known` must be refused. */
export interface Level<K extends string> {
  /** Where the object is, [] for the inputs themselves. */
  readonly path: readonly string[];
  readonly kinds: readonly K[];
  readonly known: readonly string[];
  readonly setup?: (i: Inputs) => void;
}

/** The host key every generated connection pins. */
export const HOST_KEY = "SHA256:" + "Abc+/09".repeat(6) + "x";

/** The SHA-256 every generated installer names. */
export const SHA = "0123456789abcdef".repeat(4);

/** The longest reason a failure may have: a longer one echoes a huge value. */
export const LONGEST_REASON = 2_000;

/** The fields a connection accepts, so a generated unknown field is really unknown. */
export const CONNECTION_KEYS = [
  "host",
  "port",
  "user",
  "password",
  "privateKey",
  "privateKeyPassword",
  "agentSocketPath",
  "dialErrorLimit",
  "perDialTimeout",
  "hostKey",
  "insecureSkipHostKeyCheck",
  "proxy",
  "maxSessions",
];

/** A valid connection to `host` with `password`. */
export function connection(host: string, password: string): Inputs {
  return { host, user: "CORP\\svc-upgrade", password, hostKey: HOST_KEY };
}

/** Sets up a valid weekly maintenance window, so the hostile value of one of its fields is the only fault. */
export const weekly = (i: Inputs) => (i.maintenanceWindow = { days: ["Sat"], from: "22:00", to: "04:00", utcOffset: "+01:00" });

/** Sets up a valid one-off maintenance window, so the hostile value of one of its fields is the only fault. */
export const oneOff = (i: Inputs) => (i.maintenanceWindow = { start: "2026-12-05T22:00:00Z", end: "2026-12-06T04:00:00+01:00" });

/** A deep copy fit for a failure message: long strings shortened, so a 100,000-character input does not flood it. */
export function brief(value: unknown): unknown {
  // fast-check prints such a value through its toString method: keep it.
  if (fc.hasToStringMethod(value)) return value;
  if (typeof value === "string") return value.length > 120 ? `${value.slice(0, 60)}...(${value.length} characters)` : value;
  if (Array.isArray(value)) return value.map(brief);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    // Defined, not assigned, so an own "__proto__" field stays a field.
    for (const k of Object.keys(value))
      Object.defineProperty(out, String(brief(k)), { value: brief((value as Record<string, unknown>)[k]), enumerable: true });
    return out;
  }
  return value;
}

/** `text` cut to `max` characters, saying how long it was (for messages; not provider/errors/shorten). */
export function clip(text: string, max = 600): string {
  return text.length > max ? `${text.slice(0, max)}...(${text.length} characters)` : text;
}

/** Runs a property; on failure, throws with the error and a counterexample whose long strings are shortened. */
export async function holds<T>(property: fc.IProperty<T> | fc.IAsyncProperty<T>, params: fc.Parameters<T>): Promise<void> {
  const details = await fc.check(property as fc.IAsyncProperty<T>, params);
  if (!details.failed) return;
  const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  throw new Error(
    `Property failed after ${details.numRuns} run(s) (seed ${details.seed}, path "${details.counterexamplePath}").\n` +
      `Counterexample: ${clip(fc.stringify(brief(details.counterexample)), 3_000)}\n${clip(cause, 3_000)}`,
  );
}

/** The value that, given to setAt, removes the field instead of setting it. */
export const ABSENT = Symbol("absent");

/** Any hostile value (sometimes ABSENT), or with `huge` a huge string. */
export const anyValue = (huge: boolean): fc.Arbitrary<unknown> =>
  huge
    ? hugeString()
    : fc.oneof({ arbitrary: hostileValue({ huge: false }), weight: 9 }, { arbitrary: fc.constant<unknown>(ABSENT), weight: 1 });

/**
 * Sets (or, for ABSENT, removes) the value at a path, making objects on the way when needed. With `keepArrays` (the
 * default) a list on the way is kept and, as JSON has no holes, filled with nulls up to an index set past its end or
 * shortened when an index is removed; without, a list on the way is replaced by an object like any other non-object.
 */
export function setAt(obj: Inputs, path: readonly string[], value: unknown, { keepArrays = true }: { keepArrays?: boolean } = {}): void {
  let o = obj;
  // JSON has no holes either: a list is filled with nulls up to an index set past its end, as JSON.stringify does.
  const fill = (k: string) => {
    const list: unknown = o;
    if (Array.isArray(list) && /^\d+$/.test(k)) while (list.length < Number(k)) list.push(null);
  };
  for (const k of path.slice(0, -1)) {
    fill(k);
    if (typeof o[k] !== "object" || o[k] === null || (!keepArrays && Array.isArray(o[k]))) o[k] = {};
    o = o[k];
  }
  const last = path[path.length - 1];
  if (value !== ABSENT) fill(last);
  // JSON has no holes: a server taken out of the list shortens it.
  const list: unknown = o;
  if (value === ABSENT && Array.isArray(list) && /^\d+$/.test(last)) list.splice(Number(last), 1);
  else if (value === ABSENT) delete o[last];
  else o[last] = value;
}

/** The value at a path, or undefined where the path leaves the objects. */
export function valueAt(obj: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), obj);
}

/** Defines an own, enumerable property, as JSON.parse would (plain assignment of "__proto__" would not). */
export function defineOwn(o: Inputs, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Failures as text for a message, shortened. */
export function show(failures: readonly CheckFailure[]): string {
  return clip(failures.map((f) => `${f.property}: ${f.reason}`).join("\n"), 2_000);
}

/** The checks every failure list must pass: a non-empty list of named, short reasons that show none of `planted`. */
export function assertStructured(failures: readonly CheckFailure[], planted: readonly string[]): void {
  assert.ok(Array.isArray(failures) && failures.length > 0, "a refused input has at least one failure");
  for (const f of failures) {
    assert.equal(typeof f.property, "string", `property is a string: ${show([f])}`);
    assert.equal(typeof f.reason, "string", `reason is a string: ${show([f])}`);
    // No property (the engine then prints no value) only where the field's own path holds a secret; the reason still
    // names the field.
    if (f.property === "") assert.ok(/^\[[^\]]+\]/.test(f.reason), `the reason names the field first: ${show([f])}`);
    else assert.ok(f.reason.startsWith(`[${f.property}`), `the reason names [${clip(f.property, 80)}...] first: ${show([f])}`);
    assert.ok(f.reason.length <= LONGEST_REASON, `a reason of ${f.reason.length} characters echoes a huge value: ${clip(f.reason, 300)}`);
    for (const needle of planted) assert.ok(!f.reason.includes(needle), `the reason shows a secret (${needle}): ${clip(f.reason, 300)}`);
  }
}

/** Planted secrets that all carry `mark`, so a reason that shows any part of one is caught. */
export function markedSecrets(mark: string): {
  /** What a planted secret must never show up as in a reason. */
  needles(value: unknown): string[];
  /** A secret value: a marked hostile (or huge) string, a large number, or a marked value of the wrong shape. */
  secretValue(huge: boolean): fc.Arbitrary<unknown>;
} {
  return {
    needles(value) {
      if (typeof value === "number") return [String(value)];
      return [mark];
    },
    secretValue(huge) {
      if (huge) return hugeString().map((s) => mark + s);
      return fc.oneof(
        { arbitrary: hostileString().map((s) => mark + s), weight: 4 },
        { arbitrary: fc.integer({ min: 100_000_000, max: 2_000_000_000 }), weight: 1 },
        { arbitrary: hostileString(8).map((s) => [mark + s]), weight: 1 },
        { arbitrary: hostileString(8).map((s) => ({ value: mark + s })), weight: 1 },
      );
    },
  };
}
