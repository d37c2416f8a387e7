/**
 * Host key pinning: parse what the operator pinned (an OpenSSH public key line or a `SHA256:` fingerprint), compute
 * the fingerprint of what a host presents, and decide. Pure functions.
 */
import { createHash } from "node:crypto";

/** A pinned host key. */
export type HostKeyPin =
  | { readonly kind: "key"; readonly keyType: string; readonly blob: Buffer; readonly fingerprint: string }
  | { readonly kind: "fingerprint"; readonly fingerprint: string };

/** Key types an OpenSSH public key line may name. */
const KEY_TYPES = new Set(["ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-dss"]);

/** `SHA256:<unpadded base64>` of a public key blob, as `ssh-keygen -l` prints it. */
export function fingerprintOf(blob: Buffer): string {
  return "SHA256:" + createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
}

/** The key type written inside an SSH public key blob (first length-prefixed string). */
export function blobKeyType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const n = blob.readUInt32BE(0);
  if (n === 0 || n > 64 || 4 + n > blob.length) return undefined;
  return blob.subarray(4, 4 + n).toString("latin1");
}

/**
 * Parses a pinned host key. Accepts `ssh-ed25519 AAAA... [comment]` (optionally preceded by `host,names ` as in
 * known_hosts) or `SHA256:<43 base64 characters>`. Returns an error message naming the fix on anything else.
 */
export function parseHostKeyPin(text: string): HostKeyPin | { readonly error: string } {
  const t = text.trim();
  const fp = /^SHA256:([A-Za-z0-9+/]{43})=?$/.exec(t);
  if (fp) return { kind: "fingerprint", fingerprint: `SHA256:${fp[1]}` };
  if (/^SHA256:/i.test(t)) {
    return { error: "a SHA256 fingerprint is 'SHA256:' followed by 43 base64 characters, as `ssh-keygen -lf` prints it" };
  }
  if (/^(MD5:)?([0-9a-f]{2}:){15}[0-9a-f]{2}$/i.test(t)) {
    return { error: "MD5 fingerprints are not accepted; pin the 'SHA256:...' fingerprint or the public key line" };
  }
  const parts = t.split(/\s+/);
  const i = parts.findIndex((p) => KEY_TYPES.has(p));
  if (i < 0 || i > 1 || parts.length < i + 2) {
    return {
      error:
        "expected an OpenSSH public key line ('ssh-ed25519 AAAA...', from `ssh-keyscan` or the host's " +
        "C:\\ProgramData\\ssh\\ssh_host_ed25519_key.pub) or a 'SHA256:...' fingerprint",
    };
  }
  const keyType = parts[i];
  const b64 = parts[i + 1];
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) {
    return { error: `the key data after '${keyType}' is not base64` };
  }
  const blob = Buffer.from(b64, "base64");
  if (blobKeyType(blob) !== keyType) {
    return { error: `the key data does not encode a '${keyType}' key (the line is damaged or mislabelled)` };
  }
  return { kind: "key", keyType, blob, fingerprint: fingerprintOf(blob) };
}

/** Verdict on a presented host key. */
export type HostKeyVerdict =
  | { readonly ok: true; readonly fingerprint: string }
  | { readonly ok: false; readonly fingerprint: string; readonly reason: "mismatch" | "not-pinned" };

/**
 * Checks a presented key blob against the pin. Without a pin the key is refused unless `insecureSkip` is set; the
 * verdict always carries the presented fingerprint so the operator can pin it.
 */
export function verifyHostKey(blob: Buffer, pin: HostKeyPin | undefined, insecureSkip: boolean): HostKeyVerdict {
  const fingerprint = fingerprintOf(blob);
  if (!pin) return insecureSkip ? { ok: true, fingerprint } : { ok: false, fingerprint, reason: "not-pinned" };
  const same = pin.kind === "key" ? pin.blob.equals(blob) : pin.fingerprint === fingerprint;
  return same ? { ok: true, fingerprint } : { ok: false, fingerprint, reason: "mismatch" };
}

/** Host key algorithms to offer for a pinned key line, so the server presents that key and not another of its keys. */
export function hostKeyAlgorithmsFor(pin: HostKeyPin | undefined): string[] | undefined {
  if (!pin || pin.kind !== "key") return undefined;
  if (pin.keyType === "ssh-rsa") return ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"];
  return [pin.keyType];
}

/**
 * Host key algorithms, grouped by the key that answers them. A host holds one key per family (Win32-OpenSSH
 * generates all three on first start: "Get started with OpenSSH for Windows",
 * https://learn.microsoft.com/en-us/windows-server/administration/openssh/openssh_install_firstuse) and shows the one
 * of the first family the client offers, so a key of another family is only seen by offering that family alone.
 * RSA is offered with SHA-2 signatures only (RFC 8332); OpenSSH 8.8 and later refuse `ssh-rsa` (SHA-1) signatures.
 */
export const HOST_KEY_FAMILIES: readonly { readonly keyTypes: readonly string[]; readonly algorithms: readonly string[] }[] = [
  { keyTypes: ["ssh-ed25519"], algorithms: ["ssh-ed25519"] },
  {
    keyTypes: ["ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"],
    algorithms: ["ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"],
  },
  { keyTypes: ["ssh-rsa"], algorithms: ["rsa-sha2-512", "rsa-sha2-256"] },
];

/** The family index of a key type, or -1. */
export function hostKeyFamilyOf(keyType: string): number {
  return HOST_KEY_FAMILIES.findIndex((f) => f.keyTypes.includes(keyType));
}

/**
 * The host key algorithm lists to offer, one key exchange each, until the pin matches: first the pinned key's own
 * algorithms (a key line) or the client's default order (a fingerprint, `undefined`), then each family in turn, so a
 * `SHA256:` pin of any of the host's keys is found and a mismatch can list every key the host holds. `preferred` (a
 * family index that matched before) goes first.
 */
export function hostKeyOffers(pin: HostKeyPin | undefined, preferred?: number): (readonly string[] | undefined)[] {
  if (!pin) return [undefined];
  const families = HOST_KEY_FAMILIES.map((f) => f.algorithms);
  if (preferred !== undefined && families[preferred]) {
    return [families[preferred], ...families.filter((_, i) => i !== preferred)];
  }
  const own = hostKeyAlgorithmsFor(pin);
  return [own, ...families.filter((f) => !own || f[0] !== own[0])];
}
