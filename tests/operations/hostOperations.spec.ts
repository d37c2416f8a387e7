import * as assert from "node:assert/strict";
import { type Lab, startLab } from "../../lab";
import {
  getFileHash,
  getHostFacts,
  getInstalledProduct,
  getServiceState,
  invokeHook,
  getInstallerRun,
  startInstaller,
  setServiceState,
} from "../../provider/operations";
import { closeAllConnections, isTransportError, openSession, type Session } from "../../provider/transport";
import { FAST, argsFor } from "../transport/labFixture";

const V712 = "7.12.0.15770369";
const V7132 = "7.13.2.21000000";
const INSTALLER = "C:\\Installers\\VMware-Horizon-Connection-Server-x86_64-7.13.2-21000000.exe";

describe("host operations (against the lab)", function () {
  this.timeout(30_000);
  let lab: Lab;
  let cs1: Session;
  let plain: Session;

  before(async () => {
    lab = await startLab({
      timeFactor: FAST,
      pods: [{ name: "pod1", connectionServers: [{ name: "cs1", version: V712 }] }],
      hosts: [{ name: "plain1" }],
    });
    cs1 = openSession(argsFor(lab.endpoint("cs1")));
    plain = openSession(argsFor(lab.endpoint("plain1")));
  });
  after(async () => {
    closeAllConnections();
    await lab?.stop();
  });
  afterEach(() => lab.clearFaults());

  it("reads the host's facts", async () => {
    const { result } = await getHostFacts(cs1);
    assert.equal(result.computerName, "CS1");
    assert.equal(result.isAdmin, true);
    assert.ok(!Number.isNaN(Date.parse(result.utcNow)));
  });

  it("finds installed products by -like pattern and leaves the others out", async () => {
    const { result } = await getInstalledProduct(cs1, { displayNameLike: ["VMware Horizon*Connection Server*"] });
    assert.equal(result.products.length, 1);
    assert.equal(result.products[0].displayVersion, V712);
    const none = await getInstalledProduct(plain, { displayNameLike: ["VMware Horizon*"] });
    assert.deepEqual(none.result.products, []);
  });

  it("reads service states and stops and starts a service", async () => {
    const name = "VMware Horizon View Connection Server";
    const before = await getServiceState(cs1, { displayNames: [name, "No Such Service"] });
    assert.deepEqual(
      before.result.services.map((s) => [s.displayName, s.status]),
      [[name, "Running"]],
    );
    const stopped = await setServiceState(cs1, { displayName: name, state: "Stopped", timeoutSeconds: 120 });
    assert.equal(stopped.result.status, "Stopped");
    const started = await setServiceState(cs1, { displayName: name, state: "Running", timeoutSeconds: 120 });
    assert.equal(started.result.status, "Running");
  });

  it("fails when a service does not reach its state in time", async () => {
    const name = "VMware Horizon View Connection Server";
    await setServiceState(cs1, { displayName: name, state: "Stopped", timeoutSeconds: 120 });
    lab.inject("cs1", { kind: "service-wont-start", displayName: name });
    await assert.rejects(setServiceState(cs1, { displayName: name, state: "Running", timeoutSeconds: 60 }), (e: unknown) => {
      assert.ok(isTransportError(e, "operation-failed"));
      assert.match(e.message, /did not reach Running within 60 s/);
      return true;
    });
    lab.clearFaults();
    await setServiceState(cs1, { displayName: name, state: "Running", timeoutSeconds: 120 });
  });

  it("hashes a staged installer and reports a missing file", async () => {
    const staged = lab.addInstaller("cs1", { path: INSTALLER, product: "horizon-connection-server", version: V7132 });
    const { result } = await getFileHash(cs1, { path: INSTALLER });
    assert.deepEqual(result, { exists: true, sha256: staged.sha256, sizeBytes: staged.sizeBytes });
    const missing = await getFileHash(cs1, { path: "C:\\nope.exe" });
    assert.deepEqual(missing.result, { exists: false, sha256: null, sizeBytes: null });
  });

  it("starts an installer outside the session whose secret travels only in params.secrets, and returns its run record and log tail", async () => {
    lab.addInstaller("cs1", { path: INSTALLER, product: "horizon-connection-server", version: V7132 });
    const lines: string[] = [];
    const { result } = await startInstaller(
      cs1,
      {
        product: "horizon-connection-server",
        target: V7132,
        path: INSTALLER,
        argumentTemplate: '/s /v"/qn /l*v ""C:\\Temp\\cs.log"" VDM_SERVER_RECOVERY_PWD=""{{secret:recovery}}"""',
        logPath: "C:\\Temp\\cs.log",
        waitSeconds: 3600,
        secrets: { recovery: "Rec0very!pw" },
      },
      { onLine: (l) => void lines.push(l) },
    );
    assert.equal(result.started, true);
    assert.equal(result.running, false);
    assert.equal(result.exitCode, 0);
    assert.equal(result.rebootRequired, false);
    assert.equal(result.record?.pid, lab.host("cs1").state.installers[0].pid);
    assert.equal(lab.host("cs1").state.installers[0].detached, true);
    assert.ok(result.logTail.some((l) => /completed successfully/.test(l)));
    assert.ok(lines.some((l) => /outside the SSH session/.test(l)));
    const entry = lab
      .host("cs1")
      .audit.filter((a) => a.operation === "Start-Installer")
      .at(-1)!;
    assert.ok(!JSON.stringify(entry.params).includes("Rec0very!pw"));
    assert.ok(!JSON.stringify(result).includes("Rec0very!pw"));
    assert.match(JSON.stringify(entry.params), /\{\{secret:recovery\}\}/);
    const products = await getInstalledProduct(cs1, { displayNameLike: ["VMware Horizon*"] });
    assert.equal(products.result.products[0].displayVersion, V7132);
  });

  it("returns a failed installer's exit code as a result, not an error, and Get-InstallerRun reads it back", async () => {
    lab.inject("cs1", { kind: "exit-code", exitCode: 1603, operation: "Start-Installer" });
    const params = {
      product: "horizon-connection-server",
      target: V7132,
      path: INSTALLER,
      argumentTemplate: '/s /v"/qn"',
      logPath: "C:\\Temp\\cs2.log",
    };
    const { result } = await startInstaller(cs1, { ...params, waitSeconds: 3600 });
    assert.equal(result.exitCode, 1603);
    assert.ok(result.logTail.length > 0);
    const run = await getInstallerRun(cs1, { product: "horizon-connection-server", waitSeconds: 0 });
    assert.deepEqual(
      { found: run.result.found, running: run.result.running, exitCode: run.result.exitCode },
      { found: true, running: false, exitCode: 1603 },
    );
  });

  it("runs an operator hook with its text as data", async () => {
    const hook = 'Write-Output "drain $env:COMPUTERNAME"; exit 0';
    const { result } = await invokeHook(plain, { hook, phase: "pre-upgrade" });
    assert.equal(result.exitCode, 0);
    assert.deepEqual(lab.host("plain1").state.hooks.at(-1)?.hook, hook);
  });
});
