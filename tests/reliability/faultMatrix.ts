// The fault matrix: each scenario arms one fault on a lab pod (two pairs), or on the App-V farm (three servers) of an
// estate where the pod upgrades beside it, runs `pulumi up` through the real engine,
// and measures what an administrator needs to trust the tool: the failure is clear (host, step, what to do), no two
// servers of one availability group were out of service at once (from the lab's timeline), the state file is valid and
// holds no secret, the next `up` after the fault is cleared finishes, and the one after changes nothing.
// Used by tests/reliability/faultMatrix.spec.ts (a subset) and scripts/reliability.ts (all of it).
import * as fs from "node:fs";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { type Engine, type TestStack } from "../harness/engine";
import type { LabOptions } from "../../lab";
import {
  CHANGING,
  type Estate,
  type PodUnderTest,
  type SecretConfig,
  dispose,
  errorText,
  podUnderTest,
  secretsFound,
  stageHorizonInstaller,
  version,
  withSecurityServer,
} from "../harness/podLab";

/** One row of `npm run reliability -- --json`. */
export interface ScenarioResult {
  name: string;
  failedClearly: boolean;
  maxOutOfServicePerGroup: number;
  stateValid: boolean;
  secretsFound: number;
  resumed: boolean;
  noopAfter: boolean;
  /** The most installer processes any one server started (the lab's record of installer runs). */
  maxInstallerRunsPerServer: number;
  /** Why a check did not hold (empty when all did). */
  problems: string[];
}

/** What a scenario does around the failing `up`. */
export interface Scenario {
  name: string;
  /** The pod alone, or the estate (pod and App-V farm, upgraded in parallel). @default "pod" */
  estate?: Estate;
  /** Extra stack config. */
  config?: Record<string, unknown | SecretConfig>;
  /** Changes the lab's layout before it starts. */
  lab?: (options: LabOptions) => LabOptions;
  /** Arms the fault before the failing `up` (may set config on the stack). */
  arm(p: PodUnderTest): Promise<void> | void;
  /** Called every 20 ms during the failing `up`; returns true once it has acted (advance a clock, abort the run). */
  during?(p: PodUnderTest, abort: AbortController): boolean;
  /** Each must match the failure's text (the error, the engine's output and the provider's lines). */
  expect: RegExp[];
  /**
   * The first `up` must succeed instead (a fault the rollout rides out, such as a window closing after the farm's schema
   * upgrade); `expect` is matched against its output and `failedClearly` means it succeeded and said so.
   */
  succeeds?: boolean;
  /** Problems with the hosts right after the first `up` (e.g. a service stopped that a refusal must not stop). */
  afterFirstUp?(p: PodUnderTest): string[];
  /** Clears the fault before the resuming `up`. */
  clear(p: PodUnderTest): Promise<void> | void;
  /** Also check that every server ran exactly one installer process across all the runs (no second start, no restart). */
  oneInstallerRunPerServer?: boolean;
  /** Each must match the resuming `up`'s output (the plan it printed, the provider's lines). */
  resumeExpect?: RegExp[];
  /** Scenario-specific checks after all the runs; returns what did not hold. */
  verify?(p: PodUnderTest): string[];
}

/**
 * The availability groups: the pod's Connection Servers (load-balanced) and its Security Servers. The App-V farm is
 * not one: the vendor's procedure takes every server sharing the database offline together ("How to Upgrade the Servers and System Components"); farm scenarios
 * run beside the pod to show a farm fault never takes pod servers out together.
 */
const GROUPS = [
  ["cs1", "cs2"],
  ["ss1", "ss2"],
];

