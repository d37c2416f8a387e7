/**
 * Standalone lab: `npm run lab -- [options]` (`npm run lab -- --help` lists them), and the control commands for a lab
 * that is running (`npm run lab -- status | audit | set cs2 version 7.12.0.15770369 | ...`; lab/cliOptions.ts).
 *
 * Starts a Horizon pod (two Connection Servers and two paired Security Servers on 7.12.0, the 7.13.2 installer
 * staged on all four) and an App-V farm (two Management Servers and a Streaming Server on 4.1 SP1 sharing APPVIRT
 * on a SQL host, the 4.5 SP2 setup staged), prints the endpoints, writes a JSON description for examples, and runs
 * until SIGINT/SIGTERM.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { USAGE as CLI_USAGE, layoutOptions, parseCommandLine } from "./cliOptions";
import { sendControl, startControl } from "./control";
import { APPV_VERSIONS, HORIZON_VERSIONS, type Lab, type LabOptions, startLab } from "./index";

/** Parsed command-line flags. */
export interface CliFlags {
  readonly timeFactor: number;
  readonly out: string;
}

const USAGE = "usage: lab/cli.ts [--time-factor <simulated seconds per real second>] [--out <path of lab.json>]";

/** Parses `--time-factor N` and `--out PATH` (also `--flag=value`); throws with the usage on anything else. */
export function parseFlags(argv: readonly string[]): CliFlags {
  let timeFactor = 600;
  let out = ".lab/lab.json";
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.split(/=(.*)/s, 2);
    const value = inline ?? argv[++i];
    if (flag === "--time-factor") {
      timeFactor = Number(value);
      if (!(timeFactor > 0)) throw new Error(`[--time-factor] must be a positive number; got "${value}". ${USAGE}`);
    } else if (flag === "--out") {
      if (!value) throw new Error(`[--out] needs a path. ${USAGE}`);
      out = value;
    } else {
      throw new Error(`unknown argument "${arg}". ${USAGE}`);
    }
  }
  return { timeFactor, out };
}

/** Installer paths staged by the CLI lab. */
export const CLI_INSTALLERS = {
  horizon: "C:\\Installers\\VMware-Horizon-Connection-Server-x86_64-7.13.2-21000000.exe",
  appv: "C:\\Installers\\AppV-4.5-SP2\\setup.exe",
} as const;

/** The CLI's lab layout. */
export function cliLabOptions(timeFactor: number): LabOptions {
  const v = HORIZON_VERSIONS["7.12.0"];
  const a = APPV_VERSIONS["4.1 SP1"];
  return {
    timeFactor,
    pods: [
      {
        name: "pod1",
        useIpsec: true,
        connectionServers: [
          { name: "cs1", version: v, role: "standard" },
          { name: "cs2", version: v, role: "replica" },
        ],
        securityServers: [
          { name: "ss1", version: v, pairedWith: "cs1" },
          // Created under another name than its computer name: its upgrade leaves a duplicate entry ("Upgrade View Security Server", step 5).
          { name: "ss2", version: v, pairedWith: "cs2", registeredAs: "DMZ-SS2" },
        ],
      },
    ],
    farms: [
      {
        name: "farm1",
        sql: "sql1",
        database: "APPVIRT",
        servers: [
          { name: "appv1", role: "management", version: a },
          { name: "appv2", role: "management", version: a },
          { name: "appv3", role: "streaming", version: a },
        ],
      },
    ],
  };
}

