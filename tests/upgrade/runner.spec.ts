import * as assert from "node:assert/strict";
import { StepFailure, runPlan } from "../../provider/upgrade/runner";
import { PlannedStep, StepName } from "../../provider/upgrade/steps";

const STEPS: PlannedStep[] = [
  { name: "preflight", host: "SS2", detail: "check administrator rights" },
  { name: "set-pairing-password", host: "CS1", detail: "set a pairing password on CS1" },
  { name: "install", host: "SS2", detail: "run C:\\Installers\\setup.exe silently: 7.12.0 -> 7.13.2" },
];

/** A clock the test moves by hand. */
function fakeClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

/** Runs `steps` with a fake clock; each step takes `stepMs` and throws where `fail` says. */
async function run(
  steps: PlannedStep[],
  opts: { budgetMs?: number; stepMs?: number; fail?: (step: PlannedStep, index: number) => unknown } = {},
): Promise<{ ran: string[]; log: string[]; error?: StepFailure }> {
  const clock = fakeClock();
  const ran: string[] = [];
  const log: string[] = [];
  let index = 0;
  try {
    await runPlan(
      "ss2",
      steps,
      async (step) => {
        const i = index++;
        ran.push(`${step.name}@${step.host}`);
        clock.advance(opts.stepMs ?? 0);
        const thrown = opts.fail?.(step, i);
        if (thrown !== undefined) throw thrown;
      },
      { budgetMs: opts.budgetMs ?? 60_000, log: (line) => log.push(line), now: clock.now },
    );
    return { ran, log };
  } catch (e) {
    return { ran, log, error: e as StepFailure };
  }
}

