import assert from "node:assert/strict";
import type { AnyHorizonInputs } from "../../provider/products/horizonInputs";
import { backupIntent, installerProductOf } from "../../provider/upgrade/horizonSteps";

const server = (extra: Record<string, unknown> = {}) =>
  ({ resourceName: "pod 1/cs1", targetVersion: "7.13.2", ...extra }) as unknown as AnyHorizonInputs;

describe("backupIntent", () => {
  const cases: Array<[string, "connection-server" | "security-server", Record<string, unknown>, unknown]> = [
    ["no backup for a Connection Server that is not the pod's first", "connection-server", {}, undefined],
    [
      "the default file, one per resource (unsafe characters replaced) and target",
      "connection-server",
      { configurationBackup: {} },
      { path: "C:\\ProgramData\\vdi-upgrade\\pod_1_cs1-before-7.13.2.LDF" },
    ],
    ["the program's path", "connection-server", { configurationBackup: { path: "D:\\pod.LDF" } }, { path: "D:\\pod.LDF" }],
    [
      "the waiver with its reason",
      "connection-server",
      { configurationBackup: { waive: { reason: "snapshots at 21:55" } } },
      { waived: "snapshots at 21:55" },
    ],
    ["never on a security server", "security-server", { configurationBackup: {} }, undefined],
  ];
  for (const [what, kind, extra, expected] of cases) {
    it(`gives ${what}`, () => {
      assert.deepEqual(backupIntent(kind, server(extra)), expected);
    });
  }
});

describe("installerProductOf", () => {
  it("keys the host's installer run record by the kind of server", () => {
    assert.equal(installerProductOf("connection-server"), "horizon-connection-server");
    assert.equal(installerProductOf("security-server"), "horizon-security-server");
  });
});
