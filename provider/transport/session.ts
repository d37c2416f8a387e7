/**
 * Running one operation on a host: the exec of docs/wire-protocol.md with the request on stdin, progress lines
 * streamed, a deadline, and the result line parsed. An exec that started is never retried: an installer must not
 * run twice.
 */
import type { ClientChannel } from "ssh2";
import type { DialOptions, TransportLogger } from "./connect";
import { type ConnectionArgs, type ResolvedConnection, describeConnection, resolveConnectionArgs } from "./connectionArgs";
import { TransportError } from "./errors";
import { type Lease, acquire } from "./pool";
import { COMMAND_LINE, LineSplitter, type WireRequest, classifyLine, encodeRequest, operationHeader, operationOf } from "./powershell";
import { connectionSecrets, makeRedactor, redactValue, secretsOf } from "./redact";

/** Default deadline of an operation, in seconds. */
export const DEFAULT_DEADLINE_SECONDS = 300;
/** How many characters of stderr an error message quotes. */
export const STDERR_TAIL_CHARS = 2000;

/** An operation ready to send. */
export interface OperationRequest extends WireRequest {
  /** Operation name; must match the script's header line. */
  readonly operation: string;
}

/** Options of one run. */
export interface RunOptions {
  /** Seconds the operation may take, from the exec; then the channel is closed. @default 300 */
  readonly deadlineSeconds?: number;
  /** Receives each stdout line (redacted) as it arrives, except the result line. */
  readonly onLine?: (line: string) => void;
}

/** What a successful run returns. */
export interface RunResult<T = unknown> {
  /** The parsed `VDIUPGRADE-RESULT` payload (redacted). */
  readonly result: T;
  /** Remote exit code (0). */
  readonly exitCode: number;
  /** Stdout lines without the result line (redacted). */
  readonly stdout: readonly string[];
  /** Stderr (redacted). */
  readonly stderr: string;
}

/** Options of a session. */
export interface SessionOptions extends DialOptions {
  /** Seconds a pooled connection stays open unused. @default 60 */
  readonly idleSeconds?: number;
  /** Receives transport warnings. @default console */
  readonly logger?: TransportLogger;
}

/** A host to run operations on. Cheap: connections come from the process-wide pool. */
export interface Session {
  /** `user@host:port` (plus the jump host). */
  readonly label: string;
  /** Runs one operation; throws a `TransportError` on failure. */
  run<T = unknown>(request: OperationRequest, options?: RunOptions): Promise<RunResult<T>>;
}

function tail(text: string): string {
  const t = text.trim();
  return t.length > STDERR_TAIL_CHARS ? `...${t.slice(-STDERR_TAIL_CHARS)}` : t;
}

/** How many times the host may refuse one operation's channel before the operation fails (it did not start). */
export const MAX_REFUSED_CHANNELS = 10;

/** The pause before retrying a channel the host refused for the `n`th time (1-based): 50 ms doubling, at most 1 s. */
export function refusedChannelDelay(n: number): number {
  return Math.min(1000, 50 * 2 ** Math.max(0, n - 1));
}

/** Opening the channel took longer than allowed. */
class ChannelOpenTimeout extends Error {}

/**
 * Opens a channel; rejects when the channel cannot be opened within `timeoutMs` (0: no limit), in which case the
 * operation did not start. A channel confirmed after the timeout is closed at once.
 */
function openExec(lease: Lease, timeoutMs: number): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            reject(new ChannelOpenTimeout(`the host did not open a channel within ${timeoutMs / 1000} s`));
          }, timeoutMs)
        : undefined;
    try {
      lease.connection.client.exec(COMMAND_LINE, (err, stream) => {
        clearTimeout(timer);
        if (timedOut) {
          if (!err) stream.close();
          return;
        }
        if (err) reject(err);
        else resolve(stream);
      });
    } catch (e) {
      clearTimeout(timer);
      reject(e);
    }
  });
}

/**
 * Whether a failed channel open was refused by a host that is still connected: a channel open failure (sshd answers
 * "open failed" beyond its MaxSessions) or an exec request the host declined. Either way nothing ran.
 */
