// The App-V farm end to end: the example program (examples/appv-farm) through the real engine against the lab.
// Needs `npm run build` first (the provider process loads dist/).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { APPV_VERSIONS, type AuditEntry, type Lab, startLab } from "../../lab";
import { CLI_INSTALLERS, stageAndDescribe } from "../../lab/cli";
import { diagnostics, Engine, stepOps, type TestStack } from "../harness/engine";

const PROGRAM = "examples/appv-farm";
const SERVER_TYPE = "pulumi-nodejs:dynamic/appv:AppVServer";
const PREPARATION_TYPE = "pulumi-nodejs:dynamic/appv:AppVFarmPreparation";
const SERVERS = ["appv1", "appv2", "appv3"];
const TARGET_BUILD = APPV_VERSIONS["4.5 SP2"];
const SQL_PASSWORD = "Sql-Backup-Pw-7f3e9c";
const SQL_USER = "appv-backup-login";
/** Operations that change a host. */
const MUTATING = new Set([
  "Set-ServiceState",
  "Start-Installer",
  "Invoke-SqlBackup",
  "Invoke-Hook",
  "Invoke-Vdmadmin",
  "Set-PairingPassword",
  "Invoke-PrepareSecurityServer",
]);

/**
 * What a person sees: diagnostics above debug severity and the CLI's output. (Debug-severity diagnostics carry the
 * SDK's own RPC traces, shown only with `--debug`/`-v`; see the report.)
 */
function visibleText(run: { events: any[]; output: string }): string {
  const shown = run.events.filter((e) => e.diagnosticEvent && e.diagnosticEvent.severity !== "debug").map((e) => e.diagnosticEvent.message);
  return `${shown.join("\n")}\n${run.output}`;
}

interface Setup {
  lab: Lab;
  stack: TestStack;
  dir: string;
  passwords: string[];
}

async function setUp(
  engine: Engine,
  version: string,
  extraConfig: Record<string, { value: string; secret?: boolean }> = {},
  servers: { name: string; role: "management" | "streaming" | "management-service" | "console" }[] = [
    { name: "appv1", role: "management" },
    { name: "appv2", role: "management" },
    { name: "appv3", role: "streaming" },
  ],
): Promise<Setup> {
  const lab = await startLab({
    timeFactor: 1200,
    farms: [
      {
        name: "farm1",
        sql: "sql1",
        database: "APPVIRT",
        logins: [{ user: SQL_USER, password: SQL_PASSWORD }],
        servers: servers.map((s) => ({ ...s, version })),
      },
    ],
  });
  // Stages the 4.5 SP2 setup on every App-V host (lab.addInstaller) and describes the lab as `npm run lab` does.
  const description = stageAndDescribe(lab);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vdi-appv-"));
  const inventory = path.join(dir, "lab.json");
  fs.writeFileSync(inventory, JSON.stringify(description), { mode: 0o600 });
  const stack = await engine.stack(PROGRAM, {
    inventory: { value: inventory },
    targetVersion: { value: "4.5 SP2" },
    timeBudgetMinutes: { value: "240" },
    sqlUser: { value: SQL_USER, secret: true },
    sqlPassword: { value: SQL_PASSWORD, secret: true },
    ...extraConfig,
  });
  const passwords = Object.values(description.hosts)
    .map((h) => h.password!)
    .filter(Boolean);
  return { lab, stack, dir, passwords };
}

async function tearDown(s: Setup | undefined): Promise<void> {
  if (!s) return;
  await s.stack.remove().catch(() => undefined);
  await s.lab.stop();
  fs.rmSync(s.dir, { recursive: true, force: true });
}

function version(lab: Lab, host: string): string | undefined {
  return lab.host(host).state.products[0]?.displayVersion;
}

function primaryStatus(lab: Lab, host: string): string | undefined {
  return lab.host(host).state.services.find((s) => s.primary)?.status;
}

function mutating(audit: readonly AuditEntry[]): AuditEntry[] {
  return audit.filter((e) => MUTATING.has(e.operation));
}

function stopOf(e: AuditEntry): boolean {
  return e.operation === "Set-ServiceState" && (e.params as { state?: string }).state === "Stopped";
}

async function failure(run: Promise<unknown>): Promise<{ message: string; text: string }> {
  try {
    await run;
  } catch (err: any) {
    const text = `${err.message ?? ""}\n${err.output ?? ""}\n${diagnostics(err.events ?? []).join("\n")}`;
    return { message: String(err.message ?? err), text };
  }
  assert.fail("the operation should have failed");
}

