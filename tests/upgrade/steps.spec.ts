import * as assert from "node:assert/strict";
import { type Plan, type PlannedStep, blockedText, planLines } from "../../provider/upgrade/steps";

const STEPS: PlannedStep[] = [
  { name: "preflight", host: "SS2", detail: "check administrator rights" },
  { name: "set-pairing-password", host: "CS1", detail: "set a pairing password on CS1" },
  { name: "install", host: "SS2", detail: "run C:\\Installers\\setup.exe silently: 7.12.0 -> 7.13.2" },
];

describe("planLines", () => {
  const cases: Array<[string, Plan, string[]]> = [
    ["nothing for an empty plan", { steps: [] }, []],
    [
      "one numbered line per step with its host and detail",
      { steps: STEPS },
      [
        "1. preflight on SS2: check administrator rights",
        "2. set-pairing-password on CS1: set a pairing password on CS1",
        "3. install on SS2: run C:\\Installers\\setup.exe silently: 7.12.0 -> 7.13.2",
      ],
    ],
    [
      "only the steps of a blocked plan (the block is blockedText's)",
      { steps: STEPS.slice(0, 1), blocked: { code: "not-admin", reason: "svc is not an elevated administrator on SS2" } },
      ["1. preflight on SS2: check administrator rights"],
    ],
  ];
  for (const [what, plan, expected] of cases) {
    it(`shows ${what}`, () => {
      assert.deepEqual(planLines(plan), expected);
    });
  }
});

describe("blockedText", () => {
  const cases: Array<[string, Plan, string | undefined]> = [
    ["nothing for a plan that can run", { steps: STEPS }, undefined],
    [
      "the code and the reason of a block",
      { steps: [], blocked: { code: "host-unreachable", reason: "SS2 could not be reached" } },
      "host-unreachable: SS2 could not be reached",
    ],
    [
      "what the plan waits for instead of the code when it waits for another resource",
      {
        steps: STEPS.slice(0, 1),
        blocked: { code: "waiting-for-connection-server", reason: "CS1 runs 7.12.0" },
        after: "CS1 reaches 7.13.2",
      },
      "after CS1 reaches 7.13.2: CS1 runs 7.12.0",
    ],
  ];
  for (const [what, plan, expected] of cases) {
    it(`shows ${what}`, () => {
      assert.equal(blockedText(plan), expected);
    });
  }
});
