// Issue 19 through the real engine against the lab: two stacks declaring one pod, a person stopping a service by hand,
// a lease left by another run, and an after-hook that fails once. What counts is the lab's timeline (never two
// servers of one availability group out of service at once) and what the refused run says.
import assert from "node:assert/strict";
import { LEASE_PATH } from "../../lab";
import { type Engine, type TestStack } from "../harness/engine";
import { Engine as EngineClass } from "../harness/engine";
import { POD, type PodUnderTest, dispose, errorText, podUnderTest, previewPlans, version } from "../harness/podLab";

const TARGET = "7.13.2.21000000";
const GROUPS = [
  ["cs1", "cs2"],
  ["ss1", "ss2"],
];
/** What a refusal because of a lease must say: who holds it and since when. */
const HOLDER = /leased by run \S+ \(stack (\S+), project horizon-pod\) since \S+, expires \S+/;

/** A second stack of the same program on the same lab pod (the same inventory), e.g. another pipeline's. */
async function secondStack(engine: Engine, p: PodUnderTest, config: Record<string, string> = {}): Promise<TestStack> {
  const all = await p.stack.stack.getAllConfig();
  const plain = Object.fromEntries(
    Object.entries(all).map(([k, v]) => [k.replace(/^horizon-pod:/, ""), { value: v.value, secret: v.secret }]),
  );
  return engine.stack("examples/horizon-pod", {
    ...plain,
    ...Object.fromEntries(Object.entries(config).map(([k, v]) => [k, { value: v }])),
  });
}

type Outcome = { ok: true; output: string } | { ok: false; text: string };
const settle = (run: Promise<{ output: string }>): Promise<Outcome> =>
  run.then(
    (r) => ({ ok: true as const, output: r.output }),
    (e: unknown) => ({ ok: false as const, text: errorText(e) }),
  );

function maxOut(p: PodUnderTest): number {
  return Math.max(...GROUPS.map((g) => p.lab.maxOutOfService(g)));
}

