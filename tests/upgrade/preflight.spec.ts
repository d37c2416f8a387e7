import assert from "node:assert/strict";
import type { HostFacts } from "../../provider/upgrade/hostFacts";
import { WMF_51_URL, powershellBlock, powershellFailures, preflightBlock } from "../../provider/upgrade/preflight";

const facts = (psVersion: string | undefined): HostFacts => ({
  host: "CS1",
  reachable: true,
  isAdmin: true,
  user: "cs1\\administrator",
  psVersion,
  installer: { exists: true, sha256: "a".repeat(64) },
});
const intent = { installerPath: "C:\\Installers\\cs.exe", installerSha256: "a".repeat(64) };

describe("preflight: the host's Windows PowerShell", () => {
  // [psVersion, refused]
  const cases: [string | undefined, boolean][] = [
    ["5.1.17763.1852", false],
    ["5.1", false],
    ["5.10.1", false],
    ["7.4.1", false],
    ["5.0.10586.117", true],
    ["4.0", true],
    ["3.0", true],
    ["2.0", true],
    [undefined, false],
    ["", false],
  ];
  for (const [psVersion, refused] of cases) {
    it(`${refused ? "refuses" : "accepts"} a host reporting ${JSON.stringify(psVersion)}`, () => {
      const block = powershellBlock(facts(psVersion));
      assert.equal(block !== undefined, refused);
      assert.equal(preflightBlock(facts(psVersion), intent, "installer")?.code, refused ? "powershell-too-old" : undefined);
    });
  }

  it("names the host, its version and the fix (WMF 5.1, with its download page)", () => {
    const [failure] = powershellFailures(facts("4.0"));
    assert.equal(failure.property, "connection");
    assert.equal(
      failure.reason,
      `[connection] CS1 runs Windows PowerShell 4.0; the upgrade's PowerShell is written for Windows PowerShell 5.1: install Windows Management Framework 5.1 (${WMF_51_URL}) on CS1, restart it, then run again.`,
    );
  });
});
