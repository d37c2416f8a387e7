import assert from "node:assert/strict";
import { type Lab, VDMADMIN_PATH, startLab } from "../../lab";
import {
  APPV_41SP1,
  APPV_45SP2,
  APPV_INSTALLER,
  CS_INSTALLER,
  FAST,
  PAIRING,
  V712,
  V7132,
  V85,
  horizonInstall,
  op,
  RULE_PREFIX,
  prepareIpsec,
  readyForSecurityServer,
  stageHorizon,
  standardLab,
  versionOf,
} from "./fixtures";

describe("lab handlers: Horizon Connection Server installer", () => {
  let lab: Lab;
  beforeEach(async () => {
    lab = await startLab(standardLab());
  });
  afterEach(() => lab.stop());

  it("upgrades a Connection Server and restarts its services", async () => {
    stageHorizon(lab, ["cs1"]);
    const r = await op(lab, "cs1", "Invoke-Installer", horizonInstall(CS_INSTALLER));
    assert.equal(r.exitCode, 0);
    assert.deepEqual(r.result, { exitCode: 0, rebootRequired: false, logTail: r.result.logTail });
    assert.ok(r.result.logTail.some((l: string) => l.includes("Installation operation completed successfully")));
    assert.equal(versionOf(lab, "cs1"), V7132);
    const svc = lab.host("cs1").state.services.find((s) => s.displayName === "VMware Horizon View Connection Server");
    assert.equal(svc?.status, "Running");
    // out of service while it installed
    assert.equal(lab.maxOutOfService(["cs1"]), 1);
  });

  it("fails with 1619 when the installer file is missing", async () => {
    const r = await op(lab, "cs1", "Invoke-Installer", horizonInstall(CS_INSTALLER));
    assert.equal(r.result.exitCode, 1619);
    assert.equal(versionOf(lab, "cs1"), V712);
  });

  it("fails with 1603 and a signature message when the installer is not genuine", async () => {
    const staged = lab.addInstaller("cs1", { path: CS_INSTALLER, product: "horizon-connection-server", version: V7132, genuine: false });
    assert.notEqual(staged.sha256, staged.vendorSha256);
    const r = await op(lab, "cs1", "Invoke-Installer", horizonInstall(CS_INSTALLER));
    assert.equal(r.result.exitCode, 1603);
    assert.match(r.result.logTail.join("\n"), /digital signature/);
    assert.equal(versionOf(lab, "cs1"), V712);
  });

  it("refuses to downgrade", async () => {
    stageHorizon(lab, ["cs1"], "7.10.0.14584133");
    const r = await op(lab, "cs1", "Invoke-Installer", horizonInstall(CS_INSTALLER));
    assert.equal(r.result.exitCode, 1603);
    assert.match(r.result.logTail.join("\n"), /cannot downgrade/);
    assert.equal(versionOf(lab, "cs1"), V712);
  });

  it("fails when run without /s and /qn (no desktop in an SSH session)", async () => {
    stageHorizon(lab, ["cs1"]);
    const r = await op(lab, "cs1", "Invoke-Installer", horizonInstall(CS_INSTALLER, { template: '/v"/l*v C:\\x.log"' }));
    assert.equal(r.result.exitCode, 1603);
    assert.equal(versionOf(lab, "cs1"), V712);
  });

  it("blocks an 8.5 (2203) upgrade while LDAP replication is unhealthy, and allows it once healthy", async () => {
    stageHorizon(lab, ["cs1"], V85);
    lab.setReplicationHealthy("pod1", false);
    const health = await op(lab, "cs1", "Get-ReplicationHealth", { cloudPodService: "ADAM_VMwareVDMDSG", global: "detect" });
    assert.deepEqual(
      health.result.instances.map((i: { port: number }) => i.port),
      [389],
    );
    assert.match(health.result.instances[0].output.join("\n"), /Last attempt @ .* failed, result 1722/);
    const blocked = await op(lab, "cs1", "Invoke-Installer", horizonInstall(CS_INSTALLER));
    assert.equal(blocked.result.exitCode, 1603);
    assert.match(blocked.result.logTail.join("\n"), /replication/);
    assert.equal(versionOf(lab, "cs1"), V712);
    lab.setReplicationHealthy("pod1", true);
    const ok = await op(lab, "cs1", "Invoke-Installer", horizonInstall(CS_INSTALLER));
    assert.equal(ok.result.exitCode, 0);
    assert.equal(versionOf(lab, "cs1"), V85);
    assert.equal(lab.host("cs1").state.products[0].displayName, "VMware Horizon Connection Server");
  });

  it("in a Cloud Pod federation, reads the global instance on 22389 where its service runs, and blocks a 2203 upgrade while it has errors", async () => {
    await lab.stop();
    const base = standardLab();
    lab = await startLab({ ...base, pods: base.pods!.map((p) => ({ ...p, cloudPod: true })) });
    assert.ok(lab.host("cs1").state.services.some((s) => s.name === "ADAM_VMwareVDMDSG" && s.status === "Running"));
    lab.setReplicationHealthy("pod1", false, "global");
    const health = await op(lab, "cs1", "Get-ReplicationHealth", { cloudPodService: "ADAM_VMwareVDMDSG", global: "detect" });
    assert.deepEqual(health.result.cloudPodService, { name: "ADAM_VMwareVDMDSG", present: true });
    const [local, global] = health.result.instances as { port: number; exitCode: number; output: string[] }[];
    assert.equal(local.port, 389);
    assert.doesNotMatch(local.output.join("\n"), /failed/);
    assert.equal(global.port, 22389);
    assert.match(global.output[0], /^Repadmin: running command \/showrepl against full DC localhost:22389$/);
    assert.match(
      global.output.join("\n"),
      /DC=vdiglobal,DC=vmware,DC=int\n {4}Default-First-Site-Name\\CS2 via RPC\n.*\n {8}Last attempt @ \d{4}-\d\d-\d\d \d\d:\d\d:\d\d failed, result 1722 \(0x6ba\):\n {12}The RPC server is unavailable\.\n {8}3 consecutive failure\(s\)\./,
    );
    // A service name that is not there: no global instance read ("detect"), or an LDAP error when asked for anyway.
    const other = await op(lab, "cs1", "Get-ReplicationHealth", { cloudPodService: "NoSuchService", global: "detect" });
    assert.equal(other.result.instances.length, 1);
    stageHorizon(lab, ["cs1"], V85);
    const blocked = await op(lab, "cs1", "Invoke-Installer", horizonInstall(CS_INSTALLER));
    assert.equal(blocked.result.exitCode, 1603);
    assert.match(blocked.result.logTail.join("\n"), /localhost:22389/);
    lab.setReplicationHealthy("pod1", true, "global");
    assert.equal((await op(lab, "cs1", "Invoke-Installer", horizonInstall(CS_INSTALLER))).result.exitCode, 0);
    assert.ok(
      lab.host("cs1").state.services.some((s) => s.name === "ADAM_VMwareVDMDSG"),
      "the upgrade dropped the global instance's service",
    );
  });

  it("answers an LDAP error for 22389 on a Connection Server outside a federation, and refuses to break a global instance it has not", async () => {
    const r = await op(lab, "cs1", "Get-ReplicationHealth", { cloudPodService: "ADAM_VMwareVDMDSG", global: "always" });
    assert.deepEqual(r.result.instances[1], {
      port: 22389,
      exitCode: 58,
      output: ["Repadmin: running command /showrepl against full DC localhost:22389", "LDAP error 81 (Server Down) Win32 Err 58."],
    });
    assert.throws(() => lab.setReplicationHealthy("pod1", false, "global"), /not in a Cloud Pod federation/);
  });

  it("does not check replication for a 7.x target", async () => {
    stageHorizon(lab, ["cs1"]);
    lab.setReplicationHealthy("pod1", false);
    const r = await op(lab, "cs1", "Invoke-Installer", horizonInstall(CS_INSTALLER));
    assert.equal(r.result.exitCode, 0);
  });

  it("answers 1618 to a second installer while one runs", async () => {
    stageHorizon(lab, ["cs1"]);
    const first = op(lab, "cs1", "Invoke-Installer", horizonInstall(CS_INSTALLER));
    await new Promise((r) => setTimeout(r, 5));
    const second = await op(lab, "cs1", "Invoke-Installer", horizonInstall(CS_INSTALLER));
    assert.equal(second.result.exitCode, 1618);
    assert.equal((await first).result.exitCode, 0);
  });

  it("throws when the installer outlives timeoutSeconds, and the session's job kills the installer half-way", async () => {
    stageHorizon(lab, ["cs1"]);
    const r = await op(lab, "cs1", "Invoke-Installer", { ...horizonInstall(CS_INSTALLER), timeoutSeconds: 60 });
    assert.equal(r.exitCode, 1);
    assert.match(r.error ?? "", /did not finish within 60 s/);
    await new Promise((res) => setTimeout(res, 150));
    assert.equal(versionOf(lab, "cs1"), V712);
    const [proc] = lab.host("cs1").state.installers;
    assert.equal(proc.state, "killed");
    assert.equal(proc.detached, false);
    // Half-way: the installer had stopped the product's service and nothing started it again.
    const svc = lab.host("cs1").state.services.find((s) => s.displayName === "VMware Horizon View Connection Server");
    assert.equal(svc?.status, "Stopped");
  });

  it("writes the installer log at logPath without the pairing password", async () => {
    await readyForSecurityServer(lab);
    await op(lab, "ss1", "Invoke-Installer", horizonInstall(CS_INSTALLER, { ss: true }));
    const log = lab.host("ss1").state.files["c:\\temp\\vmmsi.log"];
    assert.ok(log?.content?.includes("VDM_SERVER_SS_PWD"));
    assert.ok(!log?.content?.includes(PAIRING));
  });
});

