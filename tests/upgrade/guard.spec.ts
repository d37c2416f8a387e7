import * as assert from "node:assert/strict";
import type { Lease, MemberState } from "../../provider/operations/leaseOperations";
import { type GuardIo, type MemberReading, guardGroup, judgeGroup } from "../../provider/upgrade/guard";

const NOW = "2026-12-05T22:00:00.000Z";
const lease = (runId: string, since: string, extra: Partial<Lease> = {}): Lease => ({
  runId,
  stack: `stack-${runId}`,
  project: "pod",
  host: "CS2",
  since,
  expires: "2026-12-05T23:00:00.000Z",
  ...extra,
});
const member = (status: string | null, l: Lease | null = null, utcNow = NOW): MemberReading => ({
  name: "cs2",
  state: {
    computerName: "CS2",
    utcNow,
    service: status ? { displayName: "VMware Horizon View Connection Server", status } : null,
    lease: l,
  },
});
const OWN = { runId: "b-run", since: "2026-12-05T21:50:00.000Z" };

describe("judgeGroup", () => {
  const cases: { title: string; reading: MemberReading; sameRun?: boolean; want: { go: boolean; backOff?: boolean; reason?: RegExp } }[] = [
    { title: "goes when the other member is in service and unleased", reading: member("Running"), want: { go: true } },
    {
      title: "goes past another run's lease that is not marked out (it checks this one before going out)",
      reading: member("Running", lease("a-run", "2026-12-05T21:00:00.000Z")),
      want: { go: true },
    },
    {
      title: "holds when the other member's service is stopped, whoever stopped it",
      reading: member("Stopped"),
      want: { go: false, backOff: false, reason: /CS2: "VMware Horizon View Connection Server" is Stopped/ },
    },
    {
      title: "holds when the other member's service is starting",
      reading: member("StartPending"),
      want: { go: false, reason: /is StartPending/ },
    },
    { title: "holds when the other member has no product service", reading: member(null), want: { go: false, reason: /has no service/ } },
    {
      title: "holds when the other member cannot be read",
      reading: { name: "cs2", error: "timed out" },
      want: { go: false, reason: /cs2 could not be read \(timed out\)/ },
    },
    {
      title: "waits without backing off for a younger run marked out (the younger one backs off)",
      reading: member("Running", lease("a-run", "2026-12-05T21:55:00.000Z", { out: true })),
      want: {
        go: false,
        backOff: false,
        reason: /about to go out of service: it is leased by run a-run \(stack stack-a-run, project pod\) since/,
      },
    },
    {
      title: "backs off for an older run marked out",
      reading: member("Running", lease("a-run", "2026-12-05T21:45:00.000Z", { out: true })),
      want: { go: false, backOff: true },
    },
    {
      title: "breaks a tie of equal lease times by run id",
      reading: member("Running", lease("a-run", OWN.since, { out: true })),
      want: { go: false, backOff: true },
    },
    {
      title: "ignores an expired lease marked out",
      reading: member("Running", lease("a-run", "2026-12-05T21:00:00.000Z", { out: true, expires: "2026-12-05T21:30:00.000Z" })),
      want: { go: true },
    },
    {
      title: "counts this run's own member as out of service unless parallel",
      reading: member("Stopped", lease("b-run", NOW, { out: true })),
      want: { go: false },
    },
    {
      title: "lets this run's own member be out in a parallel upgrade",
      reading: member("Stopped", lease("b-run", NOW, { out: true })),
      sameRun: true,
      want: { go: true },
    },
  ];
  for (const c of cases) {
    it(c.title, () => {
      const v = judgeGroup(OWN, [c.reading], { sameRunMayBeOut: c.sameRun });
      assert.equal(v.go, c.want.go);
      if (!v.go) {
        if (c.want.backOff !== undefined) assert.equal(v.backOff, c.want.backOff);
        if (c.want.reason) assert.match(v.reason, c.want.reason);
      }
    });
  }
});

/**
 * Two runs guarding two members of one group against each other on a shared, step-by-step simulated world: each
 * step of a run (mark, read, go) is one atomic host operation, interleaved in every order by the schedule given.
 */
