import * as assert from "node:assert/strict";
import {
  type AppVVersion,
  compareAppVVersions,
  evaluateAppVTarget,
  evaluateAppVUpgradePath,
  evaluateFarmTargets,
  formatAppVVersion,
  normaliseAppVVersion,
  parseAppVVersion,
} from "../../provider/versions/appv";

const v = (text: string): AppVVersion => {
  const parsed = parseAppVVersion(text);
  assert.ok(parsed, `test setup: ${text} should parse`);
  return parsed;
};

describe("parseAppVVersion", () => {
  const accepted: Array<[string, AppVVersion]> = [
    ["4.1", { major: 4, minor: 1, servicePack: 0 }],
    ["4.1 SP1", { major: 4, minor: 1, servicePack: 1 }],
    ["4.5", { major: 4, minor: 5, servicePack: 0 }],
    ["4.5 RTM", { major: 4, minor: 5, servicePack: 0 }],
    ["4.5 SP1", { major: 4, minor: 5, servicePack: 1 }],
    ["4.5 SP2", { major: 4, minor: 5, servicePack: 2 }],
    ["4.5 sp2", { major: 4, minor: 5, servicePack: 2 }],
    ["4.5 sp 2", { major: 4, minor: 5, servicePack: 2 }],
    ["4.5SP2", { major: 4, minor: 5, servicePack: 2 }],
    ["  4.5 Sp2 ", { major: 4, minor: 5, servicePack: 2 }],
    ["4.5.2", { major: 4, minor: 5, servicePack: 2 }],
    ["4.5.2.17140", { major: 4, minor: 5, servicePack: 2, build: 17140 }],
    ["4.5.0.1485", { major: 4, minor: 5, servicePack: 0, build: 1485 }],
    ["4.1.1.1", { major: 4, minor: 1, servicePack: 1, build: 1 }],
    ["4.0.1.1850", { major: 4, minor: 0, servicePack: 1, build: 1850 }],
  ];
  for (const [text, expected] of accepted) {
    it(`reads ${JSON.stringify(text)}`, () => assert.deepEqual(parseAppVVersion(text), expected));
  }

  const rejected = [
    "",
    "4",
    "four",
    "4.5 SP",
    "4.5 SP0",
    "4.5 SP-1",
    "4.5 CU1",
    "4.5.2.17140.1",
    "v4.5",
    "4.5 SP2 extra",
    "4,5",
    "4.5.x",
    "99999999999.5",
  ];
  for (const text of rejected) {
    it(`rejects ${JSON.stringify(text)}`, () => assert.equal(parseAppVVersion(text), undefined));
  }

  it("rejects a value that is not a string", () => assert.equal(parseAppVVersion(45 as unknown as string), undefined));
});

describe("formatAppVVersion and normaliseAppVVersion", () => {
  const cases: Array<[string, string, string]> = [
    ["4.5 sp 2", "4.5 SP2", "4.5 SP2"],
    ["4.5.2.17140", "4.5 SP2", "4.5.2.17140"],
    ["4.5.0.1485", "4.5", "4.5.0.1485"],
    ["4.1.1", "4.1 SP1", "4.1 SP1"],
    ["4.5 rtm", "4.5", "4.5"],
  ];
  for (const [text, display, normal] of cases) {
    it(`shows ${text} as ${display} and normalises it to ${normal}`, () => {
      assert.equal(formatAppVVersion(v(text)), display);
      assert.equal(normaliseAppVVersion(v(text)), normal);
    });
  }
});

describe("compareAppVVersions", () => {
  const cases: Array<[string, string, number]> = [
    ["4.1", "4.1 SP1", -1],
    ["4.1 SP1", "4.5", -1],
    ["4.5", "4.5 SP1", -1],
    ["4.5 SP2", "4.5 SP1", 1],
    ["4.5 SP2", "4.5.2.17140", 0],
    ["4.5.2.17140", "4.5.2.17141", -1],
    ["4.0.1.1850", "4.1", -1],
    ["4.1.1.1", "4.1 SP1", 0],
  ];
  for (const [a, b, expected] of cases) {
    it(`orders ${a} against ${b} as ${expected}`, () => {
      assert.equal(Math.sign(compareAppVVersions(v(a), v(b))), expected);
      assert.equal(Math.sign(compareAppVVersions(v(b), v(a))), -expected || 0);
    });
  }
});

