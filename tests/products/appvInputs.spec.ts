import assert from "node:assert/strict";
import { validateAppVFarmInputs, validateAppVServerInputs } from "../../provider/products/appvInputs";
import { UNKNOWN } from "../../provider/lifecycle/inputSupport";

const SHA = "0123456789abcdef".repeat(4);
const connection = (host: string) => ({ host, user: "Administrator", password: "pw-not-shown", hostKey: "SHA256:" + "A".repeat(43) });

function server(): Record<string, any> {
  return {
    resourceName: "farm1-appv1",
    connection: connection("appv1.corp.example"),
    role: "management",
    targetVersion: "4.5 SP2",
    installer: { path: "C:\\Installers\\AppV\\setup.exe", sha256: SHA },
  };
}

function preparation(): Record<string, any> {
  return {
    resourceName: "farm1-preparation",
    farmName: "farm1",
    targetVersion: "4.5 SP2",
    servers: [
      {
        name: "appv1",
        role: "management",
        connection: connection("appv1.corp.example"),
        installer: { path: "C:\\I\\setup.exe", sha256: SHA },
      },
    ],
    database: { connection: connection("sql1.corp.example"), sqlServer: "SQL1" },
  };
}

describe("validateAppVServerInputs and validateAppVFarmInputs", () => {
  it("accept valid inputs and normalise the target", () => {
    assert.equal(validateAppVServerInputs({ ...server(), targetVersion: "4.5 sp 2" }).inputs?.targetVersion, "4.5 SP2");
    assert.deepEqual(validateAppVFarmInputs("farm-preparation", preparation()).failures, []);
  });

  it("do not refuse a value not known yet (preview), in any field", () => {
    assert.deepEqual(validateAppVServerInputs({ ...server(), connection: UNKNOWN }).failures, []);
    assert.deepEqual(
      validateAppVFarmInputs("farm-preparation", { ...preparation(), database: { ...preparation().database, connection: UNKNOWN } })
        .failures,
      [],
    );
  });

  it("still refuse an unknown field beside a value not known yet", () => {
    const s = validateAppVServerInputs({ ...server(), installer: { path: UNKNOWN, sha256: SHA, extra: 1 } });
    assert.ok(
      s.failures.some((f) => f.property === "installer" && /unknown field\(s\) "extra"/.test(f.reason)),
      JSON.stringify(s.failures),
    );
    const p = preparation();
    const f = validateAppVFarmInputs("farm-preparation", { ...p, database: { ...p.database, connection: UNKNOWN, extra: 1 } });
    assert.ok(
      f.failures.some((x) => x.property === "database" && /unknown field\(s\) "extra"/.test(x.reason)),
      JSON.stringify(f.failures),
    );
  });

  it("name the fix for a missing field or a value of the wrong type, in words", () => {
    const { installer: _omitted, ...rest } = server();
    const reasons = validateAppVServerInputs({ ...rest, role: 5 }).failures.map((f) => f.reason);
    assert.ok(reasons.includes("[installer] is required: give an object (received nothing)."), reasons.join("\n"));
    assert.ok(
      reasons.includes('[role] must be one of "management", "streaming", "management-service", "console", not a number (received 5).'),
      reasons.join("\n"),
    );
  });
});

describe("validateAppVFarmInputs and the upgrade-path rules", () => {
  it("keeps each broken rule's code on its failure and at the end of its reason", () => {
    const farm = preparation();
    farm.servers[0].targetVersion = "4.5 SP1";
    const failures = validateAppVFarmInputs("farm-preparation", farm).failures;
    assert.deepEqual(
      failures.map((f) => [f.property, f.code]),
      [["servers[0].targetVersion", "farm-versions-differ"]],
    );
    assert.ok(failures[0].reason.endsWith(" [farm-versions-differ]"), failures[0].reason);
    const [own] = validateAppVServerInputs({ ...server(), targetVersion: "5.0" }).failures;
    assert.equal(own.code, "version-unsupported");
    assert.ok(own.reason.endsWith(" [version-unsupported]"), own.reason);
  });
});
