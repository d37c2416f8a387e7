/** The SSH transport to Windows hosts (docs/wire-protocol.md, client side). */
export * from "./connectionArgs";
export * from "./errors";
export * from "./hostKey";
export * from "./powershell";
export * from "./redact";
export { type DialOptions, type TransportLogger, retryDelay } from "./connect";
export { DEFAULT_IDLE_SECONDS, closeAllConnections, pooledConnectionCount } from "./pool";
export * from "./session";
export { type SessionFactory, type SessionPurpose, sessionFactory, sshSessions, useSessionFactory } from "./sessions";
