import * as assert from "node:assert/strict";
import {
  type AppVDatabaseFacts,
  type AppVHostFacts,
  type AppVMemberFacts,
  describeFarmOrder,
  farmBudget,
  farmWindowVerdict,
  planAppVFarm,
  planAppVFarmCompletion,
  planAppVServer,
  schemaServerOf,
  schemaUpgraded,
} from "../../provider/upgrade/appvPlan";

const SHA = "a".repeat(64);
const SETUP = "C:\\Installers\\AppV-4.5-SP2\\setup.exe";
const intent = {
  targetVersion: "4.5 SP2",
  installerPath: SETUP,
  installerSha256: SHA,
  service: "Application Virtualization Management Server",
};

function host(over: Partial<AppVHostFacts> = {}): AppVHostFacts {
  return {
    host: "APPV1",
    reachable: true,
    isAdmin: true,
    user: "appv1\\administrator",
    hostNow: "2024-01-08T08:00:00Z",
    liveVersion: "4.1.1.1",
    serviceStatus: "Running",
    serviceDisplayName: "Application Virtualization Management Server",
    installer: { exists: true, sha256: SHA },
    ...over,
  };
}

function member(name: string, over: Partial<AppVMemberFacts> = {}): AppVMemberFacts {
  const role = over.role ?? "management";
  const service = role === "streaming" ? "Application Virtualization Streaming Server" : "Application Virtualization Management Server";
  return { ...host({ host: name.toUpperCase(), serviceDisplayName: service }), name, role, service, ...over };
}

const db = (over: Partial<AppVDatabaseFacts> = {}): AppVDatabaseFacts => ({
  label: "SQL1/APPVIRT",
  reachable: true,
  schemaVersion: "4.1.1.1",
  ...over,
});
const farmIntent = { targetVersion: "4.5 SP2", backupPath: "C:\\Backup\\APPVIRT.bak", sqlHost: "SQL1" };
const names = (plan: { steps: { name: string; host: string }[] }) => plan.steps.map((s) => `${s.name}@${s.host}`);

describe("planAppVServer", () => {
  it("plans preflight, the setup, the service and the version for a server below the target", () => {
    const plan = planAppVServer(host(), intent);
    assert.deepEqual(names(plan), ["preflight@APPV1", "install@APPV1", "wait-service@APPV1", "verify-version@APPV1"]);
    assert.equal(plan.blocked, undefined);
    assert.match(plan.steps[1].detail, /4\.1 SP1 -> 4\.5 SP2/);
  });

  it("plans nothing for a server at the target whose service runs", () => {
    assert.deepEqual(planAppVServer(host({ liveVersion: "4.5.2.17140" }), intent), { steps: [] });
  });

  it("only starts the service of a server at the target whose service is stopped", () => {
    assert.deepEqual(names(planAppVServer(host({ liveVersion: "4.5.2.17140", serviceStatus: "Stopped" }), intent)), [
      "start-service@APPV1",
    ]);
  });

  const blocked: Array<[string, Partial<AppVHostFacts>, string]> = [
    ["an unreachable host", { reachable: false, unreachableReason: "connection refused" }, "host-unreachable"],
    ["a host without the product", { liveVersion: undefined }, "not-installed"],
    ["a version that does not parse", { liveVersion: "banana" }, "live-version-unparseable"],
    ["a host on a newer service pack", { liveVersion: "4.5.2.17140" }, "service-pack-downgrade"],
    ["a host on a newer release", { liveVersion: "4.5.2.17140" }, "downgrade"],
    ["a 4.0 host", { liveVersion: "4.0.1.1850" }, "upgrade-path-unsupported"],
    ["a non-administrator", { isAdmin: false }, "not-admin"],
    ["a missing setup", { installer: { exists: false } }, "installer-missing"],
    ["a setup whose hash differs", { installer: { exists: true, sha256: "b".repeat(64) } }, "installer-hash-mismatch"],
  ];
  for (const [what, facts, code] of blocked) {
    it(`blocks ${what} (${code})`, () => {
      // The planner refuses with the same rule rows (and codes) as check: provider/versions/rules.ts.
      const target =
        code === "service-pack-downgrade"
          ? { ...intent, targetVersion: "4.5 SP1" }
          : code === "downgrade"
            ? { ...intent, targetVersion: "4.1 SP1" }
            : intent;
      assert.equal(planAppVServer(host(facts), target).blocked?.code, code);
    });
  }
});

