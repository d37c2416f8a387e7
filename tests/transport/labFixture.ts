/** Lab setups and key material shared by the transport and operation tests. */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import type { Endpoint } from "../../lab";
import type { ConnectionArgs } from "../../provider/transport";

const run = promisify(execFile);

/** Simulated seconds per real second: a 12-minute installer takes 100 ms. */
export const FAST = 7_200;

/** Connection arguments for a lab endpoint, host key pinned by its public key line. */
export function argsFor(ep: Endpoint, extra: Partial<ConnectionArgs> = {}): ConnectionArgs {
  return { host: ep.host, port: ep.port, user: ep.user, password: ep.password, hostKey: ep.hostKey, dialErrorLimit: 2, ...extra };
}

/** A fresh ed25519 key pair written by ssh-keygen (optionally with a passphrase). */
export async function makeKeyPair(
  dir: string,
  name: string,
  passphrase = "",
): Promise<{ file: string; privateKey: string; publicKey: string }> {
  const file = path.join(dir, name);
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", passphrase, "-C", name, "-f", file]);
  return { file, privateKey: fs.readFileSync(file, "utf8"), publicKey: fs.readFileSync(`${file}.pub`, "utf8").trim() };
}

/** A temporary directory, removed by the returned function. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vdi-transport-"));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A real ssh-agent listening on a socket in `dir`, in the foreground (-D) so the test owns its process. */
export async function startAgent(
  dir: string,
): Promise<{ socket: string; add: (keyFile: string, passphrase?: string) => Promise<void>; stop: () => void }> {
  const socket = path.join(dir, "agent.sock");
  const child: ChildProcess = spawn("ssh-agent", ["-D", "-a", socket], { stdio: "ignore" });
  for (let i = 0; i < 100 && !fs.existsSync(socket); i++) await new Promise((r) => setTimeout(r, 20));
  if (!fs.existsSync(socket)) {
    child.kill();
    throw new Error("ssh-agent did not create its socket");
  }
  return {
    socket,
    add: async (keyFile) => {
      await run("ssh-add", [keyFile], { env: { ...process.env, SSH_AUTH_SOCK: socket } });
    },
    stop: () => {
      child.kill();
    },
  };
}
