import * as assert from "node:assert/strict";
import {
  BOOTSTRAP,
  COMMAND_LINE,
  LineSplitter,
  MAX_COMMAND_LINE,
  buildCommandLine,
  classifyLine,
  decodeRequest,
  encodeRequest,
  operationHeader,
  operationOf,
} from "../../provider/transport/powershell";
import { checkCommandLine, decodeRequest as labDecode } from "../../lab/protocol";
import { assertGolden } from "../golden/golden";

describe("powershell", () => {
  it("keeps the bootstrap and the exec command line exactly as pinned", () => {
    assertGolden("transport/bootstrap.ps1", BOOTSTRAP + "\n");
    assertGolden("transport/commandLine.txt", COMMAND_LINE + "\n");
  });

  it("encodes the bootstrap as base64 UTF-16LE behind the fixed powershell.exe switches, far below cmd.exe's limit", () => {
    const prefix = "powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand ";
    assert.ok(COMMAND_LINE.startsWith(prefix));
    assert.equal(Buffer.from(COMMAND_LINE.slice(prefix.length), "base64").toString("utf16le"), BOOTSTRAP);
    assert.ok(COMMAND_LINE.length < 2500, `command line is ${COMMAND_LINE.length} characters`);
    assert.ok(!/[$"';`]/.test(COMMAND_LINE.slice(prefix.length)));
  });

  it("is accepted by the lab's reading of the protocol", () => {
    const verdict = checkCommandLine(COMMAND_LINE);
    assert.ok(verdict.ok);
  });

  it("refuses to build a command line longer than cmd.exe accepts", () => {
    assert.throws(() => buildCommandLine("x".repeat(MAX_COMMAND_LINE)), /cmd\.exe accepts 8191/);
  });

  const hostile = [
    "C:\\Program Files (x86)\\a b",
    'it\'s "quoted"',
    "a;b|c&d",
    "$(Remove-Item C:\\)",
    "`backtick`",
    "line1\nline2\r\n",
    "Ünïcødé ✓ 日本語 🚀",
    "",
  ];
  it("encodes requests as base64 UTF-8 JSON that decodes to the same params, whatever characters they hold", () => {
    for (const value of hostile) {
      const request = { script: `${operationHeader("Get-FileHash")}\nparam($p)`, params: { path: value, list: [value] } };
      const stdin = encodeRequest(request);
      assert.match(stdin, /^[A-Za-z0-9+/]+={0,2}$/);
      assert.deepEqual(decodeRequest(stdin), request);
      const lab = labDecode(stdin);
      assert.ok(lab.ok);
      assert.equal(lab.request.operation, "Get-FileHash");
      assert.deepEqual(lab.request.params, request.params);
    }
  });

  it("reads the operation name from the header line only", () => {
    assert.equal(operationOf(`${operationHeader("Invoke-Installer")}\nparam($p)`), "Invoke-Installer");
    assert.equal(operationOf("\uFEFF# vdi-upgrade operation: Get-HostFacts\r\nx"), "Get-HostFacts");
    assert.equal(operationOf("param($p)\n# vdi-upgrade operation: Get-HostFacts"), undefined);
  });

  const lines: Array<[string, ReturnType<typeof classifyLine>]> = [
    ['VDIUPGRADE-RESULT {"a":1}', { kind: "result", json: '{"a":1}' }],
    ['VDIUPGRADE-ERROR {"message":"boom"}', { kind: "error", message: "boom" }],
    ["VDIUPGRADE-ERROR not json", { kind: "error", message: "not json" }],
    ["Starting C:\\x.exe", { kind: "progress", text: "Starting C:\\x.exe" }],
    ["VDIUPGRADE-RESULTX {}", { kind: "progress", text: "VDIUPGRADE-RESULTX {}" }],
    ["  VDIUPGRADE-RESULT {}", { kind: "progress", text: "  VDIUPGRADE-RESULT {}" }],
  ];
  for (const [line, expected] of lines) {
    it(`classifies ${JSON.stringify(line)} as ${expected.kind}`, () => assert.deepEqual(classifyLine(line), expected));
  }

  it("splits streamed CRLF text into lines across chunk boundaries", () => {
    const s = new LineSplitter();
    assert.deepEqual(s.push("one\r"), []);
    assert.deepEqual(s.push("\ntw"), ["one"]);
    assert.deepEqual(s.push("o\r\nthree\n\nfour"), ["two", "three", ""]);
    assert.deepEqual(s.flush(), ["four"]);
    assert.deepEqual(s.flush(), []);
  });
});
