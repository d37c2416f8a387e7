/**
 * Dialing: one SSH connection (optionally through a jump host), host key verified, authenticated, with bounded and
 * awaited retries of connect failures. Authentication failures and host-key refusals are never retried.
 */
import { Client, type AnyAuthMethod, type ConnectConfig } from "ssh2";
import type { Duplex } from "node:stream";
import { type ResolvedConnection, type ResolvedProxyConnection, describeConnection } from "./connectionArgs";
import { TransportError, isTransportError } from "./errors";
import { type HostKeyPin, blobKeyType, hostKeyFamilyOf, hostKeyOffers, verifyHostKey } from "./hostKey";
import { type Redactor, connectionSecrets, makeRedactor } from "./redact";

/** Where warnings go. */
export interface TransportLogger {
  warn(message: string): void;
}

/** Options of `dial`. */
export interface DialOptions {
  /** Receives the insecure-host-key warning. @default console */
  readonly logger?: TransportLogger;
  /** First retry delay in ms; doubles per attempt up to `maxRetryDelayMs`. @default 500 */
  readonly retryDelayMs?: number;
  /** Largest retry delay in ms. @default 5000 */
  readonly maxRetryDelayMs?: number;
}

/** A live SSH connection and the jump connection under it, if any. */
export interface DialedConnection {
  readonly client: Client;
  readonly jump?: Client;
  /** Fingerprint the host presented. */
  readonly fingerprint: string;
  /** Ends both connections. */
  end(): void;
}

