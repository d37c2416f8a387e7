import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Client, type ClientChannel, utils as sshUtils } from "ssh2";
import { type Lab, startLab } from "../../lab";
import { generateHostKey, publicKeyInfo } from "../../lab/sshServer";
import { BOOTSTRAP, LabClient, commandLine, encodeRequest, runOnce } from "./labClient";

describe("lab SSH front", () => {
  let lab: Lab;
  // ssh2 1.17 sometimes writes an ed25519 key its own parser rejects (see generateHostKey): keep one that parses.
  const userKey = (() => {
    for (;;) {
      const k = sshUtils.generateKeyPairSync("ed25519");
      if (!(sshUtils.parseKey(k.public) instanceof Error)) return k;
    }
  })();
  before(async () => {
    lab = await startLab({
      timeFactor: 600,
      hosts: [{ name: "jump" }, { name: "target", accounts: [{ user: "deploy", publicKeys: [userKey.public], admin: true }] }],
    });
  });
  after(() => lab.stop());

  it("runs an operation sent in the wire-protocol form and prints one result line", async () => {
    const r = await runOnce(lab.endpoint("jump"), "Get-HostFacts");
    assert.equal(r.exitCode, 0);
    assert.equal(r.lines.filter((l) => l.startsWith("VDIUPGRADE-RESULT ")).length, 1);
    assert.equal(r.result.computerName, "JUMP");
    assert.match(r.stdout, /\r\n$/);
  });

  it("refuses a command line over 8,191 characters with exit code 1 and a message on stderr", async () => {
    const c = await LabClient.connect(lab.endpoint("jump"));
    try {
      const long = commandLine(BOOTSTRAP + "#".repeat(6000));
      assert.ok(long.length > 8191);
      const r = await c.exec(long, encodeRequest("Get-HostFacts", {}));
      assert.equal(r.exitCode, 1);
      assert.match(r.stderr, /too long/);
      assert.equal(r.result, undefined);
      // just under the limit still runs
      const pad = Math.floor((8191 - commandLine("").length) / 8) * 3 - BOOTSTRAP.length - 1;
      const fits = commandLine(BOOTSTRAP + "\n" + "#".repeat(pad));
      assert.ok(fits.length <= 8191, `${fits.length}`);
      assert.equal((await c.exec(fits, encodeRequest("Get-HostFacts", {}))).exitCode, 0);
    } finally {
      c.close();
    }
  });

  const badForms: [string, string][] = [
    ["a plain PowerShell command", "powershell.exe -Command Get-Date"],
    ["cmd.exe", "cmd.exe /c whoami"],
    ["a lower-cased switch", commandLine().replace("-NoProfile", "-noprofile")],
    ["a bootstrap that does not read stdin", commandLine("Write-Output 1")],
    ["an -EncodedCommand that is not base64", "powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand %%%"],
  ];
  for (const [what, command] of badForms) {
    it(`refuses ${what} with exit code 1 and runs nothing`, async () => {
      const before = lab.host("jump").audit.length;
      const c = await LabClient.connect(lab.endpoint("jump"));
      try {
        const r = await c.exec(command, encodeRequest("Invoke-Hook", { hook: "x", phase: "pre" }));
        assert.equal(r.exitCode, 1);
        assert.ok(r.stderr.length > 0);
        assert.equal(lab.host("jump").audit.length, before);
      } finally {
        c.close();
      }
    });
  }

  const badRequests: [string, string, RegExp][] = [
    ["an unknown operation", encodeRequest("Format-Disk", {}), /Unknown operation 'Format-Disk'/],
    ["a script without the header", Buffer.from(JSON.stringify({ script: "Get-Date", params: {} })).toString("base64"), /header/],
    ["stdin that is not base64", "not base64!", /not base64/],
    [
      "a request without params",
      Buffer.from(JSON.stringify({ script: "# vdi-upgrade operation: Get-HostFacts" })).toString("base64"),
      /params/,
    ],
  ];
  for (const [what, stdin, message] of badRequests) {
    it(`answers ${what} with a VDIUPGRADE-ERROR line and exit code 1`, async () => {
      const c = await LabClient.connect(lab.endpoint("jump"));
      try {
        const r = await c.exec(commandLine(), stdin);
        assert.equal(r.exitCode, 1);
        assert.match(r.error ?? "", message);
      } finally {
        c.close();
      }
    });
  }

  it("decodes stdin as UTF-8 so non-ASCII parameters arrive intact", async () => {
    const r = await runOnce(lab.endpoint("jump"), "Invoke-Hook", { hook: "Write-Output 'Grüße aus Zürich — ✓'", phase: "pré" });
    assert.equal(r.exitCode, 0);
    assert.equal(lab.host("jump").state.hooks.at(-1)?.hook, "Write-Output 'Grüße aus Zürich — ✓'");
  });

  it("accepts an authorized public key and rejects a wrong password", async () => {
    const ep = lab.endpoint("target", "deploy");
    assert.equal(ep.password, undefined);
    const c = await LabClient.connect(ep, { privateKey: userKey.private });
    const r = await c.run("Get-HostFacts");
    c.close();
    assert.equal(r.result.user, "target\\deploy");
    await assert.rejects(LabClient.connect({ ...lab.endpoint("target"), password: "wrong" }), /authentication/i);
    const other = sshUtils.generateKeyPairSync("ed25519");
    await assert.rejects(LabClient.connect(ep, { privateKey: other.private }), /authentication/i);
  });

  it("opens direct-tcpip channels to lab ports only, and the jumped connection counts on the target", async () => {
    const jump = await LabClient.connect(lab.endpoint("jump"));
    try {
      const before = lab.host("target").connections;
      const tunnel = await jump.forward(lab.endpoint("target").port);
      const inner = await LabClient.connect(lab.endpoint("target"), { sock: tunnel });
      const r = await inner.run("Get-HostFacts");
      inner.close();
      assert.equal(r.result.computerName, "TARGET");
      assert.equal(lab.host("target").connections, before + 1);
      await assert.rejects(jump.forward(22, "127.0.0.1"));
      await assert.rejects(jump.forward(lab.endpoint("target").port, "10.0.0.1"));
    } finally {
      jump.close();
    }
  });

  it("counts one connection per SSH connection, however many operations it carries", async () => {
    const before = lab.host("jump").connections;
    const c = await LabClient.connect(lab.endpoint("jump"));
    for (let i = 0; i < 3; i++) await c.run("Get-HostFacts");
    c.close();
    assert.equal(lab.host("jump").connections, before + 1);
  });

  it("publishes the host key and its OpenSSH fingerprint, and the server presents that key", async () => {
    const ep = lab.endpoint("jump");
    assert.match(ep.hostKey, /^ssh-ed25519 AAAA/);
    assert.match(ep.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
    await assert.rejects(LabClient.connect({ ...ep, hostKey: lab.endpoint("target").hostKey }));
  });

  it("generates host keys that ssh2 can parse, and derives a 32-byte ed25519 public key", () => {
    for (let i = 0; i < 300; i++) {
      const { hostKey } = publicKeyInfo(generateHostKey());
      const blob = Buffer.from(hostKey.split(" ")[1], "base64");
      assert.equal(blob.length, 4 + 11 + 4 + 32);
    }
  });

  describe("MaxSessions, as sshd counts it", () => {
    let limited: Lab;
    before(async () => {
      limited = await startLab({ timeFactor: 600, maxSessions: 3, hosts: [{ name: "h" }] });
    });
    after(() => limited.stop());

    /** Opens an exec channel and leaves its stdin open, so the lab waits and the session stays open. */
    const openHeld = (c: LabClient): Promise<ClientChannel> =>
      new Promise((resolve, reject) => c.ssh.exec(commandLine(), (err, stream) => (err ? reject(err) : resolve(stream))));

    it("refuses one session channel more than MaxSessions with 'open failed' (administratively prohibited) and keeps the others", async () => {
      const c = await LabClient.connect(limited.endpoint("h"));
      try {
        const held = [await openHeld(c), await openHeld(c), await openHeld(c)];
        const refused = await openHeld(c).then(
          () => assert.fail("a fourth session was accepted"),
          (e: Error & { reason?: number }) => e,
        );
        assert.equal(refused.message, "(SSH) Channel open failure: open failed");
        assert.equal(refused.reason, 1);
        assert.ok(!c.closed, "the connection stays up");
        // The held sessions still run to the end.
        const exits = held.map((s) => new Promise<number>((r) => s.on("exit", (code: number) => r(code))));
        for (const s of held) {
          s.on("data", () => undefined);
          s.end(encodeRequest("Get-HostFacts", {}));
        }
        assert.deepEqual(await Promise.all(exits), [0, 0, 0]);
      } finally {
        c.close();
      }
    });

    it("frees a slot once the session's channel closed, and not before", async () => {
      const c = await LabClient.connect(limited.endpoint("h"));
      try {
        const held = [await openHeld(c), await openHeld(c), await openHeld(c)];
        const done = new Promise<void>((r) => held[0].on("close", () => r()));
        held[0].on("data", () => undefined);
        held[0].end(encodeRequest("Get-HostFacts", {}));
        await done;
        const fourth = await openHeld(c);
        await assert.rejects(openHeld(c), /open failed/);
        // A channel the client closes (no exit status) frees its slot once the server answered the close.
        fourth.resume();
        const closed = new Promise<void>((r) => fourth.on("close", () => r()));
        fourth.close();
        await closed;
        (await openHeld(c)).close();
      } finally {
        c.close();
      }
    });

    it("counts sessions per connection: a second connection has its own MaxSessions", async () => {
      const a = await LabClient.connect(limited.endpoint("h"));
      const b = await LabClient.connect(limited.endpoint("h"));
      try {
        for (let i = 0; i < 3; i++) await openHeld(a);
        await openHeld(b);
      } finally {
        a.close();
        b.close();
      }
    });
  });

  describe("host keys of every type", () => {
    const fingerprint = (blob: Buffer) => "SHA256:" + createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
    /** The key a server presents to a client offering only `algorithms`. */
    const presented = (ep: { host: string; port: number }, algorithms: string[]): Promise<Buffer> =>
      new Promise((resolve, reject) => {
        const ssh = new Client();
        ssh.on("error", reject);
        ssh.connect({
          host: ep.host,
          port: ep.port,
          username: "nobody",
          readyTimeout: 5000,
          algorithms: { serverHostKey: algorithms as never },
          hostVerifier: (key: Buffer) => {
            resolve(key);
            return false;
          },
        });
      });

    it("serves an ed25519, an ECDSA and an RSA key, as Win32-OpenSSH does, each shown to a client that offers its type", async () => {
      const ep = lab.endpoint("jump");
      assert.deepEqual(
        ep.hostKeys.map((k) => k.type),
        ["ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa"],
      );
      assert.equal(ep.hostKeys[0].fingerprint, ep.fingerprint);
      const offers: [string, string[]][] = [
        ["ssh-ed25519", ["ssh-ed25519"]],
        ["ecdsa-sha2-nistp256", ["ecdsa-sha2-nistp256"]],
        ["ssh-rsa", ["rsa-sha2-512", "rsa-sha2-256"]],
      ];
      for (const [type, algorithms] of offers) {
        const key = await presented(ep, algorithms);
        assert.equal(fingerprint(key), ep.hostKeys.find((k) => k.type === type)?.fingerprint, type);
      }
      // A default client is shown the ed25519 key.
      assert.equal(fingerprint(await presented(ep, ["ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-512"])), ep.fingerprint);
    });

    it("gives every host its own keys", () => {
      const a = lab.endpoint("jump").hostKeys.map((k) => k.fingerprint);
      const b = lab.endpoint("target").hostKeys.map((k) => k.fingerprint);
      assert.equal(new Set([...a, ...b]).size, 6);
    });
  });
});
