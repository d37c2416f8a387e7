// The Horizon provider's methods called directly against a lab pod over real SSH (the engine runs them in
// tests/resources/horizonPod.spec.ts).
import assert from "node:assert/strict";
import { type Lab, startLab } from "../../lab";
import { cliLabOptions, stageAndDescribe } from "../../lab/cli";
import { check } from "../../provider/resources/horizonProvider";
import { closeAllConnections } from "../../provider/transport/pool";

describe("horizonProvider.check against a lab pod", () => {
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
    assert.deepEqual(r.failures?.map((f) => f.property), ["connection.hostKey"]);
    assert.match(r.failures![0].reason, /presented host key SHA256:\S+, which does not match the pinned hostKey/);
  });

  it("names the connection whose host key was refused: the paired Connection Server's", async () => {
    lab.inject("cs1", { kind: "host-key-change" });
    const r = await check("security-server", {}, securityServer());
    assert.deepEqual(r.failures?.map((f) => f.property), ["connectionServer.connection.hostKey"]);
  });

  it("fails preview on a host below Windows PowerShell 5.1, with the fix", async () => {
    lab.setPowerShellVersion("ss1", "4.0");
    const r = await check("security-server", {}, securityServer());
    assert.deepEqual(r.failures?.map((f) => f.property), ["connection"]);
    assert.match(r.failures![0].reason, /SS1 runs Windows PowerShell 4\.0; .* install Windows Management Framework 5\.1 \(https:\/\/www\.microsoft\.com\/en-us\/download\/details\.aspx\?id=54616\)/);
  });

  it("fails an override that does not parse before anything reaches a host", async () => {
    const before = lab.audit().length;
    const r = await check("security-server", {}, { ...securityServer(), overrides: { pairingPasswordScript: "$t = $p.connectionServer\nif ($t -eq '') { throw 'none' \nWrite-VdiResult @{ expiresUtc = '' }" } });
    assert.deepEqual(r.failures?.map((f) => f.property), ["overrides.pairingPasswordScript"]);
    assert.match(r.failures![0].reason, /^\[overrides\.pairingPasswordScript\] line 2, column 16: .*"\{" opened here is never closed/);
    assert.equal(lab.audit().length, before);
  });

  it("plans without a failure when both keys match", async () => {
    const r = await check("security-server", {}, securityServer());
    assert.equal(r.failures, undefined);
    assert.ok(Array.isArray((r.inputs as { plan?: unknown }).plan));
  });
});
