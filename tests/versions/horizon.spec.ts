import * as assert from "node:assert/strict";
import {
  HorizonVersion,
  compareHorizonVersions,
  evaluateHorizonTarget,
  evaluateUpgradePath,
  formatHorizonVersion,
  parseHorizonVersion,
  releaseNameOf,
} from "../../provider/versions/horizon";

const v = (text: string): HorizonVersion => {
  const parsed = parseHorizonVersion(text);
  assert.ok(parsed, `test setup: ${text} should parse`);
  return parsed;
};

// docs/sources.md#horizon-versions, written out again here so a wrong entry in the provider's table fails.
const RELEASE_TABLE: Array<[string, number]> = [
  ["2006", 0],
  ["2012", 1],
  ["2103", 2],
  ["2106", 3],
  ["2111", 4],
  ["2203", 5],
  ["2206", 6],
  ["2209", 7],
  ["2212", 8],
  ["2303", 9],
  ["2306", 10],
  ["2309", 11],
  ["2312", 12],
  ["2406", 13],
  ["2412", 14],
  ["2503", 15],
  ["2506", 16],
  ["2512", 17],
];

describe("parseHorizonVersion", () => {
  const accepted: Array<[string, string, HorizonVersion]> = [
    ["a three-field version", "7.13.2", { major: 7, minor: 13, patch: 2 }],
    ["a fourth field as the build", "7.13.2.21000000", { major: 7, minor: 13, patch: 2, build: 21000000 }],
    ["a build after a dash", "7.13.2-21000000", { major: 7, minor: 13, patch: 2, build: 21000000 }],
    ["a Horizon 8 version", "8.12.0", { major: 8, minor: 12, patch: 0 }],
    ["a two-field version as patch 0", "8.12", { major: 8, minor: 12, patch: 0 }],
    ["a version inside surrounding whitespace", " \t7.13.2\n ", { major: 7, minor: 13, patch: 2 }],
    ["a release name inside surrounding whitespace", "  2312 ", { major: 8, minor: 12, patch: 0 }],
    ["leading zeros numerically", "07.013.002.0021", { major: 7, minor: 13, patch: 2, build: 21 }],
    ["zero fields", "0.0.0", { major: 0, minor: 0, patch: 0 }],
    ["a build of 0", "7.13.2.0", { major: 7, minor: 13, patch: 2, build: 0 }],
    ["a major of exactly 2^31", "2147483648.0.0", { major: 2 ** 31, minor: 0, patch: 0 }],
    ["a patch of exactly 2^31", "7.13.2147483648", { major: 7, minor: 13, patch: 2 ** 31 }],
    ["an Omnissa build number above 2^31", "8.17.0.20167542520", { major: 8, minor: 17, patch: 0, build: 20167542520 }],
    ["an Omnissa installer's dashed build above 2^31", "8.13.0-8565949332", { major: 8, minor: 13, patch: 0, build: 8565949332 }],
    ["the largest safe build", "7.13.2.9007199254740991", { major: 7, minor: 13, patch: 2, build: Number.MAX_SAFE_INTEGER }],
  ];
  for (const [what, text, expected] of accepted) {
    it(`accepts ${what} (${JSON.stringify(text)})`, () => {
      assert.deepEqual(parseHorizonVersion(text), expected);
    });
  }

  for (const [name, minor] of RELEASE_TABLE) {
    it(`reads release name ${name} as 8.${minor}.0`, () => {
      assert.deepEqual(parseHorizonVersion(name), { major: 8, minor, patch: 0 });
    });
  }

  const rejected: Array<[string, string]> = [
    ["an empty string", ""],
    ["only whitespace", "   "],
    ["a single number", "7"],
    ["letters in a field", "7.x"],
    ["a leading v", "v7.13.2"],
    ["a trailing letter", "7.13.2a"],
    ["a word", "latest"],
    ["a negative major", "-7.13.2"],
    ["a negative minor", "7.-13.2"],
    ["a leading plus", "+7.13.2"],
    ["five fields", "7.13.2.1.5"],
    ["an empty field", "7..2"],
    ["a trailing dot", "7.13.2."],
    ["a dash with no build", "7.13.2-"],
    ["a dash before the patch", "7.13-2"],
    ["a dash and a dot build together", "7.13.2.21000000-1"],
    ["a space inside", "7.13.2 21000000"],
    ["commas", "7,13,2"],
    ["exponent notation", "1e3.0.0"],
    ["a major above 2^31", "2147483649.0.0"],
    ["a minor above 2^31", "7.2147483649.0"],
    ["a patch above 2^31", "7.13.2147483649"],
    ["a build above 2^53 - 1", "7.13.2.9007199254740992"],
    ["an unknown four-digit release name", "2400"],
    ["a four-digit number between releases", "2007"],
    ["a release name one past the table", "2606"],
    ["a three-digit number", "231"],
    ["a five-digit number", "23120"],
    ["a release name with its version", "2312 (8.12.0)"],
    ["a release name joined to its version", "2503-8.15.0"],
  ];
  for (const [what, text] of rejected) {
    it(`rejects ${what} (${JSON.stringify(text)})`, () => {
      assert.equal(parseHorizonVersion(text), undefined);
    });
  }

  it("rejects a value that is not a string, as JavaScript callers may pass", () => {
    for (const value of [undefined, null, 7.13, { major: 7 }]) {
      assert.equal(parseHorizonVersion(value as unknown as string), undefined);
    }
  });
});