describe("lab handlers: Security Server rules", () => {
  let lab: Lab;
  beforeEach(async () => {
    lab = await startLab(standardLab());
  });
  afterEach(() => lab.stop());

  it("upgrades a prepared security server paired with an upgraded CS, consuming the pairing password", async () => {
    await readyForSecurityServer(lab);
    const r = await op(lab, "ss1", "Invoke-Installer", horizonInstall(CS_INSTALLER, { ss: true }));
    assert.equal(r.result.exitCode, 0, r.result.logTail.join("\n"));
    assert.equal(versionOf(lab, "ss1"), V7132);
    const svc = lab.host("ss1").state.services.find((s) => s.displayName === "VMware Horizon View Security Server");
    assert.equal(svc?.status, "Running");
    assert.equal(lab.pod("pod1").pairing.cs1, undefined);
    const list = await op(lab, "cs1", "Get-SecurityServerList");
    assert.deepEqual(
      list.result.securityServers.find((s: { name: string }) => s.name === "SS1"),
      {
        name: "SS1",
        version: V7132,
        connectionServer: "CS1",
        ipsec: "active",
        status: "OK",
      },
    );
  });

  for (const host of ["ss1", "cs1"]) {
    it(`fails while a connection security rule of the pair remains on ${host}`, async () => {
      await readyForSecurityServer(lab);
      const other = host === "ss1" ? "cs1" : "ss1";
      lab.host(host).state.ipsecRules.push({
        displayName: `${RULE_PREFIX}${lab.host(other).state.address}`,
        remoteAddress: lab.host(other).state.address,
        store: "Local",
      });
      const r = await op(lab, "ss1", "Invoke-Installer", horizonInstall(CS_INSTALLER, { ss: true }));
      assert.equal(r.result.exitCode, 1603);
      assert.match(r.result.logTail.join("\n"), /IPsec rules .*QM Pairing with 10\./);
      assert.equal(versionOf(lab, "ss1"), V712);
    });
  }

  it("creates a rule on each host at pairing, named after the other's address, and keeps them when IPsec is turned off later", async () => {
    const ss = lab.host("ss1").state;
    const cs = lab.host("cs1").state;
    assert.deepEqual(
      ss.ipsecRules.map((r) => [r.displayName, r.remoteAddress]),
      [[`${RULE_PREFIX}${cs.address}`, cs.address]],
    );
    assert.deepEqual(
      cs.ipsecRules.map((r) => [r.displayName, r.remoteAddress]),
      [[`${RULE_PREFIX}${ss.address}`, ss.address]],
    );
    lab.setUseIpsec("pod1", false);
    stageHorizon(lab, ["cs1", "ss1"]);
    await op(lab, "cs1", "Invoke-Installer", horizonInstall(CS_INSTALLER));
    await op(lab, "cs1", "Set-PairingPassword", { connectionServer: "cs1", timeoutMinutes: 1440, secrets: { pairingPassword: PAIRING } });
    const r = await op(lab, "ss1", "Invoke-Installer", horizonInstall(CS_INSTALLER, { ss: true }));
    assert.equal(r.result.exitCode, 1603, "the installer paired although the old rules were still in place");
    assert.match(r.result.logTail.join("\n"), /ipsec-rules-present/);
  });

  it("deletes only the pair's rules of the documented name whose remote address is the partner's, and reports what remains", async () => {
    const cs = lab.host("cs1").state;
    const ss1 = lab.host("ss1").state.address;
    cs.ipsecRules.push({ displayName: "Some other rule", remoteAddress: ss1, store: "Local" });
    cs.ipsecRules.push({ displayName: `${RULE_PREFIX}10.99.0.1`, remoteAddress: "10.99.0.1", store: "Local" });
    const r = await op(lab, "cs1", "Invoke-PrepareSecurityServer", {
      securityServer: "SS1",
      ruleNamePrefix: RULE_PREFIX,
      partnerAddresses: [ss1],
    });
    assert.equal(r.exitCode, 0, r.error);
    assert.deepEqual(
      r.result.removed.map((x: { displayName: string }) => x.displayName),
      [`${RULE_PREFIX}${ss1}`],
    );
    assert.deepEqual(r.result.remaining, []);
    assert.deepEqual(cs.ipsecRules.map((x) => x.displayName).sort(), ["Some other rule", `${RULE_PREFIX}10.99.0.1`]);
    const read = await op(lab, "ss1", "Get-IpsecRules");
    assert.deepEqual(read.result.addresses, [ss1]);
    assert.equal(read.result.rules.length, 1, "the security server's own rule was touched by the Connection Server's run");
  });

  it("cannot delete a rule a Group Policy put there: it remains and is reported", async () => {
    const cs = lab.host("cs1").state;
    const ss1 = lab.host("ss1").state.address;
    cs.ipsecRules = cs.ipsecRules.map((x) => ({ ...x, store: "GroupPolicy" as const }));
    const r = await op(lab, "cs1", "Invoke-PrepareSecurityServer", {
      securityServer: "SS1",
      ruleNamePrefix: RULE_PREFIX,
      partnerAddresses: [ss1],
    });
    assert.deepEqual(r.result.removed, []);
    assert.equal(r.result.remaining.length, 1);
  });

  it("needs no preparation when the pod does not use IPsec", async () => {
    await lab.stop();
    lab = await startLab(
      standardLab({
        pods: [
          {
            name: "pod1",
            useIpsec: false,
            connectionServers: [{ name: "cs1", version: V712 }],
            securityServers: [{ name: "ss1", version: V712, pairedWith: "cs1" }],
          },
        ],
        farms: [],
      }),
    );
    stageHorizon(lab, ["cs1", "ss1"]);
    await op(lab, "cs1", "Invoke-Installer", horizonInstall(CS_INSTALLER));
    assert.deepEqual(lab.host("cs1").state.ipsecRules, []);
    const prep = await op(lab, "cs1", "Invoke-PrepareSecurityServer", {
      securityServer: "SS1",
      ruleNamePrefix: RULE_PREFIX,
      partnerAddresses: [lab.host("ss1").state.address],
    });
    assert.deepEqual(prep.result, { ipsec: "none", removed: [], remaining: [] });
    await op(lab, "cs1", "Set-PairingPassword", { connectionServer: "cs1", timeoutMinutes: 1440, secrets: { pairingPassword: PAIRING } });
    const r = await op(lab, "ss1", "Invoke-Installer", horizonInstall(CS_INSTALLER, { ss: true }));
    assert.equal(r.result.exitCode, 0);
  });

  it("fails without a pairing password set on the paired Connection Server", async () => {
    await readyForSecurityServer(lab);
    delete lab.pod("pod1").pairing.cs1;
    const r = await op(lab, "ss1", "Invoke-Installer", horizonInstall(CS_INSTALLER, { ss: true }));
    assert.equal(r.result.exitCode, 1603);
    assert.match(r.result.logTail.join("\n"), /pairing-password-not-set/);
  });

  it("fails with a wrong pairing password", async () => {
    await readyForSecurityServer(lab);
    const r = await op(lab, "ss1", "Invoke-Installer", horizonInstall(CS_INSTALLER, { ss: true, password: "nope" }));
    assert.equal(r.result.exitCode, 1603);
    assert.match(r.result.logTail.join("\n"), /pairing-password-wrong/);
  });

  it("fails when the pairing password's value with spaces is not quoted (it reaches msiexec cut short)", async () => {
    await readyForSecurityServer(lab);
    const template = '/s /v"/qn VDM_SERVER_SS_PWD={{secret:pairingPassword}}"';
    const r = await op(lab, "ss1", "Invoke-Installer", horizonInstall(CS_INSTALLER, { ss: true, template }));
    assert.equal(r.result.exitCode, 1603);
  });

  it("fails once the pairing password has expired in simulated time", async () => {
    await readyForSecurityServer(lab);
    lab.advance(1441 * 60);
    const r = await op(lab, "ss1", "Invoke-Installer", horizonInstall(CS_INSTALLER, { ss: true }));
    assert.equal(r.result.exitCode, 1603);
    assert.match(r.result.logTail.join("\n"), /expired/);
  });

  it("fails when the paired Connection Server is older than the installer", async () => {
    stageHorizon(lab, ["ss1"]);
    await op(lab, "cs1", "Set-PairingPassword", { connectionServer: "cs1", timeoutMinutes: 1440, secrets: { pairingPassword: PAIRING } });
    await prepareIpsec(lab);
    const r = await op(lab, "ss1", "Invoke-Installer", horizonInstall(CS_INSTALLER, { ss: true }));
    assert.equal(r.result.exitCode, 1603);
    assert.match(r.result.logTail.join("\n"), /upgrade the Connection Server first/);
    assert.equal(versionOf(lab, "ss1"), V712);
  });

  it("leaves the old entry beside a new one when the full name differs from the original registration", async () => {
    await readyForSecurityServer(lab, "ss2", "cs2");
    const r = await op(lab, "ss2", "Invoke-Installer", horizonInstall(CS_INSTALLER, { ss: true }));
    assert.equal(r.result.exitCode, 0);
    const list = await op(lab, "cs1", "Get-SecurityServerList");
    const names = list.result.securityServers.map((s: { name: string; version: string }) => `${s.name}@${s.version}`);
    assert.deepEqual(names, [`SS1@${V712}`, `SS2-OLD@${V712}`, `SS2@${V7132}`]);
  });

  it("removes a stale entry with vdmadmin -S -r -s, and refuses the entry of a running, paired server", async () => {
    await readyForSecurityServer(lab, "ss2", "cs2");
    await op(lab, "ss2", "Invoke-Installer", horizonInstall(CS_INSTALLER, { ss: true }));
    const vdmadmin = "C:\\Program Files\\VMware\\VMware View\\Server\\tools\\bin\\vdmadmin.exe";
    const dup = await op(lab, "cs1", "Invoke-Vdmadmin", { vdmadminPath: vdmadmin, arguments: ["-S", "-r", "-s", "SS2-OLD"] });
    assert.equal(dup.result.exitCode, 0);
    const live = await op(lab, "cs1", "Invoke-Vdmadmin", { vdmadminPath: vdmadmin, arguments: ["-S", "-r", "-s", "ss1"] });
    assert.equal(live.result.exitCode, 1);
    assert.match(live.result.output.join("\n"), /running security server paired with CS1/);
    assert.deepEqual(
      lab.pod("pod1").removals.map((x) => [x.name, x.live]),
      [["SS2-OLD", false]],
    );
    assert.deepEqual(
      lab.pod("pod1").registry.map((e) => e.name),
      ["SS1", "SS2"],
    );
  });

  it("removes the entry of a server that is not running, recording that it was live", async () => {
    await op(lab, "ss1", "Set-ServiceState", { displayName: "VMware Horizon View Security Server", state: "Stopped", timeoutSeconds: 60 });
    const vdmadmin = "C:\\Program Files\\VMware\\VMware View\\Server\\tools\\bin\\vdmadmin.exe";
    const r = await op(lab, "cs1", "Invoke-Vdmadmin", { vdmadminPath: vdmadmin, arguments: ["-S", "-r", "-s", "SS1"] });
    assert.equal(r.result.exitCode, 0);
    assert.deepEqual(
      lab.pod("pod1").removals.map((x) => [x.name, x.live]),
      [["SS1", true]],
    );
  });

  it("re-pairs under the full system name when the pod registered the server under its NetBIOS name", async () => {
    await lab.stop();
    lab = await startLab(
      standardLab({
        pods: [
          {
            name: "pod1",
            connectionServers: [{ name: "cs1", version: V712 }],
            securityServers: [{ name: "ss1", version: V712, pairedWith: "cs1", domain: "corp.example" }],
          },
        ],
        farms: [],
      }),
    );
    await readyForSecurityServer(lab);
    const r = await op(lab, "ss1", "Invoke-Installer", horizonInstall(CS_INSTALLER, { ss: true }));
    assert.equal(r.result.exitCode, 0, r.result.logTail.join("\n"));
    const list = await op(lab, "cs1", "Get-SecurityServerList");
    const shown = list.result.securityServers.map(
      (e: { name: string; version: string; status: string }) => `${e.name}@${e.version}@${e.status}`,
    );
    assert.deepEqual(shown, [`SS1@${V712}@NOT_RESPONDING`, `SS1.corp.example@${V7132}@OK`]);
    const facts = await op(lab, "ss1", "Get-IpsecRules");
    assert.equal(facts.result.fqdn, "SS1.corp.example");
  });

  it("answers vdmadmin usage with a non-zero exit code for unknown arguments", async () => {
    const vdmadmin = "C:\\Program Files\\VMware\\VMware View\\Server\\tools\\bin\\vdmadmin.exe";
    const r = await op(lab, "cs1", "Invoke-Vdmadmin", { vdmadminPath: vdmadmin, arguments: ["-X", "--list"] });
    assert.notEqual(r.result.exitCode, 0);
    assert.match(r.result.output.join("\n"), /Usage: vdmadmin/);
    const missing = await op(lab, "cs1", "Invoke-Vdmadmin", { vdmadminPath: vdmadmin, arguments: ["-S", "-r", "-s", "ghost"] });
    assert.equal(missing.result.exitCode, 1);
    assert.equal(lab.pod("pod1").registry.length, 2);
  });

  it("marks a prepared security server out of service until it is upgraded", async () => {
    stageHorizon(lab, ["cs1", "ss1"]);
    await prepareIpsec(lab);
    assert.equal(lab.maxOutOfService(["ss1", "ss2"]), 1);
    const list = await op(lab, "cs1", "Get-SecurityServerList");
    assert.equal(list.result.securityServers[0].ipsec, "prepared");
  });

  it("reports the tools a host lacks: a Connection Server has vdmadmin, vdmexport, repadmin and PowerCLI; a security server none", async () => {
    const ask = {
      files: [VDMADMIN_PATH, "C:\\Program Files\\VMware\\VMware View\\Server\\tools\\bin\\vdmexport.exe"],
      commands: ["repadmin.exe"],
      modules: ["VMware.VimAutomation.HorizonView"],
    };
    assert.deepEqual((await op(lab, "cs1", "Get-HorizonPrerequisites", ask)).result, { missing: [] });
    assert.equal((await op(lab, "ss1", "Get-HorizonPrerequisites", ask)).result.missing.length, 4);
    await lab.stop();
    lab = await startLab(
      standardLab({ pods: [{ name: "pod1", connectionServers: [{ name: "cs1", version: V712, absent: ["repadmin.exe"] }] }], farms: [] }),
    );
    assert.deepEqual((await op(lab, "cs1", "Get-HorizonPrerequisites", ask)).result, { missing: ["repadmin.exe"] });
  });

  it("refuses Connection Server operations on a security server", async () => {
    const r = await op(lab, "ss1", "Get-SecurityServerList");
    assert.equal(r.exitCode, 1);
    assert.match(r.error ?? "", /runs on a Connection Server/);
  });

  it("rejects a pairing-password timeout outside 1..1440 minutes", async () => {
    const r = await op(lab, "cs1", "Set-PairingPassword", {
      connectionServer: "cs1",
      timeoutMinutes: 2000,
      secrets: { pairingPassword: "x" },
    });
    assert.equal(r.exitCode, 1);
    assert.match(r.error ?? "", /timeoutMinutes/);
  });
});

