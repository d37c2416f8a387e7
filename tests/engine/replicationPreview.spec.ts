// LDAP replication read at preview for a parallel Connection Server upgrade (Horizon 2203 and later), through the real
// engine: the example pod (examples/horizon-pod) with three Connection Servers on 7.13.2 and no security server,
// targeting 2203 with `parallelConnectionServers: true`. The vendor allows parallel upgrades only with healthy local
// and global replication (Horizon 2203 upgrades, "Parallel upgrades",
// docs.vmware.com/en/VMware-Horizon/2203/horizon-upgrades/GUID-1B7271A5-3312-49DF-97CF-53FEC8C4AED8.html), so preview
// reads it on every Connection Server, the first included, and fails naming the server and the instance.
import assert from "node:assert/strict";
import type { LabOptions } from "../../lab";
import { HORIZON_VERSIONS } from "../../lab";
import { diagnostics, Engine } from "../harness/engine";
import { changingAudit, dispose, errorText, podUnderTest, stageHorizonInstaller, type PodUnderTest } from "../harness/podLab";

const CS = ["cs1", "cs2", "cs3"];
const TARGET = HORIZON_VERSIONS["8.5.0 (2203)"];

/** Three Connection Servers on 7.13.2, no security server (Horizon 8 has none); optionally in a Cloud Pod federation. */
function parallelPod(cloudPod: boolean): (o: LabOptions) => LabOptions {
  const v = HORIZON_VERSIONS["7.13.2"];
  return (o) => ({
    ...o,
    pods: [{ name: "pod1", cloudPod, connectionServers: CS.map((name) => ({ name, version: v })), securityServers: [] }],
  });
}

async function start(engine: Engine, cloudPod = false, config: Record<string, unknown> = {}): Promise<PodUnderTest> {
  const pod = await podUnderTest(
    engine,
    { parallelConnectionServers: "true", targetVersion: "2203", ...config },
    "pod",
    parallelPod(cloudPod),
  );
  stageHorizonInstaller(pod, TARGET, CS);
  return pod;
}

async function failedPreview(pod: PodUnderTest): Promise<string> {
  const err = await pod.stack.preview().then(
    () => assert.fail("preview succeeded with LDAP replication broken"),
    (e: unknown) => e,
  );
  return errorText(err);
}