function refusedOnLiveConnection(lease: Lease, e: unknown): boolean {
  if (lease.closed) return false;
  const err = e as { reason?: unknown; message?: unknown };
  return typeof err.reason === "number" || /Unable to exec/.test(String(err.message));
}

/**
 * Makes a session for a host. Validates the arguments now (throws `invalid-connection-args`); connects on the first
 * `run`.
 */
export function openSession(args: ConnectionArgs, options: SessionOptions = {}): Session {
  const connection = resolveConnectionArgs(args);
  return new PooledSession(connection, options);
}

class PooledSession implements Session {
  readonly label: string;

  constructor(
    private readonly connection: ResolvedConnection,
    private readonly options: SessionOptions,
  ) {
    this.label = describeConnection(connection);
  }

  async run<T>(request: OperationRequest, options: RunOptions = {}): Promise<RunResult<T>> {
    if (operationOf(request.script) !== request.operation) {
      throw new Error(`The script of ${request.operation} must start with "${operationHeader(request.operation)}".`);
    }
    // A channel that fails to open never started the operation. A channel the host refuses on a live connection (its
    // MaxSessions reached) goes back to the queue, keeping its place, after a short pause; the connection and the
    // operations running on it are left alone. A dead pooled connection (it may have died while idle) is replaced once.
    // A host that does not answer a channel open within perDialTimeout is taken out of the pool. Once the channel is
    // open, nothing is retried.
    const openTimeoutMs = this.connection.perDialTimeout * 1000;
    let ticket: number | undefined;
    let refusals = 0;
    let redialed = false;
    for (;;) {
      const lease = await acquire(this.connection, {
        ...this.options,
        ticket,
        delayMs: refusals > 0 ? refusedChannelDelay(refusals) : 0,
      });
      ticket = lease.ticket;
      let stream: ClientChannel;
      try {
        stream = await openExec(lease, openTimeoutMs);
      } catch (e) {
        const notStarted = (why: string) =>
          new TransportError(
            "connect-failed",
            `Could not start ${request.operation} on ${this.label}: ${why} The operation did not start.`,
            {
              host: this.label,
              operation: request.operation,
              mayHaveRun: false,
            },
          );
        if (e instanceof ChannelOpenTimeout) {
          lease.retire();
          throw notStarted(
            `${e.message} (perDialTimeout); the connection stopped answering and was dropped, the next operation connects anew.`,
          );
        }
        if (refusedOnLiveConnection(lease, e)) {
          lease.refused();
          if (++refusals < MAX_REFUSED_CHANNELS) continue;
          throw notStarted(
            `the host refused ${refusals} channels in a row (${(e as Error).message}). Its sshd MaxSessions is lower than ` +
              `[connection.maxSessions] (${this.connection.maxSessions}) or other clients hold its sessions: lower maxSessions.`,
          );
        }
        // Some other failure: a dead connection is closed; a live one only leaves the pool, so the operations still
        // running on it are not cut.
        if (lease.closed) lease.discard();
        else lease.retire();
        if (!redialed) {
          redialed = true;
          continue;
        }
        throw notStarted(`${(e as Error).message}.`);
      }
      return this.exec<T>(lease, stream, request, options);
    }
  }

