// The real Pulumi engine for tests: the pinned CLI, the Node.js language host and the dynamic-provider launcher from
// the project's toolchain, a temporary local file backend and Pulumi home per test run, no update checks and no plugin
// downloads. Every operation goes through the Automation API and keeps the engine's events for assertions.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EngineEvent, LocalWorkspace, PulumiCommand, Stack, ConfigMap } from "@pulumi/pulumi/automation";

export const repoRoot = path.resolve(__dirname, "..", "..");

// ts-node compiles tests to CommonJS, which would turn import() into require(); the toolchain module is ESM.
const importEsm = new Function("specifier", "return import(specifier)") as (s: string) => Promise<any>;

export interface Toolchain {
  binDir: string;
  pulumi: string;
  pulumiHome: string;
  version: string;
  commandPlugin: boolean;
}

/** The project's toolchain; throws (never skips) when it is missing, naming the command that sets it up. */
export async function toolchain(): Promise<Toolchain> {
  const mod = await importEsm(path.join(repoRoot, "scripts", "toolchain.mjs"));
  const tc = await mod.resolveToolchain();
  if (!tc) throw new Error("the Pulumi toolchain is not set up: run `npm run toolchain` (npm test does it in its pretest step)");
  return tc;
}

/** What one engine operation produced: the engine's structured events and its text output. */
export interface Run<R> {
  result: R;
  events: EngineEvent[];
  output: string;
}

/** Diagnostics the engine printed (provider console lines arrive here), as plain messages. */
export function diagnostics(events: EngineEvent[]): string[] {
  return events.filter((e) => e.diagnosticEvent).map((e) => e.diagnosticEvent!.message);
}

/**
 * `op` of each resource step the engine reported, keyed by resource name (`create`, `same`, `update`, `delete`, ...):
 * the outcome (`outputs`, the default) or what the engine set out to do (`pre`, e.g. `refresh`).
 */
export function stepOps(events: EngineEvent[], type?: string, phase: "pre" | "outputs" = "outputs"): Record<string, string> {
  const ops: Record<string, string> = {};
  for (const e of events) {
    const m = phase === "pre" ? e.resourcePreEvent?.metadata : e.resOutputsEvent?.metadata;
    if (!m || (type && m.type !== type)) continue;
    ops[m.urn.split("::").pop()!] = m.op;
  }
  return ops;
}

/** One temporary backend and Pulumi home; make one per test file (`before`) and dispose of it (`after`). */
export class Engine {
  private constructor(
    readonly tc: Toolchain,
    readonly dir: string,
    private readonly command: PulumiCommand,
  ) {}

  static async open(): Promise<Engine> {
    const tc = await toolchain();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vdi-engine-"));
    fs.mkdirSync(path.join(dir, "state"));
    fs.mkdirSync(path.join(dir, "home"));
    // Plugins (the command provider) come from the project's Pulumi home; everything else stays in this run's home.
    fs.mkdirSync(path.join(tc.pulumiHome, "plugins"), { recursive: true });
    fs.symlinkSync(path.join(tc.pulumiHome, "plugins"), path.join(dir, "home", "plugins"), "dir");
    const command = await PulumiCommand.get({ root: path.dirname(tc.binDir), version: undefined });
    return new Engine(tc, dir, command);
  }

  get backendDir(): string {
    return path.join(this.dir, "state");
  }

  get envVars(): Record<string, string> {
    return {
      PATH: `${this.tc.binDir}${path.delimiter}${process.env.PATH}`,
      PULUMI_BACKEND_URL: `file://${this.backendDir}`,
      PULUMI_CONFIG_PASSPHRASE: "test-passphrase",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_NODEJS_TRANSPILE_ONLY: "true",
      PULUMI_HOME: path.join(this.dir, "home"),
    };
  }

  /** A fresh stack of the program in `programDir` (relative to the repository root), with `config` set. */
  async stack(
    programDir: string,
    config: ConfigMap = {},
    stackName = `t${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`,
  ): Promise<TestStack> {
    const workDir = path.resolve(repoRoot, programDir);
    const stack = await LocalWorkspace.createOrSelectStack(
      { stackName, workDir },
      { pulumiCommand: this.command, pulumiHome: path.join(this.dir, "home"), envVars: this.envVars },
    );
    await stack.setAllConfig(config);
    return new TestStack(this, stack, workDir);
  }

  async dispose(): Promise<void> {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A stack under test: each operation returns the result with the engine's events and output. */
export class TestStack {
  constructor(
    readonly engine: Engine,
    readonly stack: Stack,
    readonly workDir: string,
  ) {}

  private async capture<R>(fn: (onEvent: (e: EngineEvent) => void, onOutput: (s: string) => void) => Promise<R>): Promise<Run<R>> {
    const events: EngineEvent[] = [];
    let output = "";
    try {
      const result = await fn(
        (e) => events.push(e),
        (s) => (output += s),
      );
      return { result, events, output };
    } catch (err: any) {
      // Keep what the engine said with the failure, so a test can assert on the error and the events.
      err.events = events;
      err.output = output;
      throw err;
    }
  }

  preview(opts: { diff?: boolean; refresh?: boolean } = {}) {
    return this.capture((onEvent, onOutput) => this.stack.preview({ ...opts, onEvent, onOutput, color: "never" }));
  }

  up(opts: { refresh?: boolean; signal?: AbortSignal; expectNoChanges?: boolean } = {}) {
    return this.capture((onEvent, onOutput) => this.stack.up({ ...opts, onEvent, onOutput, color: "never" }));
  }

  refresh() {
    return this.capture((onEvent, onOutput) => this.stack.refresh({ onEvent, onOutput, color: "never" }));
  }

  destroy() {
    return this.capture((onEvent, onOutput) => this.stack.destroy({ onEvent, onOutput, color: "never" }));
  }

  /** The raw text of the stack's checkpoint in the file backend: what a secrets audit must search. */
  stateFileText(): string {
    const stacksDir = path.join(this.engine.backendDir, ".pulumi", "stacks");
    for (const project of fs.readdirSync(stacksDir)) {
      const file = path.join(stacksDir, project, `${this.stack.name}.json`);
      if (fs.existsSync(file)) return fs.readFileSync(file, "utf8");
    }
    throw new Error(`no state file for stack ${this.stack.name} under ${stacksDir}`);
  }

  /** Removes the stack and its config file from the program directory. */
  async remove(): Promise<void> {
    await this.stack.workspace.removeStack(this.stack.name, { force: true });
    fs.rmSync(path.join(this.workDir, `Pulumi.${this.stack.name}.yaml`), { force: true });
  }
}
