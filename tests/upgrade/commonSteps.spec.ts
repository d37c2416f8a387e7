import * as assert from "node:assert/strict";
import { type Lab, startLab } from "../../lab";
import { closeAllConnections, openSession, type Session } from "../../provider/transport";
import { runInstaller, whileInstallerRuns } from "../../provider/upgrade/commonSteps";
import type { HostFacts } from "../../provider/upgrade/hostFacts";
import type { Plan, StepName } from "../../provider/upgrade/steps";
import { runOnce } from "../lab/labClient";
import { argsFor } from "../transport/labFixture";

const V712 = "7.12.0.15770369";
const V7132 = "7.13.2.21000000";
const INSTALLER = "C:\\Installers\\VMware-Horizon-Connection-Server-x86_64-7.13.2-21000000.exe";
const LOG = "C:\\Windows\\Temp\\vdi-upgrade-cs1.log";

describe("whileInstallerRuns", () => {
  const steps = (names: StepName[]): Plan => ({ steps: names.map((name) => ({ name, host: "CS1", detail: `do ${name}` })) });
  const running: HostFacts = {
    host: "CS1",
    reachable: true,
    installerRun: { pid: 4148, startedUtc: "2024-01-08T09:00:00.000Z", logPath: LOG, target: V7132 },
  };
  const cases: { name: string; plan: StepName[]; facts: HostFacts; expect: StepName[] }[] = [
    {
      name: "skips what prepares an install and keeps what follows it",
      plan: [
        "preflight",
        "hook-before",
        "set-pairing-password",
        "prepare-ipsec",
        "install",
        "wait-service",
        "verify-version",
        "remove-duplicates",
        "hook-after",
      ],
      facts: running,
      expect: ["preflight", "install", "wait-service", "verify-version", "remove-duplicates", "hook-after"],
    },
    {
      name: "leaves a plan alone when no installer runs",
      plan: ["preflight", "hook-before", "install"],
      facts: { host: "CS1", reachable: true },
      expect: ["preflight", "hook-before", "install"],
    },
    { name: "leaves a plan without an install step alone", plan: ["start-service"], facts: running, expect: ["start-service"] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(
        whileInstallerRuns(steps(c.plan), c.facts).steps.map((s) => s.name),
        c.expect,
      );
    });
  }

  it("says in the install step that an installer started at its start time still runs, with its PID, and that no second one starts", () => {
    const install = whileInstallerRuns(steps(["preflight", "install"]), running).steps[1];
    assert.equal(
      install.detail,
      `an installer started at 2024-01-08T09:00:00.000Z is still running on CS1 (PID 4148, log ${LOG}): wait for it; no second one is started`,
    );
  });
});

describe("runInstaller (against the lab)", function () {
  this.timeout(30_000);
  // 1,200 simulated seconds per real second, as the engine tests use.
  const SCALE = 1200;
  let lab: Lab;
  let cs1: Session;

  beforeEach(async () => {
    lab = await startLab({ timeFactor: SCALE, pods: [{ name: "pod1", connectionServers: [{ name: "cs1", version: V712 }] }] });
    lab.addInstaller("cs1", { path: INSTALLER, product: "horizon-connection-server", version: V7132 });
    cs1 = openSession(argsFor(lab.endpoint("cs1")));
  });
  afterEach(async () => {
    closeAllConnections();
    await lab?.stop();
  });

  const request = (budgetMs: number) => {
    const end = Date.now() + budgetMs;
    return {
      path: INSTALLER,
      argumentTemplate: `/s /v"/qn /l*v ""${LOG}"""`,
      logPath: LOG,
      product: "horizon-connection-server",
      target: V7132,
      scale: SCALE,
      remainingMs: () => end - Date.now(),
      noun: "installer",
    };
  };

  it("stops waiting when the time budget runs out, leaves the installer running, and names its PID, its log and what the next up does", async () => {
    lab.inject("cs1", { kind: "slow-installer", seconds: 4 * 3600, operation: "Start-Installer" });
    const lines: string[] = [];
    await assert.rejects(
      runInstaller(cs1, "CS1", request(300), (l) => void lines.push(l)),
      (e: Error) => {
        const [proc] = lab.host("cs1").state.installers;
        assert.match(
          e.message,
          new RegExp(
            `time budget ran out while the installer was still running on CS1 \\(PID ${proc.pid}, started at \\S+ by the host's clock, log ${LOG.replace(/\\/g, "\\\\")}\\)`,
          ),
        );
        assert.match(e.message, /it was left running/);
        assert.match(e.message, /The next `pulumi up` finds its run record and waits for it while it runs, never starting a second one/);
        return true;
      },
    );
    assert.deepEqual(
      lab.host("cs1").state.installers.map((p) => [p.detached, p.state]),
      [[true, "running"]],
    );
  });

  it("re-attaches to the installer a failed run left running instead of starting a second one, and judges its exit code", async () => {
    lab.inject("cs1", { kind: "slow-installer", seconds: 3600, operation: "Start-Installer", times: 1 });
    await assert.rejects(
      runInstaller(cs1, "CS1", request(200), () => undefined),
      /time budget ran out/,
    );
    const lines: string[] = [];
    await runInstaller(cs1, "CS1", request(20_000), (l) => void lines.push(l));
    assert.equal(lab.host("cs1").state.installers.length, 1);
    assert.equal(lab.host("cs1").state.installers[0].state, "exited");
    assert.equal(lab.host("cs1").state.products[0].displayVersion, V7132);
    assert.ok(
      lines.some((l) => /was still running: waiting for it instead of starting a second one/.test(l)),
      lines.join("\n"),
    );
  });

  it("throws with the exit code and the log's tail when the installer fails, and starts it again on the next run", async () => {
    lab.inject("cs1", { kind: "exit-code", exitCode: 1603, operation: "Start-Installer", times: 1 });
    await assert.rejects(
      runInstaller(cs1, "CS1", request(20_000), () => undefined),
      /the installer exited with 1603; the log \S+ on CS1 ends: /,
    );
    const lines: string[] = [];
    await runInstaller(cs1, "CS1", request(20_000), (l) => void lines.push(l));
    assert.equal(lab.host("cs1").state.installers.length, 2);
    assert.ok(
      lines.some((l) => /the previous run, started at \S+ \(PID \d+\), ended with exit code 1603; started the installer again/.test(l)),
      lines.join("\n"),
    );
  });

  it("reports 1618 as another installation in progress", async () => {
    // An in-session installer (not ours, no run record) holds the Windows Installer mutex.
    lab.inject("cs1", { kind: "slow-installer", seconds: 3600, operation: "Invoke-Installer" });
    const held = runOnce(lab.endpoint("cs1"), "Invoke-Installer", {
      path: INSTALLER,
      argumentTemplate: `/s /v"/qn /l*v ""C:\\other.log"""`,
      logPath: "C:\\other.log",
      timeoutSeconds: 3600,
    });
    await new Promise((r) => setTimeout(r, 100));
    await assert.rejects(
      runInstaller(cs1, "CS1", request(20_000), () => undefined),
      /exited with 1618 \(ERROR_INSTALL_ALREADY_RUNNING\): another installation is in progress on CS1/,
    );
    await held;
  });
});
