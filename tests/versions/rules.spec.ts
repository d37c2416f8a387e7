import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type RuleFacts, UPGRADE_RULES, evaluateUpgradeRules, needOf, ruleBlock, ruleFailure } from "../../provider/versions/rules";

const SS = "security-server";
const CS = "connection-server";

/**
 * One row per rule of UPGRADE_RULES, by id: facts that break the rule, and the nearest facts that do not (the
 * boundary). Adding a rule is one row there and one row here (docs/architecture.md, "Add an upgrade-path rule").
 */
const RULE_TESTS: ReadonlyArray<{ id: string; breaks: RuleFacts; keeps: RuleFacts; says: RegExp }> = [
  {
    id: "horizon-target-malformed",
    breaks: { product: "horizon", target: "7.x" },
    keeps: { product: "horizon", target: "7.13.2" },
    says: /^\[targetVersion\] "7\.x" is not a Horizon version: .*; set targetVersion to one of these forms\.$/,
  },
  {
    id: "horizon-target-before-7",
    breaks: { product: "horizon", role: CS, target: "6.99.99" },
    keeps: { product: "horizon", role: CS, target: "7.0" },
    says: /^\[targetVersion\] 6\.99\.99 is older than Horizon 7: .*Horizon 8 release such as 2312\.$/,
  },
  {
    id: "horizon-security-server-on-8",
    breaks: { product: "horizon", role: SS, target: "2006" },
    keeps: { product: "horizon", role: CS, target: "2006" },
    says: /^\[targetVersion\] 2006 \(8\.0\.0\) is a Horizon 8 target for a security server: .*Unified Access Gateway\.$/,
  },
  {
    id: "horizon-security-server-behind-connection-server-target",
    breaks: { product: "horizon", role: SS, target: "7.13.1", paired: { target: "7.13.2" } },
    keeps: { product: "horizon", role: SS, target: "7.13.2.21000000", paired: { target: "7.13.2" } },
    says: /^\[targetVersion\] 7\.13\.1 is older than the 7\.13\.2 its paired Connection Server targets: .*set this targetVersion to 7\.13\.2 /,
  },
  {
    id: "horizon-security-server-ahead-of-connection-server-target",
    breaks: { product: "horizon", role: SS, target: "7.13.2", paired: { target: "7.13.1" } },
    keeps: { product: "horizon", role: SS, target: "7.13.1", paired: { target: "7.13.1" } },
    says: /^\[targetVersion\] 7\.13\.2 is newer than the 7\.13\.1 its paired Connection Server targets: .*at most 7\.13\.1\.$/,
  },
  {
    id: "horizon-downgrade",
    breaks: { product: "horizon", target: "7.13.2.1", live: "7.13.2.2" },
    keeps: { product: "horizon", target: "7.13.2", live: "7.13.2.2" },
    says: /^\[targetVersion\] 7\.13\.2\.1 is older than the 7\.13\.2\.2 the host runs: .*set targetVersion to 7\.13\.2 or later\.$/,
  },
  {
    id: "horizon-7-from-before-5.3",
    breaks: { product: "horizon", target: "7.0.0", live: "5.2.9" },
    keeps: { product: "horizon", target: "7.0.0", live: "5.3.0" },
    says: /^\[targetVersion\] 7\.0\.0 cannot be reached from the 5\.2\.9 the host runs: .*View 5\.3, Horizon 6\.0, 6\.1 and 6\.2; /,
  },
  {
    id: "horizon-8-from-before-7",
    breaks: { product: "horizon", target: "2312", live: "6.2.0" },
    keeps: { product: "horizon", target: "2312", live: "7.0.0" },
    says: /^\[targetVersion\] 8\.12\.0 cannot be reached from the 6\.2\.0 the host runs: .*upgrade the host to Horizon 7 \(e\.g\. 7\.13\.2\) first\.$/,
  },
  {
    id: "horizon-security-server-behind-connection-server-live",
    breaks: { product: "horizon", role: SS, target: "7.13.1", paired: { live: "7.13.2", name: "CS1" } },
    keeps: { product: "horizon", role: SS, target: "7.13.2", paired: { live: "7.13.2", name: "CS1" } },
    says: /^\[targetVersion\] 7\.13\.1 is older than the 7\.13\.2 its paired Connection Server CS1 runs: .*set targetVersion to 7\.13\.2\.$/,
  },
  {
    id: "appv-target-malformed",
    breaks: { product: "appv", target: "" },
    keeps: { product: "appv", target: "4.5 sp 2" },
    says: /^\[targetVersion\] "" is not an App-V version: .*4\.1, 4\.1 SP1, 4\.5, 4\.5 SP1, 4\.5 SP2\.$/,
  },
  {
    id: "appv-target-not-a-release",
    breaks: { product: "appv", target: "4.5 SP3" },
    keeps: { product: "appv", target: "4.5 SP2" },
    says: /^\[targetVersion\] 4\.5 SP3 is not an App-V 4\.x server release this package upgrades to: /,
  },
  {
    id: "appv-farm-member-differs",
    breaks: { product: "appv", target: "4.5 SP1", property: "servers[1].targetVersion", subject: "b", paired: { target: "4.5 SP2" } },
    keeps: { product: "appv", target: "4.5.2.17140", property: "servers[1].targetVersion", subject: "b", paired: { target: "4.5 SP2" } },
    says: /^\[servers\[1\]\.targetVersion\] b targets 4\.5 SP1 but the farm targets 4\.5 SP2: .*set it to 4\.5 SP2\.$/,
  },
  {
    id: "appv-service-pack-downgrade",
    breaks: { product: "appv", target: "4.5 SP1", live: "4.5.2.17140" },
    keeps: { product: "appv", target: "4.5 SP2", live: "4.5.2.17140" },
    says: /^\[targetVersion\] 4\.5 SP1 is an older service pack than the 4\.5 SP2 the server runs: /,
  },
  {
    id: "appv-downgrade",
    breaks: { product: "appv", target: "4.1 SP1", live: "4.5" },
    keeps: { product: "appv", target: "4.5", live: "4.5" },
    says: /^\[targetVersion\] 4\.1 SP1 is older than the 4\.5 the server runs: App-V servers cannot be downgraded in place; /,
  },
  {
    id: "appv-4.5-from-before-4.1",
    breaks: { product: "appv", target: "4.5", live: "4.0 SP1" },
    keeps: { product: "appv", target: "4.5", live: "4.1" },
    says: /^\[targetVersion\] 4\.5 cannot be reached from 4\.0 SP1: App-V 4\.0 SP1 must first be upgraded to 4\.1 or 4\.1 SP1\.$/,
  },
];