describe("formatHorizonVersion", () => {
  const cases: Array<[HorizonVersion, string]> = [
    [{ major: 7, minor: 13, patch: 2 }, "7.13.2"],
    [{ major: 7, minor: 13, patch: 2, build: 21000000 }, "7.13.2.21000000"],
    [{ major: 8, minor: 12, patch: 0 }, "8.12.0"],
    [{ major: 7, minor: 13, patch: 2, build: 0 }, "7.13.2.0"],
  ];
  for (const [version, expected] of cases) {
    it(`formats ${JSON.stringify(version)} as ${expected}`, () => {
      assert.equal(formatHorizonVersion(version), expected);
    });
  }

  it("normalises every accepted form to dotted fields", () => {
    assert.equal(formatHorizonVersion(v("7.13.2-21000000")), "7.13.2.21000000");
    assert.equal(formatHorizonVersion(v("2312")), "8.12.0");
    assert.equal(formatHorizonVersion(v("8.12")), "8.12.0");
    assert.equal(formatHorizonVersion(v(" 07.013.2 ")), "7.13.2");
  });
});

describe("compareHorizonVersions", () => {
  // [a, b, sign of compare(a, b)]
  const cases: Array<[string, string, -1 | 0 | 1]> = [
    ["7.13.2", "7.13.2", 0],
    ["7.13.2", "7.13.2.21000000", 0],
    ["7.13.2.21000000", "7.13.2", 0],
    ["2312", "8.12.0", 0],
    ["2312", "8.12.0.23148203", 0],
    ["7.13.2.1", "7.13.2.2", -1],
    ["7.13.2.100", "7.13.2.99", 1],
    ["7.13.1.99999999", "7.13.2", -1],
    ["7.13.1", "7.13.2", -1],
    ["7.12.9", "7.13.0", -1],
    ["7.13.2", "8.0.0", -1],
    ["8.10.0", "8.9.0", 1],
    ["2306", "2212", 1],
    ["6.2.0", "7.0.0", -1],
  ];
  for (const [a, b, sign] of cases) {
    const word = sign === 0 ? "equal to" : sign < 0 ? "older than" : "newer than";
    it(`orders ${a} as ${word} ${b}, and the reverse the other way`, () => {
      assert.equal(Math.sign(compareHorizonVersions(v(a), v(b))), sign);
      assert.equal(Math.sign(compareHorizonVersions(v(b), v(a))), sign === 0 ? 0 : -sign);
    });
  }
});

describe("releaseNameOf", () => {
  for (const [name, minor] of RELEASE_TABLE) {
    it(`names 8.${minor}.x release ${name}`, () => {
      assert.equal(releaseNameOf({ major: 8, minor, patch: 0 }), name);
      assert.equal(releaseNameOf({ major: 8, minor, patch: 3, build: 12345 }), name);
    });
  }
  const none: Array<[string, HorizonVersion]> = [
    ["Horizon 7", { major: 7, minor: 13, patch: 2 }],
    ["an 8.x minor past the table", { major: 8, minor: 18, patch: 0 }],
    ["a major other than 8 with a known minor", { major: 9, minor: 12, patch: 0 }],
  ];
  for (const [what, version] of none) {
    it(`has no release name for ${what}`, () => {
      assert.equal(releaseNameOf(version), undefined);
    });
  }
});

