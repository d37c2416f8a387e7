/**
 * The SSH front of one simulated Windows host: an ssh2 server on 127.0.0.1 that authenticates accounts, accepts
 * only wire-protocol execs (docs/wire-protocol.md §1–§2), forwards `direct-tcpip` channels to other lab ports (jump
 * host), and counts connections. What an operation does is not its business: it hands the decoded request to
 * `onRequest` with an `ExecIO` to answer through.
 *
 * Like Win32-OpenSSH it serves an ed25519, an ECDSA and an RSA host key, and limits the session channels open on one
 * connection (`MaxSessions`, default 10), refusing one more the way sshd does.
 */
import { createHash, generateKeyPair as generateKeyPairAsync, timingSafeEqual } from "node:crypto";
import * as net from "node:net";
import { Server as SshServer, utils as sshUtils } from "ssh2";
import type { Connection, ParsedKey, ServerChannel } from "ssh2";
import { type Request, checkCommandLine, decodeRequest, errorLine } from "./protocol";

/** An account as the SSH front checks it. */
export interface SshAccount {
  readonly user: string;
  readonly password?: string;
  readonly publicKeys: readonly ParsedKey[];
  readonly admin: boolean;
}

/** How an operation answers on its exec channel. Every call after `drop` or `exit` is ignored. */
export interface ExecIO {
  /** Writes a line to stdout (CRLF, as Windows does). */
  line(text: string): void;
  /** Ends the exec with an exit code. */
  exit(code: number): void;
  /** Cuts the whole SSH connection abruptly (TCP destroy, no exit status). */
  drop(): void;
  /** True once dropped or exited, or when the client went away. */
  readonly closed: boolean;
  /**
   * Calls `listener` once when the session's first process ends: the exec exited, the client closed the channel, or the
   * connection dropped (lab/README.md, "Processes and the SSH session").
   */
  onClose(listener: () => void): void;
}

/** Options of one host's SSH front. */
export interface SshFrontOptions {
  /** Lab name, for messages. */
  readonly hostName: string;
  /** Private host keys (OpenSSH or PEM), one per key type; the first is the one a default client is shown. */
  readonly hostKeys: readonly string[];
  /** Session channels allowed open at once on one connection (sshd's `MaxSessions`). @default 10 */
  readonly maxSessions?: number;
  readonly accounts: () => readonly SshAccount[];
  /** Called per session channel open; true makes the connection stop answering from there on (a hung sshd). */
  readonly stall?: () => boolean;
  /** Called once per connection; true refuses every authentication on it. */
  readonly refuseAuth: () => boolean;
  /** Whether a `direct-tcpip` destination port belongs to this lab. */
  readonly isLabPort: (port: number) => boolean;
  /** Runs a decoded request. */
  readonly onRequest: (account: SshAccount, request: Request, io: ExecIO) => void;
}

/** Largest request accepted on stdin. */
const MAX_STDIN_BYTES = 16 * 1024 * 1024;

/**
 * sshd's default `MaxSessions`: "Specifies the maximum number of open shell, login or subsystem (e.g. sftp) sessions
 * permitted per network connection. [...] The default is 10." (sshd_config(5), https://man.openbsd.org/sshd_config;
 * Win32-OpenSSH ships the same default, "OpenSSH Server configuration for Windows",
 * https://learn.microsoft.com/en-us/windows-server/administration/openssh/openssh-server-configuration).
 */
export const DEFAULT_MAX_SESSIONS = 10;

/** SSH_OPEN_ADMINISTRATIVELY_PROHIBITED (RFC 4254 §5.1, https://www.rfc-editor.org/rfc/rfc4254#section-5.1). */
const OPEN_ADMINISTRATIVELY_PROHIBITED = 1;

/**
 * Generates an ed25519 host key. ssh2 1.17 sometimes writes a key its own parser rejects (a public key starting
 * with a zero byte loses it), so keep generating until the key parses.
 */
export function generateHostKey(): string {
  for (;;) {
    const { private: key } = sshUtils.generateKeyPairSync("ed25519");
    const parsed = sshUtils.parseKey(key);
    if (!(parsed instanceof Error)) return key;
  }
}

/**
 * The three host keys Win32-OpenSSH generates on first start (ssh_host_ed25519_key, ssh_host_ecdsa_key,
 * ssh_host_rsa_key in C:\\ProgramData\\ssh; "Get started with OpenSSH for Windows",
 * https://learn.microsoft.com/en-us/windows-server/administration/openssh/openssh_install_firstuse), ed25519 first.
 * The RSA key is 2048 bits where Windows makes 3072: key size changes nothing the lab simulates, and 3072-bit keys
 * take ~0.4 s of CPU each to generate. The RSA key is generated off the event loop.
 */
