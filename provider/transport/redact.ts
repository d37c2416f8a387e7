/**
 * Redaction of secrets from everything the provider prints, throws or records: the values under `params.secrets`
 * (docs/wire-protocol.md §2) and the connection's password, private key and passphrase.
 */

/** Replacement text for a secret. */
export const REDACTED = "***";

/** The non-empty string values of `params.secrets`. */
export function secretsOf(params: unknown): string[] {
  const secrets = (params as { secrets?: unknown } | null | undefined)?.secrets;
  if (typeof secrets !== "object" || secrets === null) return [];
  return Object.values(secrets).filter((v): v is string => typeof v === "string" && v.length > 0);
}

/**
 * Values to hide for a connection: password, passphrase, the private key as a whole and each of its base64 lines
 * (a stack trace or a parser message may quote one line of it).
 */
export function connectionSecrets(c: {
  password?: string;
  privateKey?: string;
  privateKeyPassword?: string;
  proxy?: { password?: string; privateKey?: string; privateKeyPassword?: string };
}): string[] {
  const out: string[] = [];
  for (const x of [c, c.proxy]) {
    if (!x) continue;
    if (x.password) out.push(x.password);
    if (x.privateKeyPassword) out.push(x.privateKeyPassword);
    if (x.privateKey) {
      out.push(x.privateKey);
      for (const line of x.privateKey.split(/\r?\n/)) {
        const t = line.trim();
        if (t.length >= 16 && !t.startsWith("-----")) out.push(t);
      }
    }
  }
  return out;
}

/** A function that hides a fixed set of secrets in text. */
export type Redactor = (text: string) => string;

/** Builds a redactor for these secrets (longest first, so a secret containing another is hidden whole). */
export function makeRedactor(secrets: readonly string[]): Redactor {
  const sorted = [...new Set(secrets.filter((s) => s.length > 0))].sort((a, b) => b.length - a.length);
  if (sorted.length === 0) return (text) => text;
  return (text) => sorted.reduce((acc, s) => (acc.includes(s) ? acc.split(s).join(REDACTED) : acc), text);
}

/** Replaces each secret in `text` by `***`. */
export function redactText(text: string, secrets: readonly string[]): string {
  return makeRedactor(secrets)(text);
}

/**
 * A deep copy of `value` with every string under a `secrets` key replaced by `***` and every secret found in any
 * other string replaced too. For recording params (logs, errors, state).
 */
export function redactValue<T>(value: T, secrets: readonly string[]): T {
  const scrub = makeRedactor(secrets);
  const walk = (v: unknown, underSecrets: boolean): unknown => {
    if (typeof v === "string") return underSecrets ? REDACTED : scrub(v);
    if (Array.isArray(v)) return v.map((x) => walk(x, underSecrets));
    if (typeof v === "object" && v !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x, underSecrets || k === "secrets");
      return out;
    }
    return v;
  };
  return walk(value, false) as T;
}
