import * as assert from "node:assert/strict";
import type { Lease } from "../../provider/operations/leaseOperations";
import { RUN_ID, defaultLeaseMinutes, describeLease, holderGone, isExpired, runIdentity, takeLease } from "../../provider/upgrade/lease";
import type { Session } from "../../provider/transport/session";

const HOLDER: Lease = {
  runId: "other",
  stack: "prod",
  project: "horizon-pod",
  host: "CS1",
  since: "2026-12-05T21:00:00.000Z",
  expires: "2026-12-05T23:00:00.000Z",
  out: false,
};

/** A session answering New-RunLease with the given results in turn, recording the params it was sent. */
function fakeSession(results: unknown[]): Session & { sent: Record<string, unknown>[] } {
  const sent: Record<string, unknown>[] = [];
  return {
    label: "administrator@cs1:22",
    sent,
    async run<T>(request: { operation: string; params: Record<string, unknown> }) {
      sent.push(request.params);
      return { result: results.shift() as T, exitCode: 0, lines: [] } as never;
    },
  } as Session & { sent: Record<string, unknown>[] };
}

describe("run lease", () => {
  const id = { runId: RUN_ID, stack: "dev", project: "horizon-pod" };

  it("is one run id per provider process, with the stack and project the resource passes", () => {
    assert.equal(runIdentity({ stack: "dev", project: "p" }).runId, RUN_ID);
    assert.deepEqual(runIdentity({ stack: "dev", project: "p" }), { runId: RUN_ID, stack: "dev", project: "p" });
  });

  it("lives twice the time budget, at least an hour", () => {
    for (const [budget, want] of [
      [5, 60],
      [30, 60],
      [45, 90],
      [240, 480],
    ])
      assert.equal(defaultLeaseMinutes(budget), want);
  });

  it("is expired only once the host's clock reaches its expiry", () => {
    assert.equal(isExpired(HOLDER, "2026-12-05T22:59:59.000Z"), false);
    assert.equal(isExpired(HOLDER, "2026-12-05T23:00:00.000Z"), true);
    assert.equal(isExpired(HOLDER, "not a time"), false);
  });

  it("is taken when the host creates the file", async () => {
    const s = fakeSession([{ taken: true, utcNow: "2026-12-05T22:00:00.000Z", lease: { ...HOLDER, runId: RUN_ID } }]);
    const l = await takeLease(s, "CS1", id, 60, () => assert.fail("no warning"));
    assert.equal(l.runId, RUN_ID);
    assert.equal(s.sent.length, 1);
  });

  it("refuses a live lease of another run naming the run, its stack and project, since and until when", async () => {
    const s = fakeSession([{ taken: false, utcNow: "2026-12-05T22:00:00.000Z", lease: HOLDER }]);
    await assert.rejects(
      takeLease(s, "CS1", id, 60, () => {}),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, "lease-held");
        assert.equal(e.message.split(":")[0], `CS1 is leased by run other (stack prod, project horizon-pod) since 2026-12-05T21`);
        assert.match(e.message, /expires 2026-12-05T23:00:00.000Z: another run is working on this host\. Nothing was changed on it/);
        return true;
      },
    );
    assert.equal(s.sent.length, 1, "a live lease is never taken over");
  });

  it("takes over an expired lease naming the run it replaced, with a warning, by the holder's run id only", async () => {
    const s = fakeSession([
      { taken: false, utcNow: "2026-12-06T01:00:00.000Z", lease: HOLDER },
      { taken: true, utcNow: "2026-12-06T01:00:00.000Z", lease: { ...HOLDER, runId: RUN_ID }, previous: HOLDER },
    ]);
    const warnings: string[] = [];
    await takeLease(s, "CS1", id, 60, (w) => warnings.push(w));
    assert.equal(s.sent[1].takeOverRunId, "other");
    assert.deepEqual(warnings, [
      `warning: took over the expired lease on CS1 of ${describeLease(HOLDER)} (host clock 2026-12-06T01:00:00.000Z); that run ended without releasing it`,
    ]);
  });

  it("refuses when a third run took the expired lease over first", async () => {
    const third = { ...HOLDER, runId: "third", since: "2026-12-06T01:00:00.000Z", expires: "2026-12-06T03:00:00.000Z" };
    const s = fakeSession([
      { taken: false, utcNow: "2026-12-06T01:00:00.000Z", lease: HOLDER },
      { taken: false, utcNow: "2026-12-06T01:00:00.000Z", lease: third },
    ]);
    await assert.rejects(
      takeLease(s, "CS1", id, 60, () => {}),
      /CS1 is leased by run third/,
    );
  });

  it("knows a holder is gone only for a run of this machine whose process no longer exists", () => {
    const here = RUN_ID.replace(/-\d+-[0-9a-f]{8}$/, "");
    assert.equal(
      holderGone(`${here}-4242-0badf00d`, () => false),
      "its provider process (PID 4242 on this machine) is gone",
    );
    assert.equal(
      holderGone(`${here}-4242-0badf00d`, () => true),
      undefined,
      "a live process",
    );
    assert.equal(
      holderGone(`elsewhere-4242-0badf00d`, () => false),
      undefined,
      "another machine",
    );
    assert.equal(
      holderGone(RUN_ID, () => false),
      undefined,
      "this very process",
    );
    assert.equal(
      holderGone("pipeline-42", () => false),
      undefined,
      "a run id of another form",
    );
  });

  it("takes over a live lease whose provider process on this machine is gone, with a warning", async () => {
    const crashed = { ...HOLDER, runId: "runner-1-0badf00d" };
    const s = fakeSession([
      { taken: false, utcNow: "2026-12-05T22:00:00.000Z", lease: crashed },
      { taken: true, utcNow: "2026-12-05T22:00:00.000Z", lease: { ...HOLDER, runId: RUN_ID }, previous: crashed },
    ]);
    const warnings: string[] = [];
    await takeLease(
      s,
      "CS1",
      id,
      60,
      (w) => warnings.push(w),
      (runId) => (runId === crashed.runId ? "its provider process (PID 1 on this machine) is gone" : undefined),
    );
    assert.equal(s.sent[1].takeOverRunId, crashed.runId);
    assert.match(
      warnings[0],
      /^warning: took over the lease on CS1 of run runner-1-0badf00d .*: its provider process \(PID 1 on this machine\) is gone; that run ended without releasing it$/,
    );
  });
});
