/**
 * Fake sessions for the fast CRUD tier: a session factory (provider/transport/sessions.ts) whose sessions replay a
 * transcript (tests/golden/transcripts/*.json) instead of reaching a host, so the lifecycle runs with no lab and no SSH.
 * A transcript lists, per host, the operations in the order they are answered: a result, or a transport error by its
 * stable code. `"operation": "*"` answers any operation, again and again.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { TransportError, type TransportErrorCode } from "../../provider/transport/errors";
import type { OperationRequest, RunResult, Session } from "../../provider/transport/session";
import { type SessionFactory, useSessionFactory } from "../../provider/transport/sessions";
import { GOLDEN_DIR } from "../golden/golden";

interface Answer {
  operation: string;
  result?: unknown;
  error?: { code: TransportErrorCode; message: string };
}

/** A transcript: what each host answers. */
export interface Transcript {
  about: string;
  hosts: Record<string, Answer[]>;
}

/** Loads tests/golden/transcripts/<name>.json. */
export function transcript(name: string): Transcript {
  return JSON.parse(fs.readFileSync(path.join(GOLDEN_DIR, "transcripts", `${name}.json`), "utf8"));
}

/** Installs fake sessions replaying `t` until the returned function is called; `sent` records every request. */
export function replay(t: Transcript): { restore: () => void; sent: { host: string; purpose: string; operation: string }[] } {
  const queues = new Map(Object.entries(t.hosts).map(([h, answers]) => [h, [...answers]]));
  const sent: { host: string; purpose: string; operation: string }[] = [];
  const factory: SessionFactory = {
    open(connection, purpose): Session {
      const host = String(connection.host);
      return {
        label: `${connection.user}@${host}:22`,
        async run<T>(request: OperationRequest): Promise<RunResult<T>> {
          sent.push({ host, purpose, operation: request.operation });
          const queue = queues.get(host);
          if (!queue || queue.length === 0) throw new Error(`the transcript has no answer left for ${request.operation} on ${host}`);
          const next = queue[0];
          if (next.operation !== "*") {
            if (next.operation !== request.operation) throw new Error(`the transcript expected ${next.operation} on ${host}, not ${request.operation}`);
            queue.shift();
          }
          if (next.error) throw new TransportError(next.error.code, next.error.message, { host: `${connection.user}@${host}:22` });
          return { result: next.result as T, exitCode: 0, stdout: [], stderr: "" };
        },
      };
    },
  };
  return { restore: useSessionFactory(factory), sent };
}
