// The policy pack's rules (policy/rules.ts), pure: each on hand-made resources, at its boundaries, and on the
// `pulumi preview --json` of the demo (tests/fixtures/preview/demo-preview.json, captured from the real engine; the
// engine run of the pack itself is tests/gitops/pipeline.spec.ts).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  type PolicyResource,
  RULES,
  approvedTargetVersions,
  maxServersPerRun,
  noBackupWaiverInProduction,
  productionMaintenanceWindow,
  resourcesOfPreview,
  securityServerPairsExactly,
  stackOfUrn,
} from "../../policy/rules";

const CS = "pulumi-nodejs:dynamic/horizon:ConnectionServer";
const SS = "pulumi-nodejs:dynamic/horizon:SecurityServer";
const APPV = "pulumi-nodejs:dynamic/appv:AppVServer";
const PREP = "pulumi-nodejs:dynamic/appv:AppVFarmPreparation";

function res(type: string, name: string, props: Record<string, unknown>, stack = "dev"): PolicyResource {
  return { type, urn: `urn:pulumi:${stack}::p::${type}::${name}`, name, props: { resourceName: name, ...props } };
}

const demo = resourcesOfPreview(
  JSON.parse(fs.readFileSync(path.join(__dirname, "..", "fixtures", "preview", "demo-preview.json"), "utf8")),
);

