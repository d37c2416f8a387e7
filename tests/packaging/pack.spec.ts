// The package as a user installs it: `npm pack` (prepack builds dist/), installed into a program of its own that uses
// another 3.x @pulumi/pulumi, leaves one copy of the SDK in node_modules, and that program previews a lab pod through
// the real engine. Needs the npm registry (or npm's cache) for the program's dependencies.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { type Lab, startLab } from "../../lab";
import { cliLabOptions, stageAndDescribe } from "../../lab/cli";
import { Engine, repoRoot, type TestStack } from "../harness/engine";
import { previewPlans } from "../harness/podLab";

const run = promisify(execFile);
/** Another release of the SDK than the one this repository pins (3.248.0), still on Node 20. */
const USER_SDK = "3.247.0";

/** Every installed copy of a package under `dir`/node_modules, by path. */
function copiesOf(dir: string, name: string): string[] {
  const found: string[] = [];
  const walk = (nm: string) => {
    if (!fs.existsSync(nm)) return;
    for (const entry of fs.readdirSync(nm)) {
      if (entry.startsWith(".")) continue;
      const scoped = entry.startsWith("@") ? fs.readdirSync(path.join(nm, entry)).map((e) => `${entry}/${e}`) : [entry];
      for (const pkg of scoped) {
        const at = path.join(nm, pkg);
        if (pkg === name) found.push(at);
        walk(path.join(at, "node_modules"));
      }
    }
  };
  walk(path.join(dir, "node_modules"));
  return found;
}

describe("the packed package in a program of a user's own", function () {
  this.timeout(600_000);
  let dir: string;
  let tarball: string;
  let engine: Engine;
  let lab: Lab;
  let stack: TestStack;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "vdi-pack-"));
    const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", dir], { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 });
    tarball = path.join(dir, JSON.parse(stdout)[0].filename);
  });

  after(async () => {
    await stack?.remove();
    await lab?.stop();
    await engine?.dispose();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("ships the compiled library, the command, the policy pack and the pipeline script, and nothing of the tests", async () => {
    const { stdout } = await run("tar", ["-tzf", tarball]);
    const files = stdout.split("\n").filter(Boolean);
    for (const f of [
      "package/dist/provider/index.js",
      "package/dist/provider/cli/main.js",
      "package/policy/index.ts",
      "package/policy/PulumiPolicy.yaml",
      "package/examples/gitops/pipeline.sh",
    ]) {
      assert.ok(files.includes(f), `${f} is not in the package`);
    }
    assert.deepEqual(
      files.filter((f) => /^package\/(tests|lab|scripts)\//.test(f)),
      [],
    );
  });

  it("installs beside another 3.x @pulumi/pulumi with one copy of the SDK, and previews a lab pod", async () => {
    const program = path.join(dir, "program");
    fs.mkdirSync(program);
    fs.copyFileSync(path.join(repoRoot, "examples", "horizon-pod", "index.ts"), path.join(program, "index.ts"));
    fs.writeFileSync(
      path.join(program, "Pulumi.yaml"),
      "name: user-pod\nmain: index.ts\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n",
    );
    const devPin = (name: string) => JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")).devDependencies[name];
    fs.writeFileSync(
      path.join(program, "package.json"),
      JSON.stringify({
        name: "user-pod",
        private: true,
        dependencies: { "@pulumi/pulumi": USER_SDK, "vdi-upgrade": `file:${tarball}` },
        devDependencies: { typescript: devPin("typescript"), "ts-node": devPin("ts-node"), "@types/node": devPin("@types/node") },
      }),
    );
    await run("npm", ["install", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline"], {
      cwd: program,
      maxBuffer: 64 * 1024 * 1024,
    });
    const sdks = copiesOf(program, "@pulumi/pulumi");
    assert.deepEqual(
      sdks.map((p) => path.relative(program, p)),
      [path.join("node_modules", "@pulumi", "pulumi")],
    );
    assert.equal(JSON.parse(fs.readFileSync(path.join(sdks[0], "package.json"), "utf8")).version, USER_SDK);
    assert.ok(fs.existsSync(path.join(program, "node_modules", ".bin", "vdi-upgrade")), "the vdi-upgrade command is not linked");

    engine = await Engine.open();
    lab = await startLab({ ...cliLabOptions(1200), farms: [] });
    const inventory = path.join(dir, "lab.json");
    fs.writeFileSync(inventory, JSON.stringify(stageAndDescribe(lab)));
    stack = await engine.stack(program, { inventory: { value: inventory } });
    const preview = await stack.preview();
    const plans = previewPlans(preview.events);
    assert.match(plans["pod1-cs1"].join("\n"), /install on CS1: .* 7\.12\.0\.\d+ -> 7\.13\.2/);
    assert.deepEqual(Object.keys(plans).sort(), ["pod1-cs1", "pod1-cs2", "pod1-ss1", "pod1-ss2"]);
  });
});
