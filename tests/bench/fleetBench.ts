// The fleet benchmark: pods (three Connection Servers and three paired Security Servers each) and App-V farms (two
// management servers and a streaming server each, each farm on its own SQL host) upgraded by the estate example
// through the real engine against the lab, measured in one run; and, when asked, the serial alternative (the same
// fleet one server at a time through the same resources, tests/bench/serialFleet) on a fresh lab in the same run. Used
// by scripts/bench.ts (the 30-server fleet and the 150-server estate) and tests/bench/fleetBench.spec.ts (a small
// fleet, so the benchmark cannot rot).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { APPV_VERSIONS, type AuditEntry, HORIZON_VERSIONS, type Lab, type LabOptions, startLab } from "../../lab";
import { stageAndDescribe } from "../../lab/cli";
import { DEFAULT_DURATIONS } from "../../lab/handlers";
import { STEP_TIMING_MARKER } from "../../provider/upgrade/runner";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { diagnostics, type Engine } from "../harness/engine";

/** The fleet's shape and the lab's speed. */
export interface BenchOptions {
  pods: number;
  farms: number;
  /** Simulated seconds per real second: installers take their simulated minutes divided by this. */
  timeFactor: number;
  /** Also upgrade the same fleet one server at a time (a fresh lab, the serial program) and measure its makespan. */
  serial?: boolean;
  /** Receives the lab's audit of the preview (tests). */
  onPreviewAudit?: (ops: readonly AuditEntry[]) => void;
  /**
   * The engine's `--parallel` for this run's preview, up and refresh (PULUMI_PARALLEL); unset: whatever the
   * environment says, or the CLI's default of 4 x GOMAXPROCS (8 on a 2-core machine).
   */
  parallel?: number;
}

/** What one run measured (the JSON `npm run bench -- --json` prints). */
export interface BenchResult {
  servers: number;
  previewSeconds: number;
  refreshSeconds: number;
  /** From `pulumi up` starting to its first host operation: the CLI, the program and the provider process starting. */
  startupSeconds: number;
  makespanSeconds: number;
  criticalPathSeconds: number;
  makespanRatio: number;
  overheadMsPerStepMedian: number;
  overheadMsPerStepMax: number;
  /** Steps measured (those that ran at least one host operation). */
  stepsMeasured: number;
  sshConnectionsPerHostMax: number;
  /** Peak resident memory of the provider process over preview, up and refresh. */
  providerPeakRssMb: number;
  /** The same fleet upgraded one server at a time through the same resources, measured (NaN when not asked). */
  serialMakespanSeconds: number;
  speedupVsSerial: number;
  /** The stack's checkpoint after up, in bytes, divided by its dynamic resources (servers, farm preparations, completions). */
  stateBytesPerResource: number;
  /** Operations the hosts ran during preview (lab audit). */
  hostOperationsInPreview: number;
  /** Of those, how many repeated a read the same host had already answered in this preview (same operation, same params). */
  repeatedReadsInPreview: number;
  /** From `pulumi preview` starting to its first host operation: the CLI, the program and the provider process starting. */
  previewStartupSeconds: number;
  /** Hosts whose facts preview read (lab audit). */
  hostsReadInPreview: number;
  /** The most operations one host ran at the same time, over the whole run (lab counter). */
  maxConcurrentOperationsPerHost: number;
  /** The engine's `--parallel` this run used (the CLI's default when not set: 4 x the machine's cores). */
  parallel: number;
  /** Independent chains of the fleet (pods and farms): the most resource operations that can usefully run at once. */
  chains: number;
  /**
   * The links of the pods' chains in `up` (one server's installer ending to the next server's installer starting),
   * median and worst, in ms, and the median of each part of a link (see `linkBreakdown`).
   */
  linkMsMedian: number;
  linkMsMax: number;
  linkAfterInstallMsMedian: number;
  linkCheckMsMedian: number;
  linkConvergeReadsMsMedian: number;
  linkStepsBeforeInstallMsMedian: number;
  /** From the first host operation of `up` to the last pod's first installer: the gates and first checks, queued. */
  leadSecondsMax: number;
}

/** The lab layout of the fleet. */
export function fleetLab(o: BenchOptions): LabOptions {
  const cs = HORIZON_VERSIONS["7.12.0"];
  const appv = APPV_VERSIONS["4.1 SP1"];
  const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
  return {
    timeFactor: o.timeFactor,
    pods: range(o.pods).map((p) => ({
      name: `pod${p}`,
      connectionServers: range(3).map((i) => ({ name: `p${p}cs${i}`, version: cs })),
      securityServers: range(3).map((i) => ({ name: `p${p}ss${i}`, version: cs, pairedWith: `p${p}cs${i}` })),
    })),
    farms: range(o.farms).map((f) => ({
      name: `farm${f}`,
      sql: `sql${f}`,
      servers: [
        { name: `f${f}appv1`, role: "management" as const, version: appv },
        { name: `f${f}appv2`, role: "management" as const, version: appv },
        { name: `f${f}appv3`, role: "streaming" as const, version: appv },
      ],
    })),
  };
}

