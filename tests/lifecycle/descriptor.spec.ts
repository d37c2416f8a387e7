import assert from "node:assert/strict";
import {
  type ResourceDescriptor,
  desiredState,
  inputsFromOutputs,
  outputKeys,
  outputSeeds,
  secretOutputs,
  secretValuesOf,
} from "../../provider/lifecycle/descriptor";
import { APPV_SERVER, FARM_PREPARATION } from "../../provider/products/appvInputs";
import { CONNECTION_SERVER, SECURITY_SERVER } from "../../provider/products/horizonInputs";

const connection = (password: string) => ({
  host: "h",
  user: "svc",
  password,
  hostKey: "k",
  proxy: { host: "jump", privateKey: `${password}-key` },
});

describe("secretValuesOf", () => {
  it("finds a security server's connection secrets, its jump host's, its Connection Server's and the pairing password", () => {
    const found = secretValuesOf(SECURITY_SERVER, {
      connection: connection("ss-pw"),
      connectionServer: { name: "CS1", connection: connection("cs-pw") },
      pairingPassword: "pairing-pw",
    });
    assert.deepEqual(found.sort(), ["cs-pw", "cs-pw-key", "pairing-pw", "ss-pw", "ss-pw-key"]);
  });

  it("finds the connections of a Connection Server's availability group (the guard reads them)", () => {
    const found = secretValuesOf(CONNECTION_SERVER, {
      connection: connection("cs1-pw"),
      guard: { stack: "s", project: "p", group: [{ name: "cs2", connection: connection("cs2-pw") }] },
    });
    assert.deepEqual(found.sort(), ["cs1-pw", "cs1-pw-key", "cs2-pw", "cs2-pw-key"]);
  });

  it("finds every farm member's connection and the database's credentials, and login names of at least 4 characters only", () => {
    const found = secretValuesOf(FARM_PREPARATION, {
      servers: [
        { name: "a", connection: connection("a-pw") },
        { name: "b", connection: connection("b-pw") },
      ],
      database: {
        connection: connection("sql-pw"),
        sqlUser: "sa",
        sqlPassword: "db-pw",
        adminUser: "appv-admin",
        adminPassword: "admin-pw",
      },
    });
    assert.deepEqual(found.sort(), ["a-pw", "a-pw-key", "admin-pw", "appv-admin", "b-pw", "b-pw-key", "db-pw", "sql-pw", "sql-pw-key"]);
  });

  it("finds an App-V server's database administrative credentials", () => {
    assert.deepEqual(
      secretValuesOf(APPV_SERVER, { connection: connection("x"), databaseAdmin: { user: "dbadmin", password: "dba-pw" } }).sort(),
      ["dba-pw", "dbadmin", "x", "x-key"],
    );
  });
});

describe("what derives from a descriptor", () => {
  it("makes every credential input of a kind an additional secret output, with the program's own", () => {
    assert.deepEqual(secretOutputs(SECURITY_SERVER), ["connection", "connectionServer", "pairingPassword", "guard"]);
    assert.deepEqual(secretOutputs(CONNECTION_SERVER, ["extra"]), ["connection", "guard", "extra"]);
    assert.deepEqual(secretOutputs(APPV_SERVER), ["connection", "databaseAdmin", "guard"]);
  });

  it("seeds each declared output as undefined and accepts declared and internal outputs back from state", () => {
    assert.ok(Object.values(outputSeeds(CONNECTION_SERVER)).every((v) => v === undefined));
    assert.ok("configurationBackupFile" in outputSeeds(CONNECTION_SERVER));
    assert.ok(outputKeys(SECURITY_SERVER).includes("pairingStateVerified"));
    assert.ok(!outputKeys(SECURITY_SERVER).includes("pairingPassword"));
  });

  it("leaves the provider, outputs, write-only inputs and ordering links out of the desired state", () => {
    const props = {
      __provider: "p",
      targetVersion: "7.13.2",
      liveVersion: "7.12.0",
      pairingPassword: "pw",
      upgradeAfter: ["x"],
      connectionServer: { name: "CS1", upgraded: "7.13.2" },
    };
    assert.deepEqual(desiredState(SECURITY_SERVER, props, ["liveVersion"]), { targetVersion: "7.13.2", connectionServer: { name: "CS1" } });
  });

  it("gives read the stored outputs back as inputs without what only up sets", () => {
    const d: ResourceDescriptor = { ...CONNECTION_SERVER };
    assert.deepEqual(inputsFromOutputs(d, { targetVersion: "7.13.2", installedVersion: "7.13.2.1", serviceStatus: "Running", plan: [] }), {
      targetVersion: "7.13.2",
      plan: [],
    });
  });
});
