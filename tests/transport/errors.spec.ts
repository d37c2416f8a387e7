import * as assert from "node:assert/strict";
import { TRANSPORT_ERROR_BRAND, TransportError, isTransportError } from "../../provider/transport/errors";

describe("errors", () => {
  it("recognises a transport error by brand and code, including a copy that is not an instance of this class", () => {
    const e = new TransportError("deadline-exceeded", "late", { host: "h", operation: "Get-HostFacts" });
    assert.equal(e.host, "h");
    assert.equal(e.operation, "Get-HostFacts");
    assert.ok(isTransportError(e));
    assert.ok(isTransportError(e, "deadline-exceeded"));
    assert.ok(!isTransportError(e, "auth-failed"));
    const copy = { brand: TRANSPORT_ERROR_BRAND, code: "auth-failed", message: "x" };
    assert.ok(isTransportError(copy, "auth-failed"));
  });

  it("does not take other errors for transport errors", () => {
    for (const v of [new Error("x"), { code: "auth-failed" }, null, undefined, "auth-failed"]) assert.ok(!isTransportError(v));
  });
});