describe("evaluateHorizonTarget", () => {
  type Case = [title: string, role: "connection-server" | "security-server", target: string, paired: string | undefined, codes: string[]];
  const cases: Case[] = [
    ["accepts a Connection Server target of 7.13.2", "connection-server", "7.13.2", undefined, []],
    ["accepts a Connection Server target given as a release name", "connection-server", "2312", undefined, []],
    ["accepts a Connection Server target of exactly 7.0", "connection-server", "7.0", undefined, []],
    ["accepts a security server target of 7.13.2 with no paired target", "security-server", "7.13.2", undefined, []],
    ["accepts a security server target equal to its Connection Server's", "security-server", "7.13.2", "7.13.2", []],
    [
      "rejects a security server target older than its Connection Server's",
      "security-server",
      "7.12.0",
      "7.13.2",
      ["security-server-older-than-connection-server"],
    ],
    [
      "rejects a security server one patch behind its Connection Server's",
      "security-server",
      "7.13.1",
      "7.13.2",
      ["security-server-older-than-connection-server"],
    ],
    ["compares a security server's build only when both targets have one", "security-server", "7.13.2.21000000", "7.13.2", []],
    ["ignores a paired target that does not parse", "security-server", "7.13.2", "latest", []],
    ["ignores the paired target for a Connection Server", "connection-server", "7.13.2", "7.12.0", []],
    ["rejects an unparseable target", "connection-server", "7.x", undefined, ["version-malformed"]],
    ["rejects an empty target", "security-server", "", "7.13.2", ["version-malformed"]],
    ["rejects an unknown release name", "connection-server", "2400", undefined, ["version-malformed"]],
    ["rejects a target below Horizon 7", "connection-server", "6.2.0", undefined, ["version-unsupported"]],
    ["rejects a target just below 7.0", "connection-server", "6.99.99", undefined, ["version-unsupported"]],
    ["rejects a security server target of Horizon 8", "security-server", "8.0.0", undefined, ["security-server-unsupported"]],
    ["rejects a security server target given as a release name", "security-server", "2006", undefined, ["security-server-unsupported"]],
    ["rejects a security server target above Horizon 8", "security-server", "9.0.0", undefined, ["security-server-unsupported"]],
    ["accepts a Connection Server target of Horizon 8", "connection-server", "8.0.0", undefined, []],
    [
      "rejects a security server target newer than its paired Connection Server's",
      "security-server",
      "7.13.2",
      "7.13.1",
      ["security-server-newer-than-connection-server"],
    ],
    [
      "rejects a security server build newer than its paired Connection Server's build",
      "security-server",
      "7.13.2.2",
      "7.13.2.1",
      ["security-server-newer-than-connection-server"],
    ],
    [
      "reports every rule a security server target breaks at once",
      "security-server",
      "2312",
      "7.13.2",
      ["security-server-unsupported", "security-server-newer-than-connection-server"],
    ],
    [
      "reports a pre-7 security server target newer than its Connection Server's",
      "security-server",
      "6.2.0",
      "6.1.0",
      ["version-unsupported", "security-server-newer-than-connection-server"],
    ],
  ];
  for (const [title, role, target, paired, codes] of cases) {
    it(title, () => {
      const violations = evaluateHorizonTarget({ role, target, pairedConnectionServerTarget: paired });
      assert.deepEqual(violations.map((x) => x.code).sort(), [...codes].sort());
      for (const x of violations) {
        assert.equal(x.property, "targetVersion");
        assert.match(x.message, /^\[targetVersion\] [^:]+: .+; .+\.$/, x.message);
      }
    });
  }

  const messages: Array<
    [title: string, role: "connection-server" | "security-server", target: string, paired: string | undefined, expected: RegExp[]]
  > = [
    [
      "names the malformed value received and the accepted forms",
      "connection-server",
      "7.x",
      undefined,
      [/^\[targetVersion\] "7\.x" is not a Horizon version: /, /7\.13\.2, 7\.13\.2\.21000000, 8\.12\.0, or a release name such as 2312/],
    ],
    ["quotes an empty target so it is visible", "connection-server", "", undefined, [/^\[targetVersion\] "" is not a Horizon version/]],
    [
      "tells a Horizon 8 security server to stay on 7.x or move to Unified Access Gateway",
      "security-server",
      "2312",
      undefined,
      [
        /^\[targetVersion\] 2312 \(8\.12\.0\) /,
        /Horizon 2006 \(8\.0\) and later have no Security Server role; /,
        /stay on 7\.x \(e\.g\. 7\.13\.2\)/,
        /Unified Access Gateway\.$/,
      ],
    ],
    [
      "tells a security server ahead of its Connection Server to raise that target or lower this one",
      "security-server",
      "7.13.2",
      "7.12.0",
      [
        /^\[targetVersion\] 7\.13\.2 is newer than the 7\.12\.0 its paired Connection Server targets: /,
        /cannot be paired with an older Connection Server; /,
        /raise the Connection Server's targetVersion or lower this one/,
      ],
    ],
    [
      "tells a security server behind its Connection Server to take that target",
      "security-server",
      "7.12.0",
      "7.13.2",
      [
        /^\[targetVersion\] 7\.12\.0 is older than the 7\.13\.2 its paired Connection Server targets: /,
        /cannot be paired with a newer Connection Server; /,
        /set this targetVersion to 7\.13\.2/,
      ],
    ],
    [
      "says a pre-7 target is outside what this product upgrades to",
      "connection-server",
      "6.2",
      undefined,
      [/^\[targetVersion\] 6\.2 \(6\.2\.0\) is older than Horizon 7: /, /Horizon 7 or 8 only; /],
    ],
  ];
  for (const [title, role, target, paired, expected] of messages) {
    it(title, () => {
      const [only, ...rest] = evaluateHorizonTarget({ role, target, pairedConnectionServerTarget: paired });
      assert.equal(rest.length, 0);
      for (const pattern of expected) assert.match(only.message, pattern);
    });
  }
});

