import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { loadPowerShellGrammar } from "../../provider/powershell/grammar";

describe("loadPowerShellGrammar", () => {
  it("loads the grammar from the installed packages' own .wasm files, once", async () => {
    const a = await loadPowerShellGrammar();
    const b = await loadPowerShellGrammar();
    assert.equal(a, b);
    assert.ok(a.loadMs > 0);
    const tree = a.parse("Write-Output 'hello'");
    assert.equal(tree.rootNode.type, "program");
    assert.equal(tree.rootNode.hasError, false);
    tree.delete();
  });

  it("depends on both packages at runtime, pinned to exact versions, with the .wasm in the package", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    for (const [name, wasm] of [
      ["web-tree-sitter", "web-tree-sitter.wasm"],
      ["tree-sitter-powershell", "tree-sitter-powershell.wasm"],
    ]) {
      assert.match(pkg.dependencies[name] ?? "", /^\d+\.\d+\.\d+$/, `${name} is an exact runtime dependency`);
      assert.ok(fs.statSync(require.resolve(`${name}/${wasm}`)).size > 100_000, `${name} ships ${wasm}`);
    }
  });
});