describe("policy/rules", () => {
  it("reads the stack from a URN", () => assert.equal(stackOfUrn("urn:pulumi:prod::proj::t::n"), "prod"));

  describe("approved-target-versions", () => {
    const servers = [res(CS, "cs1", { targetVersion: "7.13.2" }), res(APPV, "appv1", { targetVersion: "4.5 SP2" })];
    it("passes when no list is configured", () => assert.deepEqual(approvedTargetVersions(servers, {}), []));
    it("passes a target on its product's list", () => {
      assert.deepEqual(approvedTargetVersions(servers, { approvedVersions: { horizon: ["7.13.2"], appv: ["4.5 SP2"] } }), []);
    });
    it("refuses a target off its product's list, naming the server, the value, the list and the fix", () => {
      const v = approvedTargetVersions(servers, { approvedVersions: { horizon: ["7.13.1"] } });
      assert.equal(v.length, 1);
      assert.match(v[0].message, /\[cs1\] \[targetVersion\] "7\.13\.2" is not an approved Horizon version \(approved: 7\.13\.1\)\. Fix: /);
    });
    it("checks each product against its own list only", () => {
      assert.equal(approvedTargetVersions(servers, { approvedVersions: { appv: ["4.5 SP1"] } })[0].urn, servers[1].urn);
    });
  });

  describe("production-maintenance-window", () => {
    const prod = [res(CS, "cs1", {}, "prod"), res(APPV, "appv1", { maintenanceWindow: { from: "22:00", to: "04:00" } }, "prod")];
    it("refuses a server with no window in a production stack", () => {
      const v = productionMaintenanceWindow(prod, {});
      assert.deepEqual(
        v.map((x) => x.urn),
        [prod[0].urn],
      );
      assert.match(
        v[0].message,
        /\[cs1\] \[maintenanceWindow\] is not declared, and stack "prod" is production\. Fix: declare maintenanceWindow/,
      );
    });
    it("leaves a stack that is not production alone", () =>
      assert.deepEqual(productionMaintenanceWindow([res(CS, "cs1", {}, "dev")], {}), []));
    it("uses the configured production stack names, case-insensitively", () => {
      assert.equal(productionMaintenanceWindow([res(CS, "cs1", {}, "Site-A")], { productionStacks: ["site-a"] }).length, 1);
      assert.equal(productionMaintenanceWindow(prod, { productionStacks: ["site-a"] }).length, 0);
    });
  });

  describe("no-backup-waiver-in-production", () => {
    it("refuses a waived backup on the farm's preparation and on its servers in production", () => {
      const v = noBackupWaiverInProduction(
        [
          res(PREP, "farm1-preparation", { backup: { waive: { reason: "tested restore" } } }, "prod"),
          res(APPV, "farm1-appv1", { farm: { backupWaived: "tested restore" } }, "prod"),
        ],
        {},
      );
      assert.equal(v.length, 2);
      assert.match(v[0].message, /\[farm1-preparation\] \[backup\.waive\] .* production stack "prod"\. Fix: remove backup\.waive/);
    });
    it("allows a waiver outside production, and no waiver anywhere", () => {
      assert.deepEqual(noBackupWaiverInProduction([res(PREP, "p", { backup: { waive: { reason: "x" } } }, "dev")], {}), []);
      assert.deepEqual(noBackupWaiverInProduction([res(PREP, "p", { backup: {} }, "prod")], {}), []);
    });
  });

  describe("max-servers-per-run", () => {
    const servers = (n: number) => Array.from({ length: n }, (_, i) => res(CS, `cs${i}`, { plan: ["1. install on CS: x"] }));
    it("passes at the limit and refuses one over it, naming both numbers and the fix", () => {
      assert.deepEqual(maxServersPerRun(servers(3), { maxServersPerRun: 3 }), []);
      const v = maxServersPerRun(servers(4), { maxServersPerRun: 3 });
      assert.match(v[0].message, /would upgrade 4 servers; the limit is 3\. Fix: split the estate into stacks/);
    });
    it("counts only servers with steps to run", () => {
      assert.deepEqual(maxServersPerRun([...servers(3), res(CS, "done", { plan: [] })], { maxServersPerRun: 3 }), []);
    });
    it("defaults to 50", () => {
      assert.deepEqual(maxServersPerRun(servers(50), {}), []);
      assert.equal(maxServersPerRun(servers(51), {}).length, 1);
    });
  });

  describe("security-server-pairs-exactly", () => {
    it("refuses a security server whose target differs from its Connection Server's", () => {
      const v = securityServerPairsExactly([
        res(SS, "ss1", { targetVersion: "7.13.2", connectionServer: { name: "CS1", targetVersion: "7.13.1" } }),
      ]);
      assert.match(v[0].message, /\[ss1\] \[targetVersion\] "7\.13\.2" differs from its Connection Server CS1 target "7\.13\.1"/);
    });
    it("passes equal targets", () => {
      assert.deepEqual(
        securityServerPairsExactly([res(SS, "ss1", { targetVersion: "7.13.2", connectionServer: { targetVersion: "7.13.2" } })]),
        [],
      );
    });
  });

  describe("on the demo's real preview", () => {
    it("finds the pod's and the farm's servers", () => {
      assert.deepEqual(
        demo.filter((r) => r.type === CS || r.type === SS || r.type === APPV).map((r) => r.name),
        ["pod1-cs1", "pod1-ss1", "farm1-appv1", "pod1-cs2", "farm1-appv2", "pod1-ss2", "farm1-appv3"],
      );
    });
    it("passes every rule with the demo's approved versions", () => {
      const config = { approvedVersions: { horizon: ["7.13.2"], appv: ["4.5 SP2"] } };
      for (const [name, rule] of Object.entries(RULES)) assert.deepEqual(rule.check(demo, config), [], name);
    });
    it("fails approved-target-versions and production-maintenance-window when the demo is production with another approved version", () => {
      const prod = demo.map((r) => ({ ...r, urn: r.urn.replace(/^urn:pulumi:dev::/, "urn:pulumi:prod::") }));
      assert.equal(approvedTargetVersions(prod, { approvedVersions: { horizon: ["7.13.1"] } }).length, 4);
      assert.equal(productionMaintenanceWindow(prod, {}).length, 8);
    });
    it("never quotes a secret of the demo in a message", () => {
      const prod = demo.map((r) => ({ ...r, urn: r.urn.replace(/^urn:pulumi:dev::/, "urn:pulumi:prod::") }));
      const all = Object.values(RULES).flatMap((rule) =>
        rule.check(prod, { approvedVersions: { horizon: [], appv: [] }, maxServersPerRun: 1 }),
      );
      assert.ok(all.length > 0);
      for (const v of all) assert.doesNotMatch(v.message, /\[secret\]|password|ciphertext/i);
    });
  });
});
