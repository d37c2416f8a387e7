import assert from "node:assert/strict";
import {
  type AppVInstallFacts,
  type SecurityServerInstallFacts,
  checkAppVInstall,
  checkConnectionServerInstall,
  checkProductAndVersion,
  checkSecurityServerInstall,
} from "../../lab/rules";

const V712 = "7.12.0.15770369";
const V7132 = "7.13.2.21000000";

describe("lab rules: security server installer", () => {
  const ok: SecurityServerInstallFacts = {
    target: V7132,
    remainingIpsecRules: [],
    passwordGiven: "pw",
    pairing: { password: "pw", expiresMs: 2000 },
    nowMs: 1000,
    pairedWith: "CS1",
    connectionServerVersion: V7132,
  };
  const cases: [string, Partial<SecurityServerInstallFacts>, string[]][] = [
    ["a prepared server with a valid password", {}, []],
    [
      "a pairing rule still on either host",
      { remainingIpsecRules: ["VMware View Security Server QM Pairing with 10.20.0.11"] },
      ["ipsec-rules-present"],
    ],
    ["no pairing password set", { pairing: undefined }, ["pairing-password-not-set"]],
    ["an expired password (boundary)", { nowMs: 2000 }, ["pairing-password-expired"]],
    ["a wrong password", { passwordGiven: "other" }, ["pairing-password-wrong"]],
    ["no password on the command line", { passwordGiven: undefined }, ["pairing-password-missing"]],
    ["an older paired CS", { connectionServerVersion: V712 }, ["connection-server-older"]],
    ["a newer paired CS", { target: V712, connectionServerVersion: V7132 }, ["connection-server-newer"]],
    ["a newer paired CS by build only", { connectionServerVersion: "7.13.2.21000001" }, ["connection-server-newer"]],
    ["a Horizon 8 target", { target: "8.0.0.16592062", connectionServerVersion: "8.0.0.16592062" }, ["security-server-unsupported"]],
    [
      "everything wrong at once",
      { remainingIpsecRules: ["r"], pairing: undefined, connectionServerVersion: V712 },
      ["ipsec-rules-present", "pairing-password-not-set", "connection-server-older"],
    ],
  ];
  for (const [what, patch, codes] of cases) {
    it(`reports ${codes.join(", ") || "nothing"} for ${what}`, () => {
      const v = checkSecurityServerInstall({ ...ok, ...patch });
      assert.deepEqual(
        v.map((x) => x.code),
        codes,
      );
      assert.ok(v.every((x) => x.exitCode === 1603));
    });
  }
});

describe("lab rules: product, version, Connection Server, App-V", () => {
  it("refuses a downgrade and accepts a reinstall of the same version", () => {
    assert.deepEqual(
      checkProductAndVersion("connection-server", "horizon-connection-server", V7132, V712).map((v) => v.code),
      ["downgrade-refused"],
    );
    assert.deepEqual(checkProductAndVersion("connection-server", "horizon-connection-server", V712, V712), []);
  });

  it("refuses an installer of another product", () => {
    assert.deepEqual(
      checkProductAndVersion("appv-management", "horizon-connection-server", "4.1.1.1", V7132).map((v) => v.code),
      ["installer-wrong-product"],
    );
  });

  const csCases: [string, boolean, string[]][] = [
    ["8.5.0.1", false, ["replication-unhealthy"]],
    ["8.4.0.1", false, []],
    ["8.5.0.1", true, []],
    [V7132, false, []],
  ];
  for (const [target, healthy, codes] of csCases) {
    it(`checks LDAP replication for a ${target} target (healthy: ${healthy})`, () => {
      assert.deepEqual(
        checkConnectionServerInstall(target, healthy).map((v) => v.code),
        codes,
      );
    });
  }

  const admin = { state: "ok" as const, user: "appv-admin" };
  const appvCases: [string, AppVInstallFacts, string[], boolean][] = [
    [
      "4.1 SP1 to 4.5 SP2, peers stopped",
      { installed: "4.1.1.1", target: "4.5.2.17140", schemaVersion: "4.1.1.1", runningPeers: [], adminLogin: admin },
      [],
      true,
    ],
    [
      "4.1 SP1 to 4.5 SP2, a peer running",
      { installed: "4.1.1.1", target: "4.5.2.17140", schemaVersion: "4.1.1.1", runningPeers: ["APPV2"], adminLogin: admin },
      ["schema-upgrade-peers-online"],
      true,
    ],
    [
      "second server after the schema upgrade",
      { installed: "4.1.1.1", target: "4.5.2.17140", schemaVersion: "4.5.2.17140", runningPeers: ["APPV1"] },
      [],
      false,
    ],
    [
      "4.0 to 4.5",
      { installed: "4.0.1.1850", target: "4.5.0.1485", schemaVersion: "4.0.1.1850", runningPeers: [], adminLogin: admin },
      ["appv-source-too-old"],
      true,
    ],
    [
      "4.0 to 4.1 SP1",
      { installed: "4.0.1.1850", target: "4.1.1.1", schemaVersion: "4.0.1.1850", runningPeers: [], adminLogin: admin },
      [],
      true,
    ],
    [
      "a schema upgrade without the database administrative credentials",
      { installed: "4.1.1.1", target: "4.5.2.17140", schemaVersion: "4.1.1.1", runningPeers: [] },
      ["schema-upgrade-credentials"],
      true,
    ],
    [
      "a schema upgrade whose credentials SQL refuses",
      {
        installed: "4.1.1.1",
        target: "4.5.2.17140",
        schemaVersion: "4.1.1.1",
        runningPeers: [],
        adminLogin: { state: "refused", user: "x", message: "Login failed for user 'x'." },
      },
      ["schema-upgrade-credentials"],
      true,
    ],
    [
      "a schema upgrade by a login that is not sysadmin",
      {
        installed: "4.1.1.1",
        target: "4.5.2.17140",
        schemaVersion: "4.1.1.1",
        runningPeers: [],
        adminLogin: { state: "not-admin", user: "x" },
      },
      ["schema-upgrade-credentials"],
      true,
    ],
    ["a streaming server (no database)", { installed: "4.1.1.1", target: "4.5.2.17140", runningPeers: [] }, [], false],
  ];
  for (const [what, facts, codes, upgradesSchema] of appvCases) {
    it(`App-V: ${what}`, () => {
      const v = checkAppVInstall(facts);
      assert.deepEqual(
        v.violations.map((x) => x.code),
        codes,
      );
      assert.equal(v.upgradesSchema, upgradesSchema);
    });
  }
});
