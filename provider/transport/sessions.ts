/**
 * The seam between the resources and the transport: resources ask a session factory for a session to a host, for
 * planning (check, read: few, short connection attempts) or for changing it (create, update). SSH specifics (dial
 * limits, host keys, the pool) stay in this folder. Tests install a factory of fake sessions (`useSessionFactory`).
 */
import type { ConnectionArgs } from "./connectionArgs";
import { type Session, openSession } from "./session";

/** What a session is for: `planning` reads (check, read), `changing` runs an upgrade. */
export type SessionPurpose = "planning" | "changing";

/** Opens sessions to hosts. */
export interface SessionFactory {
  open(connection: ConnectionArgs, purpose: SessionPurpose): Session;
}

/** Connection attempts while planning: preview must not hang on a dead host (at most 2 attempts of 10 s). */
const PLANNING_DIAL_LIMIT = 2;
const PLANNING_PER_DIAL_SECONDS = 10;

/** The SSH transport: planning sessions make fewer and shorter connection attempts than an upgrade. */
export const sshSessions: SessionFactory = {
  open(connection, purpose) {
    if (purpose === "changing") return openSession(connection);
    const limit = typeof connection.dialErrorLimit === "number" ? connection.dialErrorLimit : 10;
    const perDial = typeof connection.perDialTimeout === "number" && connection.perDialTimeout > 0 ? connection.perDialTimeout : 15;
    return openSession({
      ...connection,
      dialErrorLimit: Math.min(limit, PLANNING_DIAL_LIMIT),
      perDialTimeout: Math.min(perDial, PLANNING_PER_DIAL_SECONDS),
    });
  },
};

let current: SessionFactory = sshSessions;

/** The factory resources obtain their sessions from (the SSH transport unless a test installed another). */
export function sessionFactory(): SessionFactory {
  return current;
}

/** Installs `factory` (a test's fake sessions); returns a function that puts the previous one back. */
export function useSessionFactory(factory: SessionFactory): () => void {
  const previous = current;
  current = factory;
  return () => {
    current = previous;
  };
}
