import assert from "node:assert/strict";
import { type Lab, startLab } from "../../lab";
import { FaultSet } from "../../lab/faults";
import { LabClient, runOnce } from "./labClient";
import { CS_INSTALLER, V712, V7132, horizonInstall, op, stageHorizon, standardLab, versionOf } from "./fixtures";

describe("lab faults: FaultSet bookkeeping", () => {
  it("fires only on the Nth matching call", () => {
    const f = new FaultSet();
    f.add({ kind: "hang", operation: "Get-HostFacts", nth: 2 });
    const fired = [1, 2, 3].map(() => f.takeForOperation("Get-HostFacts").length);
    assert.deepEqual(fired, [0, 1, 0]);
  });

  it("fires at most `times` times and ignores other operations", () => {
    const f = new FaultSet();
    f.add({ kind: "exit-code", exitCode: 1603, operation: "Invoke-Installer", times: 2 });
    assert.equal(f.takeForOperation("Invoke-Hook").length, 0);
    const fired = [1, 2, 3].map(() => f.takeForOperation("Invoke-Installer").length);
    assert.deepEqual(fired, [1, 1, 0]);
  });

  it("rejects nth and times that are not whole numbers from 1", () => {
    const f = new FaultSet();
    assert.throws(() => f.add({ kind: "hang", nth: 0 }), /\[nth\]/);
    assert.throws(() => f.add({ kind: "hang", times: 1.5 }), /\[times\]/);
  });
});