/** The delay before retry number `attempt` (1-based): exponential, capped. */
export function retryDelay(attempt: number, firstMs = 500, maxMs = 5000): number {
  return Math.min(maxMs, firstMs * 2 ** Math.max(0, attempt - 1));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Auth order of @pulumi/command: private key, then password (and keyboard-interactive with it), then agent. */
function authMethods(c: ResolvedProxyConnection): AnyAuthMethod[] {
  const methods: AnyAuthMethod[] = [];
  if (c.privateKey) methods.push({ type: "publickey", username: c.user, key: c.privateKey, passphrase: c.privateKeyPassword });
  if (c.password !== undefined) {
    methods.push({ type: "password", username: c.user, password: c.password });
    const password = c.password;
    methods.push({
      type: "keyboard-interactive",
      username: c.user,
      prompt: (_n, _i, _l, prompts, finish) => finish(prompts.map(() => password)),
    });
  }
  if (c.agentSocketPath) methods.push({ type: "agent", username: c.user, agent: c.agentSocketPath });
  return methods;
}

/** A key the host presented: its type and fingerprint. */
interface PresentedKey {
  readonly type: string;
  readonly fingerprint: string;
}

/** The host presented a key that is not the pinned one (before any credential was sent). */
class PinMismatch extends Error {
  constructor(readonly presented: PresentedKey) {
    super(`host key ${presented.type} ${presented.fingerprint} is not the pinned one`);
  }
}

/** ssh2's words when the host holds no key of the algorithms offered. */
const NO_MATCHING_HOST_KEY = /no matching host key format/i;

/**
 * One attempt at one hop, offering `algorithms` as host key algorithms (undefined: ssh2's default order). Resolves
 * the authenticated client or rejects with a TransportError (`host-key-not-pinned`, `auth-failed`), a `PinMismatch`,
 * or a plain error (connect failure, retryable).
 */
function connectOnce(
  c: ResolvedProxyConnection,
  label: string,
  logger: TransportLogger,
  redact: Redactor,
  sock: Duplex | undefined,
  algorithms: readonly string[] | undefined,
): Promise<{ client: Client; fingerprint: string; keyType: string }> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let fingerprint = "";
    let keyType = "";
    let refusal: Error | undefined;
    let settled = false;
    const settle = (err: Error | undefined) => {
      if (settled) return;
      settled = true;
      if (err) {
        client.end();
        reject(err);
      } else {
        resolve({ client, fingerprint, keyType });
      }
    };
    const config: ConnectConfig = {
      host: sock ? undefined : c.host,
      port: sock ? undefined : c.port,
      sock,
      username: c.user,
      readyTimeout: c.perDialTimeout > 0 ? c.perDialTimeout * 1000 : 2 ** 31 - 1,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 4,
      authHandler: authMethods(c),
      ...(algorithms ? { algorithms: { serverHostKey: [...algorithms] as never } } : {}),
      hostVerifier: (key: Buffer) => {
        const verdict = verifyHostKey(key, c.hostKey, c.insecureSkipHostKeyCheck);
        fingerprint = verdict.fingerprint;
        keyType = blobKeyType(key) ?? "unknown";
        if (verdict.ok) {
          if (!c.hostKey) {
            logger.warn(
              `WARNING: insecureSkipHostKeyCheck is set: accepting ${label}'s host key ${verdict.fingerprint} without checking it. ` +
                `Anyone on the network path could impersonate this host and capture its credentials. ` +
                `Pin it with hostKey: "${verdict.fingerprint}".`,
            );
          }
          return true;
        }
        // Returning false ends the handshake here: no credential is sent to a host whose key does not match.
        refusal =
          verdict.reason === "mismatch"
            ? new PinMismatch({ type: keyType, fingerprint: verdict.fingerprint })
            : new TransportError(
                "host-key-not-pinned",
                `Refused ${label}: no hostKey is pinned. The host presented ${verdict.fingerprint}; after checking it on the host ` +
                  `(ssh-keygen -lf C:\\ProgramData\\ssh\\ssh_host_ed25519_key.pub), set hostKey: "${verdict.fingerprint}".`,
                { host: label, fingerprint: verdict.fingerprint },
              );
        return false;
      },
    };
    client.once("ready", () => {
      // Each operation is a few small writes answered by small writes: without TCP_NODELAY, Nagle's algorithm against
      // the peer's delayed ACKs adds tens of milliseconds to every operation.
      try {
        client.setNoDelay(true);
      } catch {
        // A forwarded channel (jump host) has no socket option to set.
      }
      settle(undefined);
    });
    client.on("error", (err: Error & { level?: string }) => {
      if (refusal) return settle(refusal);
      if (err.level === "client-authentication") {
        return settle(
          new TransportError(
            "auth-failed",
            `Authentication to ${label} failed (methods tried: ${
              authMethods(c)
                .map((m) => m.type)
                .join(", ") || "none"
            }). ` +
              `Check [user], [password], [privateKey]/[privateKeyPassword] or the agent's keys, and that the account may log in over SSH.`,
            { host: label, fingerprint },
          ),
        );
      }
      if (err.level === "agent") {
        return settle(
          new TransportError("auth-failed", `The ssh-agent at ${c.agentSocketPath} failed for ${label}: ${redact(err.message)}.`, {
            host: label,
          }),
        );
      }
      settle(new Error(redact(err.message)));
    });
    client.on("close", () => settle(refusal ?? new Error(`connection to ${label} closed during the handshake`)));
    try {
      client.connect(config);
    } catch (e) {
      settle(e instanceof Error ? new Error(redact(e.message)) : new Error(String(e)));
    }
  });
}

/** Opens a `direct-tcpip` channel through the jump host to the target. */
function forward(jump: Client, c: ResolvedProxyConnection): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    jump.forwardOut("127.0.0.1", 0, c.host, c.port, (err, stream) => (err ? reject(err) : resolve(stream)));
  });
}

/** The host-key family that matched each pin last time (per host), so the next dial offers it first. */
const matchedFamily = new Map<string, number>();

function mismatch(label: string, pin: HostKeyPin, presented: readonly PresentedKey[]): TransportError {
  const first = presented[0];
  const all = presented.map((k) => `${k.type} ${k.fingerprint}`).join(", ");
  return new TransportError(
    "host-key-mismatch",
    `Refused ${label}: ` +
      (first
        ? `it presented host key ${first.fingerprint}, which does not match the pinned hostKey (${pin.fingerprint}); every host key it presented: ${all}. `
        : `it presented no host key of a type this client supports (ed25519, ECDSA, RSA), so none matches the pinned hostKey (${pin.fingerprint}). `) +
      `The host was reinstalled or re-keyed, or someone is impersonating it. Check the keys on the host ` +
      `(ssh-keygen -lf C:\\ProgramData\\ssh\\ssh_host_ed25519_key.pub, and the _ecdsa_ and _rsa_ ones) and update hostKey ` +
      `only if one of them matches.`,
    { host: label, fingerprint: first?.fingerprint },
  );
}

