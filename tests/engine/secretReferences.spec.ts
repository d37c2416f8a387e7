// Secrets by reference through the real engine: the demo estate (examples/estate: the pod and the App-V farm) with
// `secretReferences: "env"` passes every SSH password, the pairing password and the SQL login as `{ fromEnv }`
// references, which only the provider process resolves. An `up` logged at `-v=9 --logtostderr` with `--debug` (what
// operators attach to support tickets) upgrades the estate, and no secret value appears in the engine's log, its
// terminal output, its events or the state; the references do.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { EngineEvent, LocalWorkspace } from "@pulumi/pulumi/automation";
import { Engine } from "../harness/engine";
import { POD, changingAudit, dispose, errorText, podUnderTest, version, type PodUnderTest } from "../harness/podLab";

/** The environment the example's references name, from the lab's inventory. */
function referencedEnv(p: PodUnderTest): Record<string, string> {
  const inventory = JSON.parse(fs.readFileSync(path.join(p.dir, "lab.json"), "utf8")) as {
    pairingPassword: string;
    hosts: Record<string, { password?: string; sqlUser?: string; sqlPassword?: string }>;
  };
  const env: Record<string, string> = { VDI_PAIRING_PASSWORD: inventory.pairingPassword };
  for (const [name, h] of Object.entries(inventory.hosts)) {
    if (h.password) env[`VDI_SSH_PASSWORD_${name.toUpperCase()}`] = h.password;
    if (h.sqlUser && h.sqlPassword)
      Object.assign(env, { [`VDI_SQL_USER_${name.toUpperCase()}`]: h.sqlUser, [`VDI_SQL_PASSWORD_${name.toUpperCase()}`]: h.sqlPassword });
  }
  return env;
}

function setEnv(p: PodUnderTest, env: Record<string, string>): void {
  Object.assign((p.stack.stack.workspace as LocalWorkspace).envVars, env);
}

describe("secrets by reference through the real engine", function () {
  let engine: Engine;
  before(async () => {
    engine = await Engine.open();
  });
  after(async () => {
    await engine?.dispose();
  });

  it("upgrades the estate with no secret value in a -v=9 --debug log, the terminal, the events or the state", async () => {
    const pod = await podUnderTest(engine, { secretReferences: "env" }, "estate");
    try {
      setEnv(pod, referencedEnv(pod));
      const events: EngineEvent[] = [];
      let output = "";
      const up = await pod.stack.stack.up({
        logVerbosity: 9,
        logToStdErr: true,
        debug: true,
        color: "never",
        onEvent: (e) => events.push(e),
        onOutput: (s) => (output += s),
      });
      assert.equal(up.summary.result, "succeeded");
      for (const h of POD) assert.equal(version(pod.lab, h), "7.13.2.21000000");
      for (const h of ["appv1", "appv2", "appv3"]) assert.equal(version(pod.lab, h), "4.5.2.17140");
      assert.ok(up.stderr.length > 100_000, `the -v=9 log is only ${up.stderr.length} characters: was it captured?`);
      // The engine saw the references (check returned them), never the values.
      assert.match(up.stderr, /VDI_SSH_PASSWORD_CS1/);
      assert.match(up.stderr, /VDI_PAIRING_PASSWORD/);
      assert.match(up.stderr, /VDI_SQL_PASSWORD_SQL1/);
      const places: [string, string][] = [
        ["-v=9 log (stderr)", up.stderr],
        ["terminal output", up.stdout + output],
        ["engine events", JSON.stringify(events)],
        ["state file", pod.stack.stateFileText()],
        ["lab audit", JSON.stringify(pod.lab.audit())],
      ];
      const found = places.flatMap(([where, text]) => pod.secrets.filter((s) => text.includes(s)).map(() => where));
      assert.deepEqual(found, [], `a secret value appears in: ${found.join(", ")}`);
    } finally {
      await dispose(pod);
    }
  });

  it("fails preview naming the field and the reference when the variable is not set, before any host is contacted", async () => {
    const pod = await podUnderTest(engine, { secretReferences: "env" });
    try {
      const env = referencedEnv(pod);
      delete env.VDI_SSH_PASSWORD_CS2;
      setEnv(pod, env);
      const err = await pod.stack.preview().then(
        () => assert.fail("preview succeeded without VDI_SSH_PASSWORD_CS2"),
        (e: unknown) => e,
      );
      assert.match(
        errorText(err),
        /\[connection\.password\] \[pod1-cs2\] \{ fromEnv: "VDI_SSH_PASSWORD_CS2" \}: the environment variable VDI_SSH_PASSWORD_CS2 is not set where `pulumi` runs/,
      );
      assert.deepEqual(changingAudit(pod.lab.audit()), []);
    } finally {
      await dispose(pod);
    }
  });
});