describe("lab handlers: App-V", () => {
  let lab: Lab;
  beforeEach(async () => {
    lab = await startLab(standardLab());
    for (const h of ["appv1", "appv2", "appv3"]) {
      lab.addInstaller(h, { path: APPV_INSTALLER, product: "appv-server", version: APPV_45SP2 });
    }
  });
  afterEach(() => lab.stop());

  /** The setup, with the database administrative credentials of the lab's sysadmin login unless `admin` says otherwise. */
  const install = (host: string, admin: { user: string; password: string } | null = lab.sqlLogins("sql1")[0]) =>
    op(lab, host, "Invoke-Installer", {
      path: APPV_INSTALLER,
      argumentTemplate: admin ? '/s /v"/qn DBADMINUSER=""{{secret:u}}"" DBADMINPASSWORD=""{{secret:p}}"""' : "",
      logPath: "C:\\Temp\\appv.log",
      timeoutSeconds: 3600,
      ...(admin ? { secrets: { u: admin.user, p: admin.password } } : {}),
    });
  const stop = (host: string, displayName = "Application Virtualization Management Server") =>
    op(lab, host, "Set-ServiceState", { displayName, state: "Stopped", timeoutSeconds: 120 });

  it("refuses the schema upgrade while another server on the database still runs its App-V service", async () => {
    const r = await install("appv1");
    assert.equal(r.result.exitCode, 1603);
    assert.match(r.result.logTail.join("\n"), /APPV2/);
    assert.equal(lab.database("sql1", "APPVIRT").schemaVersion, APPV_41SP1);
    assert.equal(versionOf(lab, "appv1"), APPV_41SP1);
  });

  it("lets the first server upgrade the schema once its peers are stopped, then the others follow", async () => {
    await stop("appv2");
    const first = await install("appv1");
    assert.equal(first.result.exitCode, 0, first.result.logTail.join("\n"));
    assert.equal(lab.database("sql1", "APPVIRT").schemaVersion, APPV_45SP2);
    const second = await install("appv2");
    assert.equal(second.result.exitCode, 0);
    assert.equal(versionOf(lab, "appv2"), APPV_45SP2);
  });

  it("logs every property's value except those MsiHiddenProperties lists, as Windows Installer does", async () => {
    await stop("appv2");
    const admin = lab.sqlLogins("sql1")[0];
    const run = (hidden: string) =>
      op(lab, "appv1", "Invoke-Installer", {
        path: APPV_INSTALLER,
        argumentTemplate: `/s /v"/qn DBADMINUSER=""{{secret:u}}"" DBADMINPASSWORD=""{{secret:p}}""${hidden}"`,
        logPath: "C:\\Temp\\appv.log",
        timeoutSeconds: 3600,
        secrets: { u: admin.user, p: admin.password },
      });
    const shown = await run("");
    assert.match(shown.result.logTail.join("\n"), new RegExp(`Adding DBADMINUSER property\\. Its value is '${admin.user}'`));
    const hidden = await run(' MsiHiddenProperties=""DBADMINUSER;DBADMINPASSWORD""');
    const log = hidden.result.logTail.join("\n");
    assert.match(log, /Adding DBADMINUSER property\. Its value is '\*{10}'/);
    assert.ok(!log.includes(admin.user) && !log.includes(admin.password));
  });

  const credentialCases: [string, () => { user: string; password: string } | null, RegExp][] = [
    ["without the database administrative credentials", () => null, /no database administrative credentials were given/],
    [
      "with a password SQL refuses",
      () => ({ user: lab.sqlLogins("sql1")[0].user, password: "wrong" }),
      /Login failed for user 'appv-admin'/,
    ],
    [
      "with a login that is not a sysadmin",
      () => (lab.addSqlLogin("sql1", { user: "reader", password: "r-pass", sysadmin: false }), { user: "reader", password: "r-pass" }),
      /'reader' is not a database administrator/,
    ],
  ];
  for (const [what, admin, message] of credentialCases) {
    it(`refuses the schema upgrade ${what} ("How to Upgrade the Servers and System Components" step 7), changing nothing`, async () => {
      await stop("appv2");
      const r = await install("appv1", admin());
      assert.equal(r.result.exitCode, 1603);
      assert.match(r.result.logTail.join("\n"), message);
      assert.equal(lab.database("sql1", "APPVIRT").schemaVersion, APPV_41SP1);
      assert.equal(versionOf(lab, "appv1"), APPV_41SP1);
      assert.equal(lab.host("appv1").state.services[0].status, "Running");
    });
  }

  it("needs no database credentials once the schema is upgraded", async () => {
    await stop("appv2");
    assert.equal((await install("appv1")).result.exitCode, 0);
    assert.equal((await install("appv2", null)).result.exitCode, 0);
  });

  it("logs in to SQL as sqlcmd does: a refused login fails every SQL operation, Test-SqlLogin reports it", async () => {
    const { user, password } = lab.sqlLogins("sql1")[0];
    const ok = await op(lab, "sql1", "Test-SqlLogin", {
      sqlServer: "SQL1",
      database: "APPVIRT",
      secrets: { sqlUser: user, sqlPassword: password },
    });
    assert.deepEqual(ok.result, { canLogIn: true, sysadmin: true, message: `logged in as ${user}` });
    const refused = await op(lab, "sql1", "Test-SqlLogin", {
      sqlServer: "SQL1",
      database: "APPVIRT",
      secrets: { sqlUser: "nobody", sqlPassword: "x" },
    });
    assert.equal(refused.result.canLogIn, false);
    assert.match(refused.result.message, /Login failed for user 'nobody'/);
    const backup = await op(lab, "sql1", "Invoke-SqlBackup", {
      sqlServer: "SQL1",
      database: "APPVIRT",
      backupPath: "D:\\b.bak",
      secrets: { sqlUser: user, sqlPassword: "wrong" },
    });
    assert.equal(backup.exitCode, 1);
    assert.match(backup.error ?? "", /Login failed for user/);
  });

  it("serves the Management Web Service from its own IIS application pool beside other sites", async () => {
    await lab.stop();
    lab = await startLab({
      timeFactor: FAST,
      farms: [{ name: "f", sql: "sql1", servers: [{ name: "web", role: "management-service", version: APPV_41SP1 }] }],
    });
    const found = await op(lab, "web", "Get-WebApplicationPool", { physicalPathLike: "*\\App Virt Management Service*" });
    assert.deepEqual(
      found.result.applications.map((a: { applicationPool: string; poolState: string }) => [a.applicationPool, a.poolState]),
      [["AppVirtManagementService", "Started"]],
    );
    assert.equal(found.result.iisRunning, true);
    const stopped = await op(lab, "web", "Set-WebAppPoolState", { name: "AppVirtManagementService", state: "Stopped", timeoutSeconds: 60 });
    assert.equal(stopped.result.state, "Stopped");
    assert.deepEqual(lab.host("web").state.iis?.pools, {
      DefaultAppPool: "Started",
      AppVirtManagementService: "Stopped",
      IntranetAppPool: "Started",
    });
    assert.equal(lab.host("web").state.services[0].status, "Running", "IIS keeps running");
    const missing = await op(lab, "sql1", "Get-WebApplicationPool", { physicalPathLike: "*" });
    assert.equal(missing.exitCode, 1);
    assert.match(missing.error ?? "", /WebAdministration/);
  });

  it("counts a Management Web Service whose pool runs as online for the schema upgrade, and not once it is stopped", async () => {
    await lab.stop();
    lab = await startLab({
      timeFactor: FAST,
      farms: [
        {
          name: "f",
          sql: "sql1",
          servers: [
            { name: "appv1", role: "management", version: APPV_41SP1 },
            { name: "web", role: "management-service", version: APPV_41SP1 },
          ],
        },
      ],
    });
    lab.addInstaller("appv1", { path: APPV_INSTALLER, product: "appv-server", version: APPV_45SP2 });
    const blocked = await install("appv1");
    assert.equal(blocked.result.exitCode, 1603);
    assert.match(blocked.result.logTail.join("\n"), /online: WEB/);
    await op(lab, "web", "Set-WebAppPoolState", { name: "AppVirtManagementService", state: "Stopped", timeoutSeconds: 60 });
    assert.equal((await install("appv1")).result.exitCode, 0);
  });

  it("lists the sessions on the database: each serving member, and a host the farm does not know", async () => {
    lab.addDatabaseSession("sql1", "APPVIRT", { hostName: "APPV9" });
    await stop("appv2");
    const r = await op(lab, "sql1", "Get-DatabaseSessions", { sqlServer: "SQL1", database: "APPVIRT" });
    assert.deepEqual(
      r.result.sessions.map((x: { hostName: string }) => x.hostName),
      ["APPV1", "APPV9"],
    );
    assert.equal(r.result.sqlHost, "SQL1");
  });

  it("lists the clients streaming from a server, and cuts those still connected when its service stops", async () => {
    lab.openClientSessions("appv1", [{ remoteAddress: "10.0.0.5" }, { remoteAddress: "10.0.0.6", endsAfterSimSeconds: 1 }]);
    await new Promise((r) => setTimeout(r, 20));
    const r = await op(lab, "appv1", "Get-ClientSessions", { ports: [554, 322] });
    assert.deepEqual(r.result.connections, [{ remoteAddress: "10.0.0.5", localPort: 554 }]);
    await stop("appv1");
    assert.equal(lab.host("appv1").state.clientSessions.dropped, 1);
    assert.deepEqual((await op(lab, "appv1", "Get-ClientSessions", { ports: [554] })).result.connections, []);
  });

  it("upgrades a Management Console host with the same setup: no service, no database", async () => {
    await lab.stop();
    lab = await startLab({
      timeFactor: FAST,
      farms: [{ name: "f", sql: "sql1", servers: [{ name: "con", role: "console", version: APPV_41SP1 }] }],
    });
    assert.deepEqual(lab.host("con").state.services, []);
    assert.equal(lab.host("con").state.products[0].displayName, "Microsoft Application Virtualization Management Console");
    lab.addInstaller("con", { path: APPV_INSTALLER, product: "appv-server", version: APPV_45SP2 });
    assert.equal((await install("con", null)).result.exitCode, 0);
    assert.equal(versionOf(lab, "con"), APPV_45SP2);
    assert.equal(lab.database("sql1", "APPVIRT").schemaVersion, APPV_41SP1);
  });

  it("ignores a running streaming server: it does not use the database", async () => {
    await stop("appv2");
    assert.equal(lab.host("appv3").state.services[0].status, "Running");
    const r = await install("appv1");
    assert.equal(r.result.exitCode, 0);
  });

  it("refuses 4.5 over App-V 4.0", async () => {
    await lab.stop();
    lab = await startLab({
      timeFactor: FAST,
      farms: [{ name: "f", sql: "sql1", servers: [{ name: "old", role: "management", version: "4.0.1.1850" }] }],
    });
    lab.addInstaller("old", { path: APPV_INSTALLER, product: "appv-server", version: APPV_45SP2 });
    const r = await install("old");
    assert.equal(r.result.exitCode, 1603);
    assert.match(r.result.logTail.join("\n"), /4\.1 or 4\.1 SP1/);
  });

  it("refuses a service pack downgrade", async () => {
    lab.addInstaller("appv3", { path: APPV_INSTALLER, product: "appv-server", version: "4.1.0.56" });
    const r = await install("appv3");
    assert.equal(r.result.exitCode, 1603);
  });

  it("backs up, verifies and reads the App-V database on the SQL host", async () => {
    const b = await op(lab, "sql1", "Invoke-SqlBackup", {
      sqlServer: "SQL1",
      database: "APPVIRT",
      backupPath: "D:\\Backup\\APPVIRT.bak",
      secrets: { sqlPassword: "s3cret" },
    });
    assert.equal(b.exitCode, 0);
    assert.ok(b.result.sizeBytes > 0);
    const t = await op(lab, "sql1", "Test-SqlBackup", { sqlServer: "sql1", backupPath: "D:\\Backup\\APPVIRT.bak" });
    assert.deepEqual(t.result.valid, true);
    const missing = await op(lab, "sql1", "Test-SqlBackup", { sqlServer: "sql1", backupPath: "D:\\Backup\\none.bak" });
    assert.equal(missing.result.valid, false);
    const db = await op(lab, "sql1", "Get-AppVDatabase", { sqlServer: "sql1", database: "APPVIRT" });
    assert.deepEqual(db.result, { schemaVersion: APPV_41SP1 });
    const wrong = await op(lab, "sql1", "Get-AppVDatabase", { sqlServer: "sql1", database: "NOPE" });
    assert.equal(wrong.exitCode, 1);
  });
});

