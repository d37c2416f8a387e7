// The App-V spec (provider/products/appvSpec.ts) through the runtime entry: check called directly against a lab farm
// over real SSH: the checks of issue 15 (the host's Windows PowerShell version, the schema script override).
import assert from "node:assert/strict";
import { type Lab, startLab } from "../../lab";
import { cliLabOptions, stageAndDescribe } from "../../lab/cli";
import { check } from "../../provider/lifecycle/runtime";
import { closeAllConnections } from "../../provider/transport/pool";
import { resetFactsCache } from "../../provider/upgrade/factsCache";

describe("the App-V spec's check against a lab farm", () => {
  let lab: Lab;
  let description: ReturnType<typeof stageAndDescribe>;
  const log = console.log;

  beforeEach(async () => {
    lab = await startLab({ ...cliLabOptions(1200), pods: [] });
    description = stageAndDescribe(lab);
    console.log = () => undefined; // check prints the plan
  });
  afterEach(async () => {
    console.log = log;
    closeAllConnections();
    await lab.stop();
  });

  const connection = (name: string) => {
    const h = description.hosts[name];
    return { host: h.host, port: h.port, user: h.user, password: h.password, hostKey: h.hostKey };
  };
  const server = () => ({
    resourceName: "farm1-appv1",
    connection: connection("appv1"),
    targetVersion: "4.5 SP2",
    installer: { path: description.hosts.appv1.installers[0].path, sha256: description.hosts.appv1.installers[0].sha256 },
  });

  it("fails preview of a server whose host runs Windows PowerShell below 5.1, with the fix", async () => {
    const ok = await check("appv-server", {}, server());
    assert.equal(ok.failures, undefined);
    lab.setPowerShellVersion("appv1", "3.0");
    // The next preview is a new provider process: nothing read by this one is remembered.
    resetFactsCache();
    const r = await check("appv-server", {}, server());
    // Never on `connection`: the engine prints a top-level property's value, and the connection holds the password.
    assert.deepEqual(
      r.failures?.map((f) => f.property),
      [""],
    );
    assert.match(r.failures![0].reason, /runs Windows PowerShell 3\.0; .*install Windows Management Framework 5\.1/);
  });

  it("fails the farm's schema script override that reads an unknown param before anything reaches a host", async () => {
    const before = lab.audit().length;
    const r = await check(
      "farm-preparation",
      {},
      {
        resourceName: "farm1-preparation",
        farmName: "farm1",
        targetVersion: "4.5 SP2",
        servers: [{ name: "appv1", connection: connection("appv1") }],
        database: {
          connection: connection("sql1"),
          sqlServer: "SQL1",
          schemaScript: "Write-VdiResult @{ schemaVersion = [string]$p.schema }",
        },
      },
    );
    assert.deepEqual(
      r.failures?.map((f) => f.property),
      ["database.schemaScript"],
    );
    assert.match(
      r.failures![0].reason,
      /line 1, column 44: reads \$p\.schema, which is not in the params of Get-AppVDatabase: it has sqlServer, database, secrets/,
    );
    assert.equal(lab.audit().length, before);
  });
});
