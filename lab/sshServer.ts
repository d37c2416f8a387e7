/**
 * The SSH front of one simulated Windows host: an ssh2 server on 127.0.0.1 that authenticates accounts, accepts
 * only wire-protocol execs (docs/wire-protocol.md §1–§2), forwards `direct-tcpip` channels to other lab ports (jump
 * host), and counts connections. What an operation does is not its business: it hands the decoded request to
 * `onRequest` with an `ExecIO` to answer through.
 */
import { createHash, timingSafeEqual } from "node:crypto";
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
  /** Private host key (OpenSSH format). */
  readonly hostKey: string;
  readonly accounts: () => readonly SshAccount[];
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
    this.ssh = this.makeSsh(opts.hostKey);
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

  /** Switches the host key for every later connection. */
  setHostKey(privateKey: string): void {
    this.ssh = this.makeSsh(privateKey);
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

  private makeSsh(hostKey: string): SshServer {
    return new SshServer({ hostKeys: [hostKey] }, (client) => this.onClient(client));
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
    client.on("ready", () => {
      client.on("session", (acceptSession) => {
        const session = acceptSession();
        session.on("exec", (accept, _reject, info) => {
          const stream = accept();
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

  private onDirectTcpip(
    accept: () => ServerChannel,
    reject: () => void,
    destIP: string,
    destPort: number,
  ): void {
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

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