describe("planAppVFarm", () => {
  const farm = () => [member("appv1"), member("appv2"), member("appv3", { role: "streaming" })];

  it("stops every server's service, then backs the database up and verifies it, before any server upgrades", () => {
    const plan = planAppVFarm(farm(), db(), farmIntent);
    assert.deepEqual(names(plan), [
      "stop-services@APPV1",
      "stop-services@APPV2",
      "stop-services@APPV3",
      "backup-database@SQL1",
      "verify-backup@SQL1",
    ]);
    assert.equal(plan.blocked, undefined);
  });

  it("does not stop a service that is already stopped (a resumed run)", () => {
    const plan = planAppVFarm([member("appv1", { serviceStatus: "Stopped" }), member("appv2")], db(), farmIntent);
    assert.deepEqual(names(plan), ["stop-services@APPV2", "backup-database@SQL1", "verify-backup@SQL1"]);
  });

  it("takes no backup when the operator waived it", () => {
    const plan = planAppVFarm(farm(), db(), {
      ...farmIntent,
      backupPath: undefined,
      waivedReason: "tested restore from last night's backup",
    });
    assert.deepEqual(
      plan.steps.map((s) => s.name),
      ["stop-services", "stop-services", "stop-services"],
    );
  });

  it("plans nothing once every server runs the target", () => {
    const done = farm().map((m) => ({ ...m, liveVersion: "4.5.2.17140" }));
    assert.deepEqual(planAppVFarm(done, db({ schemaVersion: "4.5.2.17140" }), farmIntent), { steps: [] });
  });

  it("after the schema upgrade, stops only servers still below the target and takes no second backup", () => {
    const members = [
      member("appv1", { liveVersion: "4.5.2.17140" }),
      member("appv2"),
      member("appv3", { role: "streaming", serviceStatus: "Stopped" }),
    ];
    const plan = planAppVFarm(members, db({ schemaVersion: "4.5.2.17140" }), farmIntent);
    assert.deepEqual(names(plan), ["stop-services@APPV2"]);
  });

  it("blocks when a server cannot be reached: it could not be taken offline", () => {
    const plan = planAppVFarm([member("appv1"), member("appv2", { reachable: false, unreachableReason: "timed out" })], db(), farmIntent);
    assert.equal(plan.blocked?.code, "host-unreachable");
    assert.match(plan.blocked!.reason, /appv2 \(timed out\)/);
    assert.deepEqual(plan.steps, []);
  });

  it("blocks a backup when the SQL host cannot be reached", () => {
    const plan = planAppVFarm(farm(), db({ reachable: false, schemaVersion: undefined, error: "refused" }), farmIntent);
    assert.equal(plan.blocked?.code, "database-unreachable");
  });

  it("stops nothing when a server below the target could not run its setup", () => {
    const members = [
      member("appv1"),
      member("appv2", { installer: { exists: true, sha256: "b".repeat(64) } }),
      member("appv3", { installer: { exists: false } }),
    ];
    const installers = Object.fromEntries(["appv1", "appv2", "appv3"].map((n) => [n, { path: SETUP, sha256: SHA }]));
    const plan = planAppVFarm(members, db(), { ...farmIntent, installers });
    assert.equal(plan.blocked?.code, "server-not-ready");
    assert.match(plan.blocked!.reason, /no service is stopped: appv2: .*has SHA-256 b{64}.*; appv3: the setup .* is not on APPV3/);
  });

  it("does not hold the farm for the setup of a server already at the target", () => {
    const members = [member("appv1"), member("appv2", { liveVersion: "4.5.2.17140", installer: undefined })];
    const plan = planAppVFarm(members, db(), {
      ...farmIntent,
      installers: { appv1: { path: SETUP, sha256: SHA }, appv2: { path: SETUP, sha256: SHA } },
    });
    assert.equal(plan.blocked, undefined);
  });

  it("blocks when a server's version cannot be read", () => {
    assert.equal(planAppVFarm([member("appv1", { liveVersion: undefined })], db(), farmIntent).blocked?.code, "not-installed");
  });
});

