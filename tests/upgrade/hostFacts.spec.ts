import * as assert from "node:assert/strict";
import { type Lab, startLab } from "../../lab";
import { startInstaller } from "../../provider/operations";
import { closeAllConnections, openSession, type Session } from "../../provider/transport";
import { whileInstallerRuns } from "../../provider/upgrade/commonSteps";
import { HORIZON_VERSIONS } from "../../provider/upgrade/horizonFacts";
import { planConnectionServer } from "../../provider/upgrade/horizonPlan";
import { readHost } from "../../provider/upgrade/hostFacts";
import { planLines } from "../../provider/upgrade/steps";
import { argsFor } from "../transport/labFixture";
import { failingAfter } from "./failingSession";

const V712 = "7.12.0.15770369";
const V7132 = "7.13.2.21000000";
const INSTALLER = "C:\\Installers\\VMware-Horizon-Connection-Server-x86_64-7.13.2-21000000.exe";
const LOG = "C:\\Windows\\Temp\\vdi-upgrade-cs1.log";

describe("readHost: the installer run record (against the lab)", function () {
  this.timeout(30_000);
  let lab: Lab;
  let cs1: Session;

  beforeEach(async () => {
    lab = await startLab({ timeFactor: 1200, pods: [{ name: "pod1", connectionServers: [{ name: "cs1", version: V712 }] }] });
    const staged = lab.addInstaller("cs1", { path: INSTALLER, product: "horizon-connection-server", version: V7132 });
    assert.ok(staged);
    cs1 = openSession(argsFor(lab.endpoint("cs1")));
  });
  afterEach(async () => {
    closeAllConnections();
    await lab?.stop();
  });

  const read = () =>
    readHost(
      cs1,
      {
        label: "cs1",
        productPatterns: ["*Horizon*Connection Server*"],
        servicePattern: "VMware Horizon*Connection Server",
        installerPath: INSTALLER,
        target: V7132,
        installerProduct: "horizon-connection-server",
      },
      HORIZON_VERSIONS,
    );

  it("reads an installer still running from the host's run record, and the plan (as preview shows it) waits for it", async () => {
    lab.inject("cs1", { kind: "slow-installer", seconds: 4 * 3600, operation: "Start-Installer" });
    const started = await startInstaller(cs1, {
      product: "horizon-connection-server",
      target: V7132,
      path: INSTALLER,
      argumentTemplate: `/s /v"/qn /l*v ""${LOG}"""`,
      logPath: LOG,
      waitSeconds: 0,
    });
    const facts = await read();
    assert.deepEqual(facts.installerRun, {
      pid: started.result.record!.pid,
      startedUtc: started.result.record!.startedUtc,
      logPath: LOG,
      target: V7132,
    });
    const plan = whileInstallerRuns(
      planConnectionServer(facts, {
        targetVersion: V7132,
        installerPath: INSTALLER,
        installerSha256: facts.installer!.sha256!,
        hooks: { before: "drain" },
        service: "svc",
      }),
      facts,
    );
    assert.deepEqual(
      plan.steps.map((s) => s.name),
      ["preflight", "install", "wait-service", "verify-version"],
    );
    assert.match(
      planLines(plan).join("\n"),
      /2\. install on CS1: an installer started at \S+ is still running on CS1 \(PID \d+, log .*\): wait for it; no second one is started/,
    );
  });

  it("reports no running installer when the record's installer has ended, or when there is no record", async () => {
    assert.equal((await read()).installerRun, undefined);
    // Not silent: the installer refuses and ends, and the host stays behind its target, so the record is read again.
    const ended = await startInstaller(cs1, {
      product: "horizon-connection-server",
      target: V7132,
      path: INSTALLER,
      argumentTemplate: "/s",
      logPath: LOG,
      waitSeconds: 3600,
    });
    assert.equal(ended.result.running, false);
    assert.notEqual(ended.result.exitCode, 0);
    const facts = await read();
    assert.equal(facts.liveVersion, V712);
    assert.equal(facts.installerRun, undefined);
  });
});

describe("readHost: reads that do not depend on each other go at once (against the lab)", function () {
  this.timeout(30_000);
  let lab: Lab;
  let cs1: Session;

  beforeEach(async () => {
    lab = await startLab({ timeFactor: 120, pods: [{ name: "pod1", connectionServers: [{ name: "cs1", version: V712 }] }] });
    lab.addInstaller("cs1", { path: INSTALLER, product: "horizon-connection-server", version: V7132 });
    cs1 = openSession(argsFor(lab.endpoint("cs1")));
  });
  afterEach(async () => {
    closeAllConnections();
    await lab?.stop();
  });

  const options = {
    label: "cs1",
    productPatterns: ["*Horizon*Connection Server*"],
    servicePattern: "VMware Horizon*Connection Server",
    installerPath: INSTALLER,
    target: V7132,
    installerProduct: "horizon-connection-server",
    installerVersion: true,
  };

  /** Whether every operation named ran on the host while every other one of them ran (all in flight at one moment). */
  function together(names: string[]): boolean {
    const ops = lab.audit().filter((e) => names.includes(e.operation));
    assert.equal(ops.length, names.length, `each of ${names.join(", ")} ran once`);
    const latestStart = Math.max(...ops.map((e) => Date.parse(e.realTime)));
    const earliestEnd = Math.min(...ops.map((e) => Date.parse(e.realEndTime!)));
    return latestStart < earliestEnd;
  }

  it("asks for the account, the installed product and its service in one round trip, then the installer's hash, run record and product version in a second", async () => {
    const facts = await readHost(cs1, options, HORIZON_VERSIONS);
    assert.equal(facts.liveVersion, V712);
    assert.equal(facts.installer?.productVersion, V7132);
    assert.ok(together(["Get-HostFacts", "Get-InstalledProduct", "Get-ServiceState"]), "the first three reads were in flight at once");
    assert.ok(together(["Get-FileHash", "Get-InstallerRun", "Get-InstallerVersion"]), "the installer's three reads were in flight at once");
  });

  it("reports the first read that failed in the one-at-a-time order (account, product, service), even when a later one fails sooner", async () => {
    const facts = await readHost(
      failingAfter(cs1, { "Get-HostFacts": { ms: 80 }, "Get-ServiceState": { ms: 0 } }),
      options,
      HORIZON_VERSIONS,
    );
    assert.equal(facts.reachable, false);
    assert.match(facts.unreachableReason!, /Get-HostFacts failed/);
  });

  it("keeps a failed product-version read beside the installer, not as the host being unreachable", async () => {
    const facts = await readHost(failingAfter(cs1, { "Get-InstallerVersion": { ms: 0 } }), options, HORIZON_VERSIONS);
    assert.equal(facts.reachable, true);
    assert.equal(facts.installer?.exists, true);
    assert.match(facts.installer!.productVersionError!, /Get-InstallerVersion failed/);
  });
});