export async function generateHostKeys(): Promise<string[]> {
  const rsa = new Promise<string>((resolve, reject) =>
    generateKeyPairAsync(
      "rsa",
      { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs1", format: "pem" } },
      (err, _pub, priv) => (err ? reject(err) : resolve(priv)),
    ),
  );
  return [generateHostKey(), sshUtils.generateKeyPairSync("ecdsa", { bits: 256 }).private, await rsa];
}

/** `generateHostKeys`, blocking (a host re-keyed by a fault, where the caller cannot wait). */
export function generateHostKeysSync(): string[] {
  return [
    generateHostKey(),
    sshUtils.generateKeyPairSync("ecdsa", { bits: 256 }).private,
    sshUtils.generateKeyPairSync("rsa", { bits: 2048 }).private,
  ];
}

/** An OpenSSH public key line ("ssh-ed25519 AAAA...") and its fingerprint ("SHA256:..."), from a private key. */
export function publicKeyInfo(privateKey: string): { hostKey: string; fingerprint: string } {
  const parsed = sshUtils.parseKey(privateKey);
  if (parsed instanceof Error) throw parsed;
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  const blob = key.getPublicSSH();
  const fingerprint = "SHA256:" + createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
  return { hostKey: `${key.type} ${blob.toString("base64")}`, fingerprint };
}

/** Parses an authorized OpenSSH public key line; throws with the reason. */
export function parsePublicKey(line: string): ParsedKey {
  const parsed = sshUtils.parseKey(line);
  if (parsed instanceof Error) throw new Error(`[publicKeys] cannot parse "${line.slice(0, 40)}...": ${parsed.message}`);
  return Array.isArray(parsed) ? parsed[0] : parsed;
}

/** One host's SSH server. */
export class SshFront {
  /** TCP connections accepted so far (including ones refused at authentication). */
  connections = 0;
  private ssh: SshServer;
  private readonly tcp: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private portNumber = 0;

  constructor(private readonly opts: SshFrontOptions) {
    this.ssh = this.makeSsh(opts.hostKeys);
    this.tcp = net.createServer((socket) => {
      this.connections++;
      this.track(socket);
      // Small request/answer exchanges: without this, Nagle and delayed ACKs add ~40 ms per round trip.
      socket.setNoDelay(true);
      socket.on("error", () => undefined);
      this.ssh.injectSocket(socket);
    });
  }

  /** Listens on 127.0.0.1 (port 0: ephemeral) and resolves the port. */
  listen(port = 0): Promise<number> {
    return new Promise((resolve, reject) => {
      this.tcp.once("error", reject);
      this.tcp.listen(port, "127.0.0.1", () => {
        this.tcp.off("error", reject);
        this.portNumber = (this.tcp.address() as net.AddressInfo).port;
        resolve(this.portNumber);
      });
    });
  }

  /** The listening port. */
  get port(): number {
    return this.portNumber;
  }

  /** Switches the host keys for every later connection. */
  setHostKeys(privateKeys: readonly string[]): void {
    this.ssh = this.makeSsh(privateKeys);
  }

  /** Stops listening and cuts every connection. */
  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.tcp.close(() => resolve()));
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
  }

  private makeSsh(hostKeys: readonly string[]): SshServer {
    return new SshServer({ hostKeys: [...hostKeys] }, (client) => this.onClient(client));
  }

  private onClient(client: Connection): void {
    const refuse = this.opts.refuseAuth();
    let account: SshAccount | undefined;
    client.on("error", () => undefined);
    client.on("authentication", (ctx) => {
      const candidate = this.opts.accounts().find((a) => a.user.toLowerCase() === ctx.username.toLowerCase());
      if (refuse || !candidate) return ctx.reject(["password", "publickey"]);
      if (ctx.method === "password") {
        if (candidate.password !== undefined && sameText(ctx.password, candidate.password)) {
          account = candidate;
          return ctx.accept();
        }
        return ctx.reject(["password", "publickey"]);
      }
      if (ctx.method === "publickey") {
        const key = candidate.publicKeys.find((k) => k.getPublicSSH().equals(ctx.key.data));
        if (!key) return ctx.reject(["password", "publickey"]);
        if (ctx.signature && ctx.blob) {
          if (key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) return ctx.reject(["password", "publickey"]);
          account = candidate;
        }
        return ctx.accept();
      }
      return ctx.reject(["password", "publickey"]);
    });
    const sessions = new SessionSlots(client, this.opts.maxSessions ?? DEFAULT_MAX_SESSIONS);
    client.on("ready", () => {
      let stalled = false;
      client.on("session", (acceptSession, rejectSession) => {
        // A stalled connection answers nothing more: the channel open is left without a reply.
        if (stalled || this.opts.stall?.()) return void (stalled = true);
        if (sessions.full()) return sessions.refuse(rejectSession);
        const session = acceptSession();
        const slot = sessions.take(session);
        session.on("exec", (accept, _reject, info) => {
          const stream = accept();
          slot.channel(stream);
          this.onExec(client, account!, stream, info.command);
        });
        session.on("pty", (_a, reject) => reject?.());
        session.on("shell", (_a, reject) => reject?.());
        session.on("subsystem", (_a, reject) => reject?.());
        session.on("env", (_a, reject) => reject?.());
      });
      client.on("tcpip", (accept, reject, info) => this.onDirectTcpip(accept, reject, info.destIP, info.destPort));
    });
  }

  private onDirectTcpip(accept: () => ServerChannel, reject: () => void, destIP: string, destPort: number): void {
    const local = destIP === "127.0.0.1" || destIP.toLowerCase() === "localhost";
    if (!local || !this.opts.isLabPort(destPort)) return reject();
    const upstream = net.connect(destPort, "127.0.0.1");
    this.track(upstream);
    upstream.once("error", () => reject());
    upstream.once("connect", () => {
      upstream.removeAllListeners("error");
      upstream.on("error", () => channel.destroy());
      const channel = accept();
      channel.on("error", () => upstream.destroy());
      channel.pipe(upstream).pipe(channel);
    });
  }

  private onExec(client: Connection, account: SshAccount, stream: ServerChannel, command: string): void {
    let closed = false;
    const closeListeners: (() => void)[] = [];
    let ended = false;
    const sessionEnded = () => {
      ended = true;
      for (const l of closeListeners.splice(0)) l();
    };
    const io: ExecIO = {
      line(text) {
        if (!closed) stream.write(`${text}\r\n`);
      },
      exit(code) {
        if (closed) return;
        closed = true;
        stream.exit(code);
        stream.end();
        sessionEnded();
      },
      drop() {
        if (closed) return;
        closed = true;
        // An abrupt drop: no exit status, no channel close, just a dead TCP connection.
        (client as unknown as { _sock: net.Socket })._sock.destroy();
        sessionEnded();
      },
      get closed() {
        return closed;
      },
      onClose(listener) {
        if (ended) listener();
        else closeListeners.push(listener);
      },
    };
    stream.on("close", () => {
      closed = true;
      sessionEnded();
    });
    stream.on("error", () => undefined);
    const verdict = checkCommandLine(command);
    if (!verdict.ok) {
      stream.stderr.write(`${verdict.stderr}\r\n`);
      io.exit(verdict.exitCode);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_STDIN_BYTES) chunks.push(chunk);
    });
    stream.once("end", () => {
      if (size > MAX_STDIN_BYTES) {
        io.line(errorLine(`The request on stdin is larger than ${MAX_STDIN_BYTES} bytes.`));
        io.exit(1);
        return;
      }
      const decoded = decodeRequest(Buffer.concat(chunks).toString("latin1"));
      if (!decoded.ok) {
        io.line(errorLine(decoded.message));
        io.exit(1);
        return;
      }
      this.opts.onRequest(account, decoded.request, io);
    });
  }
}

