import * as assert from "node:assert/strict";
import { type Lab, startLab } from "../../lab";
import {
  type ConnectionArgs,
  type Session,
  closeAllConnections,
  isTransportError,
  openSession,
  operationHeader,
} from "../../provider/transport";
import { FAST, argsFor, makeKeyPair, startAgent, tempDir } from "./labFixture";

const script = (op: string) => `${operationHeader(op)}\nparam($p)\n# test body: the lab reads only the header\n`;
const request = (operation: string, params: Record<string, unknown> = {}) => ({ operation, script: script(operation), params });

describe("session (over SSH, against the lab)", function () {
  this.timeout(30_000);
  let lab: Lab;
  let tmp: ReturnType<typeof tempDir>;
  let keyUser: { privateKey: string; publicKey: string };
  let agentKey: { file: string; publicKey: string };
  const warnings: string[] = [];
  const logger = { warn: (m: string) => void warnings.push(m) };
  const session = (args: ConnectionArgs): Session => openSession(args, { logger, retryDelayMs: 10 });

  before(async () => {
    tmp = tempDir();
    keyUser = await makeKeyPair(tmp.dir, "keyuser", "correct horse");
    agentKey = await makeKeyPair(tmp.dir, "agentuser");
    lab = await startLab({
      timeFactor: FAST,
      hosts: [
        {
          name: "h1",
          accounts: [
            { user: "keyuser", publicKeys: [keyUser.publicKey] },
            { user: "agentuser", publicKeys: [agentKey.publicKey] },
          ],
        },
        { name: "jump1" },
      ],
    });
  });
  after(async () => {
    closeAllConnections();
    await lab?.stop();
    tmp?.remove();
  });
  afterEach(() => {
    closeAllConnections();
    lab.clearFaults();
    warnings.length = 0;
  });

  const auditOf = (host: string, op: string) => lab.host(host).audit.filter((e) => e.operation === op);

  describe("authentication", () => {
    it("logs in with a password and returns the parsed result", async () => {
      const r = await session(argsFor(lab.endpoint("h1"))).run(request("Get-HostFacts"));
      assert.equal(r.exitCode, 0);
      assert.equal((r.result as { computerName: string }).computerName, "H1");
      assert.equal(auditOf("h1", "Get-HostFacts").at(-1)?.user, "administrator");
    });

    it("logs in with a private key and its passphrase", async () => {
      const ep = lab.endpoint("h1", "keyuser");
      const s = session({ ...argsFor(ep), password: undefined, privateKey: keyUser.privateKey, privateKeyPassword: "correct horse" });
      const r = await s.run(request("Get-HostFacts"));
      assert.match((r.result as { user: string }).user, /keyuser$/);
    });

    it("logs in through a real ssh-agent", async () => {
      const agent = await startAgent(tmp.dir);
      try {
        await agent.add(agentKey.file);
        const ep = lab.endpoint("h1", "agentuser");
        const s = session({ ...argsFor(ep), password: undefined, agentSocketPath: agent.socket });
        const r = await s.run(request("Get-HostFacts"));
        assert.match((r.result as { user: string }).user, /agentuser$/);
      } finally {
        agent.stop();
      }
    });

    it("fails a refused login at once with auth-failed, without retrying", async () => {
      lab.inject("h1", { kind: "refuse-auth" });
      const before = lab.host("h1").connections;
      await assert.rejects(session({ ...argsFor(lab.endpoint("h1")), dialErrorLimit: 5 }).run(request("Get-HostFacts")), (e: unknown) => {
        assert.ok(isTransportError(e, "auth-failed"), String(e));
        assert.ok(!e.message.includes(lab.endpoint("h1").password!), "the password leaks into the message");
        return true;
      });
      assert.equal(lab.host("h1").connections - before, 1);
    });
  });

  describe("host keys", () => {
    it("accepts the host pinned by its SHA256 fingerprint", async () => {
      const ep = lab.endpoint("h1");
      const r = await session(argsFor(ep, { hostKey: ep.fingerprint })).run(request("Get-HostFacts"));
      assert.equal(r.exitCode, 0);
    });

    it("refuses a host when no key is pinned, showing the fingerprint to pin, without retrying", async () => {
      const ep = lab.endpoint("h1");
      const before = lab.host("h1").connections;
      const ran = auditOf("h1", "Get-HostFacts").length;
      await assert.rejects(session(argsFor(ep, { hostKey: undefined, dialErrorLimit: 5 })).run(request("Get-HostFacts")), (e: unknown) => {
        assert.ok(isTransportError(e, "host-key-not-pinned"), String(e));
        assert.ok(e.message.includes(ep.fingerprint), e.message);
        assert.equal(e.fingerprint, ep.fingerprint);
        return true;
      });
      assert.equal(lab.host("h1").connections - before, 1);
      assert.equal(auditOf("h1", "Get-HostFacts").length, ran);
    });

    it("refuses a host whose key changed, showing the new fingerprint", async () => {
      const ep = lab.endpoint("h1");
      lab.inject("h1", { kind: "host-key-change" });
      const changed = lab.endpoint("h1").fingerprint;
      assert.notEqual(changed, ep.fingerprint);
      for (const pin of [ep.hostKey, ep.fingerprint]) {
        await assert.rejects(session(argsFor(ep, { hostKey: pin })).run(request("Get-HostFacts")), (e: unknown) => {
          assert.ok(isTransportError(e, "host-key-mismatch"), String(e));
          assert.ok(e.message.includes(changed), e.message);
          return true;
        });
      }
    });

    for (const type of ["ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa"]) {
      it(`connects to a host pinned by the SHA256 fingerprint of its ${type} key, and offers that key type first next time`, async () => {
        const ep = lab.endpoint("h1");
        const pin = ep.hostKeys.find((k) => k.type === type);
        assert.ok(pin, type);
        const r = await session(argsFor(ep, { hostKey: pin.fingerprint })).run(request("Get-HostFacts"));
        assert.equal(r.exitCode, 0);
        closeAllConnections();
        const before = lab.host("h1").connections;
        await session(argsFor(ep, { hostKey: pin.fingerprint })).run(request("Get-HostFacts"));
        assert.equal(lab.host("h1").connections - before, 1);
      });

      it(`connects to a host pinned by its ${type} public key line`, async () => {
        const ep = lab.endpoint("h1");
        const pin = ep.hostKeys.find((k) => k.type === type);
        assert.ok(pin, type);
        const r = await session(argsFor(ep, { hostKey: pin.hostKey })).run(request("Get-HostFacts"));
        assert.equal(r.exitCode, 0);
      });
    }

    it("refuses a wrong SHA256 pin, listing every fingerprint the host presented with its type", async () => {
      const ep = lab.endpoint("h1");
      const other = lab.endpoint("jump1");
      await assert.rejects(
        session(argsFor(ep, { hostKey: other.hostKeys[2].fingerprint, dialErrorLimit: 5 })).run(request("Get-HostFacts")),
        (e: unknown) => {
          assert.ok(isTransportError(e, "host-key-mismatch"), String(e));
          for (const k of ep.hostKeys) assert.ok(e.message.includes(`${k.type} ${k.fingerprint}`), `${k.type} missing: ${e.message}`);
          assert.ok(e.message.includes(other.hostKeys[2].fingerprint), e.message);
          return true;
        },
      );
    });

    it("accepts any key with the insecure opt-in, and warns on each connection", async () => {
      const ep = lab.endpoint("h1");
      await session(argsFor(ep, { hostKey: undefined, insecureSkipHostKeyCheck: true })).run(request("Get-HostFacts"));
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /insecureSkipHostKeyCheck/);
      assert.ok(warnings[0].includes(ep.fingerprint));
    });
  });

  describe("running operations", () => {
    it("reuses one connection for sequential and concurrent operations", async () => {
      const before = lab.host("h1").connections;
      const s = session(argsFor(lab.endpoint("h1")));
      await s.run(request("Get-HostFacts"));
      await s.run(request("Get-FileHash", { path: "C:\\a.txt" }));
      await Promise.all([
        s.run(request("Get-HostFacts")),
        s.run(request("Get-HostFacts")),
        session(argsFor(lab.endpoint("h1"))).run(request("Get-HostFacts")),
      ]);
      assert.equal(lab.host("h1").connections - before, 1);
    });

    it("streams progress lines to onLine, leaving the result line out", async () => {
      const seen: string[] = [];
      const r = await session(argsFor(lab.endpoint("h1"))).run(
        request("Invoke-Installer", { path: "C:\\missing.exe", argumentTemplate: "/s", logPath: "C:\\l.log", timeoutSeconds: 60 }),
        { onLine: (l) => void seen.push(l) },
      );
      assert.deepEqual(seen, ["Starting C:\\missing.exe"]);
      assert.deepEqual(r.stdout, seen);
      assert.ok(!seen.some((l) => l.includes("VDIUPGRADE-RESULT")));
    });

    it("delivers quotes, spaces, ;, $(), backticks, newlines and Unicode in params intact", async () => {
      const path = 'C:\\Pro gram\'s "x";\\$(Remove-Item C:\\ -Recurse)`n `$env:X\r\n|&<>%PATH%^ Ünïcødé ✓ 日本語 🚀.exe';
      const hook = 'Write-Output "$(whoami)"; `r`n exit 3 # \' " ; & | 🚀';
      const s = session(argsFor(lab.endpoint("h1")));
      await s.run(request("Get-FileHash", { path }));
      await s.run(request("Invoke-Hook", { hook, phase: "pre ;$()`" }));
      assert.deepEqual(auditOf("h1", "Get-FileHash").at(-1)?.params, { path });
      assert.deepEqual(auditOf("h1", "Invoke-Hook").at(-1)?.params, { hook, phase: "pre ;$()`" });
    });

    it("fails a non-zero exit with operation-failed naming host, operation, exit code and the host's message", async () => {
      const s = session(argsFor(lab.endpoint("h1")));
      await assert.rejects(
        s.run(request("Set-ServiceState", { displayName: "No Such Service", state: "Running", timeoutSeconds: 5 })),
        (e: unknown) => {
          assert.ok(isTransportError(e, "operation-failed"), String(e));
          assert.equal(e.exitCode, 1);
          assert.equal(e.operation, "Set-ServiceState");
          assert.match(
            e.message,
            /Set-ServiceState failed on administrator@127\.0\.0\.1:\d+ with exit code 1: Cannot find any service with display name 'No Such Service'/,
          );
          return true;
        },
      );
    });

    it("redacts params.secrets from progress lines, results and error messages", async () => {
      const secret = "Pa55-w0rd;$x";
      const seen: string[] = [];
      const s = session(argsFor(lab.endpoint("h1")));
      const r = await s.run(
        request("Invoke-Installer", {
          path: `C:\\${secret}\\setup.exe`,
          argumentTemplate: "/s",
          logPath: "C:\\l.log",
          timeoutSeconds: 60,
          secrets: { pairingPassword: secret },
        }),
        { onLine: (l) => void seen.push(l) },
      );
      assert.deepEqual(seen, ["Starting C:\\***\\setup.exe"]);
      assert.ok(!JSON.stringify(r).includes(secret), JSON.stringify(r));
      assert.ok(JSON.stringify(r.result).includes("C:\\\\***\\\\setup.exe"));
      await assert.rejects(
        s.run(request("Set-ServiceState", { displayName: `svc ${secret}`, state: "Running", timeoutSeconds: 5, secrets: { x: secret } })),
        (e: unknown) => {
          assert.ok(isTransportError(e, "operation-failed"));
          assert.ok(!e.message.includes(secret), e.message);
          assert.match(e.message, /display name 'svc \*\*\*'/);
          return true;
        },
      );
    });

    it("closes the channel at the deadline and says the operation may still be running", async () => {
      lab.inject("h1", { kind: "hang", operation: "Get-HostFacts" });
      const started = Date.now();
      await assert.rejects(session(argsFor(lab.endpoint("h1"))).run(request("Get-HostFacts"), { deadlineSeconds: 0.5 }), (e: unknown) => {
        assert.ok(isTransportError(e, "deadline-exceeded"), String(e));
        assert.match(e.message, /Get-HostFacts on administrator@127\.0\.0\.1:\d+ did not finish within 0\.5 s/);
        assert.match(e.message, /may still be running/);
        return true;
      });
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 450 && elapsed < 5000, `took ${elapsed} ms`);
    });

    it("drops the connection from the pool at the deadline, so the next operation dials again", async () => {
      lab.inject("h1", { kind: "hang", operation: "Get-HostFacts", times: 1 });
      const s = session(argsFor(lab.endpoint("h1")));
      await assert.rejects(s.run(request("Get-HostFacts"), { deadlineSeconds: 0.3 }), (e: unknown) =>
        isTransportError(e, "deadline-exceeded"),
      );
      const before = lab.host("h1").connections;
      await s.run(request("Get-HostFacts"));
      assert.equal(lab.host("h1").connections - before, 1);
    });

    it("gives up opening a channel on a stalled connection within about perDialTimeout, saying the operation did not start, and redials next time", async () => {
      const s = session(argsFor(lab.endpoint("h1"), { perDialTimeout: 1 }));
      await s.run(request("Get-HostFacts"));
      lab.inject("h1", { kind: "stall", times: 1 });
      const started = Date.now();
      await assert.rejects(s.run(request("Get-HostFacts")), (e: unknown) => {
        assert.ok(isTransportError(e, "connect-failed"), String(e));
        assert.equal(e.mayHaveRun, false);
        assert.match(e.message, /did not start/);
        return true;
      });
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 900 && elapsed < 5000, `took ${elapsed} ms`);
      const before = lab.host("h1").connections;
      await s.run(request("Get-HostFacts"));
      assert.equal(lab.host("h1").connections - before, 1);
    });

    const when = { before: "before it ran", during: "while it ran", after: "after it ran" } as const;
    for (const phase of ["before", "during", "after"] as const) {
      it(`never retries an operation whose connection dropped ${when[phase]}, and says it may have run`, async () => {
        lab.inject("h1", { kind: "drop", phase, operation: "Get-FileHash" });
        const path = `C:\\drop-${phase}.txt`;
        const s = session(argsFor(lab.endpoint("h1"), { dialErrorLimit: 5 }));
        await assert.rejects(s.run(request("Get-FileHash", { path })), (e: unknown) => {
          assert.ok(isTransportError(e, "connection-lost"), String(e));
          assert.equal(e.mayHaveRun, true);
          assert.match(e.message, /may have run/);
          assert.match(e.message, /not retried/);
          return true;
        });
        await new Promise((r) => setTimeout(r, 100));
        assert.equal(auditOf("h1", "Get-FileHash").filter((a) => (a.params as { path: string }).path === path).length, 1);
        lab.clearFaults();
        // The dead connection left the pool: the next operation dials again and succeeds.
        const before = lab.host("h1").connections;
        await s.run(request("Get-HostFacts"));
        assert.equal(lab.host("h1").connections - before, 1);
      });
    }

    it("reaches a host through a jump host (proxy)", async () => {
      const target = lab.endpoint("h1");
      const jump = lab.endpoint("jump1");
      const beforeTarget = lab.host("h1").connections;
      const beforeJump = lab.host("jump1").connections;
      const s = session({
        ...argsFor(target),
        proxy: { host: jump.host, port: jump.port, user: jump.user, password: jump.password, hostKey: jump.fingerprint },
      });
      assert.match(s.label, / via administrator@127\.0\.0\.1:\d+$/);
      await s.run(request("Get-HostFacts"));
      await s.run(request("Get-HostFacts"));
      assert.equal(lab.host("h1").connections - beforeTarget, 1);
      assert.equal(lab.host("jump1").connections - beforeJump, 1);
      assert.equal(auditOf("jump1", "Get-HostFacts").length, 0);
    });

    it("refuses a jump host whose key is not the pinned one", async () => {
      const target = lab.endpoint("h1");
      const jump = lab.endpoint("jump1");
      const s = session({
        ...argsFor(target),
        proxy: { host: jump.host, port: jump.port, user: jump.user, password: jump.password, hostKey: target.fingerprint },
      });
      await assert.rejects(s.run(request("Get-HostFacts")), (e: unknown) => {
        assert.ok(isTransportError(e, "host-key-mismatch"));
        assert.match(e.message, /jump host/);
        assert.ok(e.message.includes(jump.fingerprint));
        return true;
      });
    });
  });
});
