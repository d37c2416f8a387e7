// The fast CRUD tier: the one lifecycle (provider/lifecycle/lifecycle.ts) driven through the runtime entry with fake
// sessions replaying transcripts (tests/lifecycle/fakeSessions.ts): no lab, no SSH. The lab tier keeps the end-to-end
// tests.
import assert from "node:assert/strict";
import * as runtime from "../../provider/lifecycle/runtime";
import { UNKNOWN } from "../../provider/lifecycle/inputSupport";
import { resetFactsCache } from "../../provider/upgrade/factsCache";
import { replay, transcript } from "./fakeSessions";

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGZha2VrZXlmb3J0ZXN0c29ubHkxMjM0NTY3ODkwYWJjZGVm";

function connectionServer(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    resourceName: "pod1-cs1",
    connection: { host: "cs1.lab.local", user: "svc", password: "S3cret-pw!", hostKey: HOST_KEY },
    targetVersion: "7.13.2",
    installer: { path: "C:\\Installers\\horizon.exe", sha256: "a".repeat(64) },
    ...extra,
  };
}

describe("the lifecycle over fake sessions", () => {
  let restore: (() => void) | undefined;
  beforeEach(() => resetFactsCache());
  afterEach(() => {
    restore?.();
    restore = undefined;
  });

  it("fails check on the connection's hostKey when the host's key is refused, without the password", async () => {
    const fake = replay(transcript("cs-host-key-refused"));
    restore = fake.restore;
    const r = await runtime.check("connection-server", {}, connectionServer());
    assert.deepEqual(r.failures?.map((f) => f.property), ["connection.hostKey"]);
    assert.match(r.failures![0].reason, /^\[connection\.hostKey\] .*does not match the pinned hostKey/);
    assert.ok(!JSON.stringify(r).includes("S3cret-pw!"));
    // Check plans with a planning session from the factory: nothing was sent for changing a host.
    assert.ok(fake.sent.length > 0 && fake.sent.every((s) => s.purpose === "planning"));
  });

  it("plans nothing and opens no session while the connection is not known", async () => {
    const fake = replay({ about: "no host may be reached", hosts: {} });
    restore = fake.restore;
    const r = (await runtime.check("connection-server", {}, connectionServer({ connection: UNKNOWN }))) as { inputs: Record<string, unknown> };
    assert.deepEqual(r.inputs.plan, ["(computed once the connection and the installer are known)"]);
    assert.deepEqual(fake.sent, []);
  });

  it("keeps the last known state on refresh when the stored state is not valid input, and reads no host", async () => {
    const fake = replay({ about: "no host may be reached", hosts: {} });
    restore = fake.restore;
    const props = { ...connectionServer({ targetVersion: "not a version" }), installedVersion: "7.13.2" };
    const r = await runtime.read("connection-server", "horizon-cs:cs1", props);
    assert.equal(r.id, "horizon-cs:cs1");
    assert.equal(r.inputs, undefined);
    assert.deepEqual(fake.sent, []);
  });

  it("reads a security server's stored state without the write-only pairing password", async () => {
    const fake = replay(transcript("cs-host-key-refused"));
    restore = fake.restore;
    const props = {
      resourceName: "pod1-ss1",
      connection: { host: "cs1.lab.local", user: "svc", password: "S3cret-pw!", hostKey: HOST_KEY },
      connectionServer: { name: "CS1", connection: { host: "cs1.lab.local", user: "svc", password: "S3cret-pw!", hostKey: HOST_KEY } },
      targetVersion: "7.13.2",
      installer: { path: "C:\\Installers\\horizon.exe", sha256: "a".repeat(64) },
    };
    // Validation passes (no pairing password needed), so the host is read: the refused key is what stops it.
    await assert.rejects(runtime.read("security-server", "horizon-ss:ss1", props), /does not match the pinned hostKey/);
    assert.ok(fake.sent.length > 0);
  });

  it("reports no change on diff when only outputs, links and write-only inputs differ", async () => {
    const olds = { ...connectionServer(), liveVersion: "7.13.2", installedVersion: "7.13.2", plan: [], upgradeAfter: ["x"] };
    const news = { ...connectionServer(), plan: [], upgradeAfter: ["y"] };
    assert.deepEqual(await runtime.diff("connection-server", "horizon-cs:cs1", olds, news), { changes: false });
    assert.deepEqual(await runtime.diff("connection-server", "horizon-cs:cs1", olds, { ...news, targetVersion: "7.13.3" }), { changes: true });
  });
});