/**
 * The ideal critical path, in real seconds, from the ordering rules and the lab's simulated durations: inside a pod
 * the pairs go one at a time (each Connection Server installer, then its Security Server's); a farm stops its three
 * services, takes and verifies the backup, then runs its three setups one after another; pods and farms are
 * independent, so the longest chain is the floor.
 */
export function criticalPathSeconds(o: BenchOptions): number {
  const d = DEFAULT_DURATIONS;
  const pod = 3 * (d.connectionServerInstall + d.securityServerInstall);
  const farm = 3 * d.serviceStop + d.sqlBackup + 5 * d.quick + 3 * d.appvInstall;
  return Math.max(o.pods > 0 ? pod : 0, o.farms > 0 ? farm : 0) / o.timeFactor;
}

/** Peak resident memory (VmHWM) of the dynamic-provider processes seen while sampling, in MB. */
function startRssSampler(): { stop(): number } {
  let peakKb = 0;
  const sample = () => {
    // VmHWM is the process's own peak: a sample late in its life still sees it.
    for (const pid of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
      try {
        if (!fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("dynamic-provider")) continue;
        const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
        if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
      } catch {
        // The process ended between the listing and the read.
      }
    }
  };
  const timer = setInterval(sample, 100);
  return {
    stop() {
      clearInterval(timer);
      return peakKb / 1024;
    },
  };
}

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Overhead of each step: its wall time minus the lab's own time for the operations it ran on its host. */
function stepOverheads(lab: Lab, lines: string[]): number[] {
  const audit = lab.audit();
  const out: number[] = [];
  for (const line of lines) {
    const at = line.indexOf(`${STEP_TIMING_MARKER} `);
    if (at < 0) continue;
    const t = JSON.parse(line.slice(at + STEP_TIMING_MARKER.length + 1)) as { host: string; startMs: number; endMs: number };
    const host = t.host.toLowerCase();
    const ops = audit.filter(
      (e) =>
        e.host === host &&
        Date.parse(e.realTime) >= t.startMs - 1 &&
        e.realEndTime !== undefined &&
        Date.parse(e.realEndTime) <= t.endMs + 1,
    );
    if (ops.length === 0) continue;
    const labMs = ops.reduce((sum, e) => sum + (Date.parse(e.simEndTime!) - Date.parse(e.simTime)) / lab.timeFactor, 0);
    out.push(t.endMs - t.startMs - labMs);
  }
  return out;
}

/** Real seconds from the first to the last host operation of these audit entries. */
function makespanOf(ops: readonly AuditEntry[]): number {
  const first = Math.min(...ops.map((e) => Date.parse(e.realTime)));
  const last = Math.max(...ops.map((e) => Date.parse(e.realEndTime ?? e.realTime)));
  return (last - first) / 1000;
}

/** Reads preview sent to a host that already answered the same operation with the same params in this preview. */
function repeatedReads(ops: readonly AuditEntry[]): number {
  const seen = new Set<string>();
  let repeated = 0;
  for (const e of ops) {
    const key = `${e.host}\n${e.operation}\n${JSON.stringify(e.params)}`;
    if (seen.has(key)) repeated++;
    seen.add(key);
  }
  return repeated;
}

/** Dynamic resources in a checkpoint. */
function dynamicResources(stateText: string): number {
  const deployment = (JSON.parse(stateText) as { checkpoint?: { latest?: { resources?: { type: string }[] } } }).checkpoint?.latest;
  return (deployment?.resources ?? []).filter((r) => r.type.startsWith("pulumi-nodejs:dynamic")).length;
}

/** An engine event with the time this process received it. */
export interface TimedEvent {
  readonly t: number;
  readonly e: EngineEvent;
}

/** What one link of a pod's chain cost, in ms, split where the time goes. */
export interface LinkCost {
  /** The resource whose installer ended, and the next one of its pod. */
  readonly from: string;
  readonly to: string;
  /** From the one's installer ending to the next one's installer starting. */
  readonly totalMs: number;
  /** Its installer ending to the engine recording it: the steps after the installer, its outputs, the checkpoint. */
  readonly afterInstallMs: number;
  /**
   * The engine recording it to starting the next one's `update`: the program registers the next server, the engine
   * calls its `check` (which reads its hosts) and `diff`. The engine calls `check` for one resource at a time, so this
   * also holds the time spent waiting for other resources' checks.
   */
  readonly checkMs: number;
  /** The next one's `update` starting to its first step: `up` reads the hosts again before it acts. */
  readonly convergeReadsMs: number;
  /** Its first step to its installer: the steps before the installer (pairing, IPsec, backup, hooks). */
  readonly stepsBeforeInstallMs: number;
}

