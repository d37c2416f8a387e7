/**
 * Connection arguments, shaped like `@pulumi/command`'s `remote.ConnectionArgs` (https://www.pulumi.com/registry/packages/command/api-docs/remote/command/#connection) plus an
 * explicit, loudly named opt-out of host-key checking. Validation names the field, the value (never a secret's)
 * and the fix.
 */
import { utils as sshUtils } from "ssh2";
import { z } from "zod";
import { describeReceived, shorten } from "../errors/shorten";
import { TransportError } from "./errors";
import { type HostKeyPin, parseHostKeyPin } from "./hostKey";

/** How to reach a bastion (jump host): the same fields as `ConnectionArgs`, without `proxy`. */
export interface ProxyConnectionArgs {
  /** Host name or IP address. */
  readonly host: string;
  /** SSH port. @default 22 */
  readonly port?: number;
  /** Account to log in as (Windows: `Administrator`, `CORP\svc-upgrade`). Required: there is no `root` default. */
  readonly user: string;
  /** Password (also answers keyboard-interactive). Secret. */
  readonly password?: string;
  /** Private key, OpenSSH or PEM text. Secret. */
  readonly privateKey?: string;
  /** Passphrase of `privateKey`. Secret. */
  readonly privateKeyPassword?: string;
  /** ssh-agent socket. @default $SSH_AUTH_SOCK, used after the key and the password */
  readonly agentSocketPath?: string;
  /** How many connection attempts before giving up (authentication and host-key refusals are never retried). @default 10 */
  readonly dialErrorLimit?: number;
  /** Seconds each attempt may take to complete the SSH handshake; 0 = no limit. @default 15 */
  readonly perDialTimeout?: number;
  /** Pinned host key: an OpenSSH public key line (`ssh-ed25519 AAAA...`) or a `SHA256:...` fingerprint. */
  readonly hostKey?: string;
  /**
   * Accept any host key without checking it (logs a warning on every connection). Only for throw-away labs: it lets
   * anyone on the path impersonate the host and read the credentials. @default false
   */
  readonly insecureSkipHostKeyCheck?: boolean;
}

/** How to reach a Windows host over SSH. */
export interface ConnectionArgs extends ProxyConnectionArgs {
  /** A jump host the connection goes through (`direct-tcpip` forwarding). */
  readonly proxy?: ProxyConnectionArgs;
  /**
   * Operations run at once on the one SSH connection to this host; more wait their turn, in the order they were
   * asked. Stay below the host's `MaxSessions` (sshd_config; 10 by default on Win32-OpenSSH), which OpenSSH counts
   * until the close of a finished operation has gone both ways; lower it when the host's `MaxSessions` is lower or
   * other tools share the account's connections. A channel the host refuses anyway is retried, never fails the
   * operations already running. @default 8
   */
  readonly maxSessions?: number;
}

/** Validated connection, defaults applied. */
export interface ResolvedProxyConnection {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password?: string;
  readonly privateKey?: string;
  readonly privateKeyPassword?: string;
  readonly agentSocketPath?: string;
  readonly dialErrorLimit: number;
  readonly perDialTimeout: number;
  readonly hostKey?: HostKeyPin;
  readonly insecureSkipHostKeyCheck: boolean;
}

/** Validated connection with its optional jump host. */
export interface ResolvedConnection extends ResolvedProxyConnection {
  readonly proxy?: ResolvedProxyConnection;
  readonly maxSessions: number;
}

/** Default SSH port. */
export const DEFAULT_PORT = 22;
/** Default number of connection attempts. */
export const DEFAULT_DIAL_ERROR_LIMIT = 10;
/** Largest accepted `dialErrorLimit`: retries stay bounded (unlike @pulumi/command, -1 "unlimited" is refused). */
export const MAX_DIAL_ERROR_LIMIT = 100;
/** Default seconds per connection attempt. */
export const DEFAULT_PER_DIAL_TIMEOUT = 15;
/** Default operations at once per connection: two below OpenSSH's default `MaxSessions` of 10. */
export const DEFAULT_MAX_SESSIONS = 8;
/** Largest accepted `maxSessions`. */
export const MAX_MAX_SESSIONS = 64;

const SECRET_FIELDS = new Set(["password", "privateKey", "privateKeyPassword"]);