describe("AppVFarm through the real engine against the lab", function () {
  this.timeout(600_000);
  let engine: Engine;

  before(async function () {
    engine = await Engine.open();
  });

  after(async function () {
    await engine?.dispose();
  });

  describe("a 4.1 SP1 farm of two management servers and a streaming server", function () {
    let s: Setup;
    before(async function () {
      s = await setUp(engine, APPV_VERSIONS["4.1 SP1"]);
    });
    after(async function () {
      await tearDown(s);
    });

    it("previews each server's live and target version and the farm's plan in order, changing nothing", async function () {
      const { result, events } = await s.stack.preview();
      assert.equal(result.changeSummary.create, 7); // stack, component, preparation, 3 servers, completion
      const text = diagnostics(events).join("\n");
      for (const name of SERVERS)
        assert.match(text, new RegExp(`\\[farm1-${name}\\] APPV${name.slice(-1)}: 4\\.1 SP1 \\(4\\.1\\.1\\.1\\) -> 4\\.5 SP2`));
      assert.match(
        text,
        /stop-services on APPV1[\s\S]*stop-services on APPV2[\s\S]*stop-services on APPV3[\s\S]*backup-database on SQL1[\s\S]*verify-backup on SQL1/,
      );
      assert.match(
        text,
        /appv1 management: 4\.1 SP1 -> 4\.5 SP2 \(upgrades the database schema\), first[\s\S]*appv2 management[\s\S]*after appv1[\s\S]*appv3 streaming[\s\S]*after appv2/,
      );
      assert.deepEqual(mutating(s.lab.audit()), []);
      assert.ok(!text.includes(SQL_PASSWORD));
    });

    let upText = "";

    it("stops every service and takes one verified backup before the first setup, then upgrades all three", async function () {
      const run = await s.stack.up();
      const { result, events } = run;
      upText = visibleText(run);
      assert.equal(result.summary.result, "succeeded");
      for (const name of SERVERS) {
        assert.equal(version(s.lab, name), TARGET_BUILD, `${name} version`);
        assert.equal(primaryStatus(s.lab, name), "Running", `${name} service`);
      }
      assert.equal(s.lab.database("sql1", "APPVIRT").schemaVersion, TARGET_BUILD);
      const audit = s.lab.audit();
      const firstInstall = audit.findIndex((e) => e.operation === "Start-Installer");
      assert.ok(firstInstall > 0);
      const before = audit.slice(0, firstInstall);
      for (const name of SERVERS)
        assert.ok(
          before.some((e) => e.host === name && stopOf(e)),
          `${name} stopped before the first setup`,
        );
      assert.deepEqual(before.filter((e) => e.operation === "Invoke-SqlBackup").length, 1);
      assert.deepEqual(before.filter((e) => e.operation === "Test-SqlBackup").length, 1);
      assert.ok(
        before.findIndex((e) => e.operation === "Invoke-SqlBackup") > before.findIndex((e) => e.host === "appv3" && stopOf(e)),
        "backup after the quiesce",
      );
      assert.equal(audit[firstInstall].host, "appv1");
      // Each server serves again right after its own setup ("How to Upgrade the Servers and System Components"), not when the whole farm is done.
      const appv2Install = audit.find((e) => e.operation === "Start-Installer" && e.host === "appv2")!;
      const appv1Back = s.lab.timeline().find((e) => e.host === "appv1" && e.primary && e.to === "Running");
      assert.ok(appv1Back && appv1Back.atMs <= Date.parse(appv2Install.simTime), "appv1 served again before appv2's setup started");
      const appv3Back = s.lab.timeline().find((e) => e.host === "appv3" && e.primary && e.to === "Running")!;
      assert.ok(
        appv3Back.atMs >= Date.parse(audit.find((e) => e.operation === "Start-Installer" && e.host === "appv3")!.simTime),
        "appv3 stayed stopped until its turn",
      );
      assert.equal(audit.filter((e) => e.operation === "Start-Installer").length, 3);
      assert.deepEqual(stepOps(events, SERVER_TYPE), { "farm1-appv1": "create", "farm1-appv2": "create", "farm1-appv3": "create" });
      const outputs = result.outputs.farms.value as { farm1: { versions: Record<string, string>; backupPath: string } };
      assert.equal(outputs.farm1.backupPath, "C:\\Backup\\APPVIRT-before-4.5-SP2.bak");
      assert.deepEqual(Object.values(outputs.farm1.versions), [TARGET_BUILD, TARGET_BUILD, TARGET_BUILD]);
    });

    it("keeps the SQL login and the SSH passwords out of the state file, the outputs and the logs", async function () {
      const state = s.stack.stateFileText();
      for (const secret of [SQL_PASSWORD, SQL_USER, ...s.passwords]) {
        assert.ok(!state.includes(secret), "a secret is in plaintext state");
      }
      assert.ok(state.includes("ciphertext"), "secrets are stored encrypted");
      assert.match(upText, /\[farm1-preparation\] step 4\/5 backup-database on SQL1: done/);
      for (const secret of [SQL_PASSWORD, SQL_USER, ...s.passwords]) {
        assert.ok(!upText.includes(secret), "a secret is in the progress lines or the CLI output");
      }
      const backup = s.lab.audit().find((e) => e.operation === "Invoke-SqlBackup")!;
      assert.ok(!JSON.stringify(backup.params).includes(SQL_PASSWORD));
      assert.equal(
        (backup.params as { secrets?: { sqlPassword?: string } }).secrets?.sqlPassword,
        "***",
        "the login reached the SQL host as a secret",
      );
    });

    it("gives the database administrative credentials to the setup that upgrades the schema only, as secrets", async function () {
      const installs = s.lab.audit().filter((e) => e.operation === "Start-Installer");
      const secretsOf = (host: string) => (installs.find((e) => e.host === host)!.params as { secrets?: Record<string, string> }).secrets;
      assert.deepEqual(secretsOf("appv1"), { dbAdminUser: "***", dbAdminPassword: "***" });
      assert.equal(secretsOf("appv2"), undefined);
      assert.equal(secretsOf("appv3"), undefined);
      const log = Object.values(s.lab.host("appv1").state.files).find((f) => /vdi-upgrade-farm1-appv1\.log$/.test(f.path))!.content!;
      assert.match(log, /Database upgraded: schema of APPVIRT is now 4\.5\.2\.17140/);
      assert.ok(!log.includes(SQL_PASSWORD), "the password is in the setup's log");
    });

    it("changes nothing on a second up", async function () {
      const seen = s.lab.audit().length;
      const { result, events } = await s.stack.up({ expectNoChanges: true });
      assert.equal(result.summary.result, "succeeded");
      assert.deepEqual(stepOps(events, SERVER_TYPE), { "farm1-appv1": "same", "farm1-appv2": "same", "farm1-appv3": "same" });
      assert.equal(stepOps(events, PREPARATION_TYPE)["farm1-preparation"], "same");
      assert.deepEqual(mutating(s.lab.audit().slice(seen)), []);
    });

    it("refreshes through read, finds no drift and changes nothing", async function () {
      const seen = s.lab.audit().length;
      const { result, events } = await s.stack.refresh();
      assert.equal(result.summary.result, "succeeded");
      assert.deepEqual(stepOps(events, SERVER_TYPE), { "farm1-appv1": "same", "farm1-appv2": "same", "farm1-appv3": "same" });
      assert.deepEqual(mutating(s.lab.audit().slice(seen)), []);
      await s.stack.up({ expectNoChanges: true });
    });
  });

  describe("a farm upgraded with order parallel-after-first", function () {
    let s: Setup;
    before(async function () {
      s = await setUp(engine, APPV_VERSIONS["4.1 SP1"], { order: { value: "parallel-after-first" } });
    });
    after(async function () {
      await tearDown(s);
    });

    it("upgrades the first server alone, then the others once the schema is upgraded", async function () {
      const { result } = await s.stack.up();
      assert.equal(result.summary.result, "succeeded");
      for (const name of SERVERS) assert.equal(version(s.lab, name), TARGET_BUILD, `${name} version`);
      const installs = s.lab.audit().filter((e) => e.operation === "Start-Installer");
      assert.equal(installs[0].host, "appv1");
      const firstEnd = Date.parse(installs[0].simEndTime!);
      for (const later of installs.slice(1))
        assert.ok(Date.parse(later.simTime) >= firstEnd, `${later.host} started after appv1's setup ended`);
      // The two others work at the same time: the third's reads and setup interleave with the second's setup.
      const second = installs[1];
      const other = second.host === "appv2" ? "appv3" : "appv2";
      const during = s.lab
        .audit()
        .filter(
          (e) =>
            e.host === other &&
            Date.parse(e.simTime) > Date.parse(second.simTime) &&
            Date.parse(e.simTime) < Date.parse(second.simEndTime!),
        );
      assert.ok(during.length > 0, `${other} did nothing while ${second.host}'s setup ran`);
      assert.equal(s.lab.audit().filter((e) => e.operation === "Invoke-SqlBackup").length, 1);
    });
  });

  describe("a farm whose operator waived the backup", function () {
    let s: Setup;
    before(async function () {
      s = await setUp(engine, APPV_VERSIONS["4.1 SP1"], {
        backupWaiveReason: { value: "restore tested from the nightly backup taken at 02:00" },
      });
    });
    after(async function () {
      await tearDown(s);
    });

    it("still stops every service first, takes no backup, and upgrades the farm", async function () {
      const { result } = await s.stack.up();
      assert.equal(result.summary.result, "succeeded");
      const audit = s.lab.audit();
      assert.equal(audit.filter((e) => e.operation === "Invoke-SqlBackup" || e.operation === "Test-SqlBackup").length, 0);
      const firstInstall = audit.findIndex((e) => e.operation === "Start-Installer");
      for (const name of SERVERS)
        assert.ok(
          audit.slice(0, firstInstall).some((e) => e.host === name && stopOf(e)),
          `${name} stopped first`,
        );
      for (const name of SERVERS) assert.equal(version(s.lab, name), TARGET_BUILD);
    });
  });

  describe("a 4.0 SP1 farm", function () {
    let s: Setup;
    before(async function () {
      s = await setUp(engine, APPV_VERSIONS["4.0 SP1"]);
    });
    after(async function () {
      await tearDown(s);
    });

    it("is refused at preview, naming targetVersion and the fix, before anything changes", async function () {
      const { text } = await failure(s.stack.preview());
      assert.match(
        text,
        /\[targetVersion\] 4\.5 SP2 cannot be reached from 4\.0 SP1: App-V 4\.0 SP1 must first be upgraded to 4\.1 or 4\.1 SP1\./,
      );
      assert.deepEqual(mutating(s.lab.audit()), []);
    });
  });

  describe("a farm whose third server has a tampered setup", function () {
    let s: Setup;
    before(async function () {
      s = await setUp(engine, APPV_VERSIONS["4.1 SP1"]);
      // Replaces the staged file with a copy whose SHA-256 differs from the vendor's (and from the inventory's).
      s.lab.addInstaller("appv3", { path: CLI_INSTALLERS.appv, product: "appv-server", version: TARGET_BUILD, genuine: false });
    });
    after(async function () {
      await tearDown(s);
    });

    it("shows the farm blocked in preview and stops no service on up", async function () {
      const preview = await s.stack.preview();
      assert.match(
        diagnostics(preview.events).join("\n"),
        /blocked \(server-not-ready: not every server can be upgraded, so no service is stopped: appv3: /,
      );
      // The code is an output too, for a pipeline to gate on, as Horizon's is.
      const farm = preview.events.map((e: any) => e.resOutputsEvent?.metadata).find((m: any) => m?.urn?.endsWith("::farm1-preparation"));
      assert.equal(farm?.new?.outputs?.blockedCode, "server-not-ready");
      const { text } = await failure(s.stack.up());
      assert.match(
        text,
        /\[farm1-preparation\] farm farm1: server-not-ready: .*appv3: .*replace the file with the vendor's or correct installer\.sha256\. Nothing was changed/,
      );
      assert.deepEqual(mutating(s.lab.audit()), []);
      for (const name of SERVERS) assert.equal(primaryStatus(s.lab, name), "Running");
    });
  });

  describe("a backup that does not verify", function () {
    let s: Setup;
    before(async function () {
      s = await setUp(engine, APPV_VERSIONS["4.1 SP1"]);
    });
    after(async function () {
      await tearDown(s);
    });

    it("stops before any setup runs and says which servers are stopped and how to start them", async function () {
      s.lab.inject("sql1", { kind: "backup-invalid", operation: "Invoke-SqlBackup" });
      const { text } = await failure(s.stack.up());
      const audit = s.lab.audit();
      assert.equal(audit.filter((e) => e.operation === "Start-Installer").length, 0);
      assert.equal(audit.filter((e) => e.operation === "Test-SqlBackup").length, 1);
      assert.match(text, /RESTORE VERIFYONLY rejected C:\\Backup\\APPVIRT-before-4\.5-SP2\.bak/);
      assert.match(text, /NOT verified/);
      assert.match(text, /the schema is not upgraded/);
      assert.match(text, /stopped: appv1, appv2, appv3/);
      assert.match(
        text,
        /appv1: 4\.1 SP1 \(4\.1\.1\.1\), service Stopped; appv2: 4\.1 SP1 \(4\.1\.1\.1\), service Stopped; appv3: 4\.1 SP1 \(4\.1\.1\.1\), service Stopped/,
      );
      assert.match(text, /appv1: Start-Service -DisplayName 'Application Virtualization Management Server'/);
      assert.match(text, /appv3: Start-Service -DisplayName 'Application Virtualization Streaming Server'/);
      for (const name of SERVERS) assert.equal(version(s.lab, name), APPV_VERSIONS["4.1 SP1"]);
      assert.ok(!text.includes(SQL_PASSWORD));
    });
  });

  describe("a farm with a Management Web Service on an IIS that serves other sites", function () {
    let s: Setup;
    before(async function () {
      s = await setUp(engine, APPV_VERSIONS["4.1 SP1"], {}, [
        { name: "appv1", role: "management" },
        { name: "appv4", role: "management-service" },
      ]);
    });
    after(async function () {
      await tearDown(s);
    });

    it("names the App-V application pool, found live, in preview", async function () {
      const { events } = await s.stack.preview();
      const text = diagnostics(events).join("\n");
      assert.match(text, /stop-services on APPV4: stop "IIS application pool 'AppVirtManagementService'" on appv4/);
      assert.deepEqual(mutating(s.lab.audit()), []);
    });

    it("stops and starts only that pool: IIS and its other sites keep running", async function () {
      const { result } = await s.stack.up();
      assert.equal(result.summary.result, "succeeded");
      assert.equal(version(s.lab, "appv4"), TARGET_BUILD);
      const web = s.lab.timeline().filter((e) => e.host === "appv4");
      assert.deepEqual(
        web.filter((e) => e.service !== "AppPool:AppVirtManagementService"),
        [],
        "IIS or another site changed",
      );
      assert.deepEqual(
        web.map((e) => e.to),
        ["Stopped", "Running"],
      );
      const firstInstall = s.lab.audit().findIndex((e) => e.operation === "Start-Installer");
      assert.ok(Date.parse(web[0].at) <= Date.parse(s.lab.audit()[firstInstall].simTime), "the pool was stopped before the schema upgrade");
      const iis = s.lab.host("appv4").state;
      assert.equal(iis.services.find((x) => x.name === "W3SVC")?.status, "Running");
      assert.deepEqual(iis.iis?.pools, { DefaultAppPool: "Started", AppVirtManagementService: "Started", IntranetAppPool: "Started" });
    });
  });

  describe("a farm with a Management Console host", function () {
    let s: Setup;
    before(async function () {
      s = await setUp(engine, APPV_VERSIONS["4.1 SP1"], {}, [
        { name: "appv1", role: "management" },
        { name: "appv3", role: "streaming" },
        { name: "con1", role: "console" },
      ]);
    });
    after(async function () {
      await tearDown(s);
    });

    it("upgrades the console host after every server, and never stops anything on it with them", async function () {
      const { result, events } = await s.stack.up();
      assert.equal(result.summary.result, "succeeded");
      for (const name of ["appv1", "appv3", "con1"]) assert.equal(version(s.lab, name), TARGET_BUILD, `${name} version`);
      const installs = s.lab.audit().filter((e) => e.operation === "Start-Installer");
      const consoleInstall = installs.find((e) => e.host === "con1")!;
      for (const server of installs.filter((e) => e.host !== "con1")) {
        assert.ok(
          Date.parse(server.simEndTime!) <= Date.parse(consoleInstall.simTime),
          `${server.host}'s setup ended before the console's started`,
        );
      }
      assert.deepEqual(
        s.lab.audit().filter((e) => e.host === "con1" && e.operation === "Set-ServiceState"),
        [],
      );
      assert.doesNotMatch(diagnostics(events).join("\n"), /stop-services on CON1/);
      assert.equal(stepOps(events, SERVER_TYPE)["farm1-con1"], "create");
    });
  });

  describe("a farm whose only database member is the Management Web Service", function () {
    let s: Setup;
    before(async function () {
      s = await setUp(engine, APPV_VERSIONS["4.1 SP1"], {}, [
        { name: "appv3", role: "streaming" },
        { name: "web1", role: "management-service" },
      ]);
    });
    after(async function () {
      await tearDown(s);
    });

    it("upgrades the data store through the web service's setup, first", async function () {
      const { events } = await s.stack.preview();
      assert.match(diagnostics(events).join("\n"), /web1 management-service: 4\.1 SP1 -> 4\.5 SP2 \(upgrades the database schema\), first/);
      const { result } = await s.stack.up();
      assert.equal(result.summary.result, "succeeded");
      const installs = s.lab.audit().filter((e) => e.operation === "Start-Installer");
      assert.equal(installs[0].host, "web1");
      assert.deepEqual((installs[0].params as { secrets?: Record<string, string> }).secrets, {
        dbAdminUser: "***",
        dbAdminPassword: "***",
      });
      assert.equal(s.lab.database("sql1", "APPVIRT").schemaVersion, TARGET_BUILD);
      for (const name of ["appv3", "web1"]) assert.equal(version(s.lab, name), TARGET_BUILD);
    });
  });

  describe("a maintenance window that covers one server's budget but not the farm's", function () {
    let s: Setup;
    before(async function () {
      s = await setUp(engine, APPV_VERSIONS["4.1 SP1"]);
      // 240 minutes per server (setUp), three servers: the farm needs 720; the window has 300 left.
      const now = s.lab.now().getTime();
      await s.stack.stack.setConfig("maintenanceWindow", {
        value: JSON.stringify({ start: new Date(now - 3600_000).toISOString(), end: new Date(now + 300 * 60_000).toISOString() }),
      });
    });
    after(async function () {
      await tearDown(s);
    });

    it("is refused at preview and at up, naming the farm's budget, before any service stops", async function () {
      const { text } = await failure(s.stack.preview());
      assert.match(
        text,
        /\[maintenanceWindow\] farm farm1: .*closes at \S+, less than the 720-minute time budget of the farm \(3 servers below the target, 240 minutes each\)/,
      );
      const up = await failure(s.stack.up());
      assert.match(up.text, /720-minute time budget of the farm/);
      assert.deepEqual(mutating(s.lab.audit()), []);
      for (const name of SERVERS) assert.equal(primaryStatus(s.lab, name), "Running");
    });
  });

  describe("a maintenance window that closes once the schema is upgraded", function () {
    let s: Setup;
    before(async function () {
      s = await setUp(engine, APPV_VERSIONS["4.1 SP1"]);
    });
    /** Open for 24 hours from now (host clock): the farm's 720 minutes fit with room for the lab's running clock. */
    async function openWindow(): Promise<void> {
      const now = s.lab.now().getTime();
      await s.stack.stack.setConfig("maintenanceWindow", {
        value: JSON.stringify({ start: new Date(now - 3600_000).toISOString(), end: new Date(now + 24 * 3600_000).toISOString() }),
      });
    }
    after(async function () {
      await tearDown(s);
    });

    it("says in preview that the rollout runs to the end once the schema is upgraded", async function () {
      await openWindow();
      const { events } = await s.stack.preview();
      const text = diagnostics(events).join("\n");
      assert.match(text, /\[farm1-preparation\] .*maintenance window .* closes at \S+: the farm's 720-minute budget fits/);
      assert.match(text, /once appv1 has upgraded the schema, the rollout runs to the end even if the window closes/);
    });

    it("finishes the farm when the window closes after the first server, and reports the overrun", async function () {
      // The window closes (host clock) as soon as appv1's setup has upgraded the schema.
      await openWindow();
      let advanced = false;
      const watcher = setInterval(() => {
        if (!advanced && s.lab.host("appv1").state.installers.some((i) => i.state === "exited" && i.exitCode === 0)) {
          s.lab.advance(48 * 3600);
          advanced = true;
        }
      }, 20);
      let run;
      try {
        run = await s.stack.up();
      } finally {
        clearInterval(watcher);
      }
      assert.ok(advanced, "the window never closed during the run");
      assert.equal(run.result.summary.result, "succeeded");
      for (const name of SERVERS) {
        assert.equal(version(s.lab, name), TARGET_BUILD, `${name} version`);
        assert.equal(primaryStatus(s.lab, name), "Running", `${name} service`);
      }
      const text = visibleText(run);
      assert.match(
        text,
        /\[farm1-appv2\] overrun: the maintenance window .* is closed at \S+ .*; going on because the schema of SQL1\/APPVIRT was upgraded by appv1/,
      );
      assert.match(text, /\[farm1-completion\] farm farm1 finished at \S+, after the maintenance window closed: the rollout overran it/);
    });
  });

  describe("users still streaming from a server", function () {
    let s: Setup;
    before(async function () {
      s = await setUp(engine, APPV_VERSIONS["4.1 SP1"], { userSessionsDrainMinutes: { value: "480" } });
    });
    after(async function () {
      await tearDown(s);
    });

    it("are reported per server in preview", async function () {
      s.lab.openClientSessions("appv1", [{ remoteAddress: "10.0.0.5" }, { remoteAddress: "10.0.0.6" }]);
      const { events } = await s.stack.preview();
      const text = diagnostics(events).join("\n");
      assert.match(text, /active client connections: appv1 2 \(10\.0\.0\.5, 10\.0\.0\.6\), appv2 0, appv3 0/);
      assert.match(text, /drain-sessions on APPV1: wait up to 480 min for 2 client connection\(s\) on appv1 to end/);
    });

    it("are waited for: up stops the server only once they have ended", async function () {
      s.lab.host("appv1").state.clientSessions.open.splice(0);
      // Four hours of the lab's clock: the users log off while up waits.
      s.lab.openClientSessions("appv1", [
        { remoteAddress: "10.0.0.5", endsAfterSimSeconds: 4 * 3600 },
        { remoteAddress: "10.0.0.6", endsAfterSimSeconds: 4 * 3600 },
      ]);
      const { result } = await s.stack.up();
      assert.equal(result.summary.result, "succeeded");
      assert.equal(s.lab.host("appv1").state.clientSessions.dropped, 0, "a user lost a session");
      for (const name of SERVERS) assert.equal(version(s.lab, name), TARGET_BUILD);
    });
  });

  describe("users who stay connected past the declared wait", function () {
    let s: Setup;
    before(async function () {
      s = await setUp(engine, APPV_VERSIONS["4.1 SP1"], { userSessionsDrainMinutes: { value: "30" } });
      s.lab.openClientSessions("appv2", [{ remoteAddress: "10.0.0.7" }]);
    });
    after(async function () {
      await tearDown(s);
    });

    it("make up refuse before any service stops", async function () {
      const { text } = await failure(s.stack.up());
      assert.match(
        text,
        /\[farm1-preparation\] step 1\/\d+ drain-sessions on APPV2 failed: 1 client connection\(s\) still active on appv2 after 30 min \(10\.0\.0\.7\); no service was stopped/,
      );
      assert.deepEqual(mutating(s.lab.audit()), []);
      assert.equal(s.lab.host("appv2").state.clientSessions.dropped, 0);
    });

    it("are cut once the operator declares the farm may proceed", async function () {
      await s.stack.stack.setConfig("userSessionsProceed", { value: "true" });
      const { result } = await s.stack.up();
      assert.equal(result.summary.result, "succeeded");
      assert.equal(s.lab.host("appv2").state.clientSessions.dropped, 1);
      for (const name of SERVERS) assert.equal(version(s.lab, name), TARGET_BUILD);
    });
  });

  describe("a server on the database that the program does not declare", function () {
    let s: Setup;
    before(async function () {
      s = await setUp(engine, APPV_VERSIONS["4.1 SP1"]);
      s.lab.addDatabaseSession("sql1", "APPVIRT", { hostName: "APPV9", programName: "Application Virtualization Management Server" });
    });
    after(async function () {
      await tearDown(s);
    });

    it("blocks the farm at preview and at up, naming the host, before any service stops", async function () {
      const { text } = await failure(s.stack.preview());
      assert.match(
        text,
        /\[servers\] farm farm1: APPV9 \(Application Virtualization Management Server\) holds a session on SQL1\/APPVIRT but is not a server of this farm/,
      );
      const up = await failure(s.stack.up());
      assert.match(up.text, /\[servers\] farm farm1: APPV9/);
      assert.deepEqual(mutating(s.lab.audit()), []);
      for (const name of SERVERS) assert.equal(primaryStatus(s.lab, name), "Running");
    });

    it("goes ahead once that session is gone, the declared servers' own sessions notwithstanding", async function () {
      s.lab.clearDatabaseSessions("sql1", "APPVIRT");
      const { events } = await s.stack.preview();
      assert.doesNotMatch(diagnostics(events).join("\n"), /not a server of this farm/);
    });
  });

  describe("database administrative credentials that SQL refuses", function () {
    let s: Setup;
    const WRONG = "not-the-Sql-Pw-41";
    before(async function () {
      s = await setUp(engine, APPV_VERSIONS["4.1 SP1"], { sqlPassword: { value: WRONG, secret: true } });
    });
    after(async function () {
      await tearDown(s);
    });

    it("are refused at preview and at up, naming the property, before any service stops", async function () {
      const { text } = await failure(s.stack.preview());
      assert.match(
        text,
        /\[database\.sqlPassword\] farm farm1: the database administrative credentials cannot log in to SQL1: .*Login failed for user .*; correct database\.sqlUser or database\.sqlPassword/,
      );
      const up = await failure(s.stack.up());
      assert.match(up.text, /\[database\.sqlPassword\] farm farm1: the database administrative credentials cannot log in to SQL1/);
      assert.deepEqual(mutating(s.lab.audit()), []);
      for (const name of SERVERS) assert.equal(primaryStatus(s.lab, name), "Running");
      for (const secret of [WRONG, SQL_PASSWORD]) assert.ok(!`${text}\n${up.text}`.includes(secret), "a password is in the failure");
    });
  });

  describe("a setup that fails on the second server", function () {
    let s: Setup;
    before(async function () {
      s = await setUp(engine, APPV_VERSIONS["4.1 SP1"]);
    });
    after(async function () {
      await tearDown(s);
    });

    it("stops with the farm's exact state", async function () {
      s.lab.inject("appv2", { kind: "exit-code", exitCode: 1603, operation: "Start-Installer", times: 1 });
      const { text } = await failure(s.stack.up());
      assert.equal(version(s.lab, "appv1"), TARGET_BUILD);
      assert.equal(version(s.lab, "appv2"), APPV_VERSIONS["4.1 SP1"]);
      assert.equal(version(s.lab, "appv3"), APPV_VERSIONS["4.1 SP1"]);
      assert.match(text, /\[farm1-appv2\] step 2\/4 install on APPV2 failed: the setup exited with 1603/);
      assert.match(text, /the verified backup is C:\\Backup\\APPVIRT-before-4\.5-SP2\.bak/i);
      assert.match(text, /the schema of SQL1\/APPVIRT was upgraded by appv1/);
      // Each server's version and service state.
      assert.match(text, /appv1: 4\.5 SP2 \(4\.5\.2\.17140\), service Running \(upgraded\)/);
      assert.match(text, /appv2: 4\.1 SP1 \(4\.1\.1\.1\), service Stopped \(read after the failure\)/);
      assert.match(text, /appv3: 4\.1 SP1 \(4\.1\.1\.1\) when prepared, service Stopped by the preparation until its turn/);
      assert.match(text, /To resume: fix the cause, then run `pulumi up`/);
      // Rollback in the order of "How to Upgrade the Servers and System Components": every management server stopped, the verified backup restored, then the servers.
      const back = /To roll back instead[\s\S]*/.exec(text)?.[0] ?? "";
      assert.match(
        back,
        /1\) stop the App-V service on every management server connected to SQL1\/APPVIRT: appv1: Stop-Service -DisplayName 'Application Virtualization Management Server'; appv2: Stop-Service -DisplayName 'Application Virtualization Management Server'; 2\) restore the verified backup on SQL1: sqlcmd -S SQL1 -E -b -Q "RESTORE DATABASE \[APPVIRT\] FROM DISK = N'C:\\Backup\\APPVIRT-before-4\.5-SP2\.bak' WITH REPLACE"[^;]*; 3\) appv1 already runs the new version/,
      );
      assert.match(
        back,
        /keep their service stopped: appv1: Get-Service -DisplayName 'Application Virtualization Management Server' \| Stop-Service -PassThru \| Set-Service -StartupType Disabled/,
      );
      assert.match(
        back,
        /only then start the servers still on the old version: appv2: Start-Service -DisplayName 'Application Virtualization Management Server'; appv3: Start-Service -DisplayName 'Application Virtualization Streaming Server'/,
      );
      assert.doesNotMatch(text, /WITH REPLACE\) and start them/, "never restore and start while a 4.5 server runs");
      assert.equal(primaryStatus(s.lab, "appv2"), "Stopped");
      assert.equal(primaryStatus(s.lab, "appv3"), "Stopped");
    });

    it("resumes on the next up without a second backup and finishes the farm", async function () {
      const seen = s.lab.audit().length;
      const { result, events } = await s.stack.up();
      assert.equal(result.summary.result, "succeeded");
      for (const name of SERVERS) {
        assert.equal(version(s.lab, name), TARGET_BUILD, `${name} version`);
        assert.equal(primaryStatus(s.lab, name), "Running", `${name} service`);
      }
      const resumed = s.lab.audit().slice(seen);
      assert.deepEqual(
        resumed.filter((e) => e.operation === "Start-Installer").map((e) => e.host),
        ["appv2", "appv3"],
      );
      assert.equal(resumed.filter((e) => e.operation === "Invoke-SqlBackup").length, 0);
      assert.equal(stepOps(events, SERVER_TYPE)["farm1-appv1"], "same");
    });
  });
});
