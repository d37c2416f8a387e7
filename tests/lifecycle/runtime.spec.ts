// The runtime entry is what the state stores: a stack written before the lifecycle moved (its resources' `__provider`
// requiring the old module paths, vdi-upgrade/dist/provider/resources/horizonProvider) still refreshes, previews and
// updates through the real engine against a lab pod.
import assert from "node:assert/strict";
import { Engine, stepOps } from "../harness/engine";
import { CS_TYPE, type PodUnderTest, SS_TYPE, dispose, podUnderTest } from "../harness/podLab";

const OLD_PATH = "vdi-upgrade/dist/provider/resources/horizonProvider";

describe("a stack whose state requires the modules' old paths", function () {
  let engine: Engine;
  let pod: PodUnderTest;
  before(async () => {
    engine = await Engine.open();
    pod = await podUnderTest(engine);
    await pod.stack.up();
    // The state as the code before the move wrote it: every provider requires the old module by package name.
    const state = await pod.stack.stack.exportStack();
    const text = JSON.stringify(state);
    assert.ok(text.includes("vdi-upgrade/runtime"), "the state stores the runtime entry");
    await pod.stack.stack.importStack(JSON.parse(text.split("vdi-upgrade/runtime").join(OLD_PATH)));
    assert.ok(pod.stack.stateFileText().includes(OLD_PATH) && !pod.stack.stateFileText().includes("vdi-upgrade/runtime"));
  });
  after(async () => {
    await dispose(pod);
    await engine?.dispose();
  });

  it("refreshes through the old path's module, finding every server as the last up left it", async () => {
    const { result, events } = await pod.stack.refresh();
    assert.equal(result.summary.result, "succeeded");
    const ops = { ...stepOps(events, CS_TYPE), ...stepOps(events, SS_TYPE) };
    assert.deepEqual(Object.values(ops).sort(), ["same", "same", "same", "same"]);
  });

  it("previews no change, then updates each server when the program changes", async () => {
    const preview = await pod.stack.preview();
    assert.equal(preview.result.changeSummary.update ?? 0, 0);
    await pod.stack.stack.setConfig("timeBudgetMinutes", { value: "250" });
    const up = await pod.stack.up();
    assert.equal(up.result.summary.result, "succeeded");
    const ops = { ...stepOps(up.events, CS_TYPE), ...stepOps(up.events, SS_TYPE) };
    assert.deepEqual(Object.values(ops).sort(), ["update", "update", "update", "update"]);
    // The update wrote the runtime entry back into the state.
    assert.ok(pod.stack.stateFileText().includes("vdi-upgrade/runtime"));
  });
});
