// Run by `npm run test:command`, not by `npm test`: the command provider plugin cannot be built or downloaded on this
// project's network (docs/toolchain.md). Where it is installed, this proves it loads offline.
import assert from "node:assert/strict";
import { Engine, stepOps, TestStack } from "../harness/engine";

describe("the command provider plugin", function () {
  let engine: Engine;
  let stack: TestStack;

  before(async function () {
    engine = await Engine.open();
    assert.ok(
      engine.tc.commandPlugin,
      "pulumi-resource-command 1.2.1 is not installed in .pulumi-home: run `VDI_UPGRADE_RETRY_PLUGINS=1 npm run toolchain` where it can be built or downloaded",
    );
    stack = await engine.stack("tests/fixtures/command");
  });

  after(async function () {
    await stack?.destroy();
    await stack?.remove();
    await engine?.dispose();
  });

  it("runs a local.Command through the real engine without downloading anything", async function () {
    const { result, events } = await stack.up();
    assert.equal(stepOps(events, "command:local:Command").echo, "create");
    assert.equal(result.outputs.stdout.value, "command-plugin-ok");
  });
});