describe("LDAP replication read at preview for a parallel Connection Server upgrade, through the real engine", function () {
  let engine: Engine;
  before(async () => {
    engine = await Engine.open();
  });
  after(async () => {
    await engine?.dispose();
  });

  it("fails preview on broken local replication, naming every Connection Server (the first included) and localhost:389, without the wrong advice", async () => {
    const pod = await start(engine);
    try {
      pod.lab.setReplicationHealthy("pod1", false);
      const text = await failedPreview(pod);
      for (const cs of CS) {
        assert.match(
          text,
          new RegExp(
            `LDAP replication on ${cs.toUpperCase()} has errors: local View LDAP instance \\(repadmin /showrepl localhost:389: Last attempt @ [0-9: -]+ failed, result 1722`,
          ),
          `${cs} not named`,
        );
        assert.ok(
          pod.lab.audit().some((e) => e.host === cs && e.operation === "Get-ReplicationHealth"),
          `${cs} was not read`,
        );
      }
      assert.match(text, /repair LDAP replication/);
      assert.match(text, /the installer refuses to upgrade while replication has errors/);
      assert.doesNotMatch(text, /parallelConnectionServers: false/);
      assert.deepEqual(changingAudit(pod.lab.audit()), [], "preview changed a host");
    } finally {
      await dispose(pod);
    }
  });

  it("reads the Cloud Pod global instance (22389) where the global instance's service is present, and fails preview naming it", async () => {
    const pod = await start(engine, true);
    try {
      pod.lab.setReplicationHealthy("pod1", false, "global");
      const text = await failedPreview(pod);
      for (const cs of CS) {
        assert.match(
          text,
          new RegExp(
            `LDAP replication on ${cs.toUpperCase()} has errors: Cloud Pod global LDAP instance \\(repadmin /showrepl localhost:22389`,
          ),
          `${cs} not named`,
        );
      }
      assert.doesNotMatch(text, /local View LDAP instance \(repadmin/, "the healthy local instance was reported");
      assert.deepEqual(changingAudit(pod.lab.audit()), [], "preview changed a host");
    } finally {
      await dispose(pod);
    }
  });

  it("reads no 22389 where the pod is declared outside a federation, and passes preview showing each instance read", async () => {
    const pod = await start(engine, true, { cloudPodFederation: "false" });
    try {
      pod.lab.setReplicationHealthy("pod1", false, "global");
      const preview = await pod.stack.preview();
      assert.match(
        preview.output + diagnostics(preview.events).join("\n"),
        /note: LDAP replication on CS1: localhost:389 healthy \(Cloud Pod federation declared no\)/,
      );
    } finally {
      await dispose(pod);
    }
  });

  it("upgrades every Connection Server once replication is healthy, the first one first, the others together", async () => {
    const pod = await start(engine, true);
    try {
      const up = await pod.stack.up();
      assert.equal(up.result.summary.result, "succeeded");
      for (const cs of CS) assert.equal(pod.lab.host(cs).state.products[0]?.displayVersion, TARGET);
      const installs = pod.lab
        .audit()
        .filter((e) => e.operation === "Start-Installer")
        .map((e) => e.host);
      assert.equal(installs[0], "cs1");
      // Each Connection Server's preflight read replication again before its installer.
      for (const cs of CS) {
        const read = pod.lab
          .audit()
          .filter((e) => e.host === cs && e.operation === "Get-ReplicationHealth")
          .pop()!;
        const install = pod.lab.audit().find((e) => e.host === cs && e.operation === "Start-Installer")!;
        assert.ok(read.seq < install.seq, `${cs}: replication not read before its installer`);
      }
    } finally {
      await dispose(pod);
    }
  });

  it("refuses a parallel upgrade to a 7.x target at preview, with the vendor's one-at-a-time way", async () => {
    const pod = await podUnderTest(engine, { parallelConnectionServers: "true" });
    try {
      const text = await failedPreview(pod);
      assert.match(
        text,
        /\[parallelConnectionServers\] true with the target 7\.13\.2 on pod1-cs1: parallel Connection Server upgrades are documented from Horizon 2203 \(8\.5\) only.*set parallelConnectionServers: false/,
      );
      assert.deepEqual(changingAudit(pod.lab.audit()), []);
    } finally {
      await dispose(pod);
    }
  });

  it("stops the others when replication breaks while the first Connection Server upgrades, before their installers", async () => {
    const pod = await start(engine, true);
    try {
      const running = pod.stack.up().then(
        () => assert.fail("up succeeded although replication broke during CS1's upgrade"),
        (e: unknown) => e,
      );
      // As soon as CS1's installer has started (it passed its own checks), the global instance breaks.
      for (let i = 0; i < 3000 && !pod.lab.audit().some((e) => e.host === "cs1" && e.operation === "Start-Installer"); i++)
        await new Promise((r) => setTimeout(r, 10));
      pod.lab.setReplicationHealthy("pod1", false, "global");
      const text = errorText(await running);
      assert.equal(pod.lab.host("cs1").state.products[0]?.displayVersion, TARGET);
      // The first of them to be checked stops the run (the engine then starts nothing more), naming itself.
      assert.match(
        text,
        /\[pod1-cs[23]\] cannot upgrade CS[23]: LDAP replication on CS[23] has errors: Cloud Pod global LDAP instance \(repadmin \/showrepl localhost:22389/,
      );
      for (const cs of ["cs2", "cs3"])
        assert.ok(!pod.lab.audit().some((e) => e.host === cs && e.operation === "Start-Installer"), `${cs}'s installer ran`);
    } finally {
      await dispose(pod);
    }
  });
});
