import assert from "node:assert/strict";
import { startLab } from "../../lab";
import { loadScriptParser } from "../../lab/powershell";
import {
  type ParseScript,
  checkCommandLine,
  decodeRequest,
  parseInstallerArguments,
  scriptParseError,
  substituteSecrets,
} from "../../lab/protocol";
import { like } from "../../lab/likePattern";
import { compareVersions } from "../../lab/catalog";
import { LabClient, commandLine, encodeRequest, runOnce } from "./labClient";

describe("lab protocol decoding", () => {
  it("accepts the documented command line and returns the decoded bootstrap", () => {
    const v = checkCommandLine(commandLine("$x = [Console]::In.ReadToEnd()"));
    assert.deepEqual(v, { ok: true, bootstrap: "$x = [Console]::In.ReadToEnd()" });
  });

  it("refuses 8,192 characters and accepts 8,191", () => {
    const prefix = commandLine("").length;
    const at = (n: number) => commandLine("").padEnd(n, "A");
    assert.equal(checkCommandLine(at(8192)).ok, false);
    assert.match((checkCommandLine(at(8192)) as { stderr: string }).stderr, /too long/);
    // 8,191 passes the length check (and then fails on the bootstrap, not on length)
    assert.doesNotMatch((checkCommandLine(at(8191)) as { stderr: string }).stderr, /too long/);
    assert.ok(prefix < 8191);
  });

  it("reads the operation name from the header line", () => {
    const v = decodeRequest(encodeRequest("Get-FileHash", { path: "C:\\x" }));
    assert.ok(v.ok);
    assert.equal(v.request.operation, "Get-FileHash");
    assert.deepEqual(v.request.params, { path: "C:\\x" });
  });

  it("tolerates line breaks in the base64 stdin", () => {
    const b64 = encodeRequest("Get-HostFacts", {});
    assert.ok(decodeRequest(b64.replace(/(.{20})/g, "$1\r\n")).ok);
  });

  const bad: [string, string][] = [
    ["empty stdin", ""],
    ["JSON that is an array", Buffer.from("[]").toString("base64")],
    [
      "a header not on the first line",
      Buffer.from(JSON.stringify({ script: "\n# vdi-upgrade operation: Get-HostFacts", params: {} })).toString("base64"),
    ],
    ["params that are an array", Buffer.from(JSON.stringify({ script: "# vdi-upgrade operation: X", params: [] })).toString("base64")],
  ];
  for (const [what, stdin] of bad) {
    it(`rejects ${what}`, () => {
      assert.equal(decodeRequest(stdin).ok, false);
    });
  }
});

describe("lab protocol: installer arguments", () => {
  const cases: [string, Record<string, string>, boolean, string[]][] = [
    ['/s /v"/qn VDM_SERVER_SS_PWD=""a b"" X=1"', { VDM_SERVER_SS_PWD: "a b", X: "1" }, true, ["/qn"]],
    ['/s /v"/qn /l*v ""C:\\Temp\\my log.txt"" VDM_SERVER_INSTANCE_TYPE=3"', { VDM_SERVER_INSTANCE_TYPE: "3" }, true, ["/qn", "/l*v"]],
    ['/s /v"/qn PROP=""value with spaces"""', { PROP: "value with spaces" }, true, ["/qn"]],
    ['/v"/qn vdm_server_ss_pwd=abc"', { VDM_SERVER_SS_PWD: "abc" }, false, ["/qn"]],
    ['/s /v"/qn P=a b"', { P: "a" }, true, ["/qn"]],
    ["/s", {}, true, []],
  ];
  for (const [args, props, silent, switches] of cases) {
    it(`parses ${args}`, () => {
      const p = parseInstallerArguments(args);
      assert.deepEqual(p.properties, props);
      assert.equal(p.silent, silent);
      assert.deepEqual(p.switches, switches);
    });
  }

  it("substitutes {{secret:NAME}} and refuses a placeholder without a secret", () => {
    assert.equal(substituteSecrets('P=""{{secret:pw}}""', { pw: "x y" }), 'P=""x y""');
    assert.throws(() => substituteSecrets("{{secret:missing}}", {}), /params\.secrets has no "missing"/);
  });
});

