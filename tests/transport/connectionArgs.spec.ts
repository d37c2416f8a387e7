import * as assert from "node:assert/strict";
import { utils as sshUtils } from "ssh2";
import {
  DEFAULT_DIAL_ERROR_LIMIT,
  DEFAULT_MAX_SESSIONS,
  DEFAULT_PER_DIAL_TIMEOUT,
  DEFAULT_PORT,
  describeConnection,
  resolveConnectionArgs,
  validateConnectionArgs,
} from "../../provider/transport/connectionArgs";
import { isTransportError } from "../../provider/transport/errors";

const hostKey = sshUtils.generateKeyPairSync("ed25519").public;
const ok = { host: "cs1.corp.local", user: "CORP\\svc-upgrade", password: "S3cret!pw", hostKey };
const noEnv = {};

describe("connectionArgs", () => {
  it("applies the @pulumi/command defaults (port 22, 10 attempts, 15 s per attempt) and 8 operations at once per connection", () => {
    const c = resolveConnectionArgs(ok, "connection", noEnv);
    assert.equal(c.port, DEFAULT_PORT);
    assert.equal(c.dialErrorLimit, DEFAULT_DIAL_ERROR_LIMIT);
    assert.equal(c.perDialTimeout, DEFAULT_PER_DIAL_TIMEOUT);
    assert.equal(c.insecureSkipHostKeyCheck, false);
    assert.equal(c.maxSessions, DEFAULT_MAX_SESSIONS);
    assert.equal(c.hostKey?.kind, "key");
    assert.equal(describeConnection(c), "CORP\\svc-upgrade@cs1.corp.local:22");
  });

  it("takes the agent socket from SSH_AUTH_SOCK when none is given", () => {
    const c = resolveConnectionArgs({ host: "h", user: "u", hostKey }, "connection", { SSH_AUTH_SOCK: "/tmp/agent.sock" });
    assert.equal(c.agentSocketPath, "/tmp/agent.sock");
  });

  it("names a jump host in the connection's description", () => {
    const c = resolveConnectionArgs(
      { ...ok, proxy: { host: "bastion", port: 2222, user: "jump", password: "j", hostKey } },
      "connection",
      noEnv,
    );
    assert.equal(describeConnection(c), "CORP\\svc-upgrade@cs1.corp.local:22 via jump@bastion:2222");
  });

  // [input, expected message fragments, fragments that must NOT appear]
  const cases: Array<[string, unknown, RegExp[], string[]]> = [
    ["a port out of range", { ...ok, port: 70000 }, [/\[connection\.port\] got 70000: use a whole number from 1 to 65535/], []],
    ["a missing user", { host: "h", password: "pw", hostKey }, [/\[connection\.user\] got nothing: give the Windows account/], []],
    ["an empty host", { ...ok, host: " " }, [/\[connection\.host\]/], []],
    [
      "unlimited retries",
      { ...ok, dialErrorLimit: -1 },
      [/\[connection\.dialErrorLimit\] got -1: .*unlimited retries are not supported/],
      [],
    ],
    [
      "no session at all on the connection",
      { ...ok, maxSessions: 0 },
      [/\[connection\.maxSessions\] got 0: use a whole number from 1 to 64 \(default 8\)/],
      [],
    ],
    ["half a session", { ...ok, maxSessions: 2.5 }, [/\[connection\.maxSessions\] got 2\.5/], []],
    [
      "a session limit on the jump host, which carries one forwarded channel",
      { ...ok, proxy: { host: "b", user: "j", password: "x", hostKey, maxSessions: 3 } },
      [/\[connection\.proxy\] unknown field\(s\) 'maxSessions'/],
      [],
    ],
    ["a negative dial timeout", { ...ok, perDialTimeout: -5 }, [/\[connection\.perDialTimeout\] got -5/], []],
    [
      "a password that is not a string, without showing it",
      { ...ok, password: 12345678 },
      [/\[connection\.password\] got \(value hidden\)/],
      ["12345678"],
    ],
    ["a damaged host key", { ...ok, hostKey: "ssh-ed25519 AAAA" }, [/\[connection\.hostKey\] got "ssh-ed25519 AAAA": /], []],
    ["an unknown field", { ...ok, hostkey: "x" }, [/\[connection\] unknown field\(s\) 'hostkey'/], []],
    ["no credentials at all", { host: "h", user: "u", hostKey }, [/\[connection\] has no credentials/], []],
    ["a pinned key together with the insecure opt-in", { ...ok, insecureSkipHostKeyCheck: true }, [/remove one of them/], []],
    [
      "a private key that is not one, without showing it",
      { ...ok, privateKey: "/home/me/.ssh/id_ed25519" },
      [/\[connection\.privateKey\] \(value hidden\) is not a private key/],
      ["/home/me/.ssh/id_ed25519"],
    ],
    ["a bad jump host, with its path", { ...ok, proxy: { host: "b", user: "", password: "x" } }, [/\[connection\.proxy\.user\]/], []],
    ["something that is not an object", "cs1", [/\[connection\] got "cs1": give an object/], []],
  ];
  for (const [what, input, expected, hidden] of cases) {
    it(`refuses ${what}, naming the field and the fix`, () => {
      assert.throws(
        () => resolveConnectionArgs(input, "connection", noEnv),
        (e: unknown) => {
          assert.ok(isTransportError(e, "invalid-connection-args"));
          for (const m of expected) assert.match(e.message, m);
          for (const h of hidden) assert.ok(!e.message.includes(h), `message shows ${h}: ${e.message}`);
          return true;
        },
      );
    });
  }

  it("lists every problem at once for check()", () => {
    const problems = validateConnectionArgs({ host: "", port: 0, user: "u", password: "p" }, "connection", noEnv);
    assert.equal(problems.length, 2);
    assert.deepEqual(validateConnectionArgs(ok, "connection", noEnv), []);
  });

  it("refuses a wrong passphrase for an encrypted private key without showing key or passphrase", () => {
    const key = sshUtils.generateKeyPairSync("ed25519", { passphrase: "right horse", cipher: "aes256-ctr", rounds: 4 }).private;
    assert.deepEqual(validateConnectionArgs({ ...ok, privateKey: key, privateKeyPassword: "right horse" }, "connection", noEnv), []);
    const problems = validateConnectionArgs({ ...ok, privateKey: key, privateKeyPassword: "wrong battery" }, "connection", noEnv);
    assert.equal(problems.length, 1);
    assert.match(problems[0], /\[connection\.privateKeyPassword\] \(value hidden\) does not decrypt/);
    assert.ok(!problems[0].includes("wrong battery"));
  });
});
