/**
 * Secrets by reference (issue 19 item 5). Every secret input may be given as a reference that the provider process
 * resolves itself: `{ fromEnv: "CS1_SSH_PASSWORD" }` (an environment variable of the `pulumi` run, which the provider
 * process inherits) or `{ fromFile: "/run/secrets/cs1" }` (a file readable by the user running `pulumi`). The value
 * then never enters the engine: the program registers the reference, `check` returns the reference, the outputs and
 * the state hold the reference, and only this process holds the value while it works. The engine's own logs (`-v=9`,
 * `--debug`) print what crosses its RPC, so they cannot print a value they never received (docs/security.md).
 *
 * The provider methods are wrapped at their entry (`checkWithReferences`, ...): the implementation receives the inputs
 * with every reference replaced by its value, exactly as if the value had been given, and what it returns gets the
 * references back at the same places. A resolution failure names the field and the reference, never a value.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { SECRET_FIELD_NAMES } from "../errors/shorten";
import { REDACTED } from "../transport/redact";

/** A secret given by where the provider process finds it. */
export type SecretReference = { readonly fromEnv: string } | { readonly fromFile: string };

/** The fields whose value may be a reference: every secret input of the resources (the one list, errors/shorten.ts). */
export const SECRET_REFERENCE_FIELDS: ReadonlySet<string> = SECRET_FIELD_NAMES;

/** `databaseAdmin.user` (AppVFarm passes `database.adminUser` on under that name) is secret too. */
function isSecretField(parent: string | number | undefined, key: string | number): boolean {
  return SECRET_REFERENCE_FIELDS.has(String(key)) || (parent === "databaseAdmin" && key === "user");
}

/** The engine's placeholder for a value not known yet (same value as inputSupport's UNKNOWN, kept here to stay standalone). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A failure as `check` returns it. */
export interface ReferenceFailure {
  property: string;
  reason: string;
}

/** One reference found and resolved. */
interface Found {
  path: (string | number)[];
  reference: SecretReference;
}

/** The inputs with references resolved, where each was, the values (for redaction) and what could not be resolved. */
export interface Resolution<T> {
  value: T;
  found: Found[];
  values: string[];
  failures: ReferenceFailure[];
}

/** Where a resolver looks: the process's environment and file system unless a test says otherwise. */
export interface Sources {
  env: Record<string, string | undefined>;
  readFile: (file: string) => string;
}

const DEFAULT_SOURCES: Sources = { env: process.env, readFile: (f) => fs.readFileSync(f, "utf8") };

function contains(value: unknown, needle: unknown): boolean {
  if (value === needle) return true;
  if (Array.isArray(value)) return value.some((v) => contains(v, needle));
  if (value && typeof value === "object") return Object.values(value).some((v) => contains(v, needle));
  return false;
}

/** The reference as messages quote it: `{ fromEnv: "NAME" }`. A reference holds no secret. */
export function describeReference(ref: unknown): string {
  if (ref && typeof ref === "object") {
    const entries = Object.entries(ref as Record<string, unknown>).map(
      ([k, v]) => `${k}: ${typeof v === "string" ? JSON.stringify(v.slice(0, 200)) : typeof v}`,
    );
    return `{ ${entries.join(", ")} }`;
  }
  return typeof ref;
}

function propertyName(p: readonly (string | number)[]): string {
  return p.reduce<string>((acc, k) => (typeof k === "number" ? `${acc}[${k}]` : acc ? `${acc}.${k}` : k), "");
}

const SHAPE = 'a secret reference is { fromEnv: "VARIABLE_NAME" } or { fromFile: "/absolute/path" }';

