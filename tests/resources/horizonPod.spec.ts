// The Horizon resources end to end: the real engine (CLI, language host, dynamic-provider process) runs the example
// program examples/horizon-pod against a lab pod (two Connection Servers, two paired Security Servers on 7.12.0, one
// of them listed under an old name). The lab enforces the vendor rules on its own and records every operation.
import assert from "node:assert/strict";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { diagnostics, Engine, stepOps } from "../harness/engine";
import {
  CS_TYPE,
  POD,
  type PodUnderTest,
  SS_TYPE,
  assertNoSecrets,
  changesOf,
  changingAudit,
  dispose,
  errorText,
  podUnderTest,
  previewPlans,
  stageHorizonInstaller,
  version,
  withSecurityServer,
} from "../harness/podLab";
import { op } from "../lab/fixtures";
import { CLI_INSTALLERS } from "../../lab/cli";
import { HORIZON_VERSIONS } from "../../lab";

describe("HorizonPod through the real engine against a lab pod", function () {
  let engine: Engine;
  before(async () => {
    engine = await Engine.open();
  });
  after(async () => {
    await engine?.dispose();
  });

  /** What a run that must fail threw (the test fails if it succeeded). */
  const failure = (run: Promise<unknown>, what: string): Promise<unknown> =>
    run.then(
      () => assert.fail(what),
      (e: unknown) => e,
    );
  /** Each server's version now. */
  const versions = (pod: PodUnderTest): Record<string, string | undefined> => Object.fromEntries(POD.map((h) => [h, version(pod.lab, h)]));

  // Each describe's before() brings its pod to the state its tests read; a test that changes the pod puts it back
  // (or has a pod of its own), so every test passes alone (`--grep`) and in any order.
  describe("adopting and upgrading a pod", function () {
    let pod: PodUnderTest;
    let preview: { output: string; events: EngineEvent[] };
    let up: Awaited<ReturnType<PodUnderTest["stack"]["up"]>>;
    let plans: Record<string, string[]>;
    /** What the hosts looked like once the preview was done. */
    let afterPreview: { changes: [string, string][]; versions: Record<string, string | undefined> };

    before(async () => {
      pod = await podUnderTest(engine);
      preview = await pod.stack.preview({ diff: true });
      plans = previewPlans(preview.events);
      afterPreview = { changes: changingAudit(pod.lab.audit()), versions: versions(pod) };
      up = await pod.stack.up();
    });
    after(() => dispose(pod));

    it("previews each server's live version, target and ordered steps, and changes nothing on a host", () => {
      assert.deepEqual(Object.keys(plans).sort(), ["pod1-cs1", "pod1-cs2", "pod1-ss1", "pod1-ss2"]);
      const cs1 = plans["pod1-cs1"].map((l) => l.split(":")[0]);
      assert.deepEqual(cs1, [
        "1. preflight on CS1",
        "2. backup-configuration on CS1",
        "3. install on CS1",
        "4. wait-service on CS1",
        "5. verify-version on CS1",
      ]);
      assert.match(
        plans["pod1-cs1"][1],
        /vdmexport to C:\\ProgramData\\vdi-upgrade\\pod1-cs1-before-7\.13\.2\.LDF, then verify the file exists and is not empty/,
      );
      assert.match(plans["pod1-cs1"][2], /7\.12\.0\.15770369 -> 7\.13\.2/);
      const ss2 = plans["pod1-ss2"].map((l) => /^\d+\. ([a-z-]+) on ([^:]+):/.exec(l)!.slice(1).join("@"));
      assert.deepEqual(ss2, [
        "preflight@SS2",
        "set-pairing-password@CS2",
        "prepare-ipsec@SS2 and CS2",
        "install@SS2",
        "wait-service@SS2",
        "verify-version@SS2",
        "remove-duplicates@CS2",
      ]);
      const text = diagnostics(preview.events).join("\n");
      assert.match(text, /\[pod1-ss1\] after CS1 reaches 7\.13\.2: the paired Connection Server CS1 runs 7\.12\.0\.15770369/);
      assert.match(text, /\[pod1-cs2\] CS2: 7\.12\.0\.15770369 -> 7\.13\.2: 4 step\(s\)/);
      assert.deepEqual(afterPreview.changes, [], "preview ran an operation that changes a host");
      for (const h of POD) assert.equal(afterPreview.versions[h], "7.12.0.15770369");
    });

    it("upgrades every server in the documented order, running exactly the steps preview showed", () => {
      assert.equal(up.result.summary.result, "succeeded");
      for (const h of POD) assert.equal(version(pod.lab, h), "7.13.2.21000000", `${h} was not upgraded`);
      const expected = ["pod1-cs1", "pod1-ss1", "pod1-cs2", "pod1-ss2"].flatMap((r) => changesOf(plans[r]));
      assert.deepEqual(changingAudit(pod.lab.audit()), expected);
      const installs = pod.lab
        .audit()
        .filter((e) => e.operation === "Start-Installer")
        .map((e) => e.host);
      assert.deepEqual(installs, ["cs1", "ss1", "cs2", "ss2"]);
      // The configuration backup, once for the pod, on the first Connection Server, before any installer.
      const exports = pod.lab.audit().filter((e) => e.operation === "Invoke-Vdmexport");
      assert.deepEqual(
        exports.map((e) => e.host),
        ["cs1"],
      );
      assert.ok(exports[0].seq < pod.lab.audit().find((e) => e.operation === "Start-Installer")!.seq);
      const file = pod.lab.host("cs1").state.files["c:\\programdata\\vdi-upgrade\\pod1-cs1-before-7.13.2.ldf"];
      assert.ok(file && file.sizeBytes > 0, "the backup file is not on CS1");
      const cs1 = up.events.find((e) => e.resOutputsEvent?.metadata.urn.endsWith("::pod1-cs1"))!.resOutputsEvent!.metadata;
      assert.deepEqual(cs1.new?.outputs?.configurationBackupFile, {
        path: "C:\\ProgramData\\vdi-upgrade\\pod1-cs1-before-7.13.2.LDF",
        sizeBytes: file.sizeBytes,
        sha256: file.sha256,
      });
      assert.equal(pod.lab.maxOutOfService(POD), 1, "two servers of the pod were out of service at once");
      assert.deepEqual(up.result.outputs.versions.value, {
        pod1: {
          "pod1-cs1": "7.13.2.21000000",
          "pod1-cs2": "7.13.2.21000000",
          "pod1-ss1": "7.13.2.21000000",
          "pod1-ss2": "7.13.2.21000000",
        },
      });
    });

    it("removes the stale duplicate entry of the security server listed under an old name, never the live one", () => {
      const p = pod.lab.pod("pod1");
      assert.deepEqual(p.registry.map((e) => e.name).sort(), ["SS1", "SS2"]);
      assert.deepEqual(
        p.removals.map((r) => [r.name, r.live]),
        [["DMZ-SS2", false]],
      );
    });

    it("prepares each security server's IPsec rules once, on both hosts of the pair, right before its own installer", () => {
      const seq = pod.lab.audit().filter((e) => ["Invoke-PrepareSecurityServer", "Start-Installer"].includes(e.operation));
      assert.deepEqual(
        seq.map((e) => `${e.operation}:${e.host}:${(e.params as { securityServer?: string }).securityServer ?? ""}`),
        [
          "Start-Installer:cs1:",
          "Invoke-PrepareSecurityServer:ss1:SS1",
          "Invoke-PrepareSecurityServer:cs1:SS1",
          "Start-Installer:ss1:",
          "Start-Installer:cs2:",
          "Invoke-PrepareSecurityServer:ss2:DMZ-SS2",
          "Invoke-PrepareSecurityServer:cs2:DMZ-SS2",
          "Start-Installer:ss2:",
        ],
      );
    });

    it("keeps every secret out of the state file, the engine's output and the lab's audit log", () => {
      assertNoSecrets(pod, [preview, up]);
      const state = JSON.parse(pod.stack.stateFileText());
      for (const r of state.checkpoint.latest.resources.filter((x: { type: string }) => x.type === SS_TYPE)) {
        // Stored inputs hold it only encrypted (refresh drops it: reading needs no password); outputs never do.
        const input = r.inputs.pairingPassword;
        if (input !== undefined) assert.ok(typeof input.ciphertext === "string", `${r.urn}: the pairing password input is not encrypted`);
        assert.equal(r.outputs.pairingPassword, undefined, `${r.urn}: the pairing password is kept in outputs`);
        assert.ok(typeof r.outputs.connection.ciphertext === "string", `${r.urn}: the connection output is not encrypted`);
      }
    });
  });

  describe("a pod already upgraded", function () {
    let pod: PodUnderTest;
    before(async () => {
      pod = await podUnderTest(engine);
      assert.equal((await pod.stack.up()).result.summary.result, "succeeded");
    });
    after(() => dispose(pod));

    it("changes nothing on a second up", async () => {
      const before = pod.lab.audit().length;
      const up = await pod.stack.up({ expectNoChanges: true });
      const ops = { ...stepOps(up.events, CS_TYPE), ...stepOps(up.events, SS_TYPE) };
      assert.deepEqual(Object.values(ops), ["same", "same", "same", "same"]);
      assert.deepEqual(changingAudit(pod.lab.audit().slice(before)), []);
      assertNoSecrets(pod, [up]);
    });

    it("treats a changed target as an update of each server, never a replacement", async () => {
      // Only a preview: the target and the staged installer are put back, so the pod stays as upgraded.
      await pod.stack.stack.setConfig("targetVersion", { value: "7.13.3" });
      stageHorizonInstaller(pod, "7.13.3.22000000");
      try {
        const preview = await pod.stack.preview();
        const ops = { ...stepOps(preview.events, CS_TYPE, "pre"), ...stepOps(preview.events, SS_TYPE, "pre") };
        assert.deepEqual(ops, { "pod1-cs1": "update", "pod1-cs2": "update", "pod1-ss1": "update", "pod1-ss2": "update" });
        assert.match(previewPlans(preview.events)["pod1-cs1"].find((l) => / install on /.test(l)) ?? "", /7\.13\.2\.21000000 -> 7\.13\.3/);
        assertNoSecrets(pod, [preview]);
      } finally {
        await pod.stack.stack.removeConfig("targetVersion");
        stageHorizonInstaller(pod, HORIZON_VERSIONS["7.13.2"]);
      }
    });

    it("shows a service stopped by hand on refresh, and the next up starts it", async () => {
      const stop = await op(pod.lab, "cs2", "Set-ServiceState", {
        displayName: "VMware Horizon View Connection Server",
        state: "Stopped",
        timeoutSeconds: 60,
      });
      assert.equal(stop.exitCode, 0);
      try {
        const refresh = await pod.stack.refresh();
        const cs2 = refresh.events.find((e) => e.resOutputsEvent?.metadata.urn.endsWith("::pod1-cs2"))!.resOutputsEvent!.metadata;
        assert.equal(cs2.new?.outputs?.serviceStatus, "Stopped");
        assert.equal(cs2.old?.outputs?.serviceStatus, "Running");
        const preview = await pod.stack.preview();
        assert.deepEqual(
          previewPlans(preview.events)["pod1-cs2"].map((l) => l.split(":")[0]),
          ["1. start-service on CS2"],
        );
        const up = await pod.stack.up();
        assert.equal(stepOps(up.events, CS_TYPE)["pod1-cs2"], "update");
        assert.equal(pod.lab.host("cs2").state.services.find((s) => s.primary)?.status, "Running");
        assertNoSecrets(pod, [refresh, preview, up]);
      } finally {
        // However this test ended, the pod is left upgraded and running, as before() made it.
        if (pod.lab.host("cs2").state.services.find((s) => s.primary)?.status !== "Running") {
          await op(pod.lab, "cs2", "Set-ServiceState", {
            displayName: "VMware Horizon View Connection Server",
            state: "Running",
            timeoutSeconds: 60,
          });
          await pod.stack.refresh();
        }
      }
    });
  });

  describe("a failure mid-rollout", function () {
    let pod: PodUnderTest;
    let err: unknown;
    /** The pod right after the failed up. */
    let afterFailure: { versions: Record<string, string | undefined>; cs2Installed: boolean; maxOut: number };
    before(async () => {
      pod = await podUnderTest(engine);
      pod.lab.inject("ss1", { kind: "exit-code", exitCode: 1603, operation: "Start-Installer", times: 1 });
      err = await failure(pod.stack.up(), "up succeeded despite the failed installer");
      afterFailure = {
        versions: versions(pod),
        cs2Installed: pod.lab.audit().some((e) => e.host === "cs2" && e.operation === "Start-Installer"),
        maxOut: pod.lab.maxOutOfService(POD),
      };
    });
    after(() => dispose(pod));

    it("stops at the failed security server with an error naming it, the host and the step, and leaves the rest alone", () => {
      const text = errorText(err);
      assert.match(text, /\[pod1-ss1\] step 4\/6 install on SS1 failed: the installer exited with 1603/);
      assert.match(text, /Next: read the installer log on the host/);
      assert.equal(afterFailure.versions.cs1, "7.13.2.21000000");
      assert.equal(afterFailure.versions.ss1, "7.12.0.15770369");
      assert.equal(afterFailure.versions.cs2, "7.12.0.15770369", "the rollout went on past the failure");
      assert.ok(!afterFailure.cs2Installed);
      assert.ok(afterFailure.maxOut <= 1);
      assertNoSecrets(pod, [err as { output: string; events: EngineEvent[] }]);
    });

    it("resumes on the next up without repeating finished work, and a third up changes nothing", async () => {
      const up = await pod.stack.up();
      assert.equal(up.result.summary.result, "succeeded");
      for (const h of POD) assert.equal(version(pod.lab, h), "7.13.2.21000000");
      const count = (operation: string, host: string) => pod.lab.audit().filter((e) => e.operation === operation && e.host === host).length;
      assert.equal(count("Start-Installer", "cs1"), 1, "cs1's installer ran twice");
      assert.equal(count("Start-Installer", "ss1"), 2, "ss1's installer did not run again");
      assert.equal(count("Invoke-PrepareSecurityServer", "cs1"), 1, "ss1's IPsec rules were prepared twice");
      assert.ok(pod.lab.maxOutOfService(POD) <= 1);
      const again = await pod.stack.up({ expectNoChanges: true });
      assert.equal(again.result.summary.result, "succeeded");
    });
  });

  describe("a pair still holding IPsec rules after the global setting was turned off", function () {
    let pod: PodUnderTest;
    let preview: { output: string; events: EngineEvent[] };
    let up: Awaited<ReturnType<PodUnderTest["stack"]["up"]>>;
    let changesAfterPreview: [string, string][];
    before(async () => {
      pod = await podUnderTest(engine);
      // Paired while "Use IPsec for Security Server Connections" was on; the setting was turned off since ("Prepare to Upgrade or Reinstall a Security Server").
      pod.lab.setUseIpsec("pod1", false);
      preview = await pod.stack.preview();
      changesAfterPreview = changingAudit(pod.lab.audit());
      up = await pod.stack.up();
    });
    after(() => dispose(pod));

    it("previews Prepare for Upgrade naming every rule it will delete, per host, with its remote address", () => {
      const ss1 = previewPlans(preview.events)["pod1-ss1"];
      const step = ss1.find((l) => /^\d+\. prepare-ipsec on SS1 and CS1: /.test(l));
      assert.ok(step, `no prepare-ipsec step in ${ss1.join(" | ")}`);
      const cs1 = pod.lab.host("cs1").state.address;
      const ssAddress = pod.lab.host("ss1").state.address;
      assert.ok(step.includes(`"VMware View Security Server QM Pairing with ${cs1}" on SS1 (remote ${cs1})`), step);
      assert.ok(step.includes(`"VMware View Security Server QM Pairing with ${ssAddress}" on CS1 (remote ${ssAddress})`), step);
      assert.match(step, /global IPsec setting: off; View API health of SS1: OK/);
      assert.deepEqual(changesAfterPreview, []);
    });

    it("removes the rules on both hosts without the console, proves none remain, and upgrades the pair", () => {
      assert.equal(up.result.summary.result, "succeeded");
      for (const h of POD) assert.equal(version(pod.lab, h), "7.13.2.21000000", `${h} was not upgraded`);
      for (const h of POD) assert.deepEqual(pod.lab.host(h).state.ipsecRules, [], `${h} still has IPsec rules`);
      const reads = pod.lab.audit().filter((e) => e.operation === "Get-IpsecRules" && e.host === "ss1");
      const prepared = pod.lab.audit().find((e) => e.operation === "Invoke-PrepareSecurityServer" && e.host === "cs1")!;
      assert.ok(
        reads.some((e) => e.seq > prepared.seq),
        "the rules were not read again after their removal",
      );
      assert.ok(pod.lab.maxOutOfService(POD) <= 1);
      const ss1 = up.events.find((e) => e.resOutputsEvent?.metadata.urn.endsWith("::pod1-ss1"))!.resOutputsEvent!.metadata;
      assert.deepEqual(ss1.new?.outputs?.pairingState, { ipsec: "none", ipsecRules: [], useIpsec: false, entries: ["SS1"] });
    });
  });

  describe("a security server the pod registered under its NetBIOS name, re-paired under its FQDN", function () {
    it("removes the stale NetBIOS entry and never the live FQDN entry", async () => {
      // ss2 was created as "SS2"; its full system name is SS2.corp.example, which the re-pairing registers ("Upgrade View Security Server").
      const pod = await podUnderTest(engine, {}, "pod", withSecurityServer("ss2", { domain: "corp.example", registeredAs: undefined }));
      try {
        const preview = await pod.stack.preview();
        const ss2 = previewPlans(preview.events)["pod1-ss2"];
        assert.match(
          ss2[ss2.length - 1],
          /remove-duplicates on CS2: after the upgrade, remove SS2 \(7\.12\.0\.15770369, OK\) if the re-paired entry/,
        );
        const up = await pod.stack.up();
        assert.equal(up.result.summary.result, "succeeded");
        const p = pod.lab.pod("pod1");
        assert.deepEqual(
          p.removals.map((r) => [r.name, r.live]),
          [["SS2", false]],
        );
        assert.deepEqual(p.registry.map((e) => e.name).sort(), ["SS1", "SS2.corp.example"]);
        assert.ok(pod.lab.maxOutOfService(POD) <= 1);
        await pod.stack.up({ expectNoChanges: true });
      } finally {
        await dispose(pod);
      }
    });
  });

  describe("a pod an operator must fix first", function () {
    let pod: PodUnderTest;
    let previewError: unknown;
    let upChanges: [string, string][];
    let upVersions: Record<string, string | undefined>;
    before(async () => {
      pod = await podUnderTest(engine);
      // CS2's installer is not the vendor's file; SS2's was never staged.
      pod.lab.addInstaller("cs2", {
        path: CLI_INSTALLERS.horizon,
        product: "horizon-connection-server",
        version: HORIZON_VERSIONS["7.13.2"],
        genuine: false,
      });
      pod.lab.removeFile("ss2", CLI_INSTALLERS.horizon);
      previewError = await failure(pod.stack.preview(), "preview passed with a tampered installer on CS2 and none on SS2");
      await failure(pod.stack.up(), "up passed");
      upChanges = changingAudit(pod.lab.audit());
      upVersions = versions(pod);
    });
    after(() => dispose(pod));

    it("fails preview naming every such server with its stable code, and waiting for a predecessor is not a failure", () => {
      const text = errorText(previewError);
      assert.match(text, /\[pod1-cs2\] cannot upgrade CS2: .* has SHA-256 \S+, not the declared .* \(installer-hash-mismatch\)/);
      assert.match(text, /\[pod1-ss2\] cannot upgrade SS2: the installer \S+ is not on SS2; stage it there first \(installer-missing\)/);
      assert.doesNotMatch(text, /\[pod1-ss1\] cannot upgrade/, "waiting for CS1 was reported as a failure");
    });

    it("touches no server of the pod on preview or up", () => {
      assert.deepEqual(upChanges, [], "a server was changed before the pod was found not ready");
      for (const h of POD) assert.equal(upVersions[h], "7.12.0.15770369");
    });

    it("passes preview once fixed, with a stable code beside each blocked state", async () => {
      pod.lab.addInstaller("cs2", {
        path: CLI_INSTALLERS.horizon,
        product: "horizon-connection-server",
        version: HORIZON_VERSIONS["7.13.2"],
      });
      pod.lab.addInstaller("ss2", {
        path: CLI_INSTALLERS.horizon,
        product: "horizon-connection-server",
        version: HORIZON_VERSIONS["7.13.2"],
      });
      try {
        const preview = await pod.stack.preview();
        const ss1 = preview.events.find((e) => e.resourcePreEvent?.metadata.urn.endsWith("::pod1-ss1"))!.resourcePreEvent!.metadata;
        assert.equal(ss1.new?.inputs?.blockedCode, "waiting-for-connection-server");
      } finally {
        // Put the tampered and missing installers back: the other tests read the pod as before() left it.
        pod.lab.addInstaller("cs2", {
          path: CLI_INSTALLERS.horizon,
          product: "horizon-connection-server",
          version: HORIZON_VERSIONS["7.13.2"],
          genuine: false,
        });
        pod.lab.removeFile("ss2", CLI_INSTALLERS.horizon);
      }
    });
  });

  describe("an installer of the wrong version", function () {
    it("fails preview from the file's own product version, before anything runs", async () => {
      const pod = await podUnderTest(engine);
      try {
        // The 7.13.1 installer staged where the 7.13.2 one belongs, with its own (matching) SHA-256 declared.
        stageHorizonInstaller(pod, "7.13.1.20000000", ["cs2"]);
        const err = await pod.stack.preview().then(
          () => assert.fail("preview passed with the installer of 7.13.1 staged for 7.13.2"),
          (e: unknown) => e,
        );
        assert.match(
          errorText(err),
          /\[pod1-cs2\] cannot upgrade CS2: \S+ on CS2 is the installer of 7\.13\.1\.20000000, not of the target 7\.13\.2.*\(installer-version-mismatch\)/,
        );
        assert.deepEqual(changingAudit(pod.lab.audit()), []);
      } finally {
        await dispose(pod);
      }
    });
  });

  describe("the configuration backup before the first Connection Server", function () {
    it("stops before any installer when vdmexport fails, naming the step", async () => {
      const pod = await podUnderTest(engine);
      try {
        pod.lab.inject("cs1", { kind: "exit-code", exitCode: 2, operation: "Invoke-Vdmexport", times: 1 });
        const err = await pod.stack.up().then(
          () => assert.fail("up succeeded without a configuration backup"),
          (e: unknown) => e,
        );
        assert.match(errorText(err), /\[pod1-cs1\] step 2\/5 backup-configuration on CS1 failed: vdmexport -f \S+ exited with 2/);
        assert.ok(!pod.lab.audit().some((e) => e.operation === "Start-Installer"), "an installer ran without a backup");
      } finally {
        await dispose(pod);
      }
    });

    it("is waived only with a stated reason, which preview shows", async () => {
      const pod = await podUnderTest(engine, { configurationBackup: { waive: { reason: "no" } } });
      try {
        const err = await pod.stack.preview().then(
          () => assert.fail("preview accepted a waiver without a reason"),
          (e: unknown) => e,
        );
        assert.match(
          errorText(err),
          /\[configurationBackup\.waive\.reason\].*must say why going on without a configuration backup is acceptable/,
        );
        await pod.stack.stack.setConfig("configurationBackup", {
          value: JSON.stringify({ waive: { reason: "VM snapshots of CS1 and CS2 taken at 21:55" } }),
        });
        const preview = await pod.stack.preview();
        assert.ok(!previewPlans(preview.events)["pod1-cs1"].some((l) => l.includes("backup-configuration")));
        assert.match(
          diagnostics(preview.events).join("\n"),
          /\[pod1-cs1\] .*note: the configuration backup before the pod's first Connection Server is waived: VM snapshots of CS1 and CS2 taken at 21:55/s,
        );
      } finally {
        await dispose(pod);
      }
    });
  });

  describe("a Connection Server not in UTC", function () {
    it("fails preview for its security server with the vendor staff's workaround, and upgrades once it runs in UTC", async () => {
      const pod = await podUnderTest(engine, {}, "pod", (o) => ({
        ...o,
        pods: (o.pods ?? []).map((p) => ({
          ...p,
          connectionServers: p.connectionServers.map((c) => (c.name === "cs2" ? { ...c, utcOffsetMinutes: -300 } : c)),
        })),
      }));
      try {
        const err = await pod.stack.preview().then(
          () => assert.fail("preview passed with CS2 off UTC"),
          (e: unknown) => e,
        );
        const text = errorText(err);
        assert.match(
          text,
          /\[pod1-ss2\] cannot upgrade SS2: the paired Connection Server CS2 runs in time zone UTC-05:00 \(UTC-5 h\), not UTC: .*restart the "VMware Horizon View Connection Server" service.*\(connection-server-not-utc\)/,
        );
        pod.lab.setUtcOffset("cs2", 0);
        const up = await pod.stack.up();
        assert.equal(up.result.summary.result, "succeeded");
        for (const h of POD) assert.equal(version(pod.lab, h), "7.13.2.21000000");
      } finally {
        await dispose(pod);
      }
    });
  });

  describe("drift seen by refresh", function () {
    it("shows an update on the servers where drift happened, and nothing elsewhere", async () => {
      const pod = await podUnderTest(engine);
      try {
        assert.equal((await pod.stack.up()).result.summary.result, "succeeded");
        // CS2 set back to 7.12.0 by hand; SS2's service stopped; SS1's IPsec rule removed on CS1 by hand.
        pod.lab.host("cs2").state.products[0] = { ...pod.lab.host("cs2").state.products[0], displayVersion: "7.12.0.15770369" };
        const stop = await op(pod.lab, "ss2", "Set-ServiceState", {
          displayName: "VMware Horizon View Security Server",
          state: "Stopped",
          timeoutSeconds: 60,
        });
        assert.equal(stop.exitCode, 0);
        pod.lab.host("cs1").state.ipsecRules = [];
        const refresh = await pod.stack.refresh();
        const changes = refresh.result.summary.resourceChanges ?? {};
        const ops = { ...stepOps(refresh.events, CS_TYPE, "pre"), ...stepOps(refresh.events, SS_TYPE, "pre") };
        const changed = refresh.events
          .filter((e) => e.resourcePreEvent && [CS_TYPE, SS_TYPE].includes(e.resourcePreEvent.metadata.type))
          .filter(
            (e) =>
              (e.resourcePreEvent!.metadata.diffs ?? []).length > 0 ||
              e.resourcePreEvent!.metadata.op !== "refresh" ||
              e.resourcePreEvent!.metadata.detailedDiff,
          )
          .map((e) => e.resourcePreEvent!.metadata.urn.split("::").pop());
        const text = diagnostics(refresh.events).join("\n");
        assert.match(text, /\[pod1-cs2\] drift on CS2: runs 7\.12\.0\.15770369, not the target 7\.13\.2/);
        assert.match(text, /\[pod1-ss2\] drift on SS2: its service is Stopped/);
        assert.match(text, /\[pod1-ss1\] drift on SS1: its pairing changed/);
        assert.doesNotMatch(text, /\[pod1-cs1\] drift/);
        assert.equal(
          changes.update,
          3,
          `refresh summary ${JSON.stringify(changes)}; ops ${JSON.stringify(ops)}; changed ${JSON.stringify(changed)}`,
        );
      } finally {
        await dispose(pod);
      }
    });
  });

  describe("a missing prerequisite", function () {
    it("fails preview naming the server and the tool before anything runs", async () => {
      const pod = await podUnderTest(engine, {}, "pod", (o) => ({
        ...o,
        pods: (o.pods ?? []).map((p) => ({
          ...p,
          connectionServers: p.connectionServers.map((c) =>
            c.name === "cs2" ? { ...c, absent: ["VMware.VimAutomation.HorizonView"] } : c,
          ),
        })),
      }));
      try {
        const err = await pod.stack.preview().then(
          () => assert.fail("preview passed with PowerCLI missing on CS2"),
          (e: unknown) => e,
        );
        assert.match(
          errorText(err),
          /\[pod1-ss2\] cannot upgrade SS2: CS2 lacks VMware\.VimAutomation\.HorizonView, needed to pair and tidy this security server.*\(prerequisite-missing\)/,
        );
        assert.deepEqual(changingAudit(pod.lab.audit()), []);
      } finally {
        await dispose(pod);
      }
    });
  });

  describe("the pairing password", function () {
    for (const kind of ["pairing-expired", "pairing-refused"] as const) {
      it(`fails clearly before any IPsec rule is touched when the Connection Server ${kind === "pairing-expired" ? "records it already expired" : "refuses it"}`, async () => {
        const pod = await podUnderTest(engine);
        try {
          pod.lab.inject("cs1", { kind, operation: "Set-PairingPassword" });
          const err = await pod.stack.up().then(
            () => assert.fail("up succeeded"),
            (e: unknown) => e,
          );
          const text = errorText(err);
          assert.match(text, /\[pod1-ss1\] step 2\/6 set-pairing-password on CS1 failed: /);
          assert.match(text, kind === "pairing-expired" ? /treated as expired.*no IPsec rule was removed/s : /rejected by CS1/);
          assert.ok(!pod.lab.audit().some((e) => e.operation === "Invoke-PrepareSecurityServer"), "IPsec rules were touched");
          assert.equal(pod.lab.pod("pod1").securityServers.ss1.ipsec, "active");
          assert.equal(version(pod.lab, "ss1"), "7.12.0.15770369");
          assertNoSecrets(pod, [err as { output: string; events: EngineEvent[] }]);
        } finally {
          await dispose(pod);
        }
      });
    }
  });

  // Parallel Connection Servers (Horizon 2203 and later, and refused for 7.x targets): tests/engine/replicationPreview.spec.ts.

  describe("the maintenance window", function () {
    it("fails preview when it is closed, naming the next opening by the host's clock", async () => {
      // The lab's clock starts on Monday 2024-01-08 08:00 UTC; the window opens on Saturdays at 22:00.
      const pod = await podUnderTest(engine, { maintenanceWindow: { days: ["Sat"], from: "22:00", to: "04:00" } });
      try {
        const err = await pod.stack.preview().then(
          () => assert.fail("preview succeeded with the window closed"),
          (e: unknown) => e,
        );
        assert.match(
          errorText(err),
          /\[maintenanceWindow\] CS1: the maintenance window \(.*\) is closed at 2024-01-08T.*; it next opens at 2024-01-13T22:00:00\.000Z/,
        );
        assert.deepEqual(changingAudit(pod.lab.audit()), []);
      } finally {
        await dispose(pod);
      }
    });
  });
});