describe("UPGRADE_RULES", () => {
  it("has exactly one test row per rule, and no test row for a rule that does not exist", () => {
    const ruleIds = UPGRADE_RULES.map((r) => r.id);
    assert.equal(new Set(ruleIds).size, ruleIds.length, "rule ids are unique");
    assert.deepEqual(
      RULE_TESTS.map((t) => t.id),
      ruleIds,
      "the test table lists the rule table's ids in its order",
    );
  });

  for (const rule of UPGRADE_RULES) {
    it(`names a stable kebab-case code and a source a reader can follow for ${rule.id}`, () => {
      assert.match(rule.code, /^[a-z0-9]+(-[a-z0-9]+)*$/);
      assert.ok(rule.source.title.length > 10, rule.source.title);
      const url = rule.source.url;
      assert.ok(
        /^https:\/\/[^\s]+$/.test(url) || existsSync(join(__dirname, "..", "..", url)),
        `${url} is neither a URL nor a file of this repository`,
      );
    });
  }

  for (const t of RULE_TESTS) {
    const rule = UPGRADE_RULES.find((r) => r.id === t.id);
    it(`breaks ${t.id} (${rule?.code}) with the facts of its test row, and not at its boundary`, () => {
      assert.ok(rule, `no rule ${t.id}`);
      const broken = evaluateUpgradeRules(t.breaks).filter((v) => v.rule.id === t.id);
      assert.equal(broken.length, 1, `${t.id} should be broken by ${JSON.stringify(t.breaks)}`);
      assert.equal(broken[0].code, rule.code);
      assert.match(broken[0].message, t.says);
      assert.equal(
        evaluateUpgradeRules(t.keeps).some((v) => v.rule.id === t.id),
        false,
        `${t.id} should not be broken by ${JSON.stringify(t.keeps)}`,
      );
      // The rule is judged only when its caller supplies the facts it needs.
      const others = (["target", "paired-target", "live", "paired-live"] as const).filter((n) => n !== needOf(rule.when));
      assert.equal(
        evaluateUpgradeRules(t.breaks, others).some((v) => v.rule.id === t.id),
        false,
      );
    });
  }
});

describe("evaluateUpgradeRules", () => {
  it("judges nothing else of a target that does not parse", () => {
    const out = evaluateUpgradeRules({
      product: "horizon",
      role: SS,
      target: "soon",
      live: "9.0.0",
      paired: { target: "7.0.0", live: "9.0.0" },
    });
    assert.deepEqual(
      out.map((v) => v.code),
      ["version-malformed"],
    );
  });

  it("reports every rule the facts break at once, in table order", () => {
    const out = evaluateUpgradeRules({
      product: "horizon",
      role: SS,
      target: "2312",
      live: "8.13.0",
      paired: { target: "7.13.2", live: "8.13.0" },
    });
    assert.deepEqual(
      out.map((v) => v.rule.id),
      [
        "horizon-security-server-on-8",
        "horizon-security-server-ahead-of-connection-server-target",
        "horizon-downgrade",
        "horizon-security-server-behind-connection-server-live",
      ],
    );
  });

  it("skips rows whose facts are missing or do not parse", () => {
    assert.deepEqual(
      evaluateUpgradeRules({ product: "horizon", role: SS, target: "7.13.2", live: "banana", paired: { target: "latest" } }),
      [],
    );
  });
});

describe("ruleFailure", () => {
  it("keeps the rule's code at the end of the check failure's reason, after the context", () => {
    const [v] = evaluateUpgradeRules({ product: "appv", target: "4.5", live: "4.0" });
    assert.deepEqual(ruleFailure(v, "host APPV1"), {
      property: "targetVersion",
      code: "upgrade-path-unsupported",
      reason:
        "[targetVersion] 4.5 cannot be reached from 4.0: App-V 4.0 must first be upgraded to 4.1 or 4.1 SP1. (host APPV1) [upgrade-path-unsupported]",
    });
  });

  it("ends a reason without context with the code too", () => {
    const [v] = evaluateUpgradeRules({ product: "appv", target: "4.6" });
    assert.match(
      ruleFailure(v).reason,
      /upgrades to: set targetVersion to one of 4\.1, 4\.1 SP1, 4\.5, 4\.5 SP1, 4\.5 SP2\. \[version-unsupported\]$/,
    );
  });
});

describe("ruleBlock", () => {
  it("carries the rule's code into a plan's refusal and names the host", () => {
    const [v] = evaluateUpgradeRules({ product: "horizon", target: "7.12.0", live: "7.13.2" });
    assert.deepEqual(ruleBlock(v, "CS1"), {
      code: "downgrade",
      reason:
        "[targetVersion] 7.12.0 is older than the 7.13.2 the host runs: Horizon servers cannot be downgraded in place; set targetVersion to 7.13.2 or later (host CS1)",
    });
  });
});