describe("runPlan", () => {
  it("runs every step once, in order, and resolves", async () => {
    const { ran, error } = await run(STEPS);
    assert.equal(error, undefined);
    assert.deepEqual(ran, ["preflight@SS2", "set-pairing-password@CS1", "install@SS2"]);
  });

  it("logs a started and a done line per step naming step i/n, the step, the host and the elapsed time", async () => {
    const { log } = await run(STEPS, { stepMs: 1_500 });
    assert.deepEqual(log, [
      "step 1/3 preflight on SS2: started",
      "step 1/3 preflight on SS2: done in 1.5 s",
      "step 2/3 set-pairing-password on CS1: started",
      "step 2/3 set-pairing-password on CS1: done in 1.5 s",
      "step 3/3 install on SS2: started",
      "step 3/3 install on SS2: done in 1.5 s",
    ]);
  });

  it("does nothing and logs nothing for an empty plan", async () => {
    const { ran, log, error } = await run([]);
    assert.equal(error, undefined);
    assert.deepEqual(ran, []);
    assert.deepEqual(log, []);
  });

  for (let failAt = 0; failAt < STEPS.length; failAt++) {
    const step = STEPS[failAt];
    it(`stops at a failure of step ${failAt + 1} (${step.name}) and runs none of the later steps`, async () => {
      const cause = new Error("exit code 1603: Fatal error during installation");
      const { ran, log, error } = await run(STEPS, { stepMs: 2_000, fail: (_s, i) => (i === failAt ? cause : undefined) });
      assert.deepEqual(
        ran,
        STEPS.slice(0, failAt + 1).map((s) => `${s.name}@${s.host}`),
      );
      assert.ok(error, "runPlan rejects");
      assert.equal(error.code, "step-failed");
      assert.equal(error.resource, "ss2");
      assert.equal(error.step, step.name);
      assert.equal(error.host, step.host);
      assert.equal((error as Error & { cause?: unknown }).cause, cause);
      const label = `step ${failAt + 1}/3 ${step.name} on ${step.host}`;
      assert.ok(error.message.startsWith(`[ss2] ${label} failed: exit code 1603: Fatal error during installation. Next: `), error.message);
      assert.equal(log[log.length - 1], `${label}: failed after 2.0 s`);
      assert.ok(!log.some((l) => l.startsWith(`step ${failAt + 2}/`)), "no later step is started");
    });
  }

  const nextMoves: Array<[StepName, string]> = [
    ["preflight", "nothing was changed on the host"],
    ["hook-before", "nothing was upgraded; check the hook's output"],
    ["set-pairing-password", "check the pairing password policy on the Connection Server"],
    ["prepare-ipsec", "the security server may now be out of service"],
    ["install", "read the installer log on the host"],
    ["wait-service", "start the service by hand"],
    ["verify-version", "the version is not the target"],
    ["remove-duplicates", "vdmadmin -S -r -s"],
    ["hook-after", "the server is upgraded; check the hook's output"],
    ["start-service", "Next: run `pulumi up` again."],
    ["stop-services", "Next: run `pulumi up` again."],
    ["backup-database", "Next: run `pulumi up` again."],
  ];
  for (const [name, move] of nextMoves) {
    it(`tells the administrator what to do after ${name} fails`, async () => {
      const { error } = await run([{ name, host: "SS2", detail: "" }], { fail: () => new Error("boom") });
      assert.ok(error);
      const next = error.message.slice(error.message.indexOf("Next: "));
      assert.ok(next.includes(move), error.message);
      assert.ok(next.endsWith("."), error.message);
    });
  }

  for (const [what, thrown, shown] of [
    ["a string", "access denied", "access denied"],
    ["a number", 1603, "1603"],
  ] as Array<[string, unknown, string]>) {
    it(`reports a step that throws ${what} with what was thrown`, async () => {
      const { error } = await run(STEPS.slice(0, 1), { fail: () => thrown });
      assert.ok(error);
      assert.equal(error.code, "step-failed");
      assert.ok(error.message.includes(`failed: ${shown}. Next: `), error.message);
    });
  }

  const budgets: Array<[string, number, number, boolean]> = [
    // [what, budgetMs, time the first step takes, whether the second step runs]
    ["with time left", 10_000, 4_000, true],
    ["with 1 ms left", 10_000, 9_999, true],
    ["with exactly nothing left", 10_000, 10_000, false],
    ["past the budget", 10_000, 10_001, false],
  ];
  for (const [what, budgetMs, firstStepMs, secondRuns] of budgets) {
    it(`${secondRuns ? "starts" : "refuses"} the next step ${what}`, async () => {
      const clock = fakeClock();
      const ran: string[] = [];
      const log: string[] = [];
      const attempt = runPlan(
        "ss2",
        STEPS.slice(0, 2),
        async (step) => {
          ran.push(step.name);
          if (step.name === "preflight") clock.advance(firstStepMs);
        },
        { budgetMs, log: (l) => log.push(l), now: clock.now },
      );
      if (secondRuns) {
        await attempt;
        assert.deepEqual(ran, ["preflight", "set-pairing-password"]);
        return;
      }
      await assert.rejects(attempt, (e: StepFailure) => {
        assert.equal(e.code, "time-budget-exceeded");
        assert.equal(e.resource, "ss2");
        assert.equal(e.step, "set-pairing-password");
        assert.equal(e.host, "CS1");
        assert.ok(e.message.startsWith("[ss2] step 2/2 set-pairing-password on CS1 not started: the time budget is used up."), e.message);
        return true;
      });
      assert.deepEqual(ran, ["preflight"]);
      assert.ok(!log.some((l) => l.startsWith("step 2/2") && l.endsWith("started")), log.join("\n"));
    });
  }

  for (const budgetMs of [0, -1]) {
    it(`runs no step at all with a budget of ${budgetMs} ms`, async () => {
      const { ran, log, error } = await run(STEPS, { budgetMs });
      assert.deepEqual(ran, []);
      assert.deepEqual(log, []);
      assert.equal(error?.code, "time-budget-exceeded");
      assert.equal(error.step, "preflight");
      assert.equal(error.host, "SS2");
    });
  }

  it("hands each step the time left in the whole plan's budget", async () => {
    const clock = fakeClock();
    const seen: Array<[string, number, number]> = [];
    await runPlan(
      "ss2",
      STEPS.slice(0, 2),
      async (step, remainingMs) => {
        const atStart = remainingMs();
        clock.advance(3_000);
        seen.push([step.name, atStart, remainingMs()]);
      },
      { budgetMs: 10_000, log: () => undefined, now: clock.now },
    );
    assert.deepEqual(seen, [
      ["preflight", 10_000, 7_000],
      ["set-pairing-password", 7_000, 4_000],
    ]);
  });

  it("uses the real clock when no now option is given", async () => {
    const ran: string[] = [];
    await runPlan("ss2", STEPS, async (step) => void ran.push(step.name), { budgetMs: 60_000, log: () => undefined });
    assert.equal(ran.length, 3);
  });
});

