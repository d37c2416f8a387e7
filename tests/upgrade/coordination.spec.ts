import assert from "node:assert/strict";
import { TransportError } from "../../provider/transport/errors";
import type { Session } from "../../provider/transport/session";
import { withHostRecords } from "../../provider/upgrade/coordination";
import type { Plan } from "../../provider/upgrade/steps";

/** A session whose every operation fails with `error`. */
function failing(error: Error): Session {
  return { label: "svc@cs1:22", run: () => Promise.reject(error) };
}

const PLAN: Plan = { steps: [{ name: "install", host: "CS1", detail: "run the installer" }] };
const O = { resource: "pod1-cs1", host: "CS1", afterHookDeclared: true };

describe("withHostRecords", () => {
  it("keeps the plan and says so when the host's lease and owed hooks cannot be read", async () => {
    const plan = await withHostRecords(failing(new Error("Get-RunLease timed out")), PLAN, O);
    assert.deepEqual(plan.steps, PLAN.steps);
    assert.deepEqual(plan.notes, ["CS1: the run lease and owed hooks could not be read (Get-RunLease timed out); up reads them again"]);
  });

  it("throws a refused host key, for check to name the connection's field", async () => {
    const refused = new TransportError("host-key-mismatch", "the host key does not match the pinned hostKey", { host: "svc@cs1:22" });
    await assert.rejects(withHostRecords(failing(refused), PLAN, O), /does not match the pinned hostKey/);
  });
});
