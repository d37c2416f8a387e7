/**
 * Dialing: one SSH connection (optionally through a jump host), host key verified, authenticated, with bounded and
 * awaited retries of connect failures. Authentication failures and host-key refusals are never retried.
 */
import { Client, type AnyAuthMethod, type ConnectConfig } from "ssh2";
import type { Duplex } from "node:stream";
import { type ResolvedConnection, type ResolvedProxyConnection, describeConnection } from "./connectionArgs";
import { TransportError, isTransportError } from "./errors";
import { hostKeyAlgorithmsFor, verifyHostKey } from "./hostKey";
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

/**
 * One attempt at one hop. Resolves the authenticated client or rejects with a TransportError (`host-key-*`,
 * `auth-failed`) or a plain error (connect failure, retryable).
 */
function connectOnce(
  c: ResolvedProxyConnection,
  label: string,
  logger: TransportLogger,
  redact: Redactor,
  sock?: Duplex,
): Promise<{ client: Client; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let fingerprint = "";
    let refusal: TransportError | undefined;
    let settled = false;
    const settle = (err: Error | undefined) => {
      if (settled) return;
      settled = true;
      if (err) {
        client.end();
        reject(err);
      } else {
        resolve({ client, fingerprint });
      }
    };
    const algorithms = hostKeyAlgorithmsFor(c.hostKey);
    const config: ConnectConfig = {
      host: sock ? undefined : c.host,
      port: sock ? undefined : c.port,
      sock,
      username: c.user,
      readyTimeout: c.perDialTimeout > 0 ? c.perDialTimeout * 1000 : 2 ** 31 - 1,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 4,
      authHandler: authMethods(c),
      ...(algorithms ? { algorithms: { serverHostKey: algorithms as never } } : {}),
      hostVerifier: (key: Buffer) => {
        const verdict = verifyHostKey(key, c.hostKey, c.insecureSkipHostKeyCheck);
        fingerprint = verdict.fingerprint;
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
        refusal =
          verdict.reason === "mismatch"
            ? new TransportError(
                "host-key-mismatch",
                `Refused ${label}: it presented host key ${verdict.fingerprint}, which does not match the pinned hostKey ` +
                  `(${c.hostKey?.fingerprint}). The host was reinstalled or re-keyed, or someone is impersonating it. ` +
                  `Check the key on the host (ssh-keygen -lf C:\\ProgramData\\ssh\\ssh_host_ed25519_key.pub) and update hostKey only if it matches.`,
                { host: label, fingerprint: verdict.fingerprint },
              )
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
            `Authentication to ${label} failed (methods tried: ${authMethods(c).map((m) => m.type).join(", ") || "none"}). ` +
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

/** One attempt at the whole chain (jump host, then target). */
async function dialOnce(
  c: ResolvedConnection,
  label: string,
  logger: TransportLogger,
  redact: Redactor,
): Promise<DialedConnection> {
  let jump: Client | undefined;
  let sock: Duplex | undefined;
  if (c.proxy) {
    const jumpLabel = `${c.proxy.user}@${c.proxy.host}:${c.proxy.port} (jump host)`;
    jump = (await connectOnce(c.proxy, jumpLabel, logger, redact)).client;
    try {
      sock = await forward(jump, c);
    } catch (e) {
      jump.end();
      throw new Error(`the jump host could not reach ${c.host}:${c.port}: ${redact((e as Error).message)}`);
    }
  }
  try {
    const { client, fingerprint } = await connectOnce(c, label, logger, redact, sock);
    const j = jump;
    // The jump connection lives exactly as long as the target connection.
    client.once("close", () => j?.end());
    j?.once("close", () => client.end());
    return { client, jump: j, fingerprint, end: () => (client.end(), j?.end()) };
  } catch (e) {
    jump?.end();
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