describe("availability guard and run leases (issue 19)", function () {
  let engine: Engine;
  const pods: PodUnderTest[] = [];
  const extra: TestStack[] = [];
  before(async () => {
    engine = await EngineClass.open();
  });
  after(async () => {
    for (const s of extra) await s.remove();
    for (const p of pods) await dispose(p);
    await engine?.dispose();
  });

  for (const order of ["the same order", "reversed order"] as const) {
    it(`never has two servers of a group out of service when two stacks up one pod at once, declared in ${order}`, async () => {
      const p = await podUnderTest(engine);
      pods.push(p);
      const b = await secondStack(engine, p, order === "reversed order" ? { connectionServerOrder: JSON.stringify(["cs2", "cs1"]) } : {});
      extra.push(b);
      // Installers of an hour of host time (3 s real): the two runs' work on the pod surely overlaps.
      for (const h of ["cs1", "cs2"]) p.lab.inject(h, { kind: "slow-installer", seconds: 3600, operation: "Start-Installer", times: 1 });
      const [ra, rb] = await Promise.all([settle(p.stack.up()), settle(b.up())]);
      const timeline = p.lab
        .timeline()
        .filter((t) => t.primary)
        .map((t) => `${t.at} ${t.host} ${t.from}->${t.to}`);
      assert.ok(maxOut(p) <= 1, `two servers of one group were out of service at once:\n${timeline.join("\n")}`);
      // A run that lost says which run holds the host, its stack and project, and since when.
      const losers = [ra, rb].filter((r): r is { ok: false; text: string } => !r.ok);
      for (const l of losers)
        assert.match(
          l.text,
          HOLDER,
          l.text
            .split("\n")
            .filter((x) => x.includes("[pod1-"))
            .join("\n"),
        );
      if (order === "the same order") assert.equal(losers.length, 1, "exactly one of two runs starting on CS1 wins its lease");
      const names = losers.map((l) => HOLDER.exec(l.text)![1]);
      for (const n of names) assert.ok([p.stack.stack.name, b.stack.name].includes(n), `the holder's stack ${n} is one of the two`);
      // Both done or not, the pod converges with one more up, and no lease is left behind.
      await p.stack.up();
      for (const h of POD) assert.equal(version(p.lab, h), TARGET, h);
      for (const h of POD) assert.equal(p.lab.lease(h), undefined, `a lease was left on ${h}`);
    });
  }

  it("makes CS1's step wait for a Connection Server a person stopped by hand, then refuse naming it and its state", async () => {
    const p = await podUnderTest(engine);
    pods.push(p);
    p.lab.setServiceStatus("cs2", "Stopped");
    // Preview shows each availability group's live state.
    const preview = await p.stack.preview();
    assert.match(
      preview.output,
      /\[pod1-readiness\] live state of Connection Servers: CS1 in service; CS2 "VMware Horizon View Connection Server" Stopped/,
    );
    assert.match(preview.output, /live state of security servers: SS1 in service; SS2 in service/);
    const r = await settle(p.stack.up());
    assert.equal(r.ok, false, "the up went ahead with CS2 stopped");
    const text = (r as { text: string }).text;
    assert.match(
      text,
      /availability guard: waiting \(at most 15 minute\(s\) \(host clock\)\): CS2: "VMware Horizon View Connection Server" is Stopped/,
    );
    assert.match(
      text,
      /\[pod1-cs1\] step \d+\/\d+ install on CS1 not started: availability guard: CS1 was not taken out of service because CS2: "VMware Horizon View Connection Server" is Stopped; waited 15 minute/,
    );
    assert.equal(version(p.lab, "cs1"), "7.12.0.15770369");
    assert.ok(!p.lab.audit().some((e) => e.host === "cs1" && e.operation === "Start-Installer"), "an installer ran on CS1");
    assert.equal(p.lab.lease("cs1"), undefined, "the refused run left its lease");
    p.lab.setServiceStatus("cs2", "Running");
    await p.stack.up();
    for (const h of POD) assert.equal(version(p.lab, h), TARGET, h);
    assert.ok(maxOut(p) <= 1);
  });

  it("refuses a host leased by a live run naming it, and takes the lease over with a warning once it expired", async () => {
    const p = await podUnderTest(engine);
    pods.push(p);
    const now = p.lab.now().getTime();
    const other = {
      runId: "pipeline-42",
      stack: "prod",
      project: "horizon-pod",
      host: "CS1",
      since: new Date(now - 60_000).toISOString(),
      expires: new Date(now + 7 * 86_400_000).toISOString(),
      out: false,
    };
    p.lab.writeFile("cs1", LEASE_PATH, JSON.stringify(other));
    const refused = await settle(p.stack.up());
    assert.equal(refused.ok, false);
    assert.match(
      (refused as { text: string }).text,
      /CS1 is leased by run pipeline-42 \(stack prod, project horizon-pod\) since \S+, expires \S+: another run is working on this host/,
    );
    assert.ok(
      !p.lab.audit().some((e) => e.host === "cs1" && ["Start-Installer", "Invoke-Vdmexport"].includes(e.operation)),
      "the refused run changed CS1",
    );
    // The other run crashed: its lease expires (the lab's clock runs 1200 times real time: a week is what stays live).
    p.lab.advance(8 * 86_400);
    const r = await p.stack.up();
    assert.match(r.output, /warning: took over the expired lease on CS1 of run pipeline-42 \(stack prod, project horizon-pod\)/);
    for (const h of POD) assert.equal(version(p.lab, h), TARGET, h);
    for (const h of POD) assert.equal(p.lab.lease(h), undefined, `the lease on ${h} was not released at the end`);
  });

  it("records a failed after-hook on the host, shows it owed in preview, and runs it on the next up before the server is done", async () => {
    const p = await podUnderTest(engine, { hooks: { after: "Write-Output 'back in the load balancer pool'" } });
    pods.push(p);
    p.lab.inject("cs2", { kind: "hook-fails", phase: "after", times: 1 });
    const first = await settle(p.stack.up());
    assert.equal(first.ok, false);
    const text = (first as { text: string }).text;
    assert.match(text, /\[pod1-cs2\] step \d+\/\d+ hook-after on CS2 failed: the after hook exited with 1/);
    assert.match(text, /recorded as owed on CS2: the next `pulumi up` runs it again/);
    const owed = p.lab.owedHooks("cs2");
    assert.equal(owed.length, 1);
    assert.equal(owed[0].resource, "pod1-cs2");
    assert.equal(owed[0].lease?.stack, p.stack.stack.name);
    assert.equal(owed[0].lease?.project, "horizon-pod");
    assert.equal(version(p.lab, "cs2"), TARGET);

    const preview = await p.stack.preview();
    const plan = previewPlans(preview.events)["pod1-cs2"];
    assert.ok(
      plan.some((l) => /^\d+\. hook-after on CS2: after-hook owed on CS2: it failed at \S+ \(exit 1, run \S+ of stack/.test(l)),
      JSON.stringify(plan),
    );

    const hooksBefore = p.lab.host("cs2").state.hooks.filter((h) => h.phase === "after").length;
    const second = await p.stack.up();
    assert.equal(
      p.lab.host("cs2").state.hooks.filter((h) => h.phase === "after").length,
      hooksBefore + 1,
      "the owed hook did not run again",
    );
    assert.deepEqual(p.lab.owedHooks("cs2"), []);
    assert.match(second.output, /hook-after on CS2: done/);
    for (const h of POD) assert.equal(version(p.lab, h), TARGET, h);
    await p.stack.up({ expectNoChanges: true });
  });
});