describe("lab handlers: queries, services, hooks, accounts", () => {
  let lab: Lab;
  before(async () => {
    lab = await startLab(standardLab({ hosts: [{ name: "plain1", accounts: [{ user: "viewer", password: "v-pass", admin: false }] }] }));
  });
  after(() => lab.stop());

  it("matches installed products with -like wildcards", async () => {
    const r = await op(lab, "cs1", "Get-InstalledProduct", { displayNameLike: ["*Horizon*Connection Server"] });
    assert.deepEqual(r.result.products, [
      {
        displayName: "VMware Horizon 7 Connection Server",
        displayVersion: V712,
        installLocation: "C:\\Program Files\\VMware\\VMware View\\Server\\",
      },
    ]);
    const none = await op(lab, "cs1", "Get-InstalledProduct", { displayNameLike: ["Horizon*"] });
    assert.deepEqual(none.result.products, []);
  });

  it("reports services by display name and omits missing ones", async () => {
    const r = await op(lab, "ss1", "Get-ServiceState", { displayNames: ["VMware Horizon View Security Server", "No Such Service"] });
    assert.deepEqual(r.result.services, [
      { name: "wsbroker", displayName: "VMware Horizon View Security Server", status: "Running", startType: "Automatic" },
    ]);
  });

  it("stops and starts the Connection Server service with its companions", async () => {
    const cs = "VMware Horizon View Connection Server";
    const stopped = await op(lab, "cs2", "Set-ServiceState", { displayName: cs, state: "Stopped", timeoutSeconds: 60 });
    assert.equal(stopped.result.status, "Stopped");
    const web = () => lab.host("cs2").state.services.find((s) => s.displayName === "VMware Horizon View Web Component")?.status;
    assert.equal(web(), "Stopped");
    const started = await op(lab, "cs2", "Set-ServiceState", { displayName: cs, state: "Running", timeoutSeconds: 60 });
    assert.equal(started.result.status, "Running");
    assert.equal(web(), "Running");
    const adam = lab.host("cs2").state.services.find((s) => s.displayName === "VMwareVDMDS");
    assert.equal(adam?.status, "Running");
  });

  it("hashes files and reports missing ones", async () => {
    const { sha256 } = lab.writeFile("plain1", "C:\\Data\\ä b.txt", "hello");
    const r = await op(lab, "plain1", "Get-FileHash", { path: "c:\\data\\Ä B.TXT".replace("Ä", "ä") });
    assert.deepEqual(r.result, { exists: true, sha256, sizeBytes: 5 });
    const m = await op(lab, "plain1", "Get-FileHash", { path: "C:\\nothing" });
    assert.deepEqual(m.result, { exists: false, sha256: null, sizeBytes: null });
  });

  it("records hooks and answers exit code 0", async () => {
    const r = await op(lab, "plain1", "Invoke-Hook", { hook: "Write-Output 'drain'", phase: "pre" });
    assert.deepEqual(r.result, { exitCode: 0, output: [] });
    assert.equal(lab.host("plain1").state.hooks.at(-1)?.hook, "Write-Output 'drain'");
  });

  it("says isAdmin false for a non-admin account and refuses it admin operations", async () => {
    const ep = lab.endpoint("plain1", "viewer");
    const { runOnce } = await import("./labClient");
    const facts = await runOnce(ep, "Get-HostFacts");
    assert.equal(facts.result.isAdmin, false);
    assert.equal(facts.result.computerName, "PLAIN1");
    const hook = await runOnce(ep, "Invoke-Installer", horizonInstall(CS_INSTALLER));
    assert.match(hook.error ?? "", /Access is denied/);
  });

  it("rejects params that do not match the operation's table", async () => {
    const r = await op(lab, "cs1", "Get-ServiceState", { displayName: "x" });
    assert.equal(r.exitCode, 1);
    assert.match(r.error ?? "", /\[displayNames\]/);
  });
});