describe("lab faults over SSH", () => {
  let lab: Lab;
  beforeEach(async () => {
    lab = await startLab(standardLab());
  });
  afterEach(() => lab.stop());

  it("drops the connection before the operation runs: nothing happens on the host", async () => {
    stageHorizon(lab, ["cs1"]);
    lab.inject("cs1", { kind: "drop", phase: "before", operation: "Invoke-Installer" });
    const r = await op(lab, "cs1", "Invoke-Installer", horizonInstall(CS_INSTALLER));
    assert.equal(r.dropped, true);
    assert.equal(r.exitCode, null);
    await new Promise((res) => setTimeout(res, 200));
    assert.equal(versionOf(lab, "cs1"), V712);
    assert.equal(lab.host("cs1").audit.at(-1)?.fault, "drop-before");
  });

  it("drops the connection while an in-session installer runs, and the session's end kills the installer half-way", async () => {
    stageHorizon(lab, ["cs1"]);
    lab.inject("cs1", { kind: "drop", phase: "during", operation: "Invoke-Installer" });
    const r = await op(lab, "cs1", "Invoke-Installer", horizonInstall(CS_INSTALLER));
    assert.equal(r.dropped, true);
    assert.equal(r.result, undefined);
    await new Promise((res) => setTimeout(res, 200));
    assert.equal(versionOf(lab, "cs1"), V712);
    assert.deepEqual(
      lab.host("cs1").state.installers.map((p) => p.state),
      ["killed"],
    );
    const entry = lab.host("cs1").audit.at(-1);
    assert.equal(entry?.fault, "drop-during");
  });

  it("drops the connection after the operation ran, before the result line", async () => {
    lab.inject("plain1", { kind: "drop", phase: "after", operation: "Invoke-Hook" });
    const r = await op(lab, "plain1", "Invoke-Hook", { hook: "x", phase: "pre" });
    assert.equal(r.dropped, true);
    assert.equal(r.result, undefined);
    assert.equal(lab.host("plain1").state.hooks.length, 1);
  });

  it("hangs without answering and without running the operation", async () => {
    lab.inject("plain1", { kind: "hang", operation: "Invoke-Hook", times: 1 });
    const c = await LabClient.connect(lab.endpoint("plain1"));
    const pending = c.run("Invoke-Hook", { hook: "x", phase: "pre" });
    const winner = await Promise.race([pending.then(() => "answered"), new Promise((r) => setTimeout(() => r("silent"), 300))]);
    assert.equal(winner, "silent");
    assert.equal(lab.host("plain1").state.hooks.length, 0);
    c.close();
    await pending;
    // `times: 1`: the next call runs
    assert.equal((await op(lab, "plain1", "Invoke-Hook", { hook: "x", phase: "pre" })).exitCode, 0);
  });

  it("makes the installer exit with an injected code and rolls the host back", async () => {
    stageHorizon(lab, ["cs1"]);
    lab.inject("cs1", { kind: "exit-code", exitCode: 1603, operation: "Invoke-Installer" });
    const r = await op(lab, "cs1", "Invoke-Installer", horizonInstall(CS_INSTALLER));
    assert.equal(r.result.exitCode, 1603);
    assert.equal(versionOf(lab, "cs1"), V712);
    assert.ok(
      lab
        .host("cs1")
        .state.services.filter((s) => s.primary)
        .every((s) => s.status === "Running"),
    );
  });

  it("treats an injected 3010 as success with a reboot required", async () => {
    stageHorizon(lab, ["cs1"]);
    lab.inject("cs1", { kind: "exit-code", exitCode: 3010, operation: "Invoke-Installer" });
    const r = await op(lab, "cs1", "Invoke-Installer", horizonInstall(CS_INSTALLER));
    assert.deepEqual([r.result.exitCode, r.result.rebootRequired], [3010, true]);
    assert.equal(versionOf(lab, "cs1"), V7132);
  });

  it("makes a hook fail with an injected exit code", async () => {
    lab.inject("plain1", { kind: "exit-code", exitCode: 5, operation: "Invoke-Hook" });
    const r = await op(lab, "plain1", "Invoke-Hook", { hook: "x", phase: "post" });
    assert.equal(r.result.exitCode, 5);
  });

  it("keeps a service from starting: Set-ServiceState throws after its timeout", async () => {
    const name = "VMware Horizon View Connection Server";
    lab.inject("cs2", { kind: "service-wont-start", displayName: name });
    await op(lab, "cs2", "Set-ServiceState", { displayName: name, state: "Stopped", timeoutSeconds: 60 });
    const r = await op(lab, "cs2", "Set-ServiceState", { displayName: name, state: "Running", timeoutSeconds: 90 });
    assert.equal(r.exitCode, 1);
    assert.match(r.error ?? "", /did not reach Running within 90 s/);
    lab.clearFaults("cs2");
    const ok = await op(lab, "cs2", "Set-ServiceState", { displayName: name, state: "Running", timeoutSeconds: 90 });
    assert.equal(ok.result.status, "Running");
  });

  it("leaves the service stopped after an installer when it will not start", async () => {
    stageHorizon(lab, ["cs1"]);
    lab.inject("cs1", { kind: "service-wont-start", displayName: "VMware Horizon View Connection Server" });
    const r = await op(lab, "cs1", "Invoke-Installer", horizonInstall(CS_INSTALLER));
    assert.equal(r.result.exitCode, 0);
    const s = await op(lab, "cs1", "Get-ServiceState", { displayNames: ["VMware Horizon View Connection Server"] });
    assert.equal(s.result.services[0].status, "Stopped");
  });

  it("reports installer success while leaving the old version", async () => {
    stageHorizon(lab, ["cs1"]);
    lab.inject("cs1", { kind: "installer-no-change" });
    const r = await op(lab, "cs1", "Invoke-Installer", horizonInstall(CS_INSTALLER));
    assert.equal(r.result.exitCode, 0);
    const p = await op(lab, "cs1", "Get-InstalledProduct", { displayNameLike: ["*Horizon*"] });
    assert.equal(p.result.products[0].displayVersion, V712);
  });

  it("adds latency to an operation", async () => {
    lab.inject("plain1", { kind: "latency", ms: 300, operation: "Get-HostFacts" });
    const t = Date.now();
    await op(lab, "plain1", "Get-HostFacts");
    assert.ok(Date.now() - t >= 290);
  });

  it("refuses authentication, then accepts once cleared", async () => {
    lab.inject("plain1", { kind: "refuse-auth" });
    await assert.rejects(LabClient.connect(lab.endpoint("plain1")), /authentication/i);
    lab.clearFaults();
    assert.equal((await runOnce(lab.endpoint("plain1"), "Get-HostFacts")).exitCode, 0);
  });

  it("changes the host key: clients pinning the old key refuse, the new endpoint works, clearing restores it", async () => {
    const old = lab.endpoint("plain1");
    lab.inject("plain1", { kind: "host-key-change" });
    const changed = lab.endpoint("plain1");
    assert.notEqual(changed.hostKey, old.hostKey);
    await assert.rejects(LabClient.connect(old));
    assert.equal((await runOnce(changed, "Get-HostFacts")).exitCode, 0);
    lab.clearFaults("plain1");
    assert.equal(lab.endpoint("plain1").hostKey, old.hostKey);
    assert.equal((await runOnce(old, "Get-HostFacts")).exitCode, 0);
  });

  it("writes a backup that fails verification", async () => {
    lab.inject("sql1", { kind: "backup-invalid" });
    await op(lab, "sql1", "Invoke-SqlBackup", { sqlServer: "sql1", database: "APPVIRT", backupPath: "D:\\b.bak" });
    const t = await op(lab, "sql1", "Test-SqlBackup", { sqlServer: "sql1", backupPath: "D:\\b.bak" });
    assert.equal(t.result.valid, false);
  });

  it("records a pairing password that is born expired, as a Connection Server off UTC does", async () => {
    lab.inject("cs1", { kind: "pairing-expired", operation: "Set-PairingPassword" });
    const set = await op(lab, "cs1", "Set-PairingPassword", {
      connectionServer: "CS1",
      timeoutMinutes: 30,
      secrets: { pairingPassword: "p" },
    });
    assert.equal(set.exitCode, 0);
    // The View API call reports the host's clock plus the timeout, as a real one does; the directory shows the truth.
    assert.ok(Date.parse((set.result as { expiresUtc: string }).expiresUtc) > lab.now().getTime());
    const state = (await op(lab, "cs1", "Get-PairingPasswordState", { connectionServer: "CS1" })).result;
    const last = Date.parse(state.lastChangedTime.replace(/^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})\.0Z$/, "$1-$2-$3T$4:$5:$6Z"));
    assert.equal(state.timeoutSeconds, 1800);
    assert.ok(last + 1800_000 < lab.now().getTime(), `expected a last change more than 30 minutes ago, got ${state.lastChangedTime}`);
    assert.ok(lab.pod("pod1").pairing.cs1.expiresMs < lab.now().getTime());
  });

  it("writes the last-changed time in local time on a Connection Server off UTC, so the password reads as expired", async () => {
    await lab.stop();
    lab = await startLab(
      standardLab({ pods: [{ name: "pod1", connectionServers: [{ name: "cs1", version: V712, utcOffsetMinutes: -300 }] }], farms: [] }),
    );
    await op(lab, "cs1", "Set-PairingPassword", { connectionServer: "CS1", timeoutMinutes: 30, secrets: { pairingPassword: "p" } });
    const state = (await op(lab, "cs1", "Get-PairingPasswordState", { connectionServer: "CS1" })).result;
    assert.equal(state.utcOffsetMinutes, -300);
    assert.equal(state.timeZoneId, "UTC-05:00");
    assert.ok(lab.pod("pod1").pairing.cs1.expiresMs < lab.now().getTime(), "the password is not expired");
  });

  it("refuses a pairing password: the operation fails and no password is set", async () => {
    lab.inject("cs1", { kind: "pairing-refused", operation: "Set-PairingPassword" });
    const set = await op(lab, "cs1", "Set-PairingPassword", {
      connectionServer: "CS1",
      timeoutMinutes: 30,
      secrets: { pairingPassword: "p" },
    });
    assert.equal(set.exitCode, 1);
    assert.match(set.stdout, /rejected by CS1/);
    assert.equal(lab.pod("pod1").pairing.cs1, undefined);
  });
});
