// The lab's run leases and owed hooks (lab/leases.ts) over real SSH: a lease file created with CreateNew semantics,
// a hook whose failure is scripted, and what another run's guard reads on a member.
import assert from "node:assert/strict";
import { type Lab, LEASE_PATH, startLab } from "../../lab";
import { op, standardLab } from "./fixtures";

const lease = (runId: string, extra: Record<string, unknown> = {}) => ({
  runId,
  stack: `stack-${runId}`,
  project: "pod",
  minutes: 60,
  ...extra,
});

describe("lab run leases and owed hooks", () => {
  let lab: Lab;
  beforeEach(async () => {
    lab = await startLab(standardLab());
  });
  afterEach(() => lab.stop());

  it("lets exactly one of two runs creating the lease at the same moment win, and tells the other who holds it", async () => {
    const [a, b] = await Promise.all([op(lab, "cs1", "New-RunLease", lease("a")), op(lab, "cs1", "New-RunLease", lease("b"))]);
    const won = [a, b].filter((r) => r.result.taken);
    assert.equal(won.length, 1, JSON.stringify([a.result, b.result]));
    const loser = [a, b].find((r) => !r.result.taken)!;
    assert.equal(loser.result.lease.runId, won[0].result.lease.runId);
    assert.equal(lab.lease("cs1")?.runId, won[0].result.lease.runId);
    assert.ok(lab.host("cs1").state.files[LEASE_PATH.toLowerCase()], "the lease is a file on the host");
  });

  it("renews a run's own lease, replaces an expired one only for the run named, and releases only its own", async () => {
    assert.equal((await op(lab, "cs1", "New-RunLease", lease("a", { minutes: 10 }))).result.taken, true);
    assert.equal((await op(lab, "cs1", "New-RunLease", lease("a", { minutes: 20 }))).result.taken, true);
    lab.advance(3600);
    assert.equal((await op(lab, "cs1", "New-RunLease", lease("b", { takeOverRunId: "other" }))).result.taken, false);
    const took = await op(lab, "cs1", "New-RunLease", lease("b", { takeOverRunId: "a" }));
    assert.equal(took.result.taken, true);
    assert.equal(took.result.previous.runId, "a");
    assert.equal((await op(lab, "cs1", "Set-RunLease", { runId: "a", release: true })).result.ok, false);
    assert.equal(lab.lease("cs1")?.runId, "b");
    assert.equal((await op(lab, "cs1", "Set-RunLease", { runId: "b", out: true })).result.lease.out, true);
    assert.equal((await op(lab, "cs1", "Set-RunLease", { runId: "b", release: true })).result.ok, true);
    assert.equal(lab.lease("cs1"), undefined);
  });

  it("reports a member's service and lease, including a service a person stopped by hand", async () => {
    await op(lab, "cs2", "New-RunLease", lease("x"));
    lab.setServiceStatus("cs2", "Stopped");
    const r = await op(lab, "cs2", "Get-MemberState", { displayNameLike: ["VMware Horizon View Connection Server"] });
    assert.equal(r.result.service.status, "Stopped");
    assert.equal(r.result.lease.runId, "x");
  });

  it("fails a hook of the scripted phase the scripted number of times, then runs it", async () => {
    lab.inject("cs2", { kind: "hook-fails", phase: "after", times: 1 });
    assert.equal((await op(lab, "cs2", "Invoke-Hook", { hook: "x", phase: "before" })).result.exitCode, 0);
    assert.equal((await op(lab, "cs2", "Invoke-Hook", { hook: "x", phase: "after" })).result.exitCode, 1);
    assert.equal((await op(lab, "cs2", "Invoke-Hook", { hook: "x", phase: "after" })).result.exitCode, 0);
  });

  it("keeps owed hooks per resource and clears them", async () => {
    await op(lab, "cs2", "Set-OwedHook", {
      resource: "pod1-cs2",
      phase: "after",
      failedAt: "2026-01-01T00:00:00Z",
      exitCode: 1,
      output: ["lb refused"],
    });
    assert.equal(lab.owedHooks("cs2").length, 1);
    const read = await op(lab, "cs2", "Get-RunLease", {});
    assert.equal(read.result.owedHooks[0].resource, "pod1-cs2");
    await op(lab, "cs2", "Set-OwedHook", { resource: "pod1-cs2", phase: "after", clear: true });
    assert.deepEqual(lab.owedHooks("cs2"), []);
  });

  it("refuses lease changes to a user who is not an administrator", async () => {
    // %ProgramData%\vdi-upgrade is writable by administrators only; the fixture's lab has no such user on cs1, so the
    // check is on the handler's flag.
    const { HANDLERS } = await import("../../lab/handlers");
    for (const name of ["New-RunLease", "Set-RunLease", "Set-OwedHook"]) assert.equal(HANDLERS[name].admin, true, name);
  });
});
