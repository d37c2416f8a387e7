import assert from "node:assert/strict";
import type { AppVFarmInputs, AppVServerInputs } from "../../provider/products/appvInputs";
import { backupPathOf, databaseLabel, followsSchemaUpgrade, serviceOf, sqlSecrets, webPathOf } from "../../provider/upgrade/appvSteps";

describe("serviceOf and webPathOf", () => {
  it("gives each role its service, an override only for a Windows service, and a web path only to the web service", () => {
    assert.equal(serviceOf(undefined, undefined), "Application Virtualization Management Server");
    assert.equal(serviceOf("streaming", undefined), "Application Virtualization Streaming Server");
    assert.equal(serviceOf("streaming", { serviceDisplayName: "Custom" }), "Custom");
    assert.equal(
      serviceOf("management-service", { serviceDisplayName: "Custom" }),
      "IIS application pool of the App-V Management Web Service",
    );
    assert.equal(webPathOf("management-service", undefined), "*\\App Virt Management Service*");
    assert.equal(webPathOf("management-service", { webApplicationPath: "D:\\web" }), "D:\\web");
    assert.equal(webPathOf("management", { webApplicationPath: "D:\\web" }), undefined);
  });
});

describe("followsSchemaUpgrade", () => {
  const server = (farm?: Record<string, unknown>) => ({ resourceName: "farm1-appv2", farm }) as unknown as AppVServerInputs;
  it("is true only for a farm member other than the one that upgrades the schema", () => {
    assert.equal(followsSchemaUpgrade(server()), false);
    assert.equal(followsSchemaUpgrade(server({ name: "farm1", database: "APPVIRT" })), false);
    assert.equal(followsSchemaUpgrade(server({ name: "farm1", database: "APPVIRT", schemaServer: "farm1-appv2" })), false);
    assert.equal(followsSchemaUpgrade(server({ name: "farm1", database: "APPVIRT", schemaServer: "farm1-appv1" })), true);
    assert.equal(
      followsSchemaUpgrade(server({ name: "farm1", database: "APPVIRT", self: "farm1-appv1", schemaServer: "farm1-appv1" })),
      false,
    );
  });
});

describe("the farm's database", () => {
  const farm = (extra: Record<string, unknown>) => ({ targetVersion: "4.5 SP2", ...extra }) as unknown as AppVFarmInputs;
  it("backs up to the program's path, else to the default file per database and target, and not at all when waived", () => {
    assert.equal(backupPathOf(farm({ database: { sqlServer: "SQL1" } })), "C:\\Backup\\APPVIRT-before-4.5-SP2.bak");
    assert.equal(backupPathOf(farm({ database: { sqlServer: "SQL1", name: "APP V", backupPath: "E:\\b.bak" } })), "E:\\b.bak");
    assert.equal(backupPathOf(farm({ database: { sqlServer: "SQL1", name: "APP V" } })), "C:\\Backup\\APP_V-before-4.5-SP2.bak");
    assert.equal(backupPathOf(farm({ database: { sqlServer: "SQL1" }, backup: { waive: { reason: "r" } } })), undefined);
    assert.equal(databaseLabel(farm({ database: { sqlServer: "SQL1" } })), "SQL1/APPVIRT");
  });

  it("sends SQL credentials only when both the login and its password are given", () => {
    assert.deepEqual(sqlSecrets(farm({ database: { sqlUser: "backup", sqlPassword: "pw" } })), { sqlUser: "backup", sqlPassword: "pw" });
    assert.equal(sqlSecrets(farm({ database: { sqlUser: "backup" } })), undefined);
  });
});