describe("runPlan: the run lease, the availability guard and owed after-hooks", () => {
  const PLAN: PlannedStep[] = [
    { name: "preflight", host: "CS2", detail: "" },
    { name: "hook-before", host: "CS2", detail: "" },
    { name: "install", host: "CS2", detail: "" },
    { name: "verify-version", host: "CS2", detail: "" },
    { name: "hook-after", host: "CS2", detail: "" },
  ];
  async function coordinated(steps: PlannedStep[], fail?: (s: PlannedStep) => Error | undefined, refuse?: "lease" | "guard") {
    const calls: string[] = [];
    let error: StepFailure | undefined;
    try {
      await runPlan(
        "pod1-cs2",
        steps,
        async (step) => {
          calls.push(`step ${step.name}`);
          const e = fail?.(step);
          if (e) throw e;
        },
        {
          budgetMs: 60_000,
          log: () => {},
          coordination: {
            takeLease: async (step) => {
              calls.push(`lease before ${step.name}`);
              if (refuse === "lease") throw new Error("CS2 is leased by run x");
            },
            guard: async (step) => {
              calls.push(`guard before ${step.name}`);
              if (refuse === "guard") throw new Error("availability guard: CS1 is Stopped");
            },
            hookAfterFailed: async () => void calls.push("owed recorded"),
            hookAfterDone: async () => void calls.push("owed cleared"),
            release: async () => void calls.push("release"),
          },
        },
      );
    } catch (e) {
      error = e as StepFailure;
    }
    return { calls, error };
  }

  it("takes the lease before the first change, guards right before the server leaves service, and releases at the end", async () => {
    const { calls, error } = await coordinated(PLAN);
    assert.equal(error, undefined);
    assert.deepEqual(calls, [
      "step preflight",
      "lease before hook-before",
      "guard before hook-before",
      "step hook-before",
      "step install",
      "step verify-version",
      "step hook-after",
      "owed cleared",
      "release",
    ]);
  });

  it("records a failed after-hook as owed, says so, and still releases the lease", async () => {
    const { calls, error } = await coordinated(PLAN, (s) =>
      s.name === "hook-after" ? new Error("the after hook exited with 1") : undefined,
    );
    assert.deepEqual(calls.slice(-3), ["step hook-after", "owed recorded", "release"]);
    assert.match(
      error!.message,
      /hook-after on CS2 failed: the after hook exited with 1\. Next: .* The hook is recorded as owed on CS2: the next `pulumi up` runs it again/,
    );
  });

  it("refuses a step the lease or the guard refused without running it, naming it as not started", async () => {
    for (const refuse of ["lease", "guard"] as const) {
      const { calls, error } = await coordinated(PLAN, undefined, refuse);
      assert.ok(!calls.includes("step hook-before"), refuse);
      assert.match(error!.message, /\[pod1-cs2\] step 2\/5 hook-before on CS2 not started: /);
      assert.equal(calls.at(-1), refuse === "guard" ? "release" : "lease before hook-before");
    }
  });

  it("takes no lease and guards nothing for a plan of reads only, and guards nothing for an owed hook alone", async () => {
    assert.deepEqual((await coordinated([PLAN[0]])).calls, ["step preflight"]);
    assert.deepEqual((await coordinated([PLAN[4]])).calls, ["lease before hook-after", "step hook-after", "owed cleared", "release"]);
  });
});