/** The fix to suggest per field. */
const FIXES: Record<string, string> = {
  host: "give the host name or IP address of the Windows host's OpenSSH server",
  port: `use a whole number from 1 to 65535 (default ${DEFAULT_PORT})`,
  user: "give the Windows account to log in as, e.g. 'Administrator' or 'CORP\\svc-upgrade' (there is no default)",
  password: "give the password as a string (a secret)",
  privateKey: "give the private key text (OpenSSH or PEM), not a path",
  privateKeyPassword: "give the passphrase as a string",
  agentSocketPath: "give the path of the ssh-agent socket (as in $SSH_AUTH_SOCK)",
  dialErrorLimit: `use a whole number from 1 to ${MAX_DIAL_ERROR_LIMIT} (default ${DEFAULT_DIAL_ERROR_LIMIT}); unlimited retries are not supported`,
  perDialTimeout: `use seconds from 0 (no limit) up (default ${DEFAULT_PER_DIAL_TIMEOUT})`,
  hostKey: "pin the host's public key line ('ssh-ed25519 AAAA...') or its 'SHA256:...' fingerprint",
  insecureSkipHostKeyCheck: "use true or false",
  proxy: "give the jump host's connection fields (host, user, credentials, hostKey)",
  maxSessions: `use a whole number from 1 to ${MAX_MAX_SESSIONS} (default ${DEFAULT_MAX_SESSIONS}), below the host's sshd MaxSessions (10 by default)`,
};

const base = {
  host: z.string().trim().min(1),
  port: z.number().int().min(1).max(65535).optional(),
  user: z.string().min(1),
  password: z.string().optional(),
  privateKey: z.string().min(1).optional(),
  privateKeyPassword: z.string().optional(),
  agentSocketPath: z.string().min(1).optional(),
  dialErrorLimit: z.number().int().min(1).max(MAX_DIAL_ERROR_LIMIT).optional(),
  perDialTimeout: z.number().min(0).max(3600).optional(),
  hostKey: z.string().min(1).optional(),
  insecureSkipHostKeyCheck: z.boolean().optional(),
};

/** Zod schema of a jump host's arguments. */
export const proxyConnectionArgsSchema = z.object(base).strict();
/** Zod schema of connection arguments. */
export const connectionArgsSchema = z
  .object({ ...base, proxy: proxyConnectionArgsSchema.optional(), maxSessions: z.number().int().min(1).max(MAX_MAX_SESSIONS).optional() })
  .strict();

function show(field: string, value: unknown): string {
  if (SECRET_FIELDS.has(field)) return "(value hidden)";
  return describeReceived(value);
}

function valueAt(input: unknown, path: readonly (string | number)[]): unknown {
  let v: unknown = input;
  for (const k of path) v = typeof v === "object" && v !== null ? (v as Record<string | number, unknown>)[k] : undefined;
  return v;
}

/** A problem with connection arguments: the deepest property it concerns (`connection.port`) and the message. */
export interface ConnectionProblem {
  readonly property: string;
  readonly reason: string;
}

/** Turns zod issues into one message per field: `[connection.port] got 70000: use a whole number ...`. */
function describeIssues(issues: readonly z.ZodIssue[], input: unknown, prefix: string): ConnectionProblem[] {
  return issues.map((issue) => {
    const where = [prefix, ...issue.path].join(".");
    if (issue.code === "unrecognized_keys") {
      return {
        property: where,
        reason: `[${where}] unknown field(s) ${issue.keys.map((k) => `'${shorten(k)}'`).join(", ")}: known fields are ${Object.keys(FIXES).join(", ")}.`,
      };
    }
    const field = String(issue.path[issue.path.length - 1] ?? "");
    const got = show(field, valueAt(input, issue.path));
    return { property: where, reason: `[${where}] got ${got}: ${FIXES[field] ?? issue.message}.` };
  });
}

