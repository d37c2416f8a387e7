/**
 * One descriptor per resource kind: its outputs, its secret inputs and its write-only inputs. Everything that used to
 * repeat these lists derives from it: the outputs a class seeds, `additionalSecretOutputs`, the fields `diff` ignores,
 * the fields `read` leaves out of the inputs it returns, the output keys validation accepts back from state, and the
 * values redacted from every line printed. Pure data and pure functions (the resource classes import it).
 */

/** The kinds of resource the runtime serves, one provider object each (resources/providers.ts). */
export type RuntimeKind =
  "connection-server" | "security-server" | "pod-readiness" | "appv-server" | "farm-preparation" | "farm-completion";

/** What the lifecycle and the resource classes know about a kind of resource. */
export interface ResourceDescriptor {
  readonly kind: RuntimeKind;
  /** The Pulumi type's module and name (`horizon:ConnectionServer`). */
  readonly type: readonly [module: string, name: string];
  /** Outputs the class declares and seeds as undefined (the SDK exposes only the properties it is given). */
  readonly outputs: readonly string[];
  /** Outputs the provider stores but the class does not declare (timestamps, what `up` verified for refresh). */
  readonly internalOutputs: readonly string[];
  /** Outputs only `up` sets; `read` leaves them out of the inputs it returns (the plan outputs are recomputed). */
  readonly runOutputs: readonly string[];
  /** Top-level inputs that hold credentials: `additionalSecretOutputs`, so state never holds them in plaintext. */
  readonly secretInputs: readonly string[];
  /** Inputs never stored in outputs: `diff` ignores them and `read` does not need them. */
  readonly writeOnlyInputs: readonly string[];
  /** Ordering links (dotted paths): they carry another resource's output only to order the runs; `diff` ignores them. */
  readonly links: readonly string[];
  /**
   * Where secret values sit (dotted paths, `[]` for each element of a list): a string is redacted as it is, an object
   * is a connection whose password, private key and passphrase (and its jump host's) are; a path prefixed `login:` is a
   * login name, redacted when it has at least 4 characters (a shorter one such as "sa" would blank ordinary words).
   */
  readonly secretValues: readonly string[];
}

/** Every output key a descriptor names (declared and internal): validation accepts them back from a stored state. */
export function outputKeys(...descriptors: readonly ResourceDescriptor[]): string[] {
  return [...new Set(descriptors.flatMap((d) => [...d.outputs, ...d.internalOutputs]))];
}

/** The declared outputs as the class passes them: each `undefined`, so the SDK exposes it. */
export function outputSeeds(d: ResourceDescriptor): Record<string, undefined> {
  return Object.fromEntries(d.outputs.map((k) => [k, undefined]));
}

/** `additionalSecretOutputs` of a resource of this kind, with the program's own. */
export function secretOutputs(d: ResourceDescriptor, extra: readonly string[] = []): string[] {
  return [...d.secretInputs, ...extra];
}

/** A property bag as the engine passes it to a provider: untyped JSON, validated before use. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the engine's bags are untyped until validation
export type Props = Record<string, any>;

/** `props` without the field at `path` (a dotted path into nested objects). */
function without(props: Props, path: readonly string[]): Props {
  const [head, ...rest] = path;
  if (!(head in props)) return props;
  const { [head]: value, ...others } = props;
  if (rest.length === 0) return others;
  return value && typeof value === "object" && !Array.isArray(value) ? { ...others, [head]: without(value, rest) } : props;
}

/**
 * The desired state of a resource: a change to it means work. The provider field, ordering links, write-only inputs
 * and every output (`computed`: all the product's output keys, as a stored state may carry any of them) are left out.
 */
export function desiredState(d: ResourceDescriptor, props: Props, computed: readonly string[]): Props {
  let out: Props = {};
  for (const [k, v] of Object.entries(props)) {
    if (k === "__provider" || d.writeOnlyInputs.includes(k) || computed.includes(k)) continue;
    out[k] = v;
  }
  for (const link of d.links) out = without(out, link.split("."));
  return out;
}

/** The stored outputs as inputs again, for `read` to return with a fresh plan: without what only `up` sets. */
export function inputsFromOutputs(d: ResourceDescriptor, props: Props): Props {
  const out: Props = {};
  for (const [k, v] of Object.entries(props)) if (!d.runOutputs.includes(k)) out[k] = v;
  return out;
}

/** A connection's password, private key and passphrase (and its jump host's), for redaction. */
export function connectionSecretValues(c: unknown): string[] {
  const out: string[] = [];
  for (const x of [c, (c as { proxy?: unknown } | undefined)?.proxy]) {
    for (const k of ["password", "privateKey", "privateKeyPassword"]) {
      const v = (x as Record<string, unknown> | undefined)?.[k];
      if (typeof v === "string" && v.length > 0) out.push(v);
    }
  }
  return out;
}

/** The values at a path: `servers[].connection` gives each server's connection. */
function valuesAt(value: unknown, path: readonly string[]): unknown[] {
  if (path.length === 0) return [value];
  if (!value || typeof value !== "object") return [];
  const [head, ...rest] = path;
  if (head.endsWith("[]")) {
    const list = (value as Props)[head.slice(0, -2)];
    return Array.isArray(list) ? list.flatMap((x) => valuesAt(x, rest)) : [];
  }
  return valuesAt((value as Props)[head], rest);
}

/** Values that must never be printed for these inputs, found where the descriptor says secrets sit. */
export function secretValuesOf(d: ResourceDescriptor, inputs: unknown): string[] {
  const out: string[] = [];
  for (const spec of d.secretValues) {
    const login = spec.startsWith("login:");
    for (const v of valuesAt(inputs, (login ? spec.slice(6) : spec).split("."))) {
      if (typeof v === "string") {
        if (v.length >= (login ? 4 : 1)) out.push(v);
      } else if (v && typeof v === "object" && !login) out.push(...connectionSecretValues(v));
    }
  }
  return out;
}
