// Measures where secret values appear in the engine's logs (docs/security.md): the demo estate (examples/estate: the
// Horizon pod and the App-V farm) against a fresh lab, `pulumi up` once with `--debug` and once with
// `-v=9 --logtostderr`, each with the secrets given as plain Pulumi secrets and as references (`secretReferences:
// "env"`). Counts every occurrence of every secret value (the eight SSH passwords, the pairing password, the SQL
// password) in the terminal output (stdout), the log (stderr), the engine's events and the state file, and which kind
// of log line holds them.
//   npm run build && npx ts-node --transpile-only scripts/secretLogs.ts [--json]
import * as fs from "node:fs";
import * as path from "node:path";
import type { EngineEvent, LocalWorkspace } from "@pulumi/pulumi/automation";
import { Engine } from "../tests/harness/engine";
import { dispose, podUnderTest, type PodUnderTest } from "../tests/harness/podLab";

type Mode = "debug" | "v9";
type Form = "values" | "references";
type Inventory = { pairingPassword: string; hosts: Record<string, { password?: string; sqlUser?: string; sqlPassword?: string }> };

function count(text: string, needles: readonly string[]): number {
  return needles.reduce((n, s) => n + (s ? text.split(s).length - 1 : 0), 0);
}

function referencedEnv(p: PodUnderTest): Record<string, string> {
  const inv = JSON.parse(fs.readFileSync(path.join(p.dir, "lab.json"), "utf8")) as Inventory;
  const env: Record<string, string> = { VDI_PAIRING_PASSWORD: inv.pairingPassword };
  for (const [name, h] of Object.entries(inv.hosts)) {
    if (h.password) env[`VDI_SSH_PASSWORD_${name.toUpperCase()}`] = h.password;
    if (h.sqlUser && h.sqlPassword)
      Object.assign(env, { [`VDI_SQL_USER_${name.toUpperCase()}`]: h.sqlUser, [`VDI_SQL_PASSWORD_${name.toUpperCase()}`]: h.sqlPassword });
  }
  return env;
}

/** What kind of log line this is: the RPC and method for the engine's marshalling lines, else its first words. */
function kindOf(line: string): string {
  let msg = line;
  try {
    msg = (JSON.parse(line) as { msg?: string }).msg ?? line;
  } catch {
    // a plain text line
  }
  const rpc = /^(Unmarshaling|Marshaling) property for RPC\[(?:(ResourceMonitor\.\w+)|Provider\[[^\]]*\]\.(\w+))/.exec(msg);
  if (rpc) return `${rpc[1]} property for RPC ${rpc[2] ?? `Provider.${rpc[3]}`}`;
  const finished = /RegisterResource RPC finished/.exec(msg);
  if (finished)
    return msg.startsWith("eventSink::Debug") ? "eventSink::Debug(RegisterResource RPC finished)" : "RegisterResource RPC finished";
  return msg
    .trim()
    .split(/\s+/)
    .slice(0, 4)
    .join(" ")
    .replace(/urn:\S+/, "URN");
}

async function measure(engine: Engine, mode: Mode, form: Form) {
  const pod = await podUnderTest(engine, form === "references" ? { secretReferences: "env" } : {}, "estate");
  try {
    if (form === "references") Object.assign((pod.stack.stack.workspace as LocalWorkspace).envVars, referencedEnv(pod));
    const inv = JSON.parse(fs.readFileSync(path.join(pod.dir, "lab.json"), "utf8")) as Inventory;
    const ssh = Object.values(inv.hosts)
      .map((h) => h.password!)
      .filter(Boolean);
    const pairing = [inv.pairingPassword];
    const sql = Object.values(inv.hosts)
      .map((h) => h.sqlPassword!)
      .filter(Boolean);
    const events: EngineEvent[] = [];
    let output = "";
    const up = await pod.stack.stack.up({
      ...(mode === "debug" ? { debug: true } : { logVerbosity: 9, logToStdErr: true }),
      color: "never",
      onEvent: (e) => events.push(e),
      onOutput: (s) => (output += s),
    });
    const stdout = up.stdout || output;
    const stderr = up.stderr;
    const dump = process.argv.indexOf("--dump");
    if (dump > 0) fs.writeFileSync(path.join(process.argv[dump + 1], `up-${mode}-${form}.log`), `${stdout}\n----- stderr -----\n${stderr}`);
    // What printed the lines holding a secret: the -v=9 log is JSON lines (`{"msg": ...}`), the terminal plain text.
    const bySource: Record<string, number> = {};
    const byTerminal: Record<string, number> = {};
    for (const [text, into] of [
      [stderr, bySource],
      [stdout, byTerminal],
    ] as const) {
      // A terminal debug message spans lines (the SDK prints a response whole): its lines count under its first one.
      let message: string | undefined;
      for (const line of text.split("\n")) {
        const debug = /^\s*debug: (.*)$/.exec(line);
        if (debug) message = kindOf(debug[1]);
        else if (!/^\s/.test(line)) message = undefined;
        const n = count(line, [...ssh, ...pairing, ...sql]);
        const kind = text === stdout && message ? `debug: ${message}` : kindOf(line);
        if (n > 0) into[kind] = (into[kind] ?? 0) + n;
      }
    }
    const state = pod.stack.stateFileText();
    return {
      mode,
      form,
      result: up.summary.result,
      stdoutChars: stdout.length,
      stderrChars: stderr.length,
      terminal: { ssh: count(stdout, ssh), pairing: count(stdout, pairing), sql: count(stdout, sql) },
      log: { ssh: count(stderr, ssh), pairing: count(stderr, pairing), sql: count(stderr, sql) },
      events: {
        ssh: count(JSON.stringify(events), ssh),
        pairing: count(JSON.stringify(events), pairing),
        sql: count(JSON.stringify(events), sql),
      },
      state: { ssh: count(state, ssh), pairing: count(state, pairing), sql: count(state, sql) },
      logBySource: bySource,
      terminalBySource: byTerminal,
    };
  } finally {
    await dispose(pod);
  }
}

async function main(): Promise<void> {
  const engine = await Engine.open();
  const rows = [];
  try {
    for (const mode of (process.env.MODES ?? "debug,v9").split(",") as Mode[])
      for (const form of (process.env.FORMS ?? "values,references").split(",") as Form[]) rows.push(await measure(engine, mode, form));
  } finally {
    await engine.dispose();
  }
  if (process.argv.includes("--json")) {
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  console.log("occurrences of secret values, as SSH passwords / pairing password / SQL password");
  console.log("run                          terminal   log (stderr)  events    state     lines holding one");
  const f = (c: { ssh: number; pairing: number; sql: number }) => `${c.ssh}/${c.pairing}/${c.sql}`;
  for (const r of rows) {
    const run = `up ${r.mode === "debug" ? "--debug" : "-v=9 --logtostderr"}, ${r.form}`.padEnd(29);
    console.log(
      `${run}${f(r.terminal).padEnd(11)}${f(r.log).padEnd(14)}${f(r.events).padEnd(10)}${f(r.state).padEnd(10)}${JSON.stringify({ ...r.terminalBySource, ...r.logBySource })}`,
    );
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
