import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import {
  OPERATIONS,
  type OperationDefinition,
  SET_PAIRING_PASSWORD,
  GET_SECURITY_SERVER_LIST,
  START_INSTALLER,
} from "../../provider/operations";
import { analyseScript } from "../../provider/powershell/analyse";
import { type PowerShellGrammar, loadPowerShellGrammar } from "../../provider/powershell/grammar";
import { BODY_FIRST_LINE, checkOperationScript, checkParamReads, scriptInputFailures } from "../../provider/powershell/scriptCheck";
import { APPV_FARM_SCRIPT_INPUTS, HORIZON_SCRIPT_INPUTS } from "../../provider/powershell/scriptInputs";
import { UNKNOWN, isUnknown } from "../../provider/lifecycle/inputSupport";
import { BOOTSTRAP } from "../../provider/transport/powershell";
import { GOLDEN_DIR } from "../golden/golden";
import { startLab } from "../../lab";
import { GET_HOST_FACTS, runOperation } from "../../provider/operations";
import { closeAllConnections, openSession } from "../../provider/transport";
import { FAST, argsFor } from "../transport/labFixture";

/** A copy of an operation with another default body: a deliberately broken body. */
function withBody<P, R>(def: OperationDefinition<P, R>, body: string): OperationDefinition<unknown, unknown> {
  return { ...def, body } as OperationDefinition<unknown, unknown>;
}

/** `def.body` with `from` replaced by `to` (which must occur). */
function mutate(def: OperationDefinition<any, any>, from: string, to: string): OperationDefinition<unknown, unknown> {
  assert.ok(def.body.includes(from), `${def.name} no longer contains ${from}`);
  return withBody(def, def.body.replace(from, to));
}

function lineOf(text: string, needle: string): number {
  return text.slice(0, text.indexOf(needle)).split("\n").length;
}