  private exec<T>(lease: Lease, stream: ClientChannel, request: OperationRequest, options: RunOptions): Promise<RunResult<T>> {
    const secrets = [...secretsOf(request.params), ...connectionSecrets(this.connection)];
    const redact = makeRedactor(secrets);
    const { operation } = request;
    const host = this.label;
    const deadlineSeconds = options.deadlineSeconds ?? DEFAULT_DEADLINE_SECONDS;

    return new Promise<RunResult<T>>((resolve, reject) => {
      const stdout: string[] = [];
      let resultJson: string | undefined;
      let errorMessage: string | undefined;
      let stderr = "";
      let exitCode: number | null | undefined;
      let signal: string | undefined;
      let done = false;
      const out = new LineSplitter();

      let stopWatching: () => void = () => undefined;
      const finish = (how: "closed" | "lost" | "deadline") => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        stopWatching();
        for (const l of out.flush()) take(l);
        const stderrTail = redact(tail(stderr));
        if (how === "deadline") {
          stream.close();
          // A host that let the deadline pass may be hung: the next operation gets a new connection (issue 11).
          lease.retire();
          return reject(
            new TransportError(
              "deadline-exceeded",
              `${operation} on ${host} did not finish within ${deadlineSeconds} s; the channel was closed but the operation ` +
                `may still be running on the host. Check the host (running processes, the installer log, service states) ` +
                `before running it again.` +
                (stderrTail ? ` stderr: ${stderrTail}` : ""),
              { host, operation, stderrTail, mayHaveRun: true },
            ),
          );
        }
        if (how === "lost" || exitCode === undefined) {
          // A channel closed without an exit status on a live connection leaves the connection usable.
          if (lease.closed) lease.discard();
          else lease.release();
          return reject(
            new TransportError(
              "connection-lost",
              `The connection to ${host} dropped while ${operation} was running: the operation may have run, partly or ` +
                `completely. It was not retried. Check the host's state (installed version, services, the operation's log) ` +
                `before running it again.` +
                (stderrTail ? ` stderr: ${stderrTail}` : ""),
              { host, operation, stderrTail, mayHaveRun: true },
            ),
          );
        }
        lease.release();
        if (exitCode !== 0) {
          const why = errorMessage !== undefined ? redact(errorMessage) : signal ? `killed by signal ${signal}` : "no error line";
          return reject(
            new TransportError(
              "operation-failed",
              `${operation} failed on ${host} with exit code ${exitCode}: ${why}` + (stderrTail ? `\nstderr (tail): ${stderrTail}` : ""),
              { host, operation, exitCode, stderrTail, mayHaveRun: true },
            ),
          );
        }
        if (resultJson === undefined) {
          return reject(
            new TransportError(
              "no-result",
              `${operation} on ${host} exited 0 without a VDIUPGRADE-RESULT line.` + (stderrTail ? `\nstderr (tail): ${stderrTail}` : ""),
              { host, operation, exitCode, stderrTail, mayHaveRun: true },
            ),
          );
        }
        let result: unknown;
        try {
          result = JSON.parse(resultJson);
        } catch (e) {
          return reject(
            new TransportError(
              "no-result",
              `${operation} on ${host} printed a result line that is not JSON (${(e as Error).message}): ${redact(resultJson.slice(0, 200))}`,
              { host, operation, exitCode, stderrTail, mayHaveRun: true },
            ),
          );
        }
        resolve({ result: redactValue(result, secrets) as T, exitCode, stdout, stderr: redact(stderr) });
      };

      const take = (raw: string) => {
        const line = classifyLine(raw);
        if (line.kind === "result") {
          resultJson = line.json;
          return;
        }
        if (line.kind === "error") errorMessage = line.message;
        const shown = redact(raw);
        stdout.push(shown);
        if (options.onLine) {
          try {
            options.onLine(shown);
          } catch {
            // A failing progress callback must not break the operation.
          }
        }
      };

      const timer = setTimeout(() => finish("deadline"), deadlineSeconds * 1000);
      stopWatching = lease.onClose(() => finish("lost"));
      stream.setEncoding("utf8");
      stream.stderr.setEncoding("utf8");
      stream.on("data", (chunk: string) => {
        for (const l of out.push(chunk)) take(l);
      });
      stream.stderr.on("data", (chunk: string) => {
        stderr += chunk;
        if (stderr.length > 4 * STDERR_TAIL_CHARS) stderr = stderr.slice(-2 * STDERR_TAIL_CHARS);
      });
      stream.on("exit", (code: number | null, sig?: string) => {
        exitCode = code;
        signal = sig;
        if (code === null && sig === undefined) exitCode = undefined;
      });
      stream.on("error", () => undefined);
      stream.on("close", () => finish("closed"));
      stream.end(encodeRequest(request));
    });
  }
}