/** The JSON the CLI writes: everything an example needs to reach the lab. */
export interface LabDescription {
  readonly timeFactor: number;
  /** Pairing password to use with Set-PairingPassword and the SS installer (any value works; this one is fresh). */
  readonly pairingPassword: string;
  readonly hosts: Record<
    string,
    {
      host: string;
      port: number;
      user: string;
      password?: string;
      hostKey: string;
      fingerprint: string;
      role: string;
      computerName: string;
      /** Horizon hosts: the pod. */
      pod?: string;
      /** Security servers: the lab name of the paired Connection Server. */
      pairedWith?: string;
      /** Security servers: the name the pod lists it under. */
      registeredAs?: string;
      /** Current product version. */
      version?: string;
      /** SQL hosts: a sysadmin SQL login (the database administrative credentials the App-V schema upgrade needs). */
      sqlUser?: string;
      sqlPassword?: string;
      /** App-V servers: the farm, and the SQL host (lab name) and database it shares. */
      farm?: string;
      sql?: string;
      database?: string;
      installers: { path: string; sha256: string; version: string }[];
    }
  >;
}

/** Stages the installers and describes the lab. */
export function stageAndDescribe(lab: Lab): LabDescription {
  const hosts: LabDescription["hosts"] = {};
  for (const name of lab.hostNames()) {
    const state = lab.host(name).state;
    const installers: { path: string; sha256: string; version: string }[] = [];
    if (state.role === "connection-server" || state.role === "security-server") {
      const version = HORIZON_VERSIONS["7.13.2"];
      const staged = lab.addInstaller(name, { path: CLI_INSTALLERS.horizon, product: "horizon-connection-server", version });
      installers.push({ path: staged.path, sha256: staged.sha256, version });
    } else if (state.role.startsWith("appv-")) {
      const version = APPV_VERSIONS["4.5 SP2"];
      const staged = lab.addInstaller(name, { path: CLI_INSTALLERS.appv, product: "appv-server", version });
      installers.push({ path: staged.path, sha256: staged.sha256, version });
    }
    const link = state.pod ? lab.pod(state.pod).securityServers[name] : undefined;
    const login = state.role === "sql" ? lab.sqlLogins(name)[0] : undefined;
    hosts[name] = {
      ...lab.endpoint(name),
      role: state.role,
      computerName: state.computerName,
      pod: state.pod,
      pairedWith: link?.pairedWith,
      registeredAs: link?.registeredAs,
      version: state.products[0]?.displayVersion,
      ...(state.database && state.role.startsWith("appv-")
        ? { farm: lab.database(state.database.sql, state.database.name).farm, sql: state.database.sql, database: state.database.name }
        : {}),
      ...(login ? { sqlUser: login.user, sqlPassword: login.password } : {}),
      installers,
    };
  }
  return { timeFactor: lab.timeFactor, pairingPassword: randomBytes(9).toString("base64url"), hosts };
}

async function main(): Promise<void> {
  const cmd = parseCommandLine(process.argv.slice(2));
  if (cmd.command === "help") {
    console.log(CLI_USAGE);
    return;
  }
  if (cmd.command === "control") {
    console.log(await sendControl(resolve(cmd.out), cmd.request));
    return;
  }
  const flags = cmd.flags;
  const lab = await startLab(layoutOptions(flags, cliLabOptions(flags.timeFactor)));
  for (const { host, fault } of flags.faults) lab.inject(host, fault);
  const control = await startControl(lab);
  const description = { ...stageAndDescribe(lab), control: control.endpoint };
  const out = resolve(flags.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(description, null, 2) + "\n", { mode: 0o600 });
  console.log(`vdi-upgrade lab running (time factor ${flags.timeFactor}: 1 s real = ${flags.timeFactor} s simulated)`);
  for (const { host, fault } of flags.faults) console.log(`  fault armed on ${host}: ${JSON.stringify(fault)}`);
  for (const [name, h] of Object.entries(description.hosts)) {
    console.log(`  ${name.padEnd(6)} ${h.role.padEnd(18)} ssh ${h.user}@${h.host} -p ${h.port}  ${h.fingerprint}`);
  }
  console.log(`Passwords, host keys and installer hashes: ${out}`);
  console.log(
    `From another terminal: npm run lab -- status | audit | timeline | set HOST version V | set HOST service Stopped | fault HOST KIND | help`,
  );
  console.log("Press Ctrl+C to stop.");
  const stop = () => {
    control.server.close();
    lab.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        console.error(e);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