describe("the PowerShell that reaches a host", () => {
  let grammar: PowerShellGrammar;
  before(async () => {
    grammar = await loadPowerShellGrammar();
  });

  describe("the bootstrap", () => {
    it("parses as Windows PowerShell 5.1, from the code and from its golden file", () => {
      assert.deepEqual(analyseScript(grammar, BOOTSTRAP, { paramVariable: null }).problems, []);
      const golden = fs.readFileSync(path.join(GOLDEN_DIR, "transport", "bootstrap.ps1"), "utf8");
      assert.deepEqual(analyseScript(grammar, golden, { paramVariable: null }).problems, []);
    });

    it("would be refused with one brace missing", () => {
      const broken = BOOTSTRAP.replace("} catch {", "catch {");
      const problems = analyseScript(grammar, broken, { paramVariable: null }).problems;
      assert.ok(problems.length > 0);
    });
  });

  describe("every default body", () => {
    for (const def of Object.values(OPERATIONS)) {
      it(`${def.name} parses, reads only its declared params and reads every required one`, () => {
        assert.deepEqual(checkOperationScript(grammar, def), []);
      });
    }

    it("is the text of its golden file, which parses and reads only declared params too", () => {
      const dir = path.join(GOLDEN_DIR, "operations");
      const files = fs.readdirSync(dir).filter((f) => f.endsWith(".ps1"));
      assert.deepEqual(files.map((f) => f.replace(/\.ps1$/, "")).sort(), Object.keys(OPERATIONS).sort());
      for (const file of files) {
        const def = OPERATIONS[file.replace(/\.ps1$/, "")];
        const analysis = analyseScript(grammar, fs.readFileSync(path.join(dir, file), "utf8"));
        assert.deepEqual(analysis.problems, [], file);
        assert.deepEqual(
          checkParamReads(analysis.paramReads, def.params as z.ZodTypeAny, { operation: def.name, requireAll: true }),
          [],
          file,
        );
      }
    });
  });

  describe("a deliberately broken body", () => {
    it("with a misspelt parameter fails, naming it, its line and what the params have", () => {
      const broken = mutate(SET_PAIRING_PASSWORD, "$target = [string]$p.connectionServer", "$target = [string]$p.connetionServer");
      const problems = checkOperationScript(grammar, broken);
      const unknown = problems.find((p) => p.code === "unknown-param");
      assert.ok(unknown, JSON.stringify(problems));
      assert.equal(unknown.line, lineOf(broken.body, "$p.connetionServer"));
      assert.match(
        unknown.message,
        /reads \$p\.connetionServer, which is not in the params of Set-PairingPassword: it has connectionServer, timeoutMinutes, secrets/,
      );
      assert.ok(
        problems.some((p) => p.code === "unread-param" && p.message.includes("$p.connectionServer")),
        "the required param is no longer read",
      );
    });

    it("with a misspelt nested secret fails, naming the object that lacks it", () => {
      const broken = mutate(SET_PAIRING_PASSWORD, "$p.secrets.pairingPassword", "$p.secrets.pairingPasword");
      const problems = checkOperationScript(grammar, broken).filter((p) => p.code === "unknown-param");
      assert.equal(problems.length, 1);
      assert.match(problems[0].message, /\$p\.secrets\.pairingPasword, which is not in \$p\.secrets: it has pairingPassword, viewApiUser/);
    });

    it("that stops reading a required parameter fails", () => {
      const broken = mutate(START_INSTALLER, "$logPath = [string]$p.logPath", "$logPath = 'C:\\x.log'");
      const problems = checkOperationScript(grammar, broken);
      assert.deepEqual(
        problems.map((p) => [p.code, p.message]),
        [["unread-param", "never reads the required parameter $p.logPath of Start-Installer"]],
      );
    });

    it("with PowerShell 7 syntax fails with the construct and the body's own line", () => {
      const broken = mutate(
        START_INSTALLER,
        "$recordPath = Join-Path $runDir ($product + '.json')",
        "$recordPath = Join-Path $runDir ($product ?? 'x.json')",
      );
      const problems = checkOperationScript(grammar, broken);
      assert.deepEqual(
        problems.map((p) => [p.code, p.construct, p.line]),
        [["powershell-7-only", "??", lineOf(broken.body, "?? 'x.json'")]],
      );
    });

    it("with a syntax error fails at its line in the body, not in the script after the prelude", () => {
      const broken = mutate(
        GET_SECURITY_SERVER_LIST,
        "$list = New-Object System.Collections.ArrayList",
        "$list = (New-Object System.Collections.ArrayList",
      );
      const problems = checkOperationScript(grammar, broken);
      assert.equal(problems[0].code, "syntax-error", JSON.stringify(problems));
      assert.equal(problems[0].line, lineOf(broken.body, "$list = (New-Object"));
      assert.equal(problems[0].lineText, "$list = (New-Object System.Collections.ArrayList");
      assert.equal(BODY_FIRST_LINE, 8);
    });
  });

  describe("checkParamReads", () => {
    const schema = z
      .object({
        path: z.string().min(1),
        secrets: z.object({ sqlUser: z.string(), sqlPassword: z.string().optional() }).strict().optional(),
        extra: z.record(z.string()).optional(),
        count: z.number().default(1),
      })
      .strict()
      .superRefine(() => undefined);
    const read = (...path: string[]) => ({ path, line: 1, column: 1 });
    // [reads, codes found]
    const cases: [ReturnType<typeof read>[], string[]][] = [
      [[read("path"), read("secrets", "sqlUser")], []],
      [[read("PATH"), read("Secrets", "SqlUser")], []],
      [[read("path", "Length"), read("extra", "anything")], []],
      [[read("path"), read("secrets", "sqlUser"), read("pth")], ["unknown-param"]],
      [
        [read("path"), read("secrets", "user")],
        ["unknown-param", "unread-param"],
      ],
      [[read("secrets", "sqlUser")], ["unread-param"]],
      [[read("path")], []],
      [[read("secrets")], ["unread-param", "unread-param"]],
    ];
    for (const [reads, codes] of cases) {
      it(`finds ${JSON.stringify(codes)} in ${reads.map((r) => `$p.${r.path.join(".")}`).join(", ")}`, () => {
        assert.deepEqual(
          checkParamReads(reads, schema, { operation: "X", requireAll: true }).map((p) => p.code),
          codes,
        );
      });
    }

    it("does not require reads of an override", () => {
      assert.deepEqual(checkParamReads([], schema, { operation: "X" }), []);
    });
  });

  describe("script inputs in check", () => {
    it("fails an override with a syntax error naming the property, the line, the column and the text there", async () => {
      const news = { overrides: { pairingPasswordScript: "$x = 1\nif ($p.connectionServer {\n  'a'\n}\n" } };
      const failures = await scriptInputFailures(news, HORIZON_SCRIPT_INPUTS, isUnknown);
      assert.equal(failures.length, 1, JSON.stringify(failures));
      assert.equal(failures[0].property, "overrides.pairingPasswordScript");
      assert.match(
        failures[0].reason,
        /^\[overrides\.pairingPasswordScript\] line 2, column 4: Windows PowerShell 5\.1 cannot parse the script: the "\(" opened here is never closed with "\)": "if \(\$p\.connectionServer \{"\. Fix the script; nothing was sent to a host\.$/,
      );
    });

    it("reports an unknown $p name in an override with its line and column", async () => {
      const news = {
        overrides: { prepareSecurityServerScript: "'preparing'\nWrite-VdiResult @{ ipsec = 'prepared'; name = $p.securityServerName }" },
      };
      const failures = await scriptInputFailures(news, HORIZON_SCRIPT_INPUTS, isUnknown);
      assert.deepEqual(
        failures.map((f) => f.property),
        ["overrides.prepareSecurityServerScript"],
      );
      assert.match(
        failures[0].reason,
        /line 2, column 47: reads \$p\.securityServerName, which is not in the params of Invoke-PrepareSecurityServer: it has securityServer, ruleNamePrefix, partnerAddresses/,
      );
    });

    it("refuses PowerShell 7 in an override", async () => {
      const news = {
        overrides: {
          securityServerListScript: "$l = $null\n$x = $l ?? @()\nWrite-VdiResult @{ securityServers = @($x); useIpsec = $false }",
          pairingPasswordScript: "Set-Pairing -Name $p.connectionServer && Write-VdiResult @{ expiresUtc = '' }",
        },
      };
      const failures = await scriptInputFailures(news, HORIZON_SCRIPT_INPUTS, isUnknown);
      assert.deepEqual(
        failures.map((f) => f.property),
        ["overrides.securityServerListScript", "overrides.pairingPasswordScript"],
      );
      assert.match(failures[0].reason, /line 2, column 9: uses "\?\?" \(null-coalescing operator\), PowerShell 7\.0 syntax/);
      assert.match(failures[1].reason, /line 1, column 39: uses "&&"/);
    });

    it("checks the App-V schema script against Get-AppVDatabase's params", async () => {
      const failures = await scriptInputFailures(
        { database: { schemaScript: "Write-VdiResult @{ schemaVersion = [string]$p.db }" } },
        APPV_FARM_SCRIPT_INPUTS,
        isUnknown,
      );
      assert.match(failures[0]?.reason ?? "", /\[database\.schemaScript\] line 1, column 44: reads \$p\.db/);
    });

    it("never quotes a secret of the resource in the failure", async () => {
      const news = { overrides: { pairingPasswordScript: "$pw = 'Sup3r-Secret!'\n$x = ($pw" } };
      const failures = await scriptInputFailures(news, HORIZON_SCRIPT_INPUTS, isUnknown, ["Sup3r-Secret!"]);
      assert.equal(failures.length, 1);
      assert.ok(!failures[0].reason.includes("Sup3r-Secret!"), failures[0].reason);
      assert.match(failures[0].reason, /line 2, column 6/);
      const quoted = await scriptInputFailures(
        { overrides: { pairingPasswordScript: "$x = ('Sup3r-Secret!'" } },
        HORIZON_SCRIPT_INPUTS,
        isUnknown,
        ["Sup3r-Secret!"],
      );
      assert.ok(!quoted[0].reason.includes("Sup3r-Secret!"), quoted[0].reason);
    });

    it("reports at most ten problems of one script and counts the rest, never echoing a huge name whole", async () => {
      const name = "x".repeat(5_000);
      const text = Array.from({ length: 25 }, (_, i) => `$v${i} = $p.${name}${i}`).join("\n");
      const failures = await scriptInputFailures({ database: { schemaScript: text } }, APPV_FARM_SCRIPT_INPUTS, isUnknown);
      assert.equal(failures.length, 11);
      assert.match(failures[10].reason, /^\[database\.schemaScript\] and \d+ more problems of the same script\.$/);
      for (const f of failures) assert.ok(f.reason.length < 600, `${f.reason.length} characters`);
    });

    it("accepts correct overrides and skips values not known yet", async () => {
      const news = {
        overrides: {
          prepareSecurityServerScript: "'Preparing ' + $p.securityServer\nWrite-VdiResult @{ ipsec = 'prepared' }",
          pairingPasswordScript: UNKNOWN,
        },
        hooks: { after: "any text ((( is a hook's own business" },
      };
      assert.deepEqual(await scriptInputFailures(news, HORIZON_SCRIPT_INPUTS, isUnknown), []);
    });
  });

  describe("end to end against the lab", function () {
    this.timeout(30_000);
    it("a body that does not parse fails on the host with PowerShell's location, and the real body runs", async () => {
      const lab = await startLab({ timeFactor: FAST, hosts: [{ name: "h1" }] });
      try {
        const session = openSession(argsFor(lab.endpoint("h1")));
        const broken = mutate(GET_HOST_FACTS, "$isAdmin = $principal.IsInRole(", "$isAdmin = $principal.IsInRole((");
        assert.ok(checkOperationScript(grammar, broken).length > 0, "the provider's own check refuses it too");
        await assert.rejects(runOperation(session, broken as typeof GET_HOST_FACTS, {}), (e: Error) =>
          /At line:\d+ char:\d+/.test(e.message),
        );
        assert.equal(lab.host("h1").audit.at(-1)?.outcome, "not-run");
        const ok = await runOperation(session, GET_HOST_FACTS, {});
        assert.match(ok.result.psVersion, /^5\.1\./);
      } finally {
        closeAllConnections();
        await lab.stop();
      }
    });
  });
});