describe("evaluateAppVTarget", () => {
  for (const ok of ["4.1", "4.1 SP1", "4.5", "4.5 SP1", "4.5 SP2", "4.5.2.17140", "4.5 sp 2"]) {
    it(`accepts ${ok}`, () => assert.deepEqual(evaluateAppVTarget(ok), []));
  }
  const refused: Array<[string, string]> = [
    ["4.5 SP3", "version-unsupported"],
    ["4.6", "version-unsupported"],
    ["4.0 SP1", "version-unsupported"],
    ["5.0", "version-unsupported"],
    ["latest", "version-malformed"],
    ["", "version-malformed"],
  ];
  for (const [target, code] of refused) {
    it(`refuses ${JSON.stringify(target)} with ${code}, naming targetVersion and the accepted releases`, () => {
      const [violation, ...rest] = evaluateAppVTarget(target);
      assert.deepEqual(rest, []);
      assert.equal(violation.code, code);
      assert.equal(violation.property, "targetVersion");
      assert.match(violation.message, /^\[targetVersion\] /);
      assert.match(violation.message, /4\.1, 4\.1 SP1, 4\.5, 4\.5 SP1, 4\.5 SP2/);
    });
  }
});

describe("evaluateAppVUpgradePath", () => {
  it("refuses 4.5 from 4.0 with the vendor's fix", () => {
    assert.deepEqual(evaluateAppVUpgradePath(v("4.0"), v("4.5")), [
      {
        property: "targetVersion",
        code: "upgrade-path-unsupported",
        message: "[targetVersion] 4.5 cannot be reached from 4.0: App-V 4.0 must first be upgraded to 4.1 or 4.1 SP1.",
      },
    ]);
  });

  const cases: Array<[string, string, string[]]> = [
    ["4.1", "4.5", []],
    ["4.1 SP1", "4.5 SP2", []],
    ["4.1.1.1", "4.5.2.17140", []],
    ["4.5", "4.5 SP2", []],
    ["4.5 SP2", "4.5 SP2", []],
    ["4.0", "4.1", []],
    ["4.0 SP1", "4.1 SP1", []],
    ["4.0.1.1850", "4.5 SP2", ["upgrade-path-unsupported"]],
    ["3.2", "4.5 SP1", ["upgrade-path-unsupported"]],
    ["4.5 SP2", "4.5 SP1", ["service-pack-downgrade"]],
    ["4.1 SP1", "4.1", ["service-pack-downgrade"]],
    ["4.5", "4.1 SP1", ["downgrade"]],
  ];
  for (const [live, target, codes] of cases) {
    it(`${codes.length ? `refuses (${codes.join(", ")})` : "allows"} ${live} -> ${target}`, () => {
      const violations = evaluateAppVUpgradePath(v(live), v(target));
      assert.deepEqual(
        violations.map((x) => x.code),
        codes,
      );
      for (const x of violations) assert.match(x.message, /^\[targetVersion\] .*; set targetVersion to|must first be upgraded/);
    });
  }
});

describe("evaluateFarmTargets", () => {
  it("accepts servers that leave the target to the farm or repeat it in another form", () => {
    assert.deepEqual(
      evaluateFarmTargets("4.5 SP2", [
        { name: "a" },
        { name: "b", targetVersion: "4.5.2.17140" },
        { name: "c", targetVersion: "4.5 sp 2" },
      ]),
      [],
    );
  });

  it("refuses a server whose target differs, naming its index and the fix", () => {
    const violations = evaluateFarmTargets("4.5 SP2", [{ name: "a" }, { name: "b", targetVersion: "4.5 SP1" }]);
    assert.equal(violations.length, 1);
    assert.equal(violations[0].code, "farm-versions-differ");
    assert.equal(violations[0].property, "servers[1].targetVersion");
    assert.match(
      violations[0].message,
      /^\[servers\[1\]\.targetVersion\] b targets 4\.5 SP1 but the farm targets 4\.5 SP2: .* set it to 4\.5 SP2\.$/,
    );
  });

  it("leaves unparseable targets to evaluateAppVTarget", () => {
    assert.deepEqual(evaluateFarmTargets("4.5 SP2", [{ name: "a", targetVersion: "soon" }]), []);
    assert.deepEqual(evaluateFarmTargets("soon", [{ name: "a", targetVersion: "4.5" }]), []);
  });
});
