import * as assert from "node:assert/strict";
import { z } from "zod";
import { GET_FILE_HASH, GET_SECURITY_SERVER_LIST, PRELUDE, runOperation, scriptFor } from "../../provider/operations";
import { type OperationRequest, type RunOptions, type Session, isTransportError } from "../../provider/transport";

/** A session that records requests and answers with a fixed result. */
function fakeSession(result: unknown): Session & { requests: OperationRequest[]; options: RunOptions[] } {
  const requests: OperationRequest[] = [];
  const options: RunOptions[] = [];
  return {
    label: "fake@host:22",
    requests,
    options,
    async run<T>(request: OperationRequest, o: RunOptions = {}) {
      requests.push(request);
      options.push(o);
      return { result: result as T, exitCode: 0, stdout: [], stderr: "" };
    },
  };
}

describe("operation", () => {
  it("builds the script from header, prelude and body", () => {
    assert.equal(scriptFor(GET_FILE_HASH), `# vdi-upgrade operation: Get-FileHash\n${PRELUDE}\n${GET_FILE_HASH.body}\n`);
  });

  it("puts an operator's body after the header and prelude of an overridable operation", () => {
    const body = "Write-VdiResult @{ securityServers = @(); useIpsec = $false }";
    assert.equal(scriptFor(GET_SECURITY_SERVER_LIST, body), `# vdi-upgrade operation: Get-SecurityServerList\n${PRELUDE}\n${body}\n`);
  });

  it("refuses an override for an operation that is not overridable", () => {
    assert.throws(() => scriptFor(GET_FILE_HASH, "x"), /\[body\] Get-FileHash cannot be overridden/);
  });

  it("refuses an override that carries its own header line", () => {
    assert.throws(() => scriptFor(GET_SECURITY_SERVER_LIST, "# vdi-upgrade operation: Get-HostFacts\nx"), /must not contain a header line/);
  });

  it("sends nothing when the params are wrong, and hides secrets in the message", async () => {
    const s = fakeSession({});
    const { START_INSTALLER } = await import("../../provider/operations");
    const bad = {
      product: "cs",
      target: "7.13.2",
      path: "",
      argumentTemplate: '/v"PWD={{secret:pw}}"',
      logPath: "C:\\l",
      waitSeconds: 5,
      secrets: { other: "hunter2" },
    };
    await assert.rejects(runOperation(s, START_INSTALLER, bad), (e: unknown) => {
      assert.ok(isTransportError(e, "invalid-params"));
      assert.match(e.message, /\[path\]/);
      assert.match(e.message, /uses \{\{secret:pw\}\} but \[secrets\] has no "pw"/);
      assert.ok(!e.message.includes("hunter2"));
      assert.match(e.message, /Nothing was sent/);
      return true;
    });
    assert.equal(s.requests.length, 0);
  });

  it("refuses a result that does not have the promised shape, pointing at an override", async () => {
    const s = fakeSession({ securityServers: [{ name: "SS1" }], useIpsec: "yes" });
    await assert.rejects(runOperation(s, GET_SECURITY_SERVER_LIST, {}, { body: "Write-VdiResult @{}" }), (e: unknown) => {
      assert.ok(isTransportError(e, "invalid-result"));
      assert.match(e.message, /\[securityServers\.0\.version\]/);
      assert.match(e.message, /\[useIpsec\]/);
      assert.match(e.message, /operator override/);
      return true;
    });
  });

  it("uses the operation's own deadline unless the caller gives one", async () => {
    const s = fakeSession({ exists: false, sha256: null, sizeBytes: null });
    await runOperation(s, GET_FILE_HASH, { path: "C:\\x" });
    await runOperation(s, GET_FILE_HASH, { path: "C:\\x" }, { deadlineSeconds: 7 });
    assert.deepEqual(
      s.options.map((o) => o.deadlineSeconds),
      [600, 7],
    );
    assert.equal(s.requests[0].operation, "Get-FileHash");
    assert.deepEqual(s.requests[0].params, { path: "C:\\x" });
  });

  it("validates with zod schemas that report the path of each problem", () => {
    const r = GET_FILE_HASH.result.safeParse({ exists: true, sha256: "ABC", sizeBytes: -1 });
    assert.ok(!r.success);
    assert.deepEqual(r.error.issues.map((i) => i.path.join(".")).sort(), ["sha256", "sizeBytes"]);
    assert.ok(z.object({}).safeParse({}).success);
  });
});