describe("evaluateUpgradePath", () => {
  const cases: Array<[title: string, live: string, target: string, codes: string[]]> = [
    ["allows an upgrade within Horizon 7", "7.12.0", "7.13.2", []],
    ["treats a target without a build as reached by the same version with one", "7.13.2.21000000", "7.13.2", []],
    ["allows an upgrade from Horizon 7 to Horizon 8", "7.13.2", "8.12.0", []],
    ["allows an upgrade from 7.0 to Horizon 8", "7.0.0", "8.0.0", []],
    ["allows an upgrade within Horizon 8", "8.0.0", "8.12.0", []],
    ["allows an upgrade to Horizon 7 from View 5.3", "5.3.0", "7.13.2", []],
    ["allows an upgrade to Horizon 7 from Horizon 6.2", "6.2.0", "7.0.0", []],
    ["refuses a downgrade within Horizon 7", "7.13.2.21000000", "7.12.0", ["downgrade"]],
    ["refuses a downgrade of the build alone", "7.13.2.2", "7.13.2.1", ["downgrade"]],
    ["refuses a downgrade from Horizon 8 to Horizon 7", "8.12.0", "7.13.2", ["downgrade"]],
    ["refuses an upgrade to Horizon 7 from before View 5.3", "5.2.9", "7.0.0", ["upgrade-path-unsupported"]],
    ["refuses an upgrade to Horizon 7 from View 4.6", "4.6.0", "7.13.2", ["upgrade-path-unsupported"]],
    ["refuses an upgrade to Horizon 8 from Horizon 6", "6.2.0", "8.0.0", ["upgrade-path-unsupported"]],
    ["refuses an upgrade to Horizon 8 from View 5.2 with one violation", "5.2.0", "8.12.0", ["upgrade-path-unsupported"]],
  ];
  for (const [title, live, target, codes] of cases) {
    it(title, () => {
      const violations = evaluateUpgradePath(v(live), v(target));
      assert.deepEqual(
        violations.map((x) => x.code),
        codes,
      );
      for (const x of violations) {
        assert.equal(x.property, "targetVersion");
        assert.match(x.message, /^\[targetVersion\] [^:]+: .+; .+\.$/, x.message);
      }
    });
  }

  it("says which version the host runs and the lowest target allowed when refusing a downgrade", () => {
    assert.deepEqual(evaluateUpgradePath(v("7.13.2.21000000"), v("7.12.0")), [
      {
        property: "targetVersion",
        code: "downgrade",
        message:
          "[targetVersion] 7.12.0 is older than the 7.13.2.21000000 the host runs: Horizon servers cannot be downgraded in place; set targetVersion to 7.13.2 or later.",
      },
    ]);
  });

  it("lists the supported sources when Horizon 7 cannot be reached", () => {
    const [only] = evaluateUpgradePath(v("5.2.0"), v("7.13.2"));
    assert.equal(
      only.message,
      "[targetVersion] 7.13.2 cannot be reached from the 5.2.0 the host runs: upgrades to Horizon 7 are supported from View 5.3, Horizon 6.0, 6.1 and 6.2; upgrade the host to one of those first.",
    );
  });

  it("sends a host through Horizon 7 when Horizon 8 cannot be reached", () => {
    const [only] = evaluateUpgradePath(v("6.2.0"), v("2312"));
    assert.match(only.message, /^\[targetVersion\] 8\.12\.0 cannot be reached from the 6\.2\.0 the host runs: /);
    assert.match(only.message, /upgrade the host to Horizon 7 \(e\.g\. 7\.13\.2\) first\.$/);
  });
});