/** What every host must run once the estate is upgraded. */
const TARGETS: Record<string, string> = {
  cs1: "7.13.2.21000000",
  cs2: "7.13.2.21000000",
  ss1: "7.13.2.21000000",
  ss2: "7.13.2.21000000",
  appv1: "4.5.2.17140",
  appv2: "4.5.2.17140",
  appv3: "4.5.2.17140",
};
const SQL_LOGIN: SecretConfig = { secret: "Sq1-l0gin-N0t-In-L0gs!" };
const installerFinished = (p: PodUnderTest, host: string) =>
  p.lab.host(host).state.installers.some((i) => i.state === "exited" && i.exitCode === 0);
/** Whether an installer process runs on the host now. */
const installerRunning = (p: PodUnderTest, host: string) => p.lab.host(host).state.installers.some((i) => i.state === "running");
/** An installer that runs four simulated hours: long enough to outlive a failed run and be found by the next one. */
const SLOW_INSTALLER = (operation: string) => ({ kind: "slow-installer" as const, seconds: 4 * 3600, operation, times: 1 });
const INSTALLER_OPERATION = "Start-Installer";
/** What the plan of a run that finds the slow installer still running says, and what its install step does. */
const STILL_RUNNING = /install on CS1: an installer started at \S+ is still running on CS1 \(PID \d+/;
const WAITED = /CS1: an installer started at \S+ \(PID \d+\) was still running: waiting for it instead of starting a second one/;
const WRONG_SQL_PASSWORD = "Wr0ng-Sq1-Pa55-Not-In-Logs";
/** A farm refused at preview: no App-V host or SQL host changed anything. */
const farmUntouched = (p: PodUnderTest): string[] => {
  const changed = p.lab.audit().filter((e) => ["appv1", "appv2", "appv3", "sql1"].includes(e.host) && CHANGING_FARM.has(e.operation));
  return changed.length ? [`the refused farm changed hosts: ${changed.map((e) => `${e.host}:${e.operation}`).join(", ")}`] : [];
};
const CHANGING_FARM = new Set(["Set-ServiceState", "Start-Installer", "Invoke-SqlBackup"]);

/**
 * The dynamic provider process (node running @pulumi/pulumi's cmd/dynamic-provider) that this stack's engine started:
 * found by its Pulumi home, which only this test's engine uses. Undefined when none runs.
 */
function providerProcessOf(p: PodUnderTest): number | undefined {
  const home = `PULUMI_HOME=${p.stack.engine.envVars.PULUMI_HOME}`;
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (!cmdline.includes("cmd/dynamic-provider") || !cmdline.startsWith("node")) continue;
      if (fs.readFileSync(`/proc/${entry}/environ`, "utf8").split("\0").includes(home)) return Number(entry);
    } catch {
      // The process ended while we looked.
    }
  }
  return undefined;
}

