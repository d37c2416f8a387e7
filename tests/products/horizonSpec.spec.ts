// The Horizon spec (provider/products/horizonSpec.ts) through the runtime entry, called directly against a lab pod
// over real SSH (the engine runs them in tests/resources/horizonPod.spec.ts).
import assert from "node:assert/strict";
import { type Lab, startLab } from "../../lab";
import { cliLabOptions, stageAndDescribe } from "../../lab/cli";
import { check, diff } from "../../provider/lifecycle/runtime";
import { closeAllConnections } from "../../provider/transport/pool";

describe("the Horizon spec's check against a lab pod", () => {
  let lab: Lab;
  let description: ReturnType<typeof stageAndDescribe>;
  const log = console.log;

  beforeEach(async () => {
    lab = await startLab({ ...cliLabOptions(1200), farms: [] });
    description = stageAndDescribe(lab);
    console.log = () => undefined; // check prints the plan
  });
  afterEach(async () => {
    console.log = log;
    closeAllConnections();
    await lab.stop();
  });

  const connection = (name: string) => {
    const h = description.hosts[name];
    return { host: h.host, port: h.port, user: h.user, password: h.password, hostKey: h.hostKey };
  };
  const installer = () => ({ path: description.hosts.ss1.installers[0].path, sha256: description.hosts.ss1.installers[0].sha256 });
  const securityServer = () => ({
    resourceName: "pod1-ss1",
    connection: connection("ss1"),
    targetVersion: "7.13.2",
    installer: installer(),
    connectionServer: { name: "CS1", connection: connection("cs1"), targetVersion: "7.13.2" },
    pairingPassword: description.pairingPassword,
  });

  it("names the connection whose host key was refused: the server's own", async () => {
    lab.inject("ss1", { kind: "host-key-change" });
    const r = await check("security-server", {}, securityServer());
    assert.deepEqual(
      r.failures?.map((f) => f.property),
      ["connection.hostKey"],
    );
    assert.match(r.failures![0].reason, /presented host key SHA256:\S+, which does not match the pinned hostKey/);
  });

  it("names the connection whose host key was refused: the paired Connection Server's", async () => {
    lab.inject("cs1", { kind: "host-key-change" });
    const r = await check("security-server", {}, securityServer());
    assert.deepEqual(
      r.failures?.map((f) => f.property),
      ["connectionServer.connection.hostKey"],
    );
  });

  it("fails preview on a host below Windows PowerShell 5.1, with the fix", async () => {
    lab.setPowerShellVersion("ss1", "4.0");
    const r = await check("security-server", {}, securityServer());
    // Never on `connection`: the engine prints a top-level property's value, and the connection holds the password.
    assert.deepEqual(
      r.failures?.map((f) => f.property),
      [""],
    );
    assert.match(
      r.failures![0].reason,
      /SS1 runs Windows PowerShell 4\.0; .* install Windows Management Framework 5\.1 \(https:\/\/www\.microsoft\.com\/en-us\/download\/details\.aspx\?id=54616\)/,
    );
  });

  it("fails an override that does not parse before anything reaches a host", async () => {
    const before = lab.audit().length;
    const r = await check(
      "security-server",
      {},
      {
        ...securityServer(),
        overrides: {
          pairingPasswordScript: "$t = $p.connectionServer\nif ($t -eq '') { throw 'none' \nWrite-VdiResult @{ expiresUtc = '' }",
        },
      },
    );
    assert.deepEqual(
      r.failures?.map((f) => f.property),
      ["overrides.pairingPasswordScript"],
    );
    assert.match(r.failures![0].reason, /^\[overrides\.pairingPasswordScript\] line 2, column 16: .*"\{" opened here is never closed/);
    assert.equal(lab.audit().length, before);
  });

  it("plans without a failure when both keys match", async () => {
    const r = await check("security-server", {}, securityServer());
    assert.equal(r.failures, undefined);
    assert.ok(Array.isArray((r.inputs as { plan?: unknown }).plan));
  });
});

describe("the Horizon spec's diff", () => {
  const target = "7.13.2";
  const outputs = (over: Record<string, unknown> = {}) => ({
    targetVersion: target,
    liveVersion: "7.13.2.21000000",
    installedVersion: "7.13.2.21000000",
    serviceStatus: "Running",
    plan: [],
    readAt: "2026-12-03T10:00:00.000Z",
    ...over,
  });
  const inputs = (over: Record<string, unknown> = {}) => ({
    targetVersion: target,
    plan: [],
    plannedAt: "2026-12-03T11:00:00.000Z",
    ...over,
  });
  const cases: Array<[string, Record<string, unknown>, Record<string, unknown>, boolean]> = [
    ["nothing to do and nothing drifted", outputs(), inputs(), false],
    ["a fresh plan with steps (preview)", outputs(), inputs({ plan: ["1. start-service on CS2: ..."] }), true],
    ["a fresh blocked plan", outputs(), inputs({ blockedReason: "installer-missing: ..." }), true],
    // Refresh: the outputs were just read, the inputs are those stored by the last up with its plan from before it.
    [
      "a stale plan from before the last up, nothing drifted (refresh)",
      outputs({ readAt: "2026-12-03T12:00:00.000Z" }),
      inputs({ plan: ["1. install on CS1: ..."] }),
      false,
    ],
    [
      "a live version set back by hand (refresh)",
      outputs({ readAt: "2026-12-03T12:00:00.000Z", liveVersion: "7.12.0.15770369" }),
      inputs({ plan: ["1. install ..."] }),
      true,
    ],
    ["a service stopped by hand (refresh)", outputs({ readAt: "2026-12-03T12:00:00.000Z", serviceStatus: "Stopped" }), inputs(), true],
    [
      "a pairing that changed since the last up (refresh)",
      outputs({
        readAt: "2026-12-03T12:00:00.000Z",
        pairingState: { ipsec: "none", ipsecRules: [], entries: ["SS1"] },
        pairingStateVerified: { ipsec: "active", ipsecRules: ["r on SS1"], entries: ["SS1"] },
      }),
      inputs(),
      true,
    ],
    [
      "the same pairing in another key order",
      outputs({ pairingState: { entries: ["SS1"], ipsec: "none" }, pairingStateVerified: { ipsec: "none", entries: ["SS1"] } }),
      inputs(),
      false,
    ],
    ["a changed target", outputs(), inputs({ targetVersion: "7.13.3" }), true],
    ["an unreadable live version", outputs({ liveVersion: undefined }), inputs(), false],
  ];
  for (const [what, olds, news, changes] of cases) {
    it(`${changes ? "reports a change" : "reports no change"} for ${what}`, async () => {
      assert.deepEqual(await diff("connection-server", "horizon-cs:cs1", olds, news), { changes });
    });
  }
});
