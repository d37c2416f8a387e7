/**
 * Test-only SSH client for the lab. Builds the wire-protocol request itself (docs/wire-protocol.md) so the lab is
 * tested against the contract, not against provider/ code.
 */
import type { Duplex } from "node:stream";
import { Client, type ConnectConfig } from "ssh2";
import type { Endpoint } from "../../lab";

/** A bootstrap in the spirit of §1: reads stdin, decodes, runs the script block with the params. */
export const BOOTSTRAP = [
  "$ErrorActionPreference = 'Stop'",
  "try {",
  "  $raw = [Console]::In.ReadToEnd()",
  "  $json = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($raw.Trim()))",
  "  $req = $json | ConvertFrom-Json",
  "  $sb = [ScriptBlock]::Create($req.script)",
  "  & $sb $req.params",
  "} catch {",
  "  Write-Output ('VDIUPGRADE-ERROR ' + (@{ message = $_.Exception.Message } | ConvertTo-Json -Compress))",
  "  exit 1",
  "}",
].join("\n");

/** The exec command line for a bootstrap. */
export function commandLine(bootstrap: string = BOOTSTRAP): string {
  const encoded = Buffer.from(bootstrap, "utf16le").toString("base64");
  return `powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand ${encoded}`;
}

/** The stdin of a request. */
export function encodeRequest(operation: string, params: unknown, body = "param($p)\n# body ignored by the lab\n"): string {
  const script = `# vdi-upgrade operation: ${operation}\n${body}`;
  return Buffer.from(JSON.stringify({ script, params }), "utf8").toString("base64");
}

/** What came back from one exec. */
export interface ExecResult {
  /** Exit code, or null when the connection dropped before one arrived. */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** Stdout lines without CR/LF. */
  lines: string[];
  /** Parsed `VDIUPGRADE-RESULT` payload, if any. */
  result?: any;
  /** Message of a `VDIUPGRADE-ERROR` line, if any. */
  error?: string;
  /** The connection went away without an exit status. */
  dropped: boolean;
}

/** Options for `LabClient.connect`. */
export interface ConnectOptions {
  readonly privateKey?: string;
  /** Tunnel socket (jump host). */
  readonly sock?: Duplex;
  /** Skip the password even when the endpoint has one. */
  readonly noPassword?: boolean;
  readonly readyTimeout?: number;
}

/** One SSH connection to a lab host. */
export class LabClient {
  private dropped = false;

  private constructor(readonly ssh: Client) {
    ssh.on("close", () => {
      this.dropped = true;
    });
  }

  /** Connects and pins the endpoint's host key. */
  static connect(endpoint: Endpoint, opts: ConnectOptions = {}): Promise<LabClient> {
    const ssh = new Client();
    const expected = Buffer.from(endpoint.hostKey.split(" ")[1], "base64");
    const cfg: ConnectConfig = {
      host: endpoint.host,
      port: endpoint.port,
      username: endpoint.user,
      password: opts.noPassword ? undefined : endpoint.password,
      privateKey: opts.privateKey,
      sock: opts.sock as ConnectConfig["sock"],
      readyTimeout: opts.readyTimeout ?? 5000,
      hostVerifier: (key: Buffer) => key.equals(expected),
    };
    return new Promise((resolve, reject) => {
      ssh.once("ready", () => {
        ssh.removeListener("error", reject);
        ssh.on("error", () => undefined);
        ssh.setNoDelay(true);
        resolve(new LabClient(ssh));
      });
      ssh.once("error", reject);
      ssh.connect(cfg);
    });
  }

  /** Runs an operation by the wire protocol. */
  run(operation: string, params: unknown = {}): Promise<ExecResult> {
    return this.exec(commandLine(), encodeRequest(operation, params));
  }

  /** Runs a raw exec with stdin, collecting everything. */
  exec(command: string, stdin: string): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      this.ssh.exec(command, (err, stream) => {
        if (err) return reject(err);
        let stdout = "";
        let stderr = "";
        let exitCode: number | null = null;
        let done = false;
        const finish = () => {
          if (done) return;
          done = true;
          const lines = stdout.split(/\r?\n/).filter((l) => l.length > 0);
          const res: ExecResult = { exitCode, stdout, stderr, lines, dropped: exitCode === null };
          for (const l of lines) {
            if (l.startsWith("VDIUPGRADE-RESULT ")) res.result = JSON.parse(l.slice("VDIUPGRADE-RESULT ".length));
            if (l.startsWith("VDIUPGRADE-ERROR ")) res.error = JSON.parse(l.slice("VDIUPGRADE-ERROR ".length)).message;
          }
          resolve(res);
        };
        stream.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
        stream.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
        stream.on("exit", (code: number | null) => {
          exitCode = code;
        });
        stream.on("close", finish);
        this.ssh.once("close", finish);
        stream.end(stdin);
      });
    });
  }

  /** Opens a direct-tcpip channel through this host. */
  forward(port: number, host = "127.0.0.1"): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      this.ssh.forwardOut("127.0.0.1", 0, host, port, (err, stream) => (err ? reject(err) : resolve(stream)));
    });
  }

  /** Whether the connection went away. */
  get closed(): boolean {
    return this.dropped;
  }

  close(): void {
    this.ssh.end();
  }
}

/** Connects, runs one operation, disconnects. */
export async function runOnce(endpoint: Endpoint, operation: string, params: unknown = {}): Promise<ExecResult> {
  const c = await LabClient.connect(endpoint);
  try {
    return await c.run(operation, params);
  } finally {
    c.close();
  }
}
