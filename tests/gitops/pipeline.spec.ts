// The GitOps loop, rehearsed: examples/gitops/pipeline.sh (what examples/gitops/pipeline.yml runs) against the lab
// and the demo program (Pulumi.yaml), through the real CLI: preview --json, the reviewer's summary, the policy pack
// (policy/, launched as tests/fixtures/policy-pack), a gate; then up and a second up that must change nothing.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type Lab, startLab } from "../../lab";
import { cliLabOptions, stageAndDescribe } from "../../lab/cli";
import { RULES, resourcesOfPreview } from "../../policy/rules";
import { Engine, repoRoot, type TestStack } from "../harness/engine";
import { CHANGING } from "../harness/podLab";

const SCRIPT = path.join(repoRoot, "examples", "gitops", "pipeline.sh");
const POLICY_PACK = path.join(repoRoot, "tests", "fixtures", "policy-pack");

interface ScriptRun {
  code: number;
  output: string;
}

describe("the GitOps pipeline (examples/gitops/pipeline.sh) against the lab", function () {
  this.timeout(600_000);
  let engine: Engine;
  let lab: Lab;
  let stack: TestStack;
  let dir: string;
  let secrets: string[];
  const outputs: string[] = [];

  function pipeline(stage: string, extra: Record<string, string> = {}): Promise<ScriptRun> {
    return new Promise((resolve, reject) => {
      const child = spawn("bash", [SCRIPT, stage], {
        cwd: repoRoot,
        env: { ...process.env, ...engine.envVars, STACK: stack.stack.name, POLICY_PACK, OUT_DIR: dir, ...extra },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout.on("data", (d) => (output += d));
      child.stderr.on("data", (d) => (output += d));
      child.on("error", reject);
      child.on("close", (code) => {
        outputs.push(output);
        resolve({ code: code ?? -1, output });
      });
    });
  }

  const changing = () =>
    lab
      .audit()
      .filter(
        (e) => CHANGING.has(e.operation) && !(e.operation === "Set-ServiceState" && (e.params as { state?: string }).state !== "Stopped"),
      );

  before(async () => {
    engine = await Engine.open();
    lab = await startLab(cliLabOptions(1200));
    const description = stageAndDescribe(lab);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "vdi-gitops-"));
    const inventory = path.join(dir, "lab.json");
    fs.writeFileSync(inventory, JSON.stringify(description));
    stack = await engine.stack(".", { inventory: { value: inventory }, timeBudgetMinutes: { value: "240" } });
    secrets = [
      description.pairingPassword,
      ...Object.values(description.hosts)
        .map((h) => h.password!)
        .filter(Boolean),
    ];
  });

  after(async () => {
    await stack?.remove();
    await lab?.stop();
    await engine?.dispose();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("refuses to run without a stage, naming the stages", async () => {
    const r = await pipeline("");
    assert.equal(r.code, 2);
    assert.match(r.output, /usage: pipeline\.sh preview\|up/);
  });

  it("fails the preview stage on a policy violation with the policy's message, and changes nothing on a host", async () => {
    const config = path.join(dir, "policy-config.json");
    fs.writeFileSync(config, JSON.stringify({ "approved-target-versions": { approvedVersions: { horizon: ["7.13.1"] } } }));
    const r = await pipeline("preview", { POLICY_PACK_CONFIG: config });
    assert.notEqual(r.code, 0, r.output);
    assert.match(r.output, /\[mandatory\]\s+approved-target-versions/);
    assert.match(r.output, /\[pod1-cs1\] \[targetVersion\] "7\.13\.2" is not an approved Horizon version \(approved: 7\.13\.1\)/);
    assert.deepEqual(changing(), []);
  });

  it("fails the preview stage when a production stack declares no maintenance window", async () => {
    const config = path.join(dir, "policy-prod.json");
    fs.writeFileSync(config, JSON.stringify({ "production-maintenance-window": { productionStacks: [stack.stack.name] } }));
    const r = await pipeline("preview", { POLICY_PACK_CONFIG: config });
    assert.notEqual(r.code, 0, r.output);
    assert.match(r.output, /\[farm1-appv1\] \[maintenanceWindow\] is not declared/);
  });

  it("passes the preview stage on a clean program: preview JSON, a summary per pod and farm, the policy pack, the gate", async () => {
    const r = await pipeline("preview");
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /vdi-upgrade@v0\.1\.0 \(local: /);
    const summary = fs.readFileSync(path.join(dir, "summary.md"), "utf8");
    assert.match(summary, /^## vdi-upgrade preview of /);
    assert.match(summary, /### pod1 \(HorizonPod\)/);
    assert.match(summary, /### farm1 \(AppVFarm\)/);
    assert.match(
      summary,
      /\| pod1-cs1 \| 7\.12\.0\.\d+ -> 7\.13\.2 \| preflight, backup-configuration, install, wait-service, verify-version \| ready \|/,
    );
    assert.match(summary, /\| pod1-ss1 \| .* \| waits until CS1 reaches 7\.13\.2 \|/);
    const preview = JSON.parse(fs.readFileSync(path.join(dir, "preview.json"), "utf8"));
    // The structured plan and status a pipeline can gate on, beside the prose.
    const inputsOf = (name: string) => preview.steps.find((st: { urn: string }) => st.urn.endsWith(`::${name}`)).newState.inputs;
    assert.deepEqual(inputsOf("pod1-cs1").status, { state: "ready", reason: "" });
    assert.deepEqual(
      inputsOf("pod1-cs1").steps.map((st: { step: string; host: string }) => `${st.step}@${st.host}`),
      ["preflight@CS1", "backup-configuration@CS1", "install@CS1", "wait-service@CS1", "verify-version@CS1"],
    );
    assert.equal(inputsOf("pod1-ss1").status.state, "waiting");
    assert.equal(inputsOf("pod1-ss1").status.waitingFor, "CS1 reaches 7.13.2");
    assert.equal(inputsOf("farm1-appv1").status.state, "ready");
    // Every policy also holds on this real preview JSON.
    for (const [name, rule] of Object.entries(RULES)) assert.deepEqual(rule.check(resourcesOfPreview(preview), {}), [], name);
    assert.deepEqual(changing(), []);
  });

  it("upgrades every server in the up stage, and its second up changes nothing", async () => {
    const r = await pipeline("up");
    assert.equal(r.code, 0, r.output);
    for (const host of ["cs1", "cs2", "ss1", "ss2"]) assert.match(lab.host(host).state.products[0].displayVersion, /^7\.13\.2/, host);
    for (const host of ["appv1", "appv2", "appv3"]) assert.match(lab.host(host).state.products[0].displayVersion, /^4\.5\.2/, host);
    const state = JSON.parse(stack.stateFileText());
    // Every resource that plans (the pod's readiness gate plans nothing) reports done.
    const servers = state.checkpoint.latest.resources.filter(
      (x: { type: string; outputs?: { plan?: unknown } }) => /dynamic\/(horizon|appv):/.test(x.type) && Array.isArray(x.outputs?.plan),
    );
    assert.equal(servers.length, 9);
    for (const x of servers)
      assert.deepEqual(
        [x.urn.split("::").pop(), x.outputs.status, x.outputs.steps],
        [x.urn.split("::").pop(), { state: "done", reason: "" }, []],
      );
    // Two runs of up, the second with --expect-no-changes: it reports only unchanged resources.
    // The first up creates; the second (its preview and its update) reports only unchanged resources.
    const [, first, ...second] = r.output.split(/^Resources:$/m);
    const created = /\+ (\d+) created/.exec(first)?.[1];
    assert.ok(created, r.output);
    assert.ok(second.length >= 1, r.output);
    for (const summary of second) assert.match(summary, new RegExp(`^\\s+${created} unchanged\\s*$`, "m"));
    assert.doesNotMatch(second.join(""), /created|updated|to update|to create/);
  });

  it("keeps every secret out of the preview JSON, the summary and the pipeline's output", () => {
    const places = [
      fs.readFileSync(path.join(dir, "preview.json"), "utf8"),
      fs.readFileSync(path.join(dir, "summary.md"), "utf8"),
      ...outputs,
    ];
    for (const s of secrets) for (const [i, text] of places.entries()) assert.ok(!text.includes(s), `a secret appears in place ${i}`);
  });
});