/** Every scenario, in the order of issue 6's list, then issue 18's. */
export const SCENARIOS: Scenario[] = [
  ...(["before", "during", "after"] as const).map((phase): Scenario => ({
    name: `connection dropped ${phase} the installer`,
    arm: (p) => p.lab.inject("ss1", { kind: "drop", phase, operation: INSTALLER_OPERATION, times: 1 }),
    expect: [
      new RegExp(
        `\\[pod1-ss1\\] step \\d+/\\d+ install on SS1 failed: The connection to \\S+ dropped while ${INSTALLER_OPERATION} was running`,
      ),
      /Next: /,
    ],
    clear: (p) => p.lab.clearFaults(),
    // A dropped connection must not kill the installer: the resuming run finds it ended, or waits for it.
    oneInstallerRunPerServer: phase === "during",
  })),
  {
    name: "installer exits 1603",
    arm: (p) => p.lab.inject("cs2", { kind: "exit-code", exitCode: 1603, operation: "Start-Installer", times: 1 }),
    expect: [
      /\[pod1-cs2\] step 2\/4 install on CS2 failed: the installer exited with 1603; the log \S+ on CS2 ends/,
      /Next: read the installer log/,
    ],
    clear: (p) => p.lab.clearFaults(),
  },
  {
    name: "a service that will not start",
    arm: (p) => p.lab.inject("ss1", { kind: "service-wont-start", displayName: "VMware Horizon View Security Server" }),
    expect: [
      /\[pod1-ss1\] step \d+\/\d+ wait-service on SS1 failed: .*did not reach Running/,
      /Next: the product is installed; start the service/,
    ],
    clear: (p) => p.lab.clearFaults(),
  },
  {
    name: "installer reports success but leaves the old version",
    arm: (p) => p.lab.inject("cs1", { kind: "installer-no-change", operation: "Start-Installer" }),
    expect: [
      /\[pod1-cs1\] step \d+\/\d+ verify-version on CS1 failed: the installer reported success but CS1 runs 7\.12\.0\.15770369, not 7\.13\.2/,
    ],
    clear: (p) => p.lab.clearFaults(),
  },
  {
    name: "host unreachable",
    config: { dialErrorLimit: "2" },
    arm: (p) => p.lab.setReachable("cs2", false),
    expect: [
      /\[pod1-cs2\] cannot upgrade \S+: \S+ could not be reached: Could not connect to .* after 2 attempt\(s\)/,
      /Nothing was changed on the host/,
    ],
    clear: (p) => p.lab.setReachable("cs2", true),
  },
  {
    name: "host key changed",
    arm: (p) => p.lab.inject("cs2", { kind: "host-key-change" }),
    expect: [/\[connection\.hostKey\] Refused \S+: it presented host key SHA256:\S+, which does not match the pinned hostKey/],
    clear: (p) => p.lab.clearFaults(),
  },
  {
    name: "pairing password refused (wrong)",
    arm: (p) => p.lab.inject("cs2", { kind: "pairing-refused", operation: "Set-PairingPassword" }),
    expect: [/\[pod1-ss2\] step 2\/\d+ set-pairing-password on CS2 failed: .*rejected by CS2/],
    clear: (p) => p.lab.clearFaults(),
  },
  {
    name: "pairing password expired",
    arm: (p) => p.lab.inject("cs1", { kind: "pairing-expired", operation: "Set-PairingPassword" }),
    expect: [/\[pod1-ss1\] step 2\/\d+ set-pairing-password on CS1 failed: .*treated as expired.*no IPsec rule was removed/s],
    clear: (p) => p.lab.clearFaults(),
  },
  {
    name: "maintenance window closes mid-rollout",
    async arm(p) {
      // Open now (host clock) with room for CS1's budget; the clock jumps past the end once CS1 is installed.
      const now = p.lab.now().getTime();
      const window = { start: new Date(now - 3600_000).toISOString(), end: new Date(now + 6 * 3600_000).toISOString() };
      await p.stack.stack.setConfig("maintenanceWindow", { value: JSON.stringify(window) });
    },
    during(p) {
      if (!installerFinished(p, "cs1")) return false;
      p.lab.advance(12 * 3600);
      return true;
    },
    expect: [
      /SS1: the maintenance window \(\S+ to \S+\) is closed at \S+ by the host's clock; it does not open again: change maintenanceWindow/,
    ],
    async clear(p) {
      const now = p.lab.now().getTime();
      const window = { start: new Date(now - 3600_000).toISOString(), end: new Date(now + 30 * 24 * 3600_000).toISOString() };
      await p.stack.stack.setConfig("maintenanceWindow", { value: JSON.stringify(window) });
    },
  },
  {
    name: "failed database backup",
    estate: "estate",
    config: { sqlUser: { secret: "appv-backup" }, sqlPassword: SQL_LOGIN },
    arm: (p) => p.lab.inject("sql1", { kind: "backup-invalid", operation: "Invoke-SqlBackup", times: 1 }),
    expect: [/\[farm1-preparation\].*verify-backup on \S+ failed/, /appv1, appv2, appv3/, /Start-Service/],
    clear: (p) => p.lab.clearFaults(),
  },
  {
    name: "installer exits 1603 mid-farm",
    estate: "estate",
    config: { sqlUser: { secret: "appv-backup" }, sqlPassword: SQL_LOGIN },
    arm: (p) => p.lab.inject("appv2", { kind: "exit-code", exitCode: 1603, operation: "Start-Installer", times: 1 }),
    expect: [/\[farm1-appv2\] step \d+\/\d+ install on \S+ failed: .*1603/, /C:\\Backup\\APPVIRT-before-4\.5-SP2\.bak/],
    clear: (p) => p.lab.clearFaults(),
  },
  // Issue 13: a real pod behaves.
  {
    name: "a pair still holding IPsec rules after the global setting was turned off",
    // Paired while IPsec was on; the setting is off now; the connection drops while the rules are being removed.
    arm: (p) => {
      p.lab.setUseIpsec("pod1", false);
      p.lab.inject("cs1", { kind: "drop", phase: "during", operation: "Invoke-PrepareSecurityServer", times: 1 });
    },
    expect: [
      /\[pod1-ss1\] step \d+\/\d+ prepare-ipsec on SS1 and CS1 failed: The connection to \S+ dropped while Invoke-PrepareSecurityServer was running/,
      /Next: /,
    ],
    clear: (p) => p.lab.clearFaults(),
    verify: (p) =>
      ["ss1", "cs1", "ss2", "cs2"].filter((h) => p.lab.host(h).state.ipsecRules.length > 0).map((h) => `${h} still has IPsec rules`),
  },
  {
    name: "a re-pair under the FQDN",
    // SS2 was created as "SS2"; its re-pairing registers SS2.corp.example; the first removal attempt fails.
    lab: withSecurityServer("ss2", { domain: "corp.example", registeredAs: undefined }),
    arm: (p) => p.lab.inject("cs2", { kind: "exit-code", exitCode: 1, operation: "Invoke-Vdmadmin", times: 1 }),
    expect: [/\[pod1-ss2\] step \d+\/\d+ remove-duplicates on CS2 failed: vdmadmin -S -r -s SS2 exited with 1/],
    clear: (p) => p.lab.clearFaults(),
    verify: (p) => {
      const pod = p.lab.pod("pod1");
      const out = pod.removals.filter((r) => r.live).map((r) => `the live entry ${r.name} was removed`);
      if (!pod.registry.some((e) => e.name === "SS2.corp.example")) out.push("the FQDN entry is gone");
      if (pod.registry.some((e) => e.name === "SS2")) out.push("the stale NetBIOS entry is still listed");
      return out;
    },
  },
  {
    name: "an installer of the wrong version",
    arm: (p) => stageHorizonInstaller(p, "7.13.1.20000000", ["cs2"]),
    expect: [
      /\[pod1-cs2\] cannot upgrade CS2: \S+ on CS2 is the installer of 7\.13\.1\.20000000, not of the target 7\.13\.2.*\(installer-version-mismatch\)/,
    ],
    clear: (p) => stageHorizonInstaller(p, "7.13.2.21000000", ["cs2"]),
    verify: (p) => {
      const runs = p.lab.audit().filter((e) => e.operation === "Start-Installer" && e.host === "cs2").length;
      return runs === 1 ? [] : [`CS2's installer ran ${runs} times (the installer of the wrong version ran)`];
    },
  },
  {
    name: "a Connection Server not in UTC",
    arm: (p) => p.lab.setUtcOffset("cs2", -300),
    expect: [
      /\[pod1-ss2\] cannot upgrade SS2: the paired Connection Server CS2 runs in time zone \S+ \(UTC-5 h\), not UTC: .*restart the "VMware Horizon View Connection Server" service/,
      /\(connection-server-not-utc\)/,
    ],
    clear: (p) => p.lab.setUtcOffset("cs2", 0),
  },
  {
    // Issue 14: once appv1 has upgraded the schema the farm runs to the end; the window closes (host clock) right after.
    name: "maintenance window closes after the farm's schema upgrade",
    estate: "estate",
    succeeds: true,
    config: { sqlUser: { secret: "appv-backup" }, sqlPassword: SQL_LOGIN, farmTimeBudgetMinutes: "270" },
    async arm(p) {
      // Room for the farm's declared 270 minutes however fast the lab's clock runs before the preparation.
      const now = p.lab.now().getTime();
      const window = { start: new Date(now - 3600_000).toISOString(), end: new Date(now + 30 * 3600_000).toISOString() };
      await p.stack.stack.setConfig("appvMaintenanceWindow", { value: JSON.stringify(window) });
    },
    during(p) {
      if (!installerFinished(p, "appv1")) return false;
      // Not while a security server holds a pairing password it has not used yet: the jump would expire it.
      const pairings = ["cs1", "cs2"].flatMap((h) => p.lab.host(h).audit).filter((e) => e.operation === "Set-PairingPassword").length;
      const paired = ["ss1", "ss2"].filter((h) => installerFinished(p, h)).length;
      if (pairings !== paired) return false;
      p.lab.advance(40 * 3600);
      return true;
    },
    expect: [
      /\[farm1-appv[23]\] overrun: the maintenance window .* is closed at \S+ by the host's clock.*; going on because the schema of \S+ was upgraded by appv1/,
      /\[farm1-completion\] farm farm1 finished at \S+, after the maintenance window closed: the rollout overran it/,
    ],
    clear: () => undefined,
  },
  {
    // Issue 14: a server sharing the database that the program does not declare is found at preview (its session on
    // the database), before any App-V service is stopped.
    name: "an undeclared server on the database",
    estate: "estate",
    arm: (p) =>
      p.lab.addDatabaseSession("sql1", "APPVIRT", { hostName: "APPV9", programName: "Application Virtualization Management Server" }),
    afterFirstUp: farmUntouched,
    expect: [
      /\[servers\] farm farm1: APPV9 \(Application Virtualization Management Server\) holds a session on \S+ but is not a server of this farm/,
      /no service is stopped/,
    ],
    clear: (p) => p.lab.clearDatabaseSessions("sql1", "APPVIRT"),
  },
  {
    // Issue 14: credentials SQL refuses are found at preview (a read-only login), before any App-V service is stopped.
    name: "wrong database credentials",
    estate: "estate",
    config: { sqlUser: { secret: "appv-backup" }, sqlPassword: SQL_LOGIN },
    async arm(p) {
      p.secrets.push(WRONG_SQL_PASSWORD);
      await p.stack.stack.setConfig("sqlPassword", { value: WRONG_SQL_PASSWORD, secret: true });
    },
    afterFirstUp: farmUntouched,
    expect: [
      /\[database\.sqlPassword\] farm farm1: the database administrative credentials cannot log in to \S+: .*Login failed for user/,
      /no service is stopped/,
    ],
    async clear(p) {
      await p.stack.stack.setConfig("sqlPassword", { value: SQL_LOGIN.secret, secret: true });
    },
  },
  {
    name: "up cancelled part-way",
    arm: () => undefined,
    during(p, abort) {
      if (!p.lab.host("cs1").audit.some((e) => e.operation === "Start-Installer")) return false;
      abort.abort();
      return true;
    },
    expect: [/cancel/i],
    clear: () => undefined,
  },
  // Issue 18: nothing that ends the provider's SSH session may stop an installer, and nothing may start a second one.
  {
    name: "up cancelled during the installer",
    arm: (p) => p.lab.inject("cs1", SLOW_INSTALLER(INSTALLER_OPERATION)),
    during(p, abort) {
      if (!installerRunning(p, "cs1")) return false;
      abort.abort();
      return true;
    },
    expect: [/cancel/i],
    clear: (p) => p.lab.clearFaults(),
    oneInstallerRunPerServer: true,
  },
  {
    name: "provider process killed during the installer",
    arm: (p) => p.lab.inject("cs1", SLOW_INSTALLER(INSTALLER_OPERATION)),
    during(p) {
      if (!installerRunning(p, "cs1")) return false;
      const pid = providerProcessOf(p);
      if (pid === undefined) return false;
      process.kill(pid, "SIGKILL");
      return true;
    },
    // The engine's own words for a provider that died mid-call.
    expect: [/pod1-cs1.*error reading from server: EOF/s],
    clear: (p) => p.lab.clearFaults(),
    oneInstallerRunPerServer: true,
    resumeExpect: [STILL_RUNNING, WAITED],
  },
  {
    name: "time budget expires during the installer",
    config: { timeBudgetMinutes: "30" },
    arm: (p) => p.lab.inject("cs1", SLOW_INSTALLER(INSTALLER_OPERATION)),
    expect: [
      /\[pod1-cs1\] step \d+\/\d+ install on CS1 failed: .*time budget.*PID \d+.*still running/s,
      /C:\\Windows\\Temp\\vdi-upgrade-\S+\.log/,
      /next `pulumi up`/i,
    ],
    async clear(p) {
      await p.stack.stack.setConfig("timeBudgetMinutes", { value: "240" });
    },
    oneInstallerRunPerServer: true,
    resumeExpect: [STILL_RUNNING, WAITED],
  },
  {
    name: "connection dropped during the setup mid-farm",
    estate: "estate",
    config: { sqlUser: { secret: "appv-backup" }, sqlPassword: SQL_LOGIN },
    arm(p) {
      p.lab.inject("appv1", SLOW_INSTALLER(INSTALLER_OPERATION));
      p.lab.inject("appv1", { kind: "drop", phase: "during", operation: INSTALLER_OPERATION, times: 1 });
    },
    expect: [
      new RegExp(
        `\\[farm1-appv1\\] step \\d+/\\d+ install on \\S+ failed: The connection to \\S+ dropped while ${INSTALLER_OPERATION} was running`,
      ),
    ],
    clear: (p) => p.lab.clearFaults(),
    oneInstallerRunPerServer: true,
    resumeExpect: [/install on APPV1: an installer started at \S+ is still running on APPV1/],
    // The setup that still runs may be upgrading the schema: the resuming run must not back the database up again.
    verify: (p) => {
      const backups = p.lab.host("sql1").audit.filter((e) => e.operation === "Invoke-SqlBackup").length;
      return backups === 1 ? [] : [`the database was backed up ${backups} times`];
    },
  },
  // Issue 19's scenarios.
  twoStacksOnOnePod(),
  {
    name: "after-hook fails once",
    config: { hooks: { after: "Write-Output 'back in the load balancer pool'" } },
    arm: (p) => p.lab.inject("cs2", { kind: "hook-fails", phase: "after", times: 1 }),
    expect: [
      /\[pod1-cs2\] step \d+\/\d+ hook-after on CS2 failed: the after hook exited with 1/,
      /The hook is recorded as owed on CS2: the next `pulumi up` runs it again/,
    ],
    afterFirstUp: (p) => (p.lab.owedHooks("cs2").length === 1 ? [] : ["the failed after-hook is not recorded on CS2"]),
    clear: () => {},
    resumeExpect: [/hook-after on CS2: after-hook owed on CS2: it failed at \S+ \(exit 1, run \S+ of stack \S+, project horizon-pod\)/],
    verify: (p) => {
      const problems: string[] = [];
      const runs = p.lab.host("cs2").state.hooks.filter((h) => h.phase === "after").length;
      if (runs !== 2) problems.push(`the after-hook ran ${runs} times on CS2, not twice (failed, then owed and run again)`);
      if (p.lab.owedHooks("cs2").length) problems.push("the owed hook is still recorded after it succeeded");
      return problems;
    },
  },
];

