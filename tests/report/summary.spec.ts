import assert from "node:assert/strict";
import { compressSteps, describeWindow, renderSummary, summarize } from "../../provider/report/summary";

const CS = "pulumi-nodejs:dynamic/horizon:ConnectionServer";
const SS = "pulumi-nodejs:dynamic/horizon:SecurityServer";
const POD = "urn:pulumi:dev::p::pulumi:pulumi:Stack$vdi-upgrade:horizon:HorizonPod::pod1";
const FARM = "urn:pulumi:dev::p::pulumi:pulumi:Stack$vdi-upgrade:appv:AppVFarm::farm1";

/** A preview shaped as `pulumi preview --json` prints it (only the fields the summary reads, plus a secret). */
function preview(): unknown {
  return {
    steps: [
      { op: "create", urn: "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev", newState: { type: "pulumi:pulumi:Stack" } },
      {
        op: "create",
        urn: POD,
        newState: { type: "vdi-upgrade:horizon:HorizonPod", parent: "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev" },
      },
      { op: "create", urn: FARM, newState: { type: "vdi-upgrade:appv:AppVFarm" } },
      {
        op: "create",
        urn: `${POD}$${CS}::pod1-cs1`,
        newState: {
          type: CS,
          parent: POD,
          inputs: {
            resourceName: "pod1-cs1",
            connection: { password: "hunter2-secret" },
            liveVersion: "7.12.0.1",
            targetVersion: "7.13.2",
            plan: ["1. preflight on CS1: check", "2. install on CS1: run | it"],
            maintenanceWindow: { days: ["Sat"], from: "22:00", to: "04:00", utcOffset: "+01:00" },
          },
        },
      },
      {
        op: "create",
        urn: `${POD}$${SS}::pod1-ss1`,
        newState: {
          type: SS,
          parent: POD,
          inputs: {
            resourceName: "pod1-ss1",
            liveVersion: "7.12.0.1",
            targetVersion: "7.13.2",
            plan: ["1. preflight on SS1: check"],
            blockedReason: "after CS1 reaches 7.13.2: not yet",
          },
        },
      },
      {
        op: "update",
        urn: `${POD}$${CS}::pod1-cs2`,
        newState: {
          type: CS,
          parent: POD,
          inputs: {
            resourceName: "pod1-cs2",
            liveVersion: "7.12.0.1",
            targetVersion: "7.13.2",
            plan: ["1. preflight on CS2: check"],
            blockedReason: "installer-missing: C:\\x.exe is not on CS2",
          },
        },
      },
      {
        op: "same",
        urn: `${FARM}$pulumi-nodejs:dynamic/appv:AppVServer::farm1-appv1`,
        newState: {
          type: "pulumi-nodejs:dynamic/appv:AppVServer",
          parent: FARM,
          inputs: { resourceName: "farm1-appv1", liveVersion: "4.5.2", targetVersion: "4.5 SP2", plan: [] },
        },
      },
      {
        op: "create",
        urn: "urn:pulumi:dev::p::pulumi-nodejs:dynamic/horizon:ConnectionServer::lone",
        newState: { type: CS, inputs: { plan: ["1. install on LONE: x"] } },
      },
      {
        op: "create",
        urn: `${POD}$pulumi-nodejs:dynamic/horizon:PodReadiness::pod1-readiness`,
        newState: { type: "pulumi-nodejs:dynamic/horizon:PodReadiness", parent: POD, inputs: { servers: [] } },
      },
    ],
  };
}

describe("report/summary", () => {
  it("groups servers by their pod or farm, and those declared alone apart", () => {
    const s = summarize(preview());
    assert.deepEqual(
      s.groups.map((g) => [g.name, g.kind, g.rows.map((r) => r.name)]),
      [
        ["pod1", "HorizonPod", ["pod1-cs1", "pod1-ss1", "pod1-cs2"]],
        ["farm1", "AppVFarm", ["farm1-appv1"]],
        ["servers declared on their own", "standalone", ["lone"]],
      ],
    );
  });

  it("counts each status: ready, waiting, blocked, done", () => {
    assert.deepEqual(summarize(preview()).counts, { ready: 2, waiting: 1, blocked: 1, done: 1 });
  });

  it("renders one table row per server with live -> target, steps, status and window", () => {
    const md = renderSummary(preview());
    assert.match(md, /\| pod1-cs1 \| 7\.12\.0\.1 -> 7\.13\.2 \| preflight, install \| ready \| Sat 22:00-04:00 UTC\+01:00 \|/);
    assert.match(md, /\| pod1-ss1 \| .* \| waits until CS1 reaches 7\.13\.2 \| any time \|/);
    assert.match(md, /\| pod1-cs2 \| .* \| \*\*blocked\*\* `installer-missing`: installer-missing: C:\\\\x\.exe is not on CS2 \|/);
    assert.match(md, /\| farm1-appv1 \| 4\.5\.2 -> 4\.5 SP2 \| none \| done \|/);
    assert.match(md, /An operator must act/);
  });

  it("escapes a pipe inside a cell so the table keeps its columns", () => {
    const md = renderSummary(preview());
    for (const row of md.split("\n").filter((l) => l.startsWith("| pod1") || l.startsWith("| farm1") || l.startsWith("| lone"))) {
      assert.equal(row.split(/(?<!\\)\|/).length, 7, row);
    }
  });

  it("prints no input it does not summarize, secrets included", () => {
    assert.doesNotMatch(renderSummary(preview()), /hunter2-secret/);
  });

  it("says so when the preview holds no server", () => {
    assert.match(renderSummary({ steps: [] }), /No Horizon or App-V server/);
  });

  it("compresses a run of one step on several hosts", () => {
    assert.equal(
      compressSteps(["stop-services", "stop-services", "backup-database", "stop-services"]),
      "stop-services x2, backup-database, stop-services",
    );
  });

  for (const [w, text] of [
    [undefined, "any time"],
    [{ start: "2026-12-05T22:00:00Z", end: "2026-12-06T04:00:00Z" }, "2026-12-05T22:00:00Z to 2026-12-06T04:00:00Z"],
    [{ from: "22:00", to: "04:00" }, "daily 22:00-04:00"],
    [{ from: "22:00" }, "declared (unknown until up)"],
  ] as [unknown, string][]) {
    it(`describes the window ${JSON.stringify(w)} as "${text}"`, () => assert.equal(describeWindow(w), text));
  }
});