function resolveOne(
  c: z.infer<typeof proxyConnectionArgsSchema>,
  prefix: string,
  env: NodeJS.ProcessEnv,
  problems: ConnectionProblem[],
): ResolvedProxyConnection {
  let hostKey: HostKeyPin | undefined;
  if (c.hostKey !== undefined) {
    const pin = parseHostKeyPin(c.hostKey);
    if ("error" in pin)
      problems.push({ property: `${prefix}.hostKey`, reason: `[${prefix}.hostKey] got ${show("hostKey", c.hostKey)}: ${pin.error}.` });
    else hostKey = pin;
  }
  if (c.hostKey !== undefined && c.insecureSkipHostKeyCheck) {
    problems.push({
      property: `${prefix}.insecureSkipHostKeyCheck`,
      reason: `[${prefix}.insecureSkipHostKeyCheck] is true while [${prefix}.hostKey] is pinned: remove one of them.`,
    });
  }
  if (c.privateKey !== undefined) {
    const parsed = sshUtils.parseKey(c.privateKey, c.privateKeyPassword);
    if (parsed instanceof Error) {
      const encrypted = /encrypted|passphrase|decrypt|bad/i.test(parsed.message);
      problems.push(
        encrypted
          ? {
              property: `${prefix}.privateKeyPassword`,
              reason: `[${prefix}.privateKeyPassword] (value hidden) does not decrypt [${prefix}.privateKey]: give the key's passphrase.`,
            }
          : {
              property: `${prefix}.privateKey`,
              reason: `[${prefix}.privateKey] (value hidden) is not a private key ssh2 can read: give the OpenSSH or PEM key text, not a path or a public key.`,
            },
      );
    }
  }
  const agentSocketPath = c.agentSocketPath ?? (env.SSH_AUTH_SOCK || undefined);
  if (c.password === undefined && c.privateKey === undefined && agentSocketPath === undefined) {
    problems.push({
      property: prefix,
      reason: `[${prefix}] has no credentials: give [password], [privateKey] (with [privateKeyPassword] if encrypted) or [agentSocketPath] (no $SSH_AUTH_SOCK is set).`,
    });
  }
  return {
    host: c.host,
    port: c.port ?? DEFAULT_PORT,
    user: c.user,
    password: c.password,
    privateKey: c.privateKey,
    privateKeyPassword: c.privateKeyPassword,
    agentSocketPath,
    dialErrorLimit: c.dialErrorLimit ?? DEFAULT_DIAL_ERROR_LIMIT,
    perDialTimeout: c.perDialTimeout ?? DEFAULT_PER_DIAL_TIMEOUT,
    hostKey,
    insecureSkipHostKeyCheck: c.insecureSkipHostKeyCheck ?? false,
  };
}

/**
 * Every problem with connection arguments, as messages (empty when valid). For `check` to report them all at once.
 * `prefix` names the property in messages. @default "connection"
 */
export function validateConnectionArgs(input: unknown, prefix = "connection", env: NodeJS.ProcessEnv = process.env): string[] {
  return connectionArgsProblems(input, prefix, env).map((p) => p.reason);
}

/**
 * Every problem with connection arguments, each with the deepest property it concerns (`connection.port`,
 * `connection.proxy.user`), for `check` failures. Empty when valid.
 */
export function connectionArgsProblems(input: unknown, prefix = "connection", env: NodeJS.ProcessEnv = process.env): ConnectionProblem[] {
  const r = resolve(input, prefix, env);
  return "problems" in r ? r.problems : [];
}

function resolve(
  input: unknown,
  prefix: string,
  env: NodeJS.ProcessEnv,
): { connection: ResolvedConnection } | { problems: ConnectionProblem[] } {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return {
      problems: [{ property: prefix, reason: `[${prefix}] got ${show("", input)}: give an object with host, user and credentials.` }],
    };
  }
  const parsed = connectionArgsSchema.safeParse(input);
  if (!parsed.success) return { problems: describeIssues(parsed.error.issues, input, prefix) };
  const problems: ConnectionProblem[] = [];
  const { proxy, maxSessions, ...own } = parsed.data;
  const main = resolveOne(own, prefix, env, problems);
  const jump = proxy ? resolveOne(proxy, `${prefix}.proxy`, env, problems) : undefined;
  return problems.length > 0 ? { problems } : { connection: { ...main, proxy: jump, maxSessions: maxSessions ?? DEFAULT_MAX_SESSIONS } };
}

/**
 * Validates connection arguments and applies defaults. Throws a `TransportError` with code
 * `invalid-connection-args` listing every problem.
 */
export function resolveConnectionArgs(input: unknown, prefix = "connection", env: NodeJS.ProcessEnv = process.env): ResolvedConnection {
  const r = resolve(input, prefix, env);
  if ("problems" in r) {
    throw new TransportError("invalid-connection-args", `Invalid connection arguments:\n  ${r.problems.map((p) => p.reason).join("\n  ")}`);
  }
  return r.connection;
}

/** `user@host:port`, plus ` via user@jump:port`: how messages and the pool name a connection. */
export function describeConnection(c: ResolvedConnection): string {
  const one = (x: ResolvedProxyConnection) => `${x.user}@${x.host}:${x.port}`;
  return c.proxy ? `${one(c)} via ${one(c.proxy)}` : one(c);
}