describe("schemaUpgraded", () => {
  const cases: Array<[string, AppVMemberFacts[], AppVDatabaseFacts, boolean]> = [
    ["the schema version read is the target", [member("a")], db({ schemaVersion: "4.5.2.17140" }), true],
    ["the schema version read is older", [member("a", { liveVersion: "4.5.2.17140" })], db(), false],
    [
      "the schema is unreadable and a management server runs the target",
      [member("a", { liveVersion: "4.5.2.17140" })],
      db({ schemaVersion: undefined }),
      true,
    ],
    [
      "the schema is unreadable and only a streaming server runs the target",
      [member("s", { role: "streaming", liveVersion: "4.5.2.17140" }), member("a")],
      db({ schemaVersion: undefined }),
      false,
    ],
    ["the schema is unreadable and nobody runs the target", [member("a")], db({ schemaVersion: undefined }), false],
  ];
  for (const [what, members, database, expected] of cases) {
    it(`is ${expected} when ${what}`, () => assert.equal(schemaUpgraded(members, database, "4.5 SP2"), expected));
  }
});

describe("describeFarmOrder", () => {
  it("names the server that upgrades the schema and who follows whom", () => {
    const lines = describeFarmOrder([member("appv1"), member("appv2"), member("appv3", { role: "streaming" })], db(), "4.5 SP2", false);
    assert.deepEqual(lines, [
      "appv1 management: 4.1 SP1 -> 4.5 SP2 (upgrades the database schema), first",
      "appv2 management: 4.1 SP1 -> 4.5 SP2, after appv1",
      "appv3 streaming: 4.1 SP1 -> 4.5 SP2, after appv2",
    ]);
  });

  it("shows the others in parallel after the first with parallel-after-first", () => {
    const lines = describeFarmOrder([member("appv1"), member("appv2"), member("appv3")], db(), "4.5 SP2", true);
    assert.match(lines[2], /after appv1, in parallel$/);
  });
});

describe("planAppVFarmCompletion", () => {
  it("waits for every server before resuming normal operation", () => {
    const plan = planAppVFarmCompletion([member("appv1", { liveVersion: "4.5.2.17140" }), member("appv2")], "4.5 SP2");
    assert.equal(plan.blocked?.code, "servers-behind");
    assert.equal(plan.after, "every server of the farm reaches 4.5 SP2");
  });

  it("starts any service still stopped once every server runs the target", () => {
    const plan = planAppVFarmCompletion(
      [member("appv1", { liveVersion: "4.5.2.17140" }), member("appv2", { liveVersion: "4.5.2.17140", serviceStatus: "Stopped" })],
      "4.5 SP2",
    );
    assert.deepEqual(names(plan), ["start-service@APPV2"]);
    assert.equal(plan.blocked, undefined);
  });

  it("plans nothing when every server runs the target and every service runs", () => {
    assert.deepEqual(planAppVFarmCompletion([member("appv1", { liveVersion: "4.5.2.17140" })], "4.5 SP2"), { steps: [] });
  });
});

describe("farmBudget and farmWindowVerdict", () => {
  const members = [member("appv1"), member("appv2"), member("appv3", { role: "streaming" })];
  const window = { kind: "one-off" as const, startMs: Date.parse("2024-01-08T07:00:00Z"), endMs: Date.parse("2024-01-08T12:00:00Z") };

  it("adds up the budgets of the servers still below the target unless the farm's budget is declared", () => {
    assert.deepEqual(farmBudget(members, "4.5 SP2", 30), { minutes: 90, basis: "3 servers below the target, 30 minutes each" });
    assert.equal(farmBudget([member("appv1", { liveVersion: "4.5.2.17140" }), ...members.slice(1)], "4.5 SP2", 30).minutes, 60);
    assert.deepEqual(farmBudget(members, "4.5 SP2", 30, 45), { minutes: 45, basis: "farmTimeBudgetMinutes" });
  });

  const cases: Array<[string, number, "refusal" | "fits"]> = [
    ["a window with more time left than the farm needs", 200, "fits"],
    ["a window with exactly the farm's budget left", 240, "fits"],
    ["a window that holds one server's budget but not the farm's", 241, "refusal"],
  ];
  for (const [what, minutes, verdict] of cases) {
    it(`judges ${what}`, () => {
      const now = new Date(window.endMs - 240 * 60_000).toISOString();
      const r = farmWindowVerdict(window, now, { minutes, basis: "test" });
      assert.ok(r[verdict], JSON.stringify(r));
      assert.equal(r[verdict === "fits" ? "refusal" : "fits"], undefined);
    });
  }

  it("refuses a closed window and says nothing without a window", () => {
    assert.match(
      farmWindowVerdict(window, "2024-01-08T13:00:00Z", { minutes: 30, basis: "x" }).refusal!,
      /is closed at 2024-01-08T13:00:00\.000Z/,
    );
    assert.deepEqual(farmWindowVerdict(undefined, "2024-01-08T08:00:00Z", { minutes: 30, basis: "x" }), {});
  });

  it("names the first management server below the target as the schema server", () => {
    assert.equal(schemaServerOf([member("appv3", { role: "streaming" }), ...members.slice(0, 2)], "4.5 SP2")?.name, "appv1");
  });
});

