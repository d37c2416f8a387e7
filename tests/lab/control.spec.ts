// The running lab's control channel and the lab CLI as a newcomer runs it: `npm run lab -- --help`, a lab started with
// options and a fault, and control commands from a second process that make drift and read the audit log.
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { cliLabOptions } from "../../lab/cli";
import { sendControl, startControl } from "../../lab/control";
import { type Lab, startLab } from "../../lab";

const run = promisify(execFile);
const root = path.resolve(__dirname, "..", "..");
const CLI = ["--transpile-only", path.join(root, "lab", "cli.ts")];
const tsNode = path.join(root, "node_modules", ".bin", "ts-node");

describe("lab/control", function () {
  this.timeout(60_000);

  describe("against a lab in this process", () => {
    let lab: Lab;
    let server: import("node:http").Server;
    let file: string;
    before(async () => {
      lab = await startLab({ ...cliLabOptions(600), farms: [] });
      const control = await startControl(lab);
      server = control.server;
      file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "vdi-control-")), "lab.json");
      fs.writeFileSync(file, JSON.stringify({ control: control.endpoint }), { mode: 0o600 });
    });
    after(async () => {
      server?.close();
      await lab?.stop();
    });

    it("sets a version by hand, as refresh would then find it", async () => {
      assert.match(await sendControl(file, { op: "set-version", host: "cs2", version: "7.12.0.1" }), /cs2 now reports version 7\.12\.0\.1/);
      assert.equal(lab.host("cs2").state.products[0].displayVersion, "7.12.0.1");
    });

    it("stops the product's service by hand and records it in the timeline", async () => {
      await sendControl(file, { op: "set-service", host: "ss2", status: "Stopped" });
      assert.equal(lab.host("ss2").state.services.find((s) => s.primary)?.status, "Stopped");
      assert.match(await sendControl(file, { op: "timeline" }), /ss2\s+VMware Horizon View Security Server: Running -> Stopped/);
    });

    it("sets the Windows PowerShell version a host reports", async () => {
      assert.match(
        await sendControl(file, { op: "set-powershell", host: "cs1", version: "4.0" }),
        /cs1 now reports Windows PowerShell 4\.0/,
      );
      assert.equal(lab.host("cs1").state.powershellVersion, "4.0");
    });

    it("arms and clears a fault", async () => {
      await sendControl(file, { op: "fault", host: "cs1", fault: { kind: "hang" } });
      assert.deepEqual(lab.host("cs1").faults, [{ kind: "hang" }]);
      await sendControl(file, { op: "clear-faults" });
      assert.deepEqual(lab.host("cs1").faults, []);
    });

    it("names the host's services when asked for one it does not have", async () => {
      await assert.rejects(
        sendControl(file, { op: "set-service", host: "cs1", status: "Stopped", displayName: "Spooler" }),
        /cs1 has no service "Spooler"; its services: /,
      );
    });

    it("refuses a request without the lab's token", async () => {
      const bad = file + ".bad";
      const { control } = JSON.parse(fs.readFileSync(file, "utf8"));
      fs.writeFileSync(bad, JSON.stringify({ control: { ...control, token: "x".repeat(control.token.length) } }));
      await assert.rejects(sendControl(bad, { op: "status" }), /wrong or missing token/);
      assert.equal(lab.host("cs2").state.products[0].displayVersion, "7.12.0.1");
    });

    it("says how to start a lab when none is described", async () => {
      await assert.rejects(sendControl("/nonexistent/lab.json", { op: "status" }), /start one with `npm run lab`/);
    });
  });

  describe("the lab command line", () => {
    let child: ChildProcess | undefined;
    after(() => child?.kill("SIGTERM"));

    it("lists its options for --help and exits 0", async () => {
      const { stdout } = await run(tsNode, [...CLI, "--help"], { cwd: root });
      assert.match(stdout, /--connection-servers N/);
      assert.match(stdout, /--fault HOST:KIND/);
      assert.match(stdout, /set HOST version V/);
    });

    it("refuses an unknown option with its name, not 'undefined'", async () => {
      const err = await run(tsNode, [...CLI, "--colour"], { cwd: root }).then(
        () => assert.fail("accepted --colour"),
        (e: { stderr: string; code: number }) => e,
      );
      assert.equal(err.code, 1);
      assert.match(err.stderr, /unknown option "--colour"/);
    });

    it("starts a lab with options and a fault, and takes control commands from another process", async () => {
      const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "vdi-labcli-")), "lab.json");
      child = spawn(
        tsNode,
        [
          ...CLI,
          "--out",
          out,
          "--farms",
          "0",
          "--ipsec",
          "off",
          "--security-servers",
          "1",
          "--fault",
          "cs1:exit-code=1603@Start-Installer",
        ],
        { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
      );
      let text = "";
      await new Promise<void>((resolve, reject) => {
        child!.stdout!.on("data", (d) => {
          text += d;
          if (text.includes("Press Ctrl+C")) resolve();
        });
        child!.on("exit", (code) => reject(new Error(`the lab exited with ${code}: ${text}`)));
      });
      assert.match(text, /fault armed on cs1: \{"kind":"exit-code","exitCode":1603,"operation":"Start-Installer"\}/);
      const description = JSON.parse(fs.readFileSync(out, "utf8"));
      assert.deepEqual(Object.keys(description.hosts).sort(), ["cs1", "cs2", "ss1"]);
      assert.equal((fs.statSync(out).mode & 0o777).toString(8), "600");
      const { stdout: set } = await run(tsNode, [...CLI, "set", "cs2", "service", "Stopped", "--out", out], { cwd: root });
      assert.match(set, /cs2: its service is Stopped/);
      const { stdout: status } = await run(tsNode, [...CLI, "status", "--out", out], { cwd: root });
      assert.match(status, /cs2\s+connection-server\s+7\.12\.0\.\d+\s+VMware Horizon View Connection Server: Stopped/);
      assert.match(status, /cs1\s+connection-server\s+7\.12\.0\.\d+\s+VMware Horizon View Connection Server: Running/);
    });
  });
});
