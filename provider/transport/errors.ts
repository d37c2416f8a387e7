/**
 * Errors of the transport, recognisable by a brand and a stable code rather than by `instanceof`: the provider's
 * code is serialized into Pulumi state and may carry its own copy of this class (STYLE.md, "Errors users can act on").
 */

/** Stable kebab-case codes of transport errors. */
export type TransportErrorCode =
  /** The connection arguments failed validation (see `message` for the field and the fix). */
  | "invalid-connection-args"
  /** The host presented a key that does not match the pinned `hostKey`. */
  | "host-key-mismatch"
  /** No `hostKey` was pinned and `insecureSkipHostKeyCheck` is not set. */
  | "host-key-not-pinned"
  /** The host refused every authentication method offered. */
  | "auth-failed"
  /** TCP/SSH connection could not be established within `dialErrorLimit` attempts. */
  | "connect-failed"
  /** The connection dropped after the operation started: it may have run. */
  | "connection-lost"
  /** The operation did not finish before its deadline: it may still be running. */
  | "deadline-exceeded"
  /** The operation exited non-zero. */
  | "operation-failed"
  /** Exit code 0 without a `VDIUPGRADE-RESULT` line, or a result line that is not JSON. */
  | "no-result"
  /** The result did not have the shape the operation promises. */
  | "invalid-result"
  /** The parameters did not have the shape the operation expects (nothing was sent). */
  | "invalid-params";

/** Brand carried by every transport error. */
export const TRANSPORT_ERROR_BRAND = "vdi-upgrade/transport-error";

/** Details a transport error may carry. */
export interface TransportErrorDetails {
  /** `user@host:port` (plus ` via jump`) of the connection. */
  readonly host?: string;
  /** Operation name (e.g. "Invoke-Installer"). */
  readonly operation?: string;
  /** Remote exit code, when one arrived. */
  readonly exitCode?: number | null;
  /** Last lines of stderr, redacted. */
  readonly stderrTail?: string;
  /** Host key fingerprint presented by the host ("SHA256:..."). */
  readonly fingerprint?: string;
  /** Whether the operation may have run on the host (true once the exec started). */
  readonly mayHaveRun?: boolean;
}

/** An error of the transport. Test with `isTransportError`, not `instanceof`. */
export class TransportError extends Error implements TransportErrorDetails {
  readonly brand = TRANSPORT_ERROR_BRAND;
  readonly host?: string;
  readonly operation?: string;
  readonly exitCode?: number | null;
  readonly stderrTail?: string;
  readonly fingerprint?: string;
  readonly mayHaveRun?: boolean;

  constructor(
    readonly code: TransportErrorCode,
    message: string,
    details: TransportErrorDetails = {},
  ) {
    super(message);
    this.name = "TransportError";
    Object.assign(this, details);
  }
}

/** True for a transport error (optionally of one code), from any copy of this module. */
export function isTransportError(e: unknown, code?: TransportErrorCode): e is TransportError {
  if (typeof e !== "object" || e === null) return false;
  const b = e as { brand?: unknown; code?: unknown };
  return b.brand === TRANSPORT_ERROR_BRAND && (code === undefined || b.code === code);
}

/** A host-key refusal: never "unreachable", the operator has to act on it (pin the key the message names). */
export function isHostKeyError(e: unknown): boolean {
  return isTransportError(e, "host-key-mismatch") || isTransportError(e, "host-key-not-pinned");
}

/**
 * The field of a connection's inputs an error is about, when the operator must fix that field before anything can be
 * read (`hostKey` for a refused or unpinned host key); undefined for an error that only means "not reachable now".
 */
export function connectionFieldOf(e: unknown): string | undefined {
  return isHostKeyError(e) ? "hostKey" : undefined;
}
