// An operator's script override that Windows PowerShell 5.1 cannot parse, through the real engine: `pulumi preview`
// of the example pod (examples/horizon-pod) fails naming the override, the line, the column and the text there, and
// nothing reaches a host.
import assert from "node:assert/strict";
import { Engine } from "../harness/engine";
import { changingAudit, dispose, errorText, podUnderTest } from "../harness/podLab";

describe("a broken script override through the real engine", function () {
  let engine: Engine;
  before(async () => {
    engine = await Engine.open();
  });
  after(async () => {
    await engine?.dispose();
  });

  it("fails preview of the example pod with the override's line, column and text, before any host is read", async () => {
    const prepareSecurityServerScript = [
      "'Removing the IPsec rules of ' + $p.securityServer",
      "$rules = @(Get-NetIPsecRule -DisplayName 'VMware View Security Server QM Pairing with *'",
      "Write-VdiResult @{ ipsec = 'prepared' }",
    ].join("\n");
    const pod = await podUnderTest(engine, { overrides: { prepareSecurityServerScript } });
    try {
      const err = await pod.stack.preview().then(
        () => assert.fail("preview succeeded with a script that does not parse"),
        (e: unknown) => e,
      );
      assert.match(
        errorText(err),
        /\[overrides\.prepareSecurityServerScript\] line 2, column 10: Windows PowerShell 5\.1 cannot parse the script: the "@\(" opened here is never closed with "\)": "\$rules = @\(Get-NetIPsecRule/,
      );
      assert.deepEqual(pod.lab.audit(), [], "a host was contacted");
      assert.deepEqual(changingAudit(pod.lab.audit()), []);
    } finally {
      await dispose(pod);
    }
  });
});
