import assert from "node:assert/strict";
import { startLab } from "../../lab";
import { type TimelineEvent, maxOutOfService, redact } from "../../lab/audit";
import { CS_INSTALLER, PAIRING, horizonInstall, op, readyForSecurityServer, standardLab } from "./fixtures";

describe("lab audit: redaction", () => {
  it("replaces every params.secrets value by *** and scrubs it from other strings", () => {
    const params = { path: "C:\\x", note: "pw is hunter2!", nested: ["hunter2"], secrets: { a: "hunter2", b: { deep: "z" } } };
    assert.deepEqual(redact(params, ["hunter2"]), {
      path: "C:\\x",
      note: "pw is ***!",
      nested: ["***"],
      secrets: { a: "***", b: { deep: "***" } },
    });
  });

  it("scrubs the longer of two overlapping secrets whole", () => {
    assert.equal(redact("abc-abcdef", ["abc", "abcdef"]), "***-***");
  });

  it("keeps secrets out of the audit log of a real run, params and results alike", async () => {
    const lab = await startLab(standardLab());
    try {
      await readyForSecurityServer(lab);
      await op(lab, "ss1", "Invoke-Installer", horizonInstall(CS_INSTALLER, { ss: true }));
      await op(lab, "plain1", "Invoke-Hook", { hook: `echo ${PAIRING}`, phase: "pre", secrets: { p: PAIRING } });
      const text = JSON.stringify(lab.audit());
      assert.ok(!text.includes(PAIRING), "pairing password leaked into the audit log");
      const set = lab.audit().find((e) => e.operation === "Set-PairingPassword");
      assert.deepEqual((set?.params as { secrets: unknown }).secrets, { pairingPassword: "***" });
      const hook = lab.host("plain1").audit.at(-1);
      assert.equal((hook?.params as { hook: string }).hook, "echo ***");
      // sequence numbers are lab-wide and in start order
      const seqs = lab.audit().map((e) => e.seq);
      assert.deepEqual(
        seqs,
        [...seqs].sort((a, b) => a - b),
      );
      assert.ok(lab.audit().every((e) => e.outcome === "ok" && e.simTime <= (e.simEndTime ?? "")));
    } finally {
      await lab.stop();
    }
  });
});

describe("lab audit: timeline and outages", () => {
  const ev = (host: string, service: string, from: string, to: string, atMs: number, primary = true): TimelineEvent => ({
    host,
    service,
    from,
    to,
    atMs,
    at: new Date(atMs).toISOString(),
    primary,
  });

  const cases: [string, TimelineEvent[], string[], number][] = [
    ["no events", [], ["a", "b"], 0],
    ["one host down then up", [ev("a", "S", "Running", "Stopped", 1), ev("a", "S", "Stopped", "Running", 2)], ["a", "b"], 1],
    [
      "two hosts down one after the other",
      [
        ev("a", "S", "Running", "Stopped", 1),
        ev("a", "S", "Stopped", "Running", 2),
        ev("b", "S", "Running", "Stopped", 3),
        ev("b", "S", "Stopped", "Running", 4),
      ],
      ["a", "b"],
      1,
    ],
    ["two hosts down together", [ev("a", "S", "Running", "Stopped", 1), ev("b", "S", "Running", "Stopped", 2)], ["a", "b"], 2],
    ["a host outside the set", [ev("a", "S", "Running", "Stopped", 1), ev("c", "S", "Running", "Stopped", 2)], ["a", "b"], 1],
    ["a non-primary service", [ev("a", "X", "Running", "Stopped", 1, false), ev("b", "S", "Running", "Stopped", 2)], ["a", "b"], 1],
    ["a service renamed at the same instant", [ev("a", "Old", "Running", "Absent", 1), ev("a", "New", "Absent", "Running", 1)], ["a"], 0],
    [
      "IPsec prepared counts as out",
      [ev("a", "IPsec", "active", "prepared", 1, false), ev("b", "S", "Running", "Stopped", 2)],
      ["a", "b"],
      2,
    ],
  ];
  for (const [what, events, hosts, expected] of cases) {
    it(`counts the most hosts out of service at once: ${what}`, () => {
      assert.equal(maxOutOfService(events, hosts), expected);
    });
  }

  it("records service changes of a real upgrade on the lab-wide timeline", async () => {
    const lab = await startLab(standardLab());
    try {
      lab.addInstaller("cs1", { path: CS_INSTALLER, product: "horizon-connection-server", version: "7.13.2.21000000" });
      await op(lab, "cs1", "Invoke-Installer", horizonInstall(CS_INSTALLER));
      const primary = lab
        .timeline()
        .filter((e) => e.host === "cs1" && e.primary)
        .map((e) => `${e.from}->${e.to}`);
      assert.deepEqual(primary, ["Running->Stopped", "Stopped->Running"]);
      assert.equal(lab.maxOutOfService(["cs1", "cs2"]), 1);
    } finally {
      await lab.stop();
    }
  });
});
