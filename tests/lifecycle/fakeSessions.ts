/**
 * Fake sessions for the fast CRUD tier: a session factory (provider/transport/sessions.ts) whose sessions replay a
 * transcript (tests/golden/transcripts/*.json) instead of reaching a host, so the lifecycle runs with no lab and no SSH.
 * A transcript lists, per host, the operations in the order they are answered: a result, or a transport error by its
 * stable code. `"operation": "*"` answers any operation, again and again. An answer that carries `params` answers only
 * a request with exactly those params: any other operation or params is a mismatch, and the test fails.
 *
 * Transcripts of whole runs are recorded from the lab (`record`, under UPDATE_GOLDEN=1): every operation the provider
 * sent through the real SSH transport with its params and what the host answered, with the lab's credentials, ports
 * and host keys replaced by fixed values the replaying test uses as its inputs.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { TransportError, type TransportErrorCode } from "../../provider/transport/errors";
import type { OperationRequest, RunOptions, RunResult, Session } from "../../provider/transport/session";
import { type SessionFactory, type SessionPurpose, sshSessions, useSessionFactory } from "../../provider/transport/sessions";
import { RUN_ID } from "../../provider/upgrade/lease";
import { GOLDEN_DIR } from "../golden/golden";

/** A transcript keeps this in place of the recording process's run id (the run lease's); replay puts its own back. */
export const RUN_ID_PLACEHOLDER = "<this provider process's run id>";
const withRunId = (value: unknown, from: string, to: string): unknown =>
  value === undefined ? undefined : JSON.parse(JSON.stringify(value).split(from).join(to));

/** One answer of a host. */
export interface Answer {
  operation: string;
  /** The exact params the provider must send (a transcript recorded from the lab has them). */
  params?: unknown;
  /** The session's purpose the provider must ask for. */
  purpose?: SessionPurpose;
  result?: unknown;
  /** Progress lines the host printed before its result. */
  stdout?: string[];
  error?: { code: TransportErrorCode; message: string };
}

/** A transcript: what each host answers, and for a recorded run the inputs it was recorded with and the calls made. */
export interface Transcript {
  about: string;
  /** The inputs of the recorded run (connections with the fixed test values). */
  inputs?: Record<string, unknown>;
  hosts: Record<string, Answer[]>;
}

/** Loads tests/golden/transcripts/<name>.json. */
export function transcript(name: string): Transcript {
  return JSON.parse(fs.readFileSync(path.join(GOLDEN_DIR, "transcripts", `${name}.json`), "utf8"));
}

/** Writes tests/golden/transcripts/<name>.json. */
export function saveTranscript(name: string, t: Transcript): void {
  const file = path.join(GOLDEN_DIR, "transcripts", `${name}.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(t, null, 2)}\n`);
}

/** What a replay saw: every request in order, and every way the provider departed from the transcript. */
export interface Replay {
  restore: () => void;
  sent: { host: string; purpose: SessionPurpose; operation: string }[];
  /** Requests that did not match the transcript (another operation, other params, another purpose, none left). */
  mismatches: string[];
  /** Answers never asked for, per host. */
  unused(): Record<string, string[]>;
}

/** Installs fake sessions replaying `t` until `restore` is called. */
export function replay(t: Transcript): Replay {
  const queues = new Map(Object.entries(t.hosts).map(([h, answers]) => [h, [...answers]]));
  const sent: Replay["sent"] = [];
  const mismatches: string[] = [];
  const refuse = (message: string): never => {
    mismatches.push(message);
    throw new Error(message);
  };
  const factory: SessionFactory = {
    open(connection, purpose): Session {
      const host = String(connection.host);
      return {
        label: `${connection.user}@${host}:22`,
        async run<T>(request: OperationRequest, options?: RunOptions): Promise<RunResult<T>> {
          sent.push({ host, purpose, operation: request.operation });
          const queue = queues.get(host);
          if (!queue || queue.length === 0) return refuse(`the transcript has no answer left for ${request.operation} on ${host}`);
          const next = queue[0];
          if (next.operation !== "*") {
            if (next.operation !== request.operation)
              return refuse(`the transcript expected ${next.operation} on ${host}, not ${request.operation}`);
            if (next.purpose !== undefined && next.purpose !== purpose)
              return refuse(`the transcript expected ${next.operation} on ${host} from a ${next.purpose} session, not a ${purpose} one`);
            if (next.params !== undefined) {
              try {
                assert.deepEqual(withRunId(request.params, RUN_ID, RUN_ID_PLACEHOLDER), next.params);
              } catch (e) {
                return refuse(`${request.operation} on ${host} was sent with other params than the transcript's: ${(e as Error).message}`);
              }
            }
            queue.shift();
          }
          for (const line of next.stdout ?? []) options?.onLine?.(line);
          if (next.error) throw new TransportError(next.error.code, next.error.message, { host: `${connection.user}@${host}:22` });
          return { result: withRunId(next.result, RUN_ID_PLACEHOLDER, RUN_ID) as T, exitCode: 0, stdout: next.stdout ?? [], stderr: "" };
        },
      };
    },
  };
  const unused = () =>
    Object.fromEntries([...queues].filter(([, q]) => q.some((a) => a.operation !== "*")).map(([h, q]) => [h, q.map((a) => a.operation)]));
  return { restore: useSessionFactory(factory), sent, mismatches, unused };
}

/**
 * Records through the real SSH sessions until `restore` is called. `hostOf` names the host of a connection (the lab's
 * hosts all listen on 127.0.0.1); `replace` maps lab-specific strings (passwords, host keys) to the fixed values the
 * transcript keeps.
 */
export function record(
  hostOf: (connection: { host?: unknown; port?: unknown }) => string,
  replace: ReadonlyMap<string, string>,
): { restore: () => void; hosts: Record<string, Answer[]> } {
  const hosts: Record<string, Answer[]> = {};
  const scrub = (value: unknown): unknown => {
    if (value === undefined) return undefined;
    let text = JSON.stringify(value);
    for (const [from, to] of replace) text = text.split(JSON.stringify(from).slice(1, -1)).join(JSON.stringify(to).slice(1, -1));
    return JSON.parse(text);
  };
  const factory: SessionFactory = {
    open(connection, purpose): Session {
      const real = sshSessions.open(connection, purpose);
      const host = hostOf(connection);
      return {
        label: real.label,
        async run<T>(request: OperationRequest, options?: RunOptions): Promise<RunResult<T>> {
          const answer: Answer = { operation: request.operation, purpose, params: scrub(request.params) };
          (hosts[host] ??= []).push(answer);
          const lines: string[] = [];
          try {
            const r = await real.run<T>(request, { ...options, onLine: (line) => (lines.push(line), options?.onLine?.(line)) });
            if (lines.length > 0) answer.stdout = scrub(lines) as string[];
            answer.result = scrub(r.result);
            return r;
          } catch (e) {
            if (lines.length > 0) answer.stdout = scrub(lines) as string[];
            if (!(e instanceof TransportError)) throw e;
            answer.error = { code: e.code, message: scrub(e.message) as string };
            throw e;
          }
        },
      };
    },
  };
  return { restore: useSessionFactory(factory), hosts };
}
