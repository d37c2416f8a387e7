import * as assert from "node:assert/strict";
import { POWERSHELL_7_CONSTRUCTS, analyseScript } from "../../provider/powershell/analyse";
import { type PowerShellGrammar, loadPowerShellGrammar } from "../../provider/powershell/grammar";

describe("analyseScript", () => {
  let grammar: PowerShellGrammar;
  before(async () => {
    grammar = await loadPowerShellGrammar();
  });

  describe("PowerShell 7 constructs", () => {
    // [script, construct, line, column]
    const cases: [string, string, number, number][] = [
      ["$a = $b ?? 'default'", "??", 1, 9],
      ["$x = 1\n$a ??= 3", "??=", 2, 4],
      ["$n = ${svc}?.Name", "?.", 1, 12],
      ["$first = ${list}?[0]", "?[", 1, 17],
      ["$r = ($x -gt 1) ? 'a' : 'b'", "? :", 1, 17],
      ["if ($x) {\n  $r = $ok ? 1 : 2\n}", "? :", 2, 12],
      ["Get-Item C:\\x && Write-Output y", "&&", 1, 15],
      ["$x = 1\nGet-Item C:\\x || Write-Output y", "||", 2, 15],
      ["1..3 | ForEach-Object -Parallel { $_ }", "ForEach-Object -Parallel", 1, 8],
      ["$h | % -Parallel { $_ } -ThrottleLimit 2", "ForEach-Object -Parallel", 1, 6],
      ["1..3 | foreach-object -par { $_ }", "ForEach-Object -Parallel", 1, 8],
      ["function f {\n  process { 1 }\n  clean { 2 }\n}", "clean {}", 3, 3],
    ];
    for (const [script, construct, line, column] of cases) {
      it(`refuses ${JSON.stringify(script)} as "${construct}" at line ${line}, column ${column}`, () => {
        const { problems } = analyseScript(grammar, script);
        const found = problems.filter((p) => p.code === "powershell-7-only");
        assert.equal(found.length, 1, JSON.stringify(problems));
        assert.equal(found[0].construct, construct);
        assert.deepEqual([found[0].line, found[0].column], [line, column]);
        assert.match(found[0].message, /Windows PowerShell 5\.1/);
        assert.match(found[0].message, new RegExp(`write .* instead`));
      });
    }

    it("names a replacement for every construct in the table", () => {
      for (const c of Object.values(POWERSHELL_7_CONSTRUCTS)) assert.ok(c.instead.length > 0 && /^7\.\d$/.test(c.since), c.construct);
    });
  });

  describe("Windows PowerShell 5.1 scripts that look alike", () => {
    const valid = [
      "Get-Service | ? { $_.Status -eq 'Running' }",
      "Get-Service | Where-Object { $_.Name -like 'a?b' }",
      "$q = 'is it ?? or ? : or && or ||'",
      '$q = "what ?. $($x)?"',
      "# $a ?? $b && clean {}",
      "<# $r = $x ? 1 : 2 #>\n$y = 1",
      "1..3 | ForEach-Object -Process { $_ }",
      "foreach ($x in @(1, 2)) { $x }",
      "$r = if ($x) { 1 } else { 2 }",
      "if ($a -and $b -or -not $c) { cmd.exe /c 'a && b' }",
      "function f { begin { 1 } process { 2 } end { 3 } }",
      "$clean = 1\nclean-up.exe",
      "# only a comment",
      "If ($x -EQ 1) { 1 } ElseIf ($x -Like 'a*') { 2 } Else { 3 }",
      "Try { 1 } Catch [System.Exception] { 2 } Finally { 3 }",
      '$x = @"\nhere $($p.a)\n"@\n$y = 1',
      "$s = 'it''s'; $t = \"say `\"hi`\"\"",
      "switch ($x) {\n  'a' { 1 }\n  default { 2 }\n}",
      "function Get-X {\n  param([string]$Name)\n  process { $Name }\n}",
      "[CmdletBinding()]\nParam($p)\n$x = 1",
      "$r = [regex]::Match('a', '(?<n>a)').Groups['n'].Value",
    ];
    for (const script of valid) {
      it(`accepts ${JSON.stringify(script)}`, () => {
        assert.deepEqual(analyseScript(grammar, script).problems, []);
      });
    }
  });

  describe("known limits of the grammar (docs/horizon.md)", () => {
    for (const script of ["switch ($x) { a { 1 } default { 2 } }", "function Get-X { param([string]$Name) process { $Name } }"]) {
      it(`refuses the one-line form ${JSON.stringify(script)} that 5.1 accepts`, () => {
        assert.equal(analyseScript(grammar, script).problems[0]?.code, "syntax-error");
      });
    }
  });

  describe("syntax errors", () => {
    // [script, code, line, column, text in the message]
    const cases: [string, string, number, number, string][] = [
      ["$a = 1\n$b = (2\n$c = 3", "syntax-error", 2, 6, 'the "(" opened here is never closed with ")"'],
      ["if ($x { 1 }", "syntax-error", 1, 4, 'the "(" opened here is never closed'],
      ["$a = @(1, 2\n$b = @{ x = 1 }}", "syntax-error", 1, 6, 'the "@(" opened here is never closed with ")"'],
      ["$a = 1 }\n$b = 2", "syntax-error", 1, 8, 'this "}" closes nothing'],
      ["$x = 1 -bogus 2", "syntax-error", 1, 9, 'at "bogus"'],
      ["$y = 2\n$x = 1 +", "syntax-error", 2, 1, 'at "$x = 1 +"'],
      ["$x = 1\nif ($x) {\n  'a'\n", "syntax-error", 2, 9, 'the "{" opened here is never closed with "}"'],
      ["$s = 'unterminated\n$t = 2", "syntax-error", 1, 6, "'unterminated"],
    ];
    for (const [script, code, line, column, text] of cases) {
      it(`reports ${JSON.stringify(script)} as ${code} at line ${line}, column ${column}`, () => {
        const { problems } = analyseScript(grammar, script);
        assert.equal(problems.length, 1, JSON.stringify(problems));
        assert.equal(problems[0].code, code);
        assert.deepEqual([problems[0].line, problems[0].column], [line, column]);
        assert.ok(problems[0].message.includes(text), problems[0].message);
      });
    }

    it("counts columns in characters, not bytes", () => {
      const { problems } = analyseScript(grammar, "$y = 'é'; $x = (1");
      assert.deepEqual([problems[0].line, problems[0].column], [1, 16]);
    });

    it("quotes the line where the error is, trimmed", () => {
      const { problems } = analyseScript(grammar, "$a = 1\n    $b = (2\n");
      assert.equal(problems[0].lineText, "$b = (2");
    });
  });

  describe("parameter reads", () => {
    it("finds each $p.a.b chain, in strings' subexpressions too, ignoring case of the variable", () => {
      const { paramReads } = analyseScript(
        grammar,
        '$x = $p.a\nif ($P.b.c) { "$($p.d)" }\n$p.e.ToString()\n${p}.f\n$p.PSObject.Properties\n$q.g',
      );
      assert.deepEqual(
        paramReads.map((r) => [r.path.join("."), r.line, r.column]),
        [
          ["a", 1, 6],
          ["b.c", 2, 5],
          ["d", 2, 18],
          ["e", 3, 1],
          ["f", 4, 1],
        ],
      );
    });

    it("reports $p.name written inside a double-quoted string, which expands $p alone", () => {
      const { problems } = analyseScript(grammar, '$x = 1\n"Target: $p.securityServer"');
      assert.deepEqual(
        problems.map((p) => [p.code, p.line, p.column]),
        [["param-in-string", 2, 10]],
      );
      assert.match(problems[0].message, /write "\$\(\$p\.securityServer\)"/);
    });

    it("reads nothing when the script receives no params", () => {
      assert.deepEqual(analyseScript(grammar, "$p.a", { paramVariable: null }).paramReads, []);
    });
  });
});
