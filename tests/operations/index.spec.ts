import * as assert from "node:assert/strict";
import { OPERATIONS, OVERRIDABLE_OPERATIONS, scriptFor } from "../../provider/operations";
import { HANDLERS } from "../../lab/handlers";
import { assertGolden } from "../golden/golden";

/** Quotes and brackets outside PowerShell string literals and comments balance (a cheap syntax check without pwsh). */
function unbalanced(script: string): string | undefined {
  const stack: string[] = [];
  const pairs: Record<string, string> = { ")": "(", "]": "[", "}": "{" };
  let i = 0;
  while (i < script.length) {
    const ch = script[i];
    if (ch === "#") {
      while (i < script.length && script[i] !== "\n") i++;
      continue;
    }
    if (ch === "'") {
      i++;
      while (i < script.length && !(script[i] === "'" && script[i + 1] !== "'")) i += script[i] === "'" ? 2 : 1;
      if (i >= script.length) return "unterminated single-quoted string";
      i++;
      continue;
    }
    if (ch === '"') {
      // Inside double quotes, $( ... ) subexpressions may hold quotes; this scripts' doubles use "" to escape.
      i++;
      let depth = 0;
      while (i < script.length) {
        if (script[i] === '"' && script[i + 1] === '"') i += 2;
        else if (script[i] === "$" && script[i + 1] === "(") {
          depth++;
          i += 2;
        } else if (script[i] === ")" && depth > 0) {
          depth--;
          i++;
        } else if (script[i] === '"' && depth === 0) break;
        else i++;
      }
      if (i >= script.length) return "unterminated double-quoted string";
      i++;
      continue;
    }
    if ("([{".includes(ch)) stack.push(ch);
    if (")]}".includes(ch) && stack.pop() !== pairs[ch]) return `unexpected ${ch} at ${i}`;
    i++;
  }
  return stack.length ? `unclosed ${stack.join("")}` : undefined;
}

describe("operations", () => {
  it("has exactly the operations of the wire protocol's table, as the lab knows them", () => {
    // The lab also answers Invoke-Installer, the in-session start the provider used before issue 18, to show what a
    // Win32-OpenSSH job object does to an installer started inside the session (lab/README.md).
    const labOnly = ["Invoke-Installer"];
    assert.deepEqual(
      Object.keys(OPERATIONS).sort(),
      Object.keys(HANDLERS)
        .filter((n) => !labOnly.includes(n))
        .sort(),
    );
  });

  it("has a bracket check that catches unclosed blocks, stray closers and open strings", () => {
    assert.equal(unbalanced("if ($a) { 'x' }"), undefined);
    assert.equal(unbalanced("if ($a) { 'it''s' "), "unclosed {");
    assert.equal(unbalanced("$a)"), "unexpected ) at 2");
    assert.equal(unbalanced("'open"), "unterminated single-quoted string");
    assert.equal(unbalanced('"x $("y") '), "unterminated double-quoted string");
  });

  it("lets an operator override only the bodies that rest on unconfirmed facts", () => {
    assert.deepEqual([...OVERRIDABLE_OPERATIONS].sort(), [
      "Get-AppVDatabase",
      "Get-ClientSessions",
      "Get-DatabaseSessions",
      "Get-PairingPasswordState",
      "Get-SecurityServerList",
      "Invoke-PrepareSecurityServer",
      "Invoke-Vdmexport",
      "Set-PairingPassword",
      // How to start a process outside the session's job depends on the host's OpenSSH build (break-away, PR 267).
      "Start-Installer",
    ]);
  });

  for (const def of Object.values(OPERATIONS)) {
    describe(def.name, () => {
      const script = scriptFor(def);

      it("keeps its script text exactly as pinned", () => {
        assertGolden(`operations/${def.name}.ps1`, script);
      });

      it("starts with its header line, takes $p and prints its result with Write-VdiResult", () => {
        assert.equal(script.split("\n")[0], `# vdi-upgrade operation: ${def.name}`);
        assert.equal(script.split("\n")[1], "param($p)");
        assert.match(script, /Write-VdiResult (@\{|\$run\b|\(Wait-VdiRun)/);
        assert.match(script, /ConvertTo-Json -Compress -Depth 5/);
      });

      it("has balanced brackets and closed strings", () => {
        assert.equal(unbalanced(script), undefined);
      });

      it("never pastes a param into its text and never puts a secret on a command line", () => {
        assert.ok(!/\{\{(?!secret:)/.test(script), "template placeholder in the script");
        assert.ok(!/Invoke-Expression|iex /i.test(script), "Invoke-Expression in the script");
        assert.ok(!/-P'?\s*,?\s*\[string\]\$p\.secrets/.test(script), "password on sqlcmd's command line");
      });
    });
  }
});
