import * as assert from "node:assert/strict";
import { type Lab, startLab } from "../../lab";
import { closeAllConnections, openSession, type Session } from "../../provider/transport";
import { TransportError } from "../../provider/transport/errors";
import { readPairIpsec, readPairingFacts } from "../../provider/upgrade/horizonFacts";
import { argsFor } from "../transport/labFixture";
import { failingAfter } from "./failingSession";

const V712 = "7.12.0.15770369";

describe("horizonFacts: a pair's reads go at once and report as when read one after another (against the lab)", function () {
  this.timeout(30_000);
  let lab: Lab;
  let cs1: Session;
  let ss1: Session;

  beforeEach(async () => {
    lab = await startLab({
      timeFactor: 120,
      pods: [
        {
          name: "pod1",
          connectionServers: [{ name: "cs1", version: V712 }],
          securityServers: [{ name: "ss1", version: V712, pairedWith: "cs1" }],
        },
      ],
    });
    cs1 = openSession(argsFor(lab.endpoint("cs1")));
    ss1 = openSession(argsFor(lab.endpoint("ss1")));
  });
  afterEach(async () => {
    closeAllConnections();
    await lab?.stop();
  });

  const pairingOptions = {
    label: "CS1",
    productPatterns: ["*Horizon*Connection Server*"],
    servicePattern: "VMware Horizon*Connection Server",
  };

  it("asks the Connection Server for its list and its pairing password's state in the same round trip as its own facts", async () => {
    const facts = await readPairingFacts(cs1, pairingOptions);
    assert.equal(facts.connectionServer.reachable, true);
    assert.ok(facts.securityServers && facts.clock);
    const ops = lab.audit().filter((e) => e.host === "cs1");
    const started = (op: string) => Date.parse(ops.find((e) => e.operation === op)!.realTime);
    const ended = (op: string) => Date.parse(ops.find((e) => e.operation === op)!.realEndTime!);
    assert.ok(started("Get-SecurityServerList") < ended("Get-HostFacts"), "the list was asked for before the host's facts came back");
    assert.ok(
      started("Get-PairingPasswordState") < ended("Get-HostFacts"),
      "the password's state was asked for before the host's facts came back",
    );
  });

  it("uses neither the list nor the pairing password's state of a Connection Server whose facts could not be read", async () => {
    const facts = await readPairingFacts(failingAfter(cs1, { "Get-HostFacts": { ms: 50 } }), pairingOptions);
    assert.equal(facts.connectionServer.reachable, false);
    assert.deepEqual(Object.keys(facts), ["connectionServer"]);
  });

  it("names the security server's failed IPsec read when both fail, even if the Connection Server's failed first", async () => {
    const ipsec = await readPairIpsec(
      failingAfter(ss1, { "Get-IpsecRules": { ms: 80 } }),
      failingAfter(cs1, { "Get-IpsecRules": { ms: 0 } }),
      { ss: "SS1", cs: "CS1" },
    );
    assert.match(ipsec.readError!, /^on SS1: Get-IpsecRules failed/);
    assert.equal(ipsec.connectionServer, undefined);
  });

  it("keeps the security server's rules and names the Connection Server when only its read failed", async () => {
    const ipsec = await readPairIpsec(ss1, failingAfter(cs1, { "Get-IpsecRules": { ms: 0 } }), { ss: "SS1", cs: "CS1" });
    assert.ok(ipsec.securityServer);
    assert.match(ipsec.readError!, /^on CS1: /);
  });

  it("throws the Connection Server's host-key refusal rather than reporting an unreadable pair", async () => {
    const refused = new TransportError("host-key-mismatch", "the host key of cs1 changed", { host: "cs1" });
    await assert.rejects(
      readPairIpsec(ss1, failingAfter(cs1, { "Get-IpsecRules": { ms: 0, error: refused } }), { ss: "SS1", cs: "CS1" }),
      /host key of cs1 changed/,
    );
  });
});