describe("lab handlers: simulated time", () => {
  it("reports utcNow on the simulated clock, which runs timeFactor times faster", async () => {
    const lab = await startLab({ timeFactor: 600, simEpoch: "2030-01-01T00:00:00Z", hosts: [{ name: "h" }] });
    try {
      const a = Date.parse((await op(lab, "h", "Get-HostFacts")).result.utcNow);
      await new Promise((r) => setTimeout(r, 100));
      const b = Date.parse((await op(lab, "h", "Get-HostFacts")).result.utcNow);
      assert.ok(a >= Date.parse("2030-01-01T00:00:00Z"));
      // 100 ms real at ×600 is at least 60 s simulated
      assert.ok(b - a >= 60_000, `advanced ${b - a} ms`);
      lab.advance(3600);
      assert.ok(lab.now().getTime() - b >= 3_600_000);
    } finally {
      await lab.stop();
    }
  });

  it("takes the configured simulated installer duration", async () => {
    const lab = await startLab({
      timeFactor: 600,
      durations: { connectionServerInstall: 120 },
      pods: [{ name: "p", connectionServers: [{ name: "cs1", version: V712 }] }],
    });
    try {
      stageHorizon(lab, ["cs1"]);
      const t = Date.now();
      const r = await op(lab, "cs1", "Invoke-Installer", horizonInstall(CS_INSTALLER));
      assert.equal(r.result.exitCode, 0);
      // 120 s simulated at ×600 is 200 ms real
      assert.ok(Date.now() - t >= 190, `took ${Date.now() - t} ms`);
    } finally {
      await lab.stop();
    }
  });
});