/**
 * The session channels open on one connection, counted as sshd counts them. sshd's session_open() fails with "no more
 * sessions" once MaxSessions sessions exist, and server_input_channel_open() then answers
 * SSH2_MSG_CHANNEL_OPEN_FAILURE with SSH2_OPEN_ADMINISTRATIVELY_PROHIBITED and the description "open failed"
 * (openssh-portable session.c and serverloop.c, https://github.com/openssh/openssh-portable). A session's slot is
 * freed only when its channel is freed, that is after CHANNEL_CLOSE went both ways (channels.c, chan_is_dead): a client
 * that has not yet sent its close still holds the slot after the exit status arrived.
 */
class SessionSlots {
  private readonly open = new Set<{ session: object; id: number; stream?: ServerChannel; closed: boolean }>();

  constructor(
    private readonly client: Connection,
    private readonly max: number,
  ) {}

  full(): boolean {
    for (const slot of this.open) if (!this.alive(slot)) this.open.delete(slot);
    return this.open.size >= this.max;
  }

  /** Answers the channel open the way sshd does (ssh2's own reject() sends another reason and no description). */
  refuse(reject: () => void): void {
    const proto = (this.client as unknown as { _protocol: { channelOpenFail(r: number, reason: number, desc: string): void } })._protocol;
    const original = proto.channelOpenFail;
    proto.channelOpenFail = (recipient: number) => original.call(proto, recipient, OPEN_ADMINISTRATIVELY_PROHIBITED, "open failed");
    try {
      reject();
    } finally {
      proto.channelOpenFail = original;
    }
  }

  take(session: object): { channel(stream: ServerChannel): void } {
    const id = (session as { _chanInfo?: { incoming?: { id?: number } } })._chanInfo?.incoming?.id ?? -1;
    const slot: { session: object; id: number; stream?: ServerChannel; closed: boolean } = { session, id, closed: false };
    this.open.add(slot);
    return {
      channel: (stream) => {
        slot.stream = stream;
        // ssh2 emits "close" on a server channel once CHANNEL_CLOSE was both received and sent.
        stream.once("close", () => {
          slot.closed = true;
          this.open.delete(slot);
        });
      },
    };
  }

  private alive(slot: { session: object; id: number; stream?: ServerChannel; closed: boolean }): boolean {
    if (slot.closed) return false;
    if (slot.stream) return true;
    // A session closed before any exec: ssh2 drops it from its channel table without an event.
    const table = (this.client as unknown as { _chanMgr?: { get(id: number): unknown } })._chanMgr;
    return !table || slot.id < 0 || table.get(slot.id) === slot.session;
  }
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
