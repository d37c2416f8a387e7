// The real engine end to end: CLI, language host, dynamic-provider launcher, local file backend.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { diagnostics, Engine, stepOps, TestStack } from "../harness/engine";

const GREETING_TYPE = "pulumi-nodejs:dynamic/smoke:Greeting";

describe("the Pulumi engine runs a dynamic resource offline", function () {
  let engine: Engine;
  let stack: TestStack;

  before(async function () {
    engine = await Engine.open();
    stack = await engine.stack("tests/fixtures/smoke", { greeting: { value: "hello engine" } });
  });

  after(async function () {
    await stack?.remove();
    await engine?.dispose();
  });

  it("uses a pulumi CLI whose version equals the pinned @pulumi/pulumi", async function () {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the installed SDK's own package.json
    const sdkVersion = require("@pulumi/pulumi/package.json").version;
    assert.equal(engine.tc.version, sdkVersion);
    const { stdout } = await promisify(execFile)(engine.tc.pulumi, ["version"], {
      env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" },
    });
    assert.equal(stdout.trim(), `v${sdkVersion}`);
  });

  it("previews a create", async function () {
    const { result } = await stack.preview();
    assert.equal(result.changeSummary.create, 2); // the stack and the greeting
  });

  it("creates the resource, and the provider's console line reaches the engine's diagnostics", async function () {
    const { result, events } = await stack.up();
    assert.equal(result.summary.result, "succeeded");
    assert.equal(stepOps(events, GREETING_TYPE).greeting, "create");
    assert.ok(
      diagnostics(events).some((m) => m.includes("smoke-provider: creating with hello engine")),
      `provider line missing from diagnostics: ${JSON.stringify(diagnostics(events))}`,
    );
    assert.equal(result.outputs.length.value, "hello engine".length);
  });

  it("reports no changes on a second up", async function () {
    const { result, events } = await stack.up({ expectNoChanges: true });
    assert.equal(stepOps(events, GREETING_TYPE).greeting, "same");
    assert.deepEqual(result.summary.resourceChanges, { same: 2 });
  });

  it("refreshes through the provider's read and finds no drift", async function () {
    const { result, events } = await stack.refresh();
    assert.equal(result.summary.result, "succeeded");
    assert.equal(stepOps(events, GREETING_TYPE, "pre").greeting, "refresh");
    assert.equal(stepOps(events, GREETING_TYPE).greeting, "same");
    assert.ok(diagnostics(events).some((m) => m.includes("smoke-provider: reading smoke-1")));
  });

  it("destroys the resource through the provider's delete", async function () {
    const { result, events } = await stack.destroy();
    assert.equal(result.summary.result, "succeeded");
    assert.equal(stepOps(events, GREETING_TYPE).greeting, "delete");
    assert.ok(diagnostics(events).some((m) => m.includes("smoke-provider: deleting")));
  });
});
