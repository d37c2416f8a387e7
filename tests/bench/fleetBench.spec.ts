// A small run of the fleet benchmark (one pod, one farm) so `npm run bench` cannot rot. Speed targets are the
// benchmark's to report (npm run bench), not asserted here; this checks the measurements are sound.
import assert from "node:assert/strict";
import { Engine } from "../harness/engine";
import type { AuditEntry } from "../../lab";
import { STEP_TIMING_MARKER } from "../../provider/upgrade/runner";
import { type BenchResult, type TimedEvent, criticalPathSeconds, linkBreakdown, runBench } from "./fleetBench";

describe("fleet benchmark (small run)", function () {
  let engine: Engine;
  let run: Promise<BenchResult> | undefined;
  let preview: readonly AuditEntry[] = [];
  before(async () => {
    engine = await Engine.open();
  });
  /** One run of a pod and a farm (and the same fleet one server at a time), shared by the tests below. */
  const measured = () =>
    (run ??= runBench(engine, { pods: 1, farms: 1, timeFactor: 600, serial: true, onPreviewAudit: (ops) => (preview = ops) }));
  after(async () => {
    await engine?.dispose();
  });

  it("computes the critical path from the ordering rules: pairs in sequence inside a pod, pods and farms in parallel", () => {
    // 3 x (12 min + 8 min) per pod; a farm: 3 stops of 8 s, a 60 s backup, its 10 s check, 3 setups of 6 min.
    assert.equal(criticalPathSeconds({ pods: 4, farms: 2, timeFactor: 120 }), 3600 / 120);
    assert.equal(criticalPathSeconds({ pods: 0, farms: 1, timeFactor: 1 }), 3 * 8 + 60 + 10 + 3 * 360);
  });

  it("measures a pod and a farm, and the same fleet one server at a time: every figure present, neither makespan shorter than the physical floor", async () => {
    const r = await measured();
    assert.equal(r.servers, 9);
    for (const [k, v] of Object.entries(r)) assert.ok(Number.isFinite(v), `${k} is ${v}`);
    assert.ok(
      r.makespanSeconds >= r.criticalPathSeconds,
      `makespan ${r.makespanSeconds} s is shorter than the critical path ${r.criticalPathSeconds} s`,
    );
    // One server at a time: the pod's chain and the farm's chain one after the other.
    const serialFloor =
      criticalPathSeconds({ pods: 1, farms: 0, timeFactor: 600 }) + criticalPathSeconds({ pods: 0, farms: 1, timeFactor: 600 });
    assert.ok(
      r.serialMakespanSeconds >= serialFloor,
      `serial makespan ${r.serialMakespanSeconds} s is shorter than the sum of the chains ${serialFloor} s`,
    );
    assert.ok(r.stepsMeasured >= 9, `only ${r.stepsMeasured} steps measured`);
    assert.ok(r.sshConnectionsPerHostMax >= 1);
    assert.ok(r.providerPeakRssMb > 20, "no provider process was sampled");
    assert.ok(r.stateBytesPerResource > 100, `state per resource ${r.stateBytesPerResource} bytes: no checkpoint was read`);
    assert.ok(
      r.maxConcurrentOperationsPerHost >= 1 && r.maxConcurrentOperationsPerHost <= 10,
      `${r.maxConcurrentOperationsPerHost} operations at once on one host (MaxSessions 10)`,
    );
  });

  it("reads each host fact once in a preview: every server's host is read, no read repeated", async () => {
    const r = await measured();
    assert.equal(r.hostsReadInPreview, 10, "the 9 servers and the farm's SQL host");
    assert.equal(
      r.repeatedReadsInPreview,
      0,
      `${r.repeatedReadsInPreview} of ${r.hostOperationsInPreview} reads in preview repeated one the host had answered`,
    );
  });

  it("reads every host of the pod from the pod's first check: each host's first read starts before the first Connection Server's reads are done", async () => {
    await measured();
    const pod = ["p1cs1", "p1ss1", "p1cs2", "p1ss2", "p1cs3", "p1ss3"];
    const lastOfFirst = Math.max(...preview.filter((e) => e.host === "p1cs1").map((e) => e.seq));
    const late = pod.filter((h) => Math.min(...preview.filter((e) => e.host === h).map((e) => e.seq)) > lastOfFirst);
    assert.deepEqual(late, [], `first read after p1cs1's last read (seq ${lastOfFirst}): ${late.join(", ")}`);
  });
});

describe("fleet benchmark: the links of a pod's chain", () => {
  const op = (seq: number, host: string, operation: string, start: number, end: number): AuditEntry =>
    ({
      seq,
      host,
      operation,
      user: "administrator",
      simTime: "",
      realTime: new Date(start).toISOString(),
      realEndTime: new Date(end).toISOString(),
      params: {},
      outcome: "ok",
    }) as AuditEntry;
  const event = (t: number, kind: "resourcePreEvent" | "resOutputsEvent", name: string): TimedEvent =>
    ({
      t,
      e: { sequence: 0, timestamp: 0, [kind]: { metadata: { urn: `urn:pulumi:s::p::t::${name}`, op: "create", type: "t" } } },
    }) as unknown as TimedEvent;

  it("splits each link into the steps after the installer, the next check, the next update's reads and its steps before the installer", () => {
    const audit = [
      op(1, "p1cs1", "Get-HostFacts", 1_000, 1_020),
      op(2, "p1cs1", "Start-Installer", 1_500, 7_500),
      op(3, "p1ss1", "Start-Installer", 8_100, 12_100),
    ];
    const events = [event(7_600, "resOutputsEvent", "pod1-p1cs1"), event(7_800, "resourcePreEvent", "pod1-p1ss1")];
    const lines = [
      `[pod1-p1ss1] ${STEP_TIMING_MARKER} ${JSON.stringify({ step: "set-pairing-password", host: "P1CS1", startMs: 7_900, endMs: 7_950 })}`,
    ];
    const { links, leadMs } = linkBreakdown(audit, events, lines);
    assert.deepEqual(leadMs, [500]);
    assert.deepEqual(links, [
      {
        from: "pod1-p1cs1",
        to: "pod1-p1ss1",
        totalMs: 600,
        afterInstallMs: 100,
        checkMs: 200,
        convergeReadsMs: 100,
        stepsBeforeInstallMs: 200,
      },
    ]);
  });
});