/**
 * The links of every pod's chain in one `up`, from the lab's audit (installers), the engine's events (when a resource
 * was recorded, when its update started) and the step timing lines (when its first step started). Resource names are
 * the estate example's: `<pod>-<host>`.
 */
export function linkBreakdown(
  audit: readonly AuditEntry[],
  events: readonly TimedEvent[],
  timingLines: readonly string[],
): { links: LinkCost[]; leadMs: number[] } {
  const at = (iso: string) => Date.parse(iso);
  const resourceOf = (urn: string) => urn.split("::").pop()!;
  const pre = new Map<string, number>();
  const out = new Map<string, number>();
  for (const { t, e } of events) {
    const started = e.resourcePreEvent?.metadata;
    if (started && !pre.has(resourceOf(started.urn))) pre.set(resourceOf(started.urn), t);
    const done = e.resOutputsEvent?.metadata;
    if (done) out.set(resourceOf(done.urn), t);
  }
  const firstStep = new Map<string, number>();
  for (const line of timingLines) {
    const m = new RegExp(`^\\[([^\\]]+)\\] ${STEP_TIMING_MARKER} (.*)$`).exec(line);
    if (!m) continue;
    const { startMs } = JSON.parse(m[2]) as { startMs: number };
    firstStep.set(m[1], Math.min(startMs, firstStep.get(m[1]) ?? Infinity));
  }
  const first = Math.min(...audit.map((e) => at(e.realTime)));
  const installers = audit.filter((e) => e.operation === "Start-Installer" && e.outcome === "ok" && e.realEndTime);
  const links: LinkCost[] = [];
  const leadMs: number[] = [];
  for (const pod of [...new Set(installers.map((e) => /^(p\d+)(?:cs|ss)\d+$/.exec(e.host)?.[1]).filter((p): p is string => !!p))]) {
    const chain = installers
      .filter((e) => new RegExp(`^${pod}(?:cs|ss)\\d+$`).test(e.host))
      .sort((a, b) => at(a.realTime) - at(b.realTime));
    const name = (e: AuditEntry) => `pod${pod.slice(1)}-${e.host}`;
    leadMs.push(at(chain[0].realTime) - first);
    for (let i = 1; i < chain.length; i++) {
      const [a, b] = [chain[i - 1], chain[i]];
      const ended = at(a.realEndTime!);
      const started = at(b.realTime);
      const recorded = out.get(name(a)) ?? NaN;
      const updating = pre.get(name(b)) ?? NaN;
      const stepping = firstStep.get(name(b)) ?? NaN;
      links.push({
        from: name(a),
        to: name(b),
        totalMs: started - ended,
        afterInstallMs: recorded - ended,
        checkMs: updating - recorded,
        convergeReadsMs: stepping - updating,
        stepsBeforeInstallMs: started - stepping,
      });
    }
  }
  return { links, leadMs };
}