/**
 * Another stack of the same program on the same pod (another pipeline's) is upgrading CS1 when this stack's `up`
 * starts: this run must refuse at CS1 naming the other run's lease, change nothing, and finish once the other is done.
 */
function twoStacksOnOnePod(): Scenario {
  let other: TestStack | undefined;
  let otherUp: Promise<unknown> | undefined;
  return {
    name: "two stacks on one pod",
    arm: async (p) => {
      const all = await p.stack.stack.getAllConfig();
      other = await p.stack.engine.stack(
        "examples/horizon-pod",
        Object.fromEntries(Object.entries(all).map(([k, v]) => [k.replace(/^horizon-pod:/, ""), { value: v.value, secret: v.secret }])),
      );
      // CS1's installer of three hours of host time (9 s real) keeps the other run on CS1 while this one starts.
      p.lab.inject("cs1", { kind: "slow-installer", seconds: 3 * 3600, operation: INSTALLER_OPERATION, times: 1 });
      otherUp = other.up().catch((e: unknown) => e);
      const deadline = Date.now() + 120_000;
      while (p.lab.lease("cs1")?.stack !== other.stack.name) {
        if (Date.now() > deadline) throw new Error("the other stack never took its lease on CS1");
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    expect: [/CS1 is leased by run \S+ \(stack \S+, project horizon-pod\) since \S+, expires \S+: another run is working on this host/],
    afterFirstUp: (p) =>
      p.lab.audit().filter((e) => e.host === "cs1" && e.operation === INSTALLER_OPERATION).length === 1
        ? []
        : ["a second installer ran on CS1"],
    clear: async () => {
      const r = await otherUp;
      await other?.remove();
      if (r instanceof Error) throw new Error(`the other stack's up failed: ${r.message.slice(0, 300)}`);
    },
  };
}

/** The scenarios `npm test` runs: one of each kind of fault (the full matrix is `npm run reliability`). */
export const TEST_SUBSET = [
  "connection dropped during the installer",
  "a service that will not start",
  "host key changed",
  "maintenance window closes mid-rollout",
  "failed database backup",
  "up cancelled part-way",
  "provider process killed during the installer",
];

/** Whether the checkpoint parses, lists the pod's resources and has no operation left pending. */
function stateProblems(p: PodUnderTest): string[] {
  try {
    const state = JSON.parse(p.stack.stateFileText());
    const latest = state.checkpoint?.latest;
    if (!latest || !Array.isArray(latest.resources)) return ["the checkpoint has no resources list"];
    if (latest.pending_operations?.length)
      return [`pending operations: ${JSON.stringify(latest.pending_operations.map((o: { type: string }) => o.type))}`];
    return [];
  } catch (e) {
    return [`the state file does not parse: ${(e as Error).message}`];
  }
}

type Run = { output: string; events: EngineEvent[] };

/** Runs one scenario on a fresh lab pod and stack. */
export async function runScenario(engine: Engine, scenario: Scenario): Promise<ScenarioResult> {
  const p = await podUnderTest(engine, scenario.config ?? {}, scenario.estate ?? "pod", scenario.lab);
  const runs: Run[] = [];
  const problems: string[] = [];
  try {
    await scenario.arm(p);
    const abort = new AbortController();
    let acted = !scenario.during;
    const watcher = setInterval(() => {
      if (!acted) acted = scenario.during!(p, abort);
    }, 20);
    let failure: unknown;
    try {
      runs.push(await p.stack.up({ signal: abort.signal }));
    } catch (e) {
      failure = e;
      runs.push({ output: (e as Run).output ?? "", events: (e as Run).events ?? [] });
    } finally {
      clearInterval(watcher);
    }
    const text = failure ? errorText(failure) : scenario.succeeds ? errorText(runs[0]) : "";
    const unmatched = scenario.expect.filter((re) => !re.test(text));
    const failedClearly =
      !!failure === !scenario.succeeds && unmatched.length === 0 && acted && (scenario.afterFirstUp?.(p) ?? []).length === 0;
    if (!failure && !scenario.succeeds) problems.push("the first up succeeded");
    if (failure && scenario.succeeds) problems.push(`the first up failed: ${(failure as Error).message.slice(0, 300)}`);
    if (!acted) problems.push("the fault never acted");
    for (const re of unmatched)
      problems.push(
        `the failure does not say ${re}: ${text
          .split("\n")
          .filter((l) => l.includes("[pod1-") || l.includes("rror"))
          .slice(0, 6)
          .join(" / ")}`,
      );
    const stateBad = stateProblems(p);
    problems.push(...stateBad);
    const verified = scenario.afterFirstUp?.(p) ?? [];
    problems.push(...verified);

    await scenario.clear(p);
    let resumed = false;
    try {
      const up = await p.stack.up();
      runs.push(up);
      for (const re of scenario.resumeExpect ?? []) if (!re.test(up.output)) problems.push(`the resuming up does not say ${re}`);
      const behind = p.lab.hostNames().filter((h) => h in TARGETS && version(p.lab, h) !== TARGETS[h]);
      resumed = up.result.summary.result === "succeeded" && behind.length === 0;
      if (behind.length) problems.push(`after the resuming up, still behind: ${behind.join(", ")}`);
    } catch (e) {
      runs.push({ output: (e as Run).output ?? "", events: (e as Run).events ?? [] });
      problems.push(
        `the resuming up failed: ${
          errorText(e)
            .split("\n")
            .find((l) => l.includes("[pod1-")) ?? (e as Error).message.slice(0, 300)
        }`,
      );
    }

    let noopAfter = false;
    const before = p.lab.audit().length;
    try {
      const up = await p.stack.up({ expectNoChanges: true });
      runs.push(up);
      const changed = p.lab
        .audit()
        .slice(before)
        .filter((e) => CHANGING.has(e.operation));
      noopAfter = changed.length === 0;
      if (changed.length) problems.push(`the no-op up changed hosts: ${changed.map((e) => `${e.host}:${e.operation}`).join(", ")}`);
    } catch (e) {
      problems.push(`the up after that was not a no-op: ${(e as Error).message.slice(0, 300)}`);
    }

    problems.push(...(scenario.verify?.(p) ?? []));
    const leaks = secretsFound(p, runs);
    if (leaks.length) problems.push(`secrets found in: ${leaks.join(", ")}`);
    const maxOutOfServicePerGroup = Math.max(...GROUPS.map((g) => p.lab.maxOutOfService(g)));
    if (maxOutOfServicePerGroup > 1)
      problems.push(`${maxOutOfServicePerGroup} servers of one availability group were out of service at once`);
    const runs_ = p.lab
      .hostNames()
      .filter((h) => h in TARGETS)
      .map((h) => [h, p.lab.host(h).state.installers] as const);
    const maxInstallerRunsPerServer = Math.max(0, ...runs_.map(([, list]) => list.length));
    if (scenario.oneInstallerRunPerServer) {
      const wrong = runs_.filter(([, list]) => list.length !== 1);
      if (wrong.length) {
        problems.push(
          `not exactly one installer run per server: ${wrong.map(([h, list]) => `${h} ${list.length} (${list.map((i) => `PID ${i.pid} ${i.state}${i.killedBecause ? `: ${i.killedBecause}` : ""}`).join(", ") || "none"})`).join("; ")}`,
        );
      }
    }
    return {
      name: scenario.name,
      failedClearly,
      maxOutOfServicePerGroup,
      stateValid: stateBad.length === 0 && stateProblems(p).length === 0,
      secretsFound: leaks.length,
      resumed,
      noopAfter,
      maxInstallerRunsPerServer,
      problems,
    };
  } finally {
    await dispose(p);
  }
}
