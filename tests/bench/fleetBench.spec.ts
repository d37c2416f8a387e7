// A small run of the fleet benchmark (one pod, one farm) so `npm run bench` cannot rot. Speed targets are the
// benchmark's to report (npm run bench), not asserted here; this checks the measurements are sound.
import assert from "node:assert/strict";
import { Engine } from "../harness/engine";
import { criticalPathSeconds, runBench } from "./fleetBench";

describe("fleet benchmark (small run)", function () {
  let engine: Engine;
  before(async () => {
    engine = await Engine.open();
  });
  after(async () => {
    await engine?.dispose();
  });

  it("computes the critical path from the ordering rules: pairs in sequence inside a pod, pods and farms in parallel", () => {
    // 3 x (12 min + 8 min) per pod; a farm: 3 stops of 8 s, a 60 s backup, its 10 s check, 3 setups of 6 min.
    assert.equal(criticalPathSeconds({ pods: 4, farms: 2, timeFactor: 120 }), 3600 / 120);
    assert.equal(criticalPathSeconds({ pods: 0, farms: 1, timeFactor: 1 }), 3 * 8 + 60 + 10 + 3 * 360);
  });

  it("measures a pod and a farm: every figure present, and the makespan no shorter than the physical floor", async () => {
    const r = await runBench(engine, { pods: 1, farms: 1, timeFactor: 600 });
    assert.equal(r.servers, 9);
    for (const [k, v] of Object.entries(r)) assert.ok(Number.isFinite(v), `${k} is ${v}`);
    assert.ok(r.makespanSeconds >= r.criticalPathSeconds, `makespan ${r.makespanSeconds} s is shorter than the critical path ${r.criticalPathSeconds} s`);
    assert.ok(r.stepsMeasured >= 9, `only ${r.stepsMeasured} steps measured`);
    assert.ok(r.sshConnectionsPerHostMax >= 1);
    assert.ok(r.providerPeakRssMb > 20, "no provider process was sampled");
  });
});