/** The value a reference points at, or why there is none. Never puts a value in a reason. */
function resolveOne(
  field: string,
  ref: Record<string, unknown>,
  keepNewline: boolean,
  sources: Sources,
): { value?: string; reason?: string } {
  const keys = Object.keys(ref);
  // Something that is not a well-formed reference may hold the secret itself: only its field names are shown.
  const fields = keys.map((k) => JSON.stringify(k.slice(0, 40))).join(", ") || "none";
  if (keys.length !== 1 || (keys[0] !== "fromEnv" && keys[0] !== "fromFile")) {
    return {
      reason: `[${field}] an object with the field(s) ${fields} is not a secret reference: ${SHAPE}; or give the value itself as a Pulumi secret.`,
    };
  }
  const shown = describeReference(ref);
  if ("fromEnv" in ref) {
    const name = ref.fromEnv;
    if (typeof name !== "string" || !ENV_NAME.test(name)) {
      return {
        reason: `[${field}] { fromEnv: (not shown) }: fromEnv must name an environment variable (letters, digits and _, not starting with a digit), not hold the secret; the value given is not shown.`,
      };
    }
    const value = sources.env[name];
    if (value === undefined) {
      return {
        reason:
          `[${field}] ${shown}: the environment variable ${name} is not set where \`pulumi\` runs (the provider process inherits ` +
          `its environment): export ${name} before running pulumi, or give the value as a Pulumi secret.`,
      };
    }
    if (value.length === 0)
      return { reason: `[${field}] ${shown}: the environment variable ${name} is set but empty: give it the secret.` };
    return { value };
  }
  const file = ref.fromFile;
  if (typeof file !== "string" || !path.isAbsolute(file)) {
    return {
      reason: `[${field}] { fromFile: (not shown) }: fromFile must be an absolute path of a file readable by the user running pulumi; the value given is not shown.`,
    };
  }
  let text: string;
  try {
    text = sources.readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "unreadable";
    const why =
      code === "ENOENT"
        ? "does not exist"
        : code === "EACCES"
          ? "is not readable by the user running pulumi"
          : code === "EISDIR"
            ? "is a directory"
            : `cannot be read (${code})`;
    return {
      reason: `[${field}] ${shown}: the file ${file} ${why}: create it with the secret, readable only by the user running pulumi (chmod 600).`,
    };
  }
  // One trailing line break is the file's, not the secret's (`echo secret > file`); a private key keeps its text.
  const value = keepNewline ? text : text.replace(/\r?\n$/, "");
  if (value.length === 0) return { reason: `[${field}] ${shown}: the file ${file} is empty: write the secret into it.` };
  return { value };
}

/**
 * Resolves every reference at a secret field, at any depth (a pod's readiness gate carries its servers' connections).
 * Values not known yet are left alone; a reference holding one becomes unknown.
 */
export function resolveSecretReferences<T>(inputs: T, sources: Sources = DEFAULT_SOURCES): Resolution<T> {
  const found: Found[] = [];
  const values: string[] = [];
  const failures: ReferenceFailure[] = [];
  // `owner`: the nearest enclosing resource (its resourceName) and the path from it, so a pod's gate names the server.
  const walk = (v: unknown, p: (string | number)[], owner?: { name: string; at: number }): unknown => {
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...p, i], owner));
    if (!v || typeof v !== "object") return v;
    const name = (v as { resourceName?: unknown }).resourceName;
    if (typeof name === "string") owner = { name, at: p.length };
    const out: Record<string, unknown> = {};
    // Own data properties, whatever the key: `out[k] = x` with a key "__proto__" (JSON.parse makes one) would set the
    // copy's prototype instead, and validation would no longer see the field to refuse it.
    const put = (k: string, x: unknown) =>
      Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const here = [...p, k];
      if (isSecretField(p[p.length - 1], k) && x && typeof x === "object" && !Array.isArray(x)) {
        if (contains(x, UNKNOWN)) {
          put(k, UNKNOWN);
          continue;
        }
        const field = owner ? `${propertyName(here.slice(owner.at))}] [${owner.name}` : propertyName(here);
        const r = resolveOne(field, x as Record<string, unknown>, k === "privateKey", sources);
        if (r.value !== undefined) {
          found.push({ path: here, reference: x as SecretReference });
          values.push(r.value);
          put(k, r.value);
        } else {
          failures.push({ property: propertyName(here), reason: r.reason! });
          put(k, x);
        }
        continue;
      }
      put(k, walk(x, here, owner));
    }
    return out;
  };
  return { value: walk(inputs, []) as T, found, values, failures };
}

function setAt(obj: unknown, p: readonly (string | number)[], value: unknown): void {
  let o = obj as Record<string | number, unknown> | undefined;
  for (const k of p.slice(0, -1)) {
    o = o && typeof o === "object" ? (o[k] as Record<string | number, unknown> | undefined) : undefined;
  }
  const last = p[p.length - 1];
  if (o && typeof o === "object" && last in o) o[last] = value;
}

/** A deep copy (plain JSON-like data only, as the engine passes it). */
function copy<T>(v: T): T {
  if (Array.isArray(v)) return v.map(copy) as T;
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copy(x)])) as T;
  return v;
}

