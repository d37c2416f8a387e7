// Two runs at once through the real engine: on one stack the backend's lock refuses the second and it changes
// nothing; two stacks on disjoint hosts run side by side.
import assert from "node:assert/strict";
import { Engine } from "../harness/engine";
import { POD, type PodUnderTest, dispose, errorText, podUnderTest, version } from "../harness/podLab";

const until = async (cond: () => boolean, ms = 60_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe("concurrent runs", function () {
  let engine: Engine;
  const pods: PodUnderTest[] = [];
  before(async () => {
    engine = await Engine.open();
  });
  after(async () => {
    for (const p of pods) await dispose(p);
    await engine?.dispose();
  });

  it("refuses a second up on the same stack while the first holds the lock, and the second changes nothing", async () => {
    const p = await podUnderTest(engine);
    pods.push(p);
    const first = p.stack.up();
    // The first run is working on a host: it holds the stack's lock.
    await until(() => p.lab.audit().some((e) => e.operation === "Start-Installer"));
    const second = await p.stack.up().then(
      () => assert.fail("the second up ran while the first held the lock"),
      (e: unknown) => e,
    );
    assert.match(errorText(second), /locked/i);
    const r = await first;
    assert.equal(r.result.summary.result, "succeeded");
    for (const h of POD) assert.equal(version(p.lab, h), "7.13.2.21000000");
    const installs = p.lab
      .audit()
      .filter((e) => e.operation === "Start-Installer")
      .map((e) => e.host);
    assert.deepEqual(installs, ["cs1", "ss1", "cs2", "ss2"], "an installer ran twice or out of order");
  });

  it("runs two stacks on disjoint hosts side by side", async () => {
    const [a, b] = await Promise.all([podUnderTest(engine), podUnderTest(engine)]);
    pods.push(a, b);
    const [ra, rb] = await Promise.all([a.stack.up(), b.stack.up()]);
    assert.equal(ra.result.summary.result, "succeeded");
    assert.equal(rb.result.summary.result, "succeeded");
    for (const p of [a, b]) for (const h of POD) assert.equal(version(p.lab, h), "7.13.2.21000000");
    // Side by side: each run's host operations started before the other's ended.
    const span = (p: PodUnderTest) => {
      const times = p.lab.audit().map((e) => Date.parse(e.realTime));
      return [Math.min(...times), Math.max(...times)];
    };
    const [sa, sb] = [span(a), span(b)];
    assert.ok(sa[0] < sb[1] && sb[0] < sa[1], `the runs did not overlap: ${JSON.stringify([sa, sb])}`);
  });
});
