import assert from "node:assert/strict";
import { decorate, parsePlanLine, planSteps, statusFromInputs, statusOf, withStatus } from "../../provider/report/status";

describe("report/status", () => {
  describe("statusOf", () => {
    const cases: [string, string[], string | undefined, string | undefined, object][] = [
      ["a server with steps and no reason is ready", ["1. install on CS1: run it"], undefined, undefined, { state: "ready", reason: "" }],
      ["a server with no steps and no reason is done", [], undefined, undefined, { state: "done", reason: "" }],
      ["an empty reason counts as none", [], "", undefined, { state: "done", reason: "" }],
      [
        "a reason starting with 'after X:' is an expected wait, naming what it waits for",
        ["1. preflight on SS1: check"],
        "after CS1 reaches 7.13.2: the paired Connection Server CS1 runs 7.12.0",
        undefined,
        {
          state: "waiting",
          reason: "after CS1 reaches 7.13.2: the paired Connection Server CS1 runs 7.12.0",
          waitingFor: "CS1 reaches 7.13.2",
        },
      ],
      [
        "a reason starting with a kebab-case code blocks with that code",
        ["1. preflight on CS2: check"],
        "installer-hash-mismatch: the file on CS2 is not the vendor's",
        undefined,
        { state: "blocked", code: "installer-hash-mismatch", reason: "installer-hash-mismatch: the file on CS2 is not the vendor's" },
      ],
      [
        "any other reason blocks with the generic code",
        [],
        "the window is closed",
        undefined,
        { state: "blocked", code: "blocked", reason: "the window is closed" },
      ],
      [
        "a wait keeps its code",
        [],
        "after CS1 reaches 7.13.2: not yet",
        "waiting-for-connection-server",
        {
          state: "waiting",
          code: "waiting-for-connection-server",
          reason: "after CS1 reaches 7.13.2: not yet",
          waitingFor: "CS1 reaches 7.13.2",
        },
      ],
      [
        "a wait's code alone makes a wait",
        [],
        "3 servers are behind",
        "servers-behind",
        { state: "waiting", code: "servers-behind", reason: "3 servers are behind" },
      ],
      [
        "a blocking code wins over a reason of another form",
        [],
        "the window is closed",
        "window-closed",
        { state: "blocked", code: "window-closed", reason: "the window is closed" },
      ],
    ];
    for (const [title, plan, reason, code, expected] of cases) it(title, () => assert.deepEqual(statusOf(plan, reason, code), expected));
  });

  describe("parsePlanLine", () => {
    it("splits a plan line into step, host and detail", () => {
      assert.deepEqual(parsePlanLine("2. install on CS1: run C:\\x.exe silently: 7.12.0 -> 7.13.2"), {
        step: "install",
        host: "CS1",
        detail: "run C:\\x.exe silently: 7.12.0 -> 7.13.2",
      });
    });
    for (const line of ["", "install on CS1: x", "2. install CS1", "(computed once the connection and the setup are known)"]) {
      it(`leaves a line of another shape alone: ${JSON.stringify(line)}`, () => assert.equal(parsePlanLine(line), undefined));
    }
    it("keeps only the lines it can parse, in order", () => {
      assert.deepEqual(
        planSteps(["1. a on H: x", "junk", "2. b on H2: y"]).map((s) => s.step),
        ["a", "b"],
      );
    });
  });

  describe("statusFromInputs", () => {
    it("prefers the status the resource reported", () => {
      const status = { state: "blocked", code: "not-administrator", reason: "x" };
      assert.deepEqual(statusFromInputs({ status, plan: [] }), status);
    });
    it("ignores a status of the wrong shape and derives one", () => {
      assert.deepEqual(statusFromInputs({ status: { state: "maybe" }, plan: ["1. a on H: x"] }), { state: "ready", reason: "" });
    });
    it("uses blockedCode beside blockedReason", () => {
      assert.equal(statusFromInputs({ plan: [], blockedReason: "x", blockedCode: "installer-missing" }).code, "installer-missing");
    });
    it("treats a resource being deleted as done", () => assert.equal(statusFromInputs({ plan: ["1. a on H: x"] }, true).state, "done"));
  });
});

describe("report/status: what the providers return", () => {
  it("adds steps and status beside a plan", () => {
    assert.deepEqual(withStatus({ plan: ["1. install on CS1: run it"], blockedReason: "after CS0 reaches 7.13.2: not yet" }), {
      plan: ["1. install on CS1: run it"],
      blockedReason: "after CS0 reaches 7.13.2: not yet",
      steps: [{ step: "install", host: "CS1", detail: "run it" }],
      status: { state: "waiting", reason: "after CS0 reaches 7.13.2: not yet", waitingFor: "CS0 reaches 7.13.2" },
    });
  });
  it("leaves props without a plan as they are", () => assert.deepEqual(withStatus({ x: 1 }), { x: 1 }));
  it("decorates check's inputs, read's props and inputs, and create's outs; failures pass through", async () => {
    assert.equal(((await decorate({ inputs: { plan: [] } })) as any).inputs.status.state, "done");
    const read = (await decorate(Promise.resolve({ id: "x", props: { plan: [] }, inputs: { plan: ["1. a on H: b"] } }))) as any;
    assert.deepEqual([read.props.status.state, read.inputs.status.state], ["done", "ready"]);
    assert.equal(((await decorate({ id: "x", outs: { plan: [] } })) as any).outs.status.state, "done");
    await assert.rejects(decorate(Promise.reject(new Error("step 2 failed"))), /step 2 failed/);
  });
});