/**
 * What a provider method returns, with each reference back where it was and no resolved value left anywhere: a string
 * equal to a value, or holding one of 8 characters or more, has it replaced by `***`.
 */
export function restoreSecretReferences<T>(out: T, resolution: Pick<Resolution<unknown>, "found" | "values">): T {
  if (resolution.found.length === 0 || out === undefined || out === null) return out;
  const restored = copy(out);
  for (const f of resolution.found) setAt(restored, f.path, f.reference);
  const values = [...new Set(resolution.values)].sort((a, b) => b.length - a.length);
  const scrub = (v: unknown): unknown => {
    if (typeof v === "string") {
      if (values.includes(v)) return REDACTED;
      return values.filter((s) => s.length >= 8).reduce((acc, s) => (acc.includes(s) ? acc.split(s).join(REDACTED) : acc), v);
    }
    if (Array.isArray(v)) return v.map(scrub);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, scrub(x)]));
    return v;
  };
  return scrub(restored) as T;
}

/** The text with every resolved value replaced by `***`. */
function redact(text: string, values: readonly string[]): string {
  return [...values]
    .filter((v) => v.length > 0)
    .sort((a, b) => b.length - a.length)
    .reduce((acc, s) => (acc.includes(s) ? acc.split(s).join(REDACTED) : acc), text);
}

/** Runs `fn`, rethrowing its error with no resolved value in the message or stack. */
async function guarded<R>(values: readonly string[], fn: () => Promise<R>): Promise<R> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof Error && values.length > 0) {
      e.message = redact(e.message, values);
      if (e.stack) e.stack = redact(e.stack, values);
    }
    throw e;
  }
}

function resolvedOrThrow<T>(inputs: T): Resolution<T> {
  const r = resolveSecretReferences(inputs);
  if (r.failures.length > 0) throw new Error(r.failures.map((f) => f.reason).join("\n"));
  return r;
}

type Bag = Record<string, unknown>;

/** `check` with references: failures name the field and the reference; the inputs returned hold the references. */
export async function checkWithReferences<R extends { inputs?: unknown; failures?: ReferenceFailure[] }>(
  news: Bag,
  check: (resolved: Bag) => Promise<R>,
): Promise<R> {
  const r = resolveSecretReferences(news);
  if (r.failures.length > 0) return { failures: r.failures } as R;
  const out = await guarded(r.values, () => check(r.value));
  if (r.found.length === 0) return out;
  return {
    ...out,
    ...(out.inputs !== undefined ? { inputs: restoreSecretReferences(out.inputs, r) } : {}),
    ...(out.failures ? { failures: out.failures.map((f) => ({ ...f, reason: redact(f.reason, r.values) })) } : {}),
  };
}

/** `create` with references: the outputs hold the references, never the values. */
export async function createWithReferences<R extends { outs?: unknown }>(inputs: Bag, create: (resolved: Bag) => Promise<R>): Promise<R> {
  const r = resolvedOrThrow(inputs);
  const out = await guarded(r.values, () => create(r.value));
  return r.found.length === 0 ? out : { ...out, outs: restoreSecretReferences(out.outs, r) };
}

/** `update` with references (the old outputs hold references too). */
export async function updateWithReferences<R extends { outs?: unknown }>(
  olds: Bag,
  news: Bag,
  update: (olds: Bag, resolved: Bag) => Promise<R>,
): Promise<R> {
  const r = resolvedOrThrow(news);
  const o = resolveSecretReferences(olds);
  const values = [...r.values, ...o.values];
  const out = await guarded(values, () => update(o.failures.length === 0 ? o.value : olds, r.value));
  return r.found.length === 0 ? out : { ...out, outs: restoreSecretReferences(out.outs, { found: r.found, values }) };
}

/** `read` (refresh) with references: the props and inputs read back hold the references. */
export async function readWithReferences<R extends { props?: unknown; inputs?: unknown }>(
  props: Bag,
  read: (resolved: Bag) => Promise<R>,
): Promise<R> {
  const r = resolvedOrThrow(props);
  const out = await guarded(r.values, () => read(r.value));
  if (r.found.length === 0) return out;
  return {
    ...out,
    ...(out.props !== undefined ? { props: restoreSecretReferences(out.props, r) } : {}),
    ...(out.inputs !== undefined ? { inputs: restoreSecretReferences(out.inputs, r) } : {}),
  };
}