describe("guardGroup", () => {
  interface World {
    leases: Record<string, Lease>;
    running: Record<string, boolean>;
    out: string[];
  }
  function ioFor(world: World, self: string, other: string, gate: () => Promise<void>, clock: { t: number }): GuardIo {
    return {
      async mark(out) {
        await gate();
        world.leases[self] = { ...world.leases[self], out };
      },
      async read() {
        await gate();
        const state: MemberState = {
          computerName: other.toUpperCase(),
          utcNow: NOW,
          service: { displayName: "svc", status: world.running[other] ? "Running" : "Stopped" },
          lease: world.leases[other] ?? null,
        };
        return [{ name: other, state }];
      },
      sleep: async () => {
        clock.t += 1;
        await gate();
      },
      now: () => clock.t,
    };
  }

  it("lets exactly one of two runs starting at the same moment on two members go, in every interleaving of their first steps", async () => {
    // Each schedule says which run takes each of the next atomic steps; the rest run freely.
    const schedules = ["aabb", "abab", "abba", "baab", "baba", "bbaa"];
    for (const schedule of schedules) {
      const world: World = {
        leases: { cs1: lease("a-run", "2026-12-05T21:50:00.000Z"), cs2: lease("b-run", "2026-12-05T21:50:00.000Z") },
        running: { cs1: true, cs2: true },
        out: [],
      };
      const order = [...schedule];
      const waiting: Record<string, (() => void)[]> = { a: [], b: [] };
      const tick = () => {
        while (order.length > 0) {
          const next = order[0];
          const w = waiting[next].shift();
          if (!w) return;
          order.shift();
          w();
        }
        for (const k of ["a", "b"]) while (waiting[k].length) waiting[k].shift()!();
      };
      const gateFor = (k: "a" | "b") => () =>
        new Promise<void>((resolve) => {
          waiting[k].push(resolve);
          setImmediate(tick);
        });
      const clock = { t: 0 };
      const run = async (k: "a" | "b", self: string, other: string) => {
        await guardGroup(self, world.leases[self], ioFor(world, self, other, gateFor(k), clock), {
          waitMs: 5,
          pollMs: 1,
          log: () => {},
          waitMinutesText: "5",
        });
        world.out.push(self);
        world.running[self] = false;
        // Out of service for a while, then back; the lease is released.
        await gateFor(k)();
        await gateFor(k)();
        world.running[self] = true;
        delete world.leases[self];
        world.out.splice(world.out.indexOf(self), 1);
      };
      let maxOut = 0;
      const watch = setInterval(() => (maxOut = Math.max(maxOut, world.out.length)), 0);
      const results = await Promise.allSettled([run("a", "cs1", "cs2"), run("b", "cs2", "cs1")]);
      clearInterval(watch);
      maxOut = Math.max(maxOut, world.out.length);
      assert.ok(maxOut <= 1, `schedule ${schedule}: both went out`);
      assert.ok(
        results.some((r) => r.status === "fulfilled"),
        `schedule ${schedule}: neither went (no progress)`,
      );
    }
  });

  it("refuses after the wait, naming the member and its state, and clears its own mark", async () => {
    const marks: boolean[] = [];
    let t = 0;
    const io: GuardIo = {
      mark: async (out) => void marks.push(out),
      read: async () => [member("Stopped")],
      sleep: async (ms) => void (t += ms),
      now: () => t,
    };
    const log: string[] = [];
    await assert.rejects(
      guardGroup("CS1", OWN, io, { waitMs: 100, pollMs: 30, log: (l) => log.push(l), waitMinutesText: "15 minute(s)" }),
      (e: Error & { code?: string; member?: string }) => {
        assert.equal(e.code, "availability-guard");
        assert.equal(e.member, "CS2");
        assert.match(
          e.message,
          /CS1 was not taken out of service because CS2: "VMware Horizon View Connection Server" is Stopped; waited 15 minute\(s\)/,
        );
        return true;
      },
    );
    assert.equal(marks.at(-1), false, "the refused run left its mark out");
    assert.equal(log.filter((l) => l.includes("waiting")).length, 1, "the same reason is said once");
  });

  it("goes once the member is back in service within the wait", async () => {
    let t = 0;
    let reads = 0;
    const io: GuardIo = {
      mark: async () => {},
      read: async () => [member(++reads >= 3 ? "Running" : "Stopped")],
      sleep: async (ms) => void (t += ms),
      now: () => t,
    };
    await guardGroup("CS1", OWN, io, { waitMs: 1000, pollMs: 30, log: () => {}, waitMinutesText: "15" });
    assert.equal(reads, 3);
  });
});
