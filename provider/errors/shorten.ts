/**
 * How error messages quote what they received: shortened (a 100,000-character value or field name must not come back
 * whole), and with every secret field hidden at any depth (a connection passed as a list still holds its password).
 */

/** Longest quoted text, in characters. */
export const QUOTE_LIMIT = 80;

/**
 * The one list of secret field names: their values are never quoted, wherever they sit in a value, and each may be
 * given as a reference the provider process resolves (secrets/references.ts).
 */
export const SECRET_FIELD_NAMES: ReadonlySet<string> = new Set([
  "password",
  "privateKey",
  "privateKeyPassword",
  "pairingPassword",
  "sqlUser",
  "sqlPassword",
  "adminUser",
  "adminPassword",
]);

/** `text` cut to `max` characters with "..." when longer. */
export function shorten(text: string, max = QUOTE_LIMIT): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

const HIDDEN = "(secret, not shown)";

/**
 * The received value as a message quotes it: `nothing` for undefined, the secret marker when the value itself sits
 * under a secret field (`path`), otherwise its JSON with every secret field inside replaced, shortened. Never throws.
 */
export function describeReceived(value: unknown, path: readonly (string | number)[] = []): string {
  if (path.some((p) => SECRET_FIELD_NAMES.has(String(p)))) return HIDDEN;
  if (value === undefined) return "nothing";
  try {
    const text = JSON.stringify(value, (key, v: unknown) => (SECRET_FIELD_NAMES.has(key) && v !== undefined ? HIDDEN : v));
    return shorten(text ?? String(value));
  } catch {
    return "(a value that cannot be shown)";
  }
}

/** `String(value)` that never throws (an object whose toString is not a function cannot be converted). */
export function textOf(value: unknown): string {
  try {
    return typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    return "(a value that cannot be shown)";
  }
}