/**
 * Connects one hop and checks its host key against the pin. A `SHA256:` pin may name any of the host's keys, and a
 * host shows one key per key exchange, so the exchange is repeated offering one key family at a time (ed25519, ECDSA,
 * RSA) until a key matches; credentials are sent only on the connection whose key matched. When none matches, the
 * refusal lists every key the host presented. `socket` gives each attempt its transport (a fresh forwarded channel
 * through a jump host, or undefined for TCP).
 */
async function connectVerified(
  c: ResolvedProxyConnection,
  label: string,
  logger: TransportLogger,
  redact: Redactor,
  socket: () => Promise<Duplex | undefined>,
): Promise<{ client: Client; fingerprint: string }> {
  const memo = c.hostKey ? `${c.host}:${c.port}#${c.hostKey.fingerprint}` : undefined;
  const presented: PresentedKey[] = [];
  for (const offer of hostKeyOffers(c.hostKey, memo ? matchedFamily.get(memo) : undefined)) {
    const family = offer ? hostKeyFamilyOf(offer[0]) : -1;
    // A family whose key was already shown would show the same key again.
    if (family >= 0 && presented.some((k) => hostKeyFamilyOf(k.type) === family)) continue;
    const sock = await socket();
    try {
      const { client, fingerprint, keyType } = await connectOnce(c, label, logger, redact, sock, offer);
      if (memo && hostKeyFamilyOf(keyType) >= 0) matchedFamily.set(memo, hostKeyFamilyOf(keyType));
      return { client, fingerprint };
    } catch (e) {
      sock?.destroy();
      if (e instanceof PinMismatch) {
        presented.push(e.presented);
        continue;
      }
      // The host holds no key of this family: nothing to see here.
      if (offer && e instanceof Error && NO_MATCHING_HOST_KEY.test(e.message)) continue;
      throw e;
    }
  }
  throw mismatch(label, c.hostKey!, presented);
}

/** One attempt at the whole chain (jump host, then target). */
async function dialOnce(c: ResolvedConnection, label: string, logger: TransportLogger, redact: Redactor): Promise<DialedConnection> {
  let jump: Client | undefined;
  if (c.proxy) {
    const jumpLabel = `${c.proxy.user}@${c.proxy.host}:${c.proxy.port} (jump host)`;
    jump = (await connectVerified(c.proxy, jumpLabel, logger, redact, async () => undefined)).client;
  }
  const j = jump;
  const socket = async (): Promise<Duplex | undefined> => {
    if (!j) return undefined;
    try {
      return await forward(j, c);
    } catch (e) {
      // eslint-disable-next-line preserve-caught-error -- no cause on purpose: only the redacted message may leave.
      throw new Error(`the jump host could not reach ${c.host}:${c.port}: ${redact((e as Error).message)}`);
    }
  };
  try {
    const { client, fingerprint } = await connectVerified(c, label, logger, redact, socket);
    // The jump connection lives exactly as long as the target connection.
    client.once("close", () => j?.end());
    j?.once("close", () => client.end());
    return { client, jump: j, fingerprint, end: () => (client.end(), j?.end()) };
  } catch (e) {
    j?.end();
    throw e;
  }
}

/**
 * Connects, retrying connect failures up to `dialErrorLimit` attempts in all with an awaited exponential backoff.
 * Authentication failures and host-key refusals end at once. Throws `connect-failed` after the last attempt.
 */
export async function dial(c: ResolvedConnection, options: DialOptions = {}): Promise<DialedConnection> {
  const logger = options.logger ?? console;
  const redact = makeRedactor(connectionSecrets(c));
  const label = describeConnection(c);
  const attempts = c.dialErrorLimit;
  let last: Error | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await dialOnce(c, label, logger, redact);
    } catch (e) {
      if (isTransportError(e)) throw e;
      last = e as Error;
      if (attempt < attempts) await sleep(retryDelay(attempt, options.retryDelayMs, options.maxRetryDelayMs));
    }
  }
  throw new TransportError(
    "connect-failed",
    `Could not connect to ${label} after ${attempts} attempt(s): ${redact(last?.message ?? "unknown error")}. ` +
      `Check that the host is up, that its OpenSSH server listens on port ${c.port} and that no firewall blocks it.`,
    { host: label },
  );
}