/** The serial alternative: the same fleet on a fresh lab, one server at a time; the makespan of its up. */
async function serialMakespan(engine: Engine, o: BenchOptions): Promise<number> {
  const lab = await startLab(fleetLab(o));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vdi-bench-serial-"));
  try {
    const inventory = path.join(dir, "lab.json");
    fs.writeFileSync(inventory, JSON.stringify(stageAndDescribe(lab)));
    const stack = await engine.stack("tests/bench/serialFleet", { inventory: { value: inventory } });
    try {
      const up = await stack.up();
      if (up.result.summary.result !== "succeeded") throw new Error(`the serial fleet's up did not succeed: ${up.result.summary.result}`);
      return makespanOf(lab.audit());
    } finally {
      await stack.remove();
    }
  } finally {
    await lab.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the fleet once: preview, up (measured), refresh; then, if asked, the serial alternative. */
export async function runBench(engine: Engine, o: BenchOptions): Promise<BenchResult> {
  const lab = await startLab(fleetLab(o));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vdi-bench-"));
  const previous = process.env.VDI_UPGRADE_STEP_TIMINGS;
  const previousParallel = process.env.PULUMI_PARALLEL;
  // The engine's environment comes from this process: the CLI reads PULUMI_PARALLEL.
  if (o.parallel !== undefined) process.env.PULUMI_PARALLEL = String(o.parallel);
  const parallel = process.env.PULUMI_PARALLEL ? Number(process.env.PULUMI_PARALLEL) : 4 * os.cpus().length;
  try {
    const inventory = path.join(dir, "lab.json");
    fs.writeFileSync(inventory, JSON.stringify(stageAndDescribe(lab)));
    const stack = await engine.stack("examples/estate", { inventory: { value: inventory } });
    let result: BenchResult;
    try {
      const servers = lab.hostNames().filter((h) => lab.host(h).state.products.length > 0).length;
      const rss = startRssSampler();

      let auditBefore = lab.audit().length;
      let t = Date.now();
      const previewStarted = t;
      await stack.preview();
      const previewSeconds = (Date.now() - t) / 1000;
      const previewOps = lab.audit().slice(auditBefore);
      o.onPreviewAudit?.(previewOps);

      // The engine's environment reaches the provider process: it prints one timing line per step.
      process.env.VDI_UPGRADE_STEP_TIMINGS = "1";
      const connectionsBefore = new Map(lab.hostNames().map((h) => [h, lab.host(h).connections]));
      auditBefore = lab.audit().length;
      const upStarted = Date.now();
      // Each event with the time it arrived, to split the links of the pods' chains (linkBreakdown).
      const timed: TimedEvent[] = [];
      const up = await stack.stack.up({ onEvent: (e) => timed.push({ t: Date.now(), e }), color: "never" });
      if (up.summary.result !== "succeeded") throw new Error(`the fleet's up did not succeed: ${up.summary.result}`);
      const ops = lab.audit().slice(auditBefore);
      const first = Math.min(...ops.map((e) => Date.parse(e.realTime)));
      const lines = diagnostics(timed.map((x) => x.e)).flatMap((m) => m.split("\n"));
      const overheads = stepOverheads(lab, lines);
      const { links, leadMs } = linkBreakdown(ops, timed, lines);
      const linkMedian = (part: keyof Omit<LinkCost, "from" | "to">) => median(links.map((l) => l[part]));
      const sshConnectionsPerHostMax = Math.max(...lab.hostNames().map((h) => lab.host(h).connections - connectionsBefore.get(h)!));
      delete process.env.VDI_UPGRADE_STEP_TIMINGS;
      const stateText = stack.stateFileText();

      t = Date.now();
      await stack.refresh();
      const refreshSeconds = (Date.now() - t) / 1000;
      const providerPeakRssMb = rss.stop();

      const makespanSeconds = makespanOf(ops);
      const critical = criticalPathSeconds(o);
      result = {
        servers,
        previewSeconds,
        refreshSeconds,
        startupSeconds: (first - upStarted) / 1000,
        makespanSeconds,
        criticalPathSeconds: critical,
        makespanRatio: makespanSeconds / critical,
        overheadMsPerStepMedian: median(overheads),
        overheadMsPerStepMax: Math.max(...overheads),
        stepsMeasured: overheads.length,
        sshConnectionsPerHostMax,
        providerPeakRssMb,
        serialMakespanSeconds: NaN,
        speedupVsSerial: NaN,
        stateBytesPerResource: Buffer.byteLength(stateText) / Math.max(1, dynamicResources(stateText)),
        hostOperationsInPreview: previewOps.length,
        repeatedReadsInPreview: repeatedReads(previewOps),
        previewStartupSeconds: (Math.min(...previewOps.map((e) => Date.parse(e.realTime))) - previewStarted) / 1000,
        hostsReadInPreview: new Set(previewOps.map((e) => e.host)).size,
        maxConcurrentOperationsPerHost: Math.max(...lab.hostNames().map((h) => lab.host(h).peakOperationsInFlight)),
        parallel,
        chains: o.pods + o.farms,
        linkMsMedian: linkMedian("totalMs"),
        linkMsMax: Math.max(...links.map((l) => l.totalMs)),
        linkAfterInstallMsMedian: linkMedian("afterInstallMs"),
        linkCheckMsMedian: linkMedian("checkMs"),
        linkConvergeReadsMsMedian: linkMedian("convergeReadsMs"),
        linkStepsBeforeInstallMsMedian: linkMedian("stepsBeforeInstallMs"),
        leadSecondsMax: Math.max(...leadMs) / 1000,
      };
    } finally {
      await stack.remove();
    }
    if (o.serial) {
      result.serialMakespanSeconds = await serialMakespan(engine, o);
      result.speedupVsSerial = result.serialMakespanSeconds / result.makespanSeconds;
    }
    return result;
  } finally {
    if (previous === undefined) delete process.env.VDI_UPGRADE_STEP_TIMINGS;
    else process.env.VDI_UPGRADE_STEP_TIMINGS = previous;
    if (previousParallel === undefined) delete process.env.PULUMI_PARALLEL;
    else process.env.PULUMI_PARALLEL = previousParallel;
    await lab.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
