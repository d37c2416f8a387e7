import * as assert from "node:assert/strict";
import type { OwedHook } from "../../provider/operations/leaseOperations";
import { describeOwed, owedAfterHook, withOwedHook } from "../../provider/upgrade/owedHooks";
import type { Plan } from "../../provider/upgrade/steps";

const OWED: OwedHook = {
  resource: "pod1-cs2",
  phase: "after",
  failedAt: "2026-12-05T22:40:00.000Z",
  exitCode: 1,
  output: ["lb refused"],
  lease: {
    runId: "r1",
    stack: "prod",
    project: "horizon-pod",
    host: "CS2",
    since: "2026-12-05T22:00:00.000Z",
    expires: "2026-12-06T00:00:00.000Z",
  },
};
const INSTALL: Plan = {
  steps: [
    { name: "install", host: "CS2", detail: "run setup" },
    { name: "hook-after", host: "CS2", detail: "run the after-upgrade hook" },
  ],
};

describe("owed after-hooks", () => {
  it("finds the after-hook owed by this resource only", () => {
    assert.equal(owedAfterHook([OWED, { ...OWED, resource: "pod1-cs1" }], "pod1-cs2"), OWED);
    assert.equal(owedAfterHook([{ ...OWED, phase: "before" }], "pod1-cs2"), undefined);
  });

  it("says where the hook is owed, since when and which run's", () => {
    assert.equal(
      describeOwed("CS2", OWED),
      "after-hook owed on CS2: it failed at 2026-12-05T22:40:00.000Z (exit 1, run r1 of stack prod, project horizon-pod)",
    );
  });

  const cases: { title: string; plan: Plan; owed?: OwedHook; declared: boolean; steps: string[]; note?: RegExp }[] = [
    {
      title: "turns a finished server with an owed hook into a plan of that hook",
      plan: { steps: [] },
      owed: OWED,
      declared: true,
      steps: ["hook-after"],
    },
    { title: "leaves a plan without an owed hook as it is", plan: { steps: [] }, declared: true, steps: [] },
    {
      title: "does not add a second hook to a plan that already ends with it",
      plan: INSTALL,
      owed: OWED,
      declared: true,
      steps: ["install", "hook-after"],
      note: /after-hook owed on CS2/,
    },
    {
      title: "leaves a blocked plan alone",
      plan: { steps: [], blocked: { code: "host-unreachable", reason: "x" } },
      owed: OWED,
      declared: true,
      steps: [],
    },
    {
      title: "notes an owed hook the program no longer declares",
      plan: { steps: [] },
      owed: OWED,
      declared: false,
      steps: [],
      note: /no after hook is declared any more: run it by hand/,
    },
  ];
  for (const c of cases) {
    it(c.title, () => {
      const p = withOwedHook(c.plan, "CS2", c.owed, c.declared);
      assert.deepEqual(
        p.steps.map((s) => s.name),
        c.steps,
      );
      if (c.note)
        assert.ok(
          (p.notes ?? []).some((n) => c.note!.test(n)),
          JSON.stringify(p.notes),
        );
      if (c.steps.length === 1) assert.match(p.steps[0].detail, /^after-hook owed on CS2: .*; run the after-upgrade hook again$/);
    });
  }
});