describe("planAppVFarm and the Management Web Service", () => {
  it("stops a Management Web Service through its IIS application pool, named as read", () => {
    const web = member("web", {
      role: "management-service",
      service: "IIS application pool of the App-V Management Web Service",
      serviceDisplayName: "IIS application pool 'AppVirtManagementService'",
      appPool: "AppVirtManagementService",
    });
    const plan = planAppVFarm([member("appv1"), web], db(), farmIntent);
    assert.match(plan.steps.find((s) => s.host === "WEB")!.detail, /stop "IIS application pool 'AppVirtManagementService'" on web/);
  });

  it("blocks the farm when a server sharing the database has no App-V service to stop", () => {
    const web = member("web", { role: "management-service", serviceStatus: "missing", serviceDisplayName: undefined });
    const plan = planAppVFarm([member("appv1"), web], db(), farmIntent);
    assert.equal(plan.blocked?.code, "service-not-found");
    assert.match(plan.blocked!.reason, /web .*overrides\.webApplicationPath/);
  });
});

describe("planAppVFarm and the servers on the database", () => {
  it("blocks the schema upgrade, naming the host, when an undeclared host holds a session on the database", () => {
    const plan = planAppVFarm([member("appv1")], db(), {
      ...farmIntent,
      databaseClients: { undeclared: [{ hostName: "APPV9", programName: "x" }] },
    });
    assert.equal(plan.blocked?.code, "undeclared-server");
    assert.match(plan.blocked!.reason, /^\[servers\] APPV9 \(x\) holds a session on SQL1\/APPVIRT/);
  });

  it("blocks it when the sessions could not be read, and not once the schema is upgraded", () => {
    assert.equal(
      planAppVFarm([member("appv1")], db(), { ...farmIntent, databaseClients: { error: "denied" } }).blocked?.code,
      "database-sessions-unreadable",
    );
    const after = planAppVFarm([member("appv1", { liveVersion: "4.5.2.17140" }), member("appv2")], db({ schemaVersion: "4.5.2.17140" }), {
      ...farmIntent,
      databaseClients: { undeclared: [{ hostName: "APPV9", programName: "x" }] },
    });
    assert.equal(after.blocked, undefined);
  });
});

describe("planAppVFarm and users still connected", () => {
  it("waits for each server's clients before any service stops", () => {
    const plan = planAppVFarm(
      [member("appv1", { clientSessions: { remotes: ["10.0.0.5"] } }), member("appv2", { clientSessions: { remotes: [] } })],
      db(),
      {
        ...farmIntent,
        userSessions: { drainMinutes: 20, proceed: false },
      },
    );
    assert.deepEqual(names(plan).slice(0, 3), ["drain-sessions@APPV1", "stop-services@APPV1", "stop-services@APPV2"]);
    assert.match(
      plan.steps[0].detail,
      /wait up to 20 min for 1 client connection\(s\) on appv1 to end \(10\.0\.0\.5\); then refuse, stopping nothing/,
    );
  });
});

describe("planAppVServer for a Management Console host", () => {
  const console_ = { ...intent, hasService: false };
  it("runs the setup and verifies the version, with no service to wait for", () => {
    assert.deepEqual(names(planAppVServer(host({ serviceStatus: "missing" }), console_)), [
      "preflight@APPV1",
      "install@APPV1",
      "verify-version@APPV1",
    ]);
  });
  it("has nothing to do at the target, though it has no service", () => {
    assert.deepEqual(planAppVServer(host({ liveVersion: "4.5.2.17140", serviceStatus: "missing" }), console_), { steps: [] });
  });
});

describe("planAppVFarm refusals in order", () => {
  it("names refused credentials before sessions that the same login could not read", () => {
    const plan = planAppVFarm([member("appv1")], db(), {
      ...farmIntent,
      adminLogin: { ok: false, property: "database.sqlPassword", reason: "cannot log in" },
      databaseClients: { error: "Login failed" },
    });
    assert.equal(plan.blocked?.code, "database-credentials");
  });
});