describe("lab -like and versions", () => {
  const likeCases: [string, string, boolean][] = [
    ["VMware Horizon 7 Connection Server", "*Horizon*Connection Server", true],
    ["VMware Horizon 7 Connection Server", "vmware horizon ? connection server", true],
    ["VMware Horizon 7 Connection Server", "Horizon*", false],
    ["a*b", "a`*b", true],
    ["axb", "a`*b", false],
    ["Server7", "Server[0-9]", true],
    ["a.b", "a?b", true],
    ["ab", "a.b", false],
  ];
  for (const [value, pattern, expected] of likeCases) {
    it(`'${value}' -like '${pattern}' is ${expected}`, () => assert.equal(like(value, pattern), expected));
  }

  const versionCases: [string, string, number][] = [
    ["7.12.0.15770369", "7.13.2.21000000", -1],
    ["4.5", "4.5.0.1485", -1],
    ["4.5.0.0", "4.5", 0],
    ["10.0", "9.9", 1],
  ];
  for (const [a, b, sign] of versionCases) {
    it(`compares ${a} with ${b} as ${sign}`, () => assert.equal(Math.sign(compareVersions(a, b)), sign));
  }

  it("refuses a version that is not dotted numbers", () => {
    assert.throws(() => compareVersions("7.x", "7.1"), /\[version\]/);
  });
});

describe("lab protocol: a script Windows PowerShell 5.1 cannot parse", () => {
  let parse: ParseScript;
  before(async () => {
    parse = await loadScriptParser();
  });

  // [body after the header line, line, char, reason]
  const refused: [string, number, number, RegExp][] = [
    ["param($p)\nif ($p.x { 1 }", 3, 8, /Unexpected token/],
    ["param($p)\n$a = $p.x ?? 'none'", 3, 9, /Unexpected token/],
    ["param($p)\n$r = $p.ok ? 1 : 2", 3, 9, /Unexpected token/],
    ["param($p)\nGet-Item C:\\x && 'y'", 3, 15, /The token '&&' is not a valid statement separator in this version\./],
    ["param($p)\nfunction f {\n  process { 1 }\n  clean { 2 }\n}", 4, 3, /Unexpected token/],
  ];
  for (const [body, line, char, reason] of refused) {
    it(`refuses ${JSON.stringify(body)} at line ${line} char ${char}`, () => {
      const message = scriptParseError(`# vdi-upgrade operation: Get-HostFacts\n${body}`, parse);
      assert.ok(message, "refused");
      assert.match(message, new RegExp(`^Exception calling "Create" with "1" argument\\(s\\): "At line:${line} char:${char}\\n\\+ `));
      assert.match(message, reason);
    });
  }

  for (const body of [
    "param($p)\n# body ignored by the lab\n",
    "param($p)\n$x = if ($p.a) { 1 } else { 2 }\nGet-Service | ? { $_.Name -like 'a?' }",
  ]) {
    it(`accepts ${JSON.stringify(body)}`, () => {
      assert.equal(scriptParseError(`# vdi-upgrade operation: Get-HostFacts\n${body}`, parse), undefined);
    });
  }

  it("refuses it over SSH before the operation runs, and audits it as not run", async () => {
    const lab = await startLab({ hosts: [{ name: "h1" }] });
    try {
      const c = await LabClient.connect(lab.endpoint("h1"));
      try {
        const r = await c.exec(commandLine(), encodeRequest("Get-HostFacts", {}, "param($p)\n$x = (1"));
        assert.equal(r.exitCode, 1);
        assert.match(r.error ?? "", /At line:3 char:1\n\+ \$x = \(1\n/);
        assert.equal(r.result, undefined);
        const entry = lab.host("h1").audit.at(-1)!;
        assert.deepEqual([entry.operation, entry.outcome], ["Get-HostFacts", "not-run"]);
        const ok = await c.run("Get-HostFacts");
        assert.equal(ok.exitCode, 0);
      } finally {
        c.close();
      }
    } finally {
      await lab.stop();
    }
  });
});

describe("lab hosts' Windows PowerShell version", () => {
  it("is 5.1 by default, can be set lower, and below 3.0 the bootstrap itself fails", async () => {
    const lab = await startLab({ hosts: [{ name: "h1" }, { name: "h2", powershellVersion: "4.0" }] });
    try {
      assert.match((await runOnce(lab.endpoint("h1"), "Get-HostFacts")).result.psVersion, /^5\.1\./);
      assert.equal((await runOnce(lab.endpoint("h2"), "Get-HostFacts")).result.psVersion, "4.0");
      lab.setPowerShellVersion("h1", "2.0");
      const old = await runOnce(lab.endpoint("h1"), "Get-HostFacts");
      assert.equal(old.exitCode, 1);
      assert.match(old.error ?? "", /'ConvertFrom-Json' is not recognized/);
      assert.throws(() => lab.setPowerShellVersion("h1", "five"), /\[version\] "five" is not a PowerShell version/);
    } finally {
      await lab.stop();
    }
  });
});