describe("lab handlers: installers started outside the SSH session (Start-Installer, Get-InstallerRun)", () => {
  let lab: Lab;
  beforeEach(async () => {
    lab = await startLab(standardLab());
  });
  afterEach(() => lab.stop());

  const start = (waitSeconds: number, extra: Record<string, unknown> = {}) => {
    const { timeoutSeconds: _t, ...rest } = horizonInstall(CS_INSTALLER);
    return { ...rest, product: "horizon-connection-server", target: V7132, waitSeconds, ...extra };
  };

  it("starts the installer detached, writes a run record, and reports its outcome once it ends", async () => {
    stageHorizon(lab, ["cs1"]);
    const r = await op(lab, "cs1", "Start-Installer", start(3600));
    assert.equal(r.exitCode, 0, r.error);
    assert.equal(r.result.started, true);
    assert.equal(r.result.running, false);
    assert.equal(r.result.exitCode, 0);
    assert.equal(r.result.record.product, "horizon-connection-server");
    assert.equal(r.result.record.pid, lab.host("cs1").state.installers[0].pid);
    assert.equal(versionOf(lab, "cs1"), V7132);
    const run = await op(lab, "cs1", "Get-InstallerRun", { product: "horizon-connection-server", waitSeconds: 0 });
    assert.deepEqual(
      { found: run.result.found, running: run.result.running, exitCode: run.result.exitCode },
      { found: true, running: false, exitCode: 0 },
    );
  });

  it("keeps a detached installer running when the connection drops, and Get-InstallerRun re-attaches to it", async () => {
    stageHorizon(lab, ["cs1"]);
    lab.inject("cs1", { kind: "drop", phase: "during", operation: "Start-Installer" });
    const r = await op(lab, "cs1", "Start-Installer", start(3600));
    assert.equal(r.dropped, true);
    const run = await op(lab, "cs1", "Get-InstallerRun", { product: "horizon-connection-server", waitSeconds: 3600 });
    assert.equal(run.result.running, false);
    assert.equal(run.result.exitCode, 0);
    assert.equal(versionOf(lab, "cs1"), V7132);
    assert.deepEqual(
      lab.host("cs1").state.installers.map((p) => [p.detached, p.state]),
      [[true, "exited"]],
    );
  });

  it("starts no second installer while the recorded one runs", async () => {
    stageHorizon(lab, ["cs1"]);
    const first = await op(lab, "cs1", "Start-Installer", start(0));
    assert.equal(first.result.running, true);
    const again = await op(lab, "cs1", "Start-Installer", start(3600));
    assert.equal(again.result.started, false);
    assert.equal(again.result.record.pid, first.result.record.pid);
    assert.equal(again.result.exitCode, 0);
    assert.equal(lab.host("cs1").state.installers.length, 1);
  });

  it("fails a second installation with 1618 while another holds the Windows Installer mutex", async () => {
    stageHorizon(lab, ["cs1"]);
    const inSession = op(lab, "cs1", "Invoke-Installer", horizonInstall(CS_INSTALLER));
    await new Promise((r) => setTimeout(r, 5));
    const detached = await op(lab, "cs1", "Start-Installer", start(3600));
    assert.equal(detached.result.exitCode, 1618);
    assert.match(detached.result.logTail.join("\n"), /Another installation is already in progress/);
    assert.equal((await inSession).result.exitCode, 0);
  });

  it("reports no run record on a host that never started an installer", async () => {
    const run = await op(lab, "cs1", "Get-InstallerRun", { product: "horizon-connection-server", waitSeconds: 0 });
    assert.deepEqual({ found: run.result.found, running: run.result.running }, { found: false, running: false });
  });
});
