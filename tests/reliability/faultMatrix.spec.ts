// A subset of the fault matrix through the real engine (one scenario of each kind of fault); `npm run reliability`
// runs all of them and prints the table or the JSON.
import assert from "node:assert/strict";
import { Engine } from "../harness/engine";
import { SCENARIOS, TEST_SUBSET, runScenario } from "./faultMatrix";

describe("fault matrix on a lab pod (subset; npm run reliability runs all)", function () {
  let engine: Engine;
  before(async () => {
    engine = await Engine.open();
  });
  after(async () => {
    await engine?.dispose();
  });

  it("names every subset scenario after a scenario of the full matrix", () => {
    const names = SCENARIOS.map((s) => s.name);
    for (const n of TEST_SUBSET) assert.ok(names.includes(n), `${n} is not a scenario`);
  });

  for (const name of TEST_SUBSET) {
    it(`${name}: fails clearly, keeps each group serving, keeps state valid and secret-free, resumes, then changes nothing`, async () => {
      const r = await runScenario(
        engine,
        SCENARIOS.find((s) => s.name === name)!,
      );
      assert.deepEqual(r.problems, []);
      assert.deepEqual(
        {
          failedClearly: r.failedClearly,
          maxOutOfServicePerGroup: r.maxOutOfServicePerGroup,
          stateValid: r.stateValid,
          secretsFound: r.secretsFound,
          resumed: r.resumed,
          noopAfter: r.noopAfter,
        },
        { failedClearly: true, maxOutOfServicePerGroup: 1, stateValid: true, secretsFound: 0, resumed: true, noopAfter: true },
      );
    });
  }
});
