import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { main } from "../../provider/cli/main";

function run(argv: string[], stdin = ""): { code: number; out: string; err: string } {
  let out = "";
  let err = "";
  const code = main(argv, { stdin: () => stdin, out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const BLOCKED = JSON.stringify({
  steps: [
    {
      op: "create",
      urn: "u::cs1",
      newState: { type: "pulumi-nodejs:dynamic/horizon:ConnectionServer", inputs: { plan: [], blockedReason: "installer-missing: x" } },
    },
  ],
});
const READY = JSON.stringify({
  steps: [
    {
      op: "create",
      urn: "u::cs1",
      newState: { type: "pulumi-nodejs:dynamic/horizon:ConnectionServer", inputs: { plan: ["1. install on CS1: x"] } },
    },
  ],
});

describe("cli/main", () => {
  it("renders the summary of a preview read from standard input", () => {
    const r = run(["summary"], READY);
    assert.equal(r.code, 0);
    assert.match(r.out, /^## vdi-upgrade preview/);
  });

  it("reads a preview from a file, with a title", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "vdi-cli-")), "p.json");
    fs.writeFileSync(file, READY);
    const r = run(["summary", "--title", "prod", file]);
    assert.equal(r.code, 0);
    assert.match(r.out, /^## prod/);
  });

  it("exits 2 with --fail-on-blocked when a server is blocked, 0 without it", () => {
    assert.equal(run(["summary", "--fail-on-blocked"], BLOCKED).code, 2);
    assert.equal(run(["summary"], BLOCKED).code, 0);
    assert.equal(run(["summary", "--fail-on-blocked"], READY).code, 0);
  });

  it("prints the usage for --help and exits 0", () => {
    const r = run(["--help"]);
    assert.equal(r.code, 0);
    assert.match(r.out, /usage: vdi-upgrade summary/);
  });

  for (const [argv, stdin, pattern] of [
    [["frobnicate"], "", /unknown command "frobnicate"/],
    [["summary", "--nope"], READY, /unknown option "--nope"/],
    [["summary", "--title"], READY, /\[--title\] needs a text/],
    [["summary"], "not json", /standard input is not JSON .*pulumi preview --json/],
    [["summary"], "{}", /has no "steps"/],
    [["summary", "/nonexistent/p.json"], "", /cannot read \/nonexistent\/p\.json/],
  ] as [string[], string, RegExp][]) {
    it(`refuses ${JSON.stringify(argv)} with input ${JSON.stringify(stdin.slice(0, 12))}, naming the fix`, () => {
      const r = run(argv, stdin);
      assert.equal(r.code, 1);
      assert.match(r.err, pattern);
    });
  }
});
