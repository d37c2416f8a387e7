import assert from "node:assert/strict";
import {
  checkWithReferences,
  createWithReferences,
  readWithReferences,
  resolveSecretReferences,
  restoreSecretReferences,
  type Sources,
} from "../../provider/secrets/references";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const SSH = "Ssh-Password-123";
const PAIRING = "Pairing-Secret-456";
const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAB3NzaC1yc2EAAAADAQABAAABAQDx\n-----END OPENSSH PRIVATE KEY-----\n";

function sources(env: Record<string, string> = {}, files: Record<string, string> = {}): Sources {
  return {
    env,
    readFile: (f) => {
      if (f in files) return files[f];
      throw Object.assign(new Error(`ENOENT: no such file or directory, open '${f}'`), { code: "ENOENT" });
    },
  };
}

const inputs = () => ({
  resourceName: "pod1-ss1",
  connection: { host: "ss1", user: "Administrator", password: { fromEnv: "SS1_SSH_PASSWORD" } },
  connectionServer: { name: "CS1", connection: { host: "cs1", user: "Administrator", privateKey: { fromFile: "/run/secrets/cs1.key" } } },
  pairingPassword: { fromFile: "/run/secrets/pairing" },
});

describe("secrets by reference", () => {
  it("resolves environment variables and files at every secret field, at any depth, keeping a key's text and dropping one newline elsewhere", () => {
    const r = resolveSecretReferences(
      inputs(),
      sources({ SS1_SSH_PASSWORD: SSH }, { "/run/secrets/cs1.key": KEY, "/run/secrets/pairing": `${PAIRING}\n` }),
    );
    assert.deepEqual(r.failures, []);
    assert.equal(r.value.connection.password, SSH);
    assert.equal(r.value.connectionServer.connection.privateKey, KEY);
    assert.equal(r.value.pairingPassword, PAIRING);
    assert.deepEqual(
      r.found.map((f) => f.path.join(".")),
      ["connection.password", "connectionServer.connection.privateKey", "pairingPassword"],
    );
  });

  it("resolves the App-V database logins, databaseAdmin.user included, and leaves plain values and non-secret fields alone", () => {
    const news = {
      database: { sqlUser: { fromEnv: "U" }, sqlPassword: "plain" },
      databaseAdmin: { user: { fromEnv: "U" }, password: { fromEnv: "P" } },
      overrides: { x: { fromEnv: "U" } },
    };
    const r = resolveSecretReferences(news, sources({ U: "appv-admin", P: "Admin-Password-1" }));
    assert.deepEqual(r.value, {
      database: { sqlUser: "appv-admin", sqlPassword: "plain" },
      databaseAdmin: { user: "appv-admin", password: "Admin-Password-1" },
      overrides: { x: { fromEnv: "U" } },
    });
  });

  it("names the field and the reference when it cannot be resolved, never a value", () => {
    const r = resolveSecretReferences(inputs(), sources({}, { "/run/secrets/cs1.key": "" }));
    assert.deepEqual(
      r.failures.map((f) => f.property),
      ["connection.password", "connectionServer.connection.privateKey", "pairingPassword"],
    );
    assert.match(
      r.failures[0].reason,
      /^\[connection\.password\] \[pod1-ss1\] \{ fromEnv: "SS1_SSH_PASSWORD" \}: the environment variable SS1_SSH_PASSWORD is not set where `pulumi` runs .*export SS1_SSH_PASSWORD/,
    );
    assert.match(
      r.failures[1].reason,
      /^\[connectionServer\.connection\.privateKey\] \[pod1-ss1\] \{ fromFile: "\/run\/secrets\/cs1\.key" \}: the file \/run\/secrets\/cs1\.key is empty/,
    );
    assert.match(
      r.failures[2].reason,
      /^\[pairingPassword\] \[pod1-ss1\] \{ fromFile: "\/run\/secrets\/pairing" \}: the file \/run\/secrets\/pairing does not exist/,
    );
    const bad = resolveSecretReferences(
      { pairingPassword: { fromEnv: "1X" }, connection: { password: { fromFile: "relative" } }, sqlPassword: { env: "X" } },
      sources(),
    );
    assert.match(bad.failures[0].reason, /fromEnv must name an environment variable/);
    assert.match(bad.failures[1].reason, /fromFile must be an absolute path/);
    assert.match(bad.failures[2].reason, /an object with the field\(s\) "env" is not a secret reference: a secret reference is \{ fromEnv/);
    // A malformed reference may hold the secret itself: it is never quoted.
    const leaky = resolveSecretReferences(
      { password: { value: SSH }, privateKeyPassword: { fromEnv: SSH }, pairingPassword: { fromFile: SSH } },
      sources(),
    );
    assert.equal(leaky.failures.length, 3);
    for (const f of leaky.failures) assert.ok(!f.reason.includes(SSH), f.reason);
  });

  it("leaves a reference not known yet unknown, for validation to skip", () => {
    const r = resolveSecretReferences({ pairingPassword: { fromEnv: UNKNOWN } }, sources());
    assert.deepEqual(r, { value: { pairingPassword: UNKNOWN }, found: [], values: [], failures: [] });
  });

  it("puts each reference back where it was and leaves no resolved value anywhere in what is returned", () => {
    const r = resolveSecretReferences(
      inputs(),
      sources({ SS1_SSH_PASSWORD: SSH }, { "/run/secrets/cs1.key": KEY, "/run/secrets/pairing": PAIRING }),
    );
    const out = restoreSecretReferences({ ...r.value, plan: [`note: ${PAIRING} leaked`], echo: SSH }, r);
    assert.deepEqual(out.connection.password, { fromEnv: "SS1_SSH_PASSWORD" });
    assert.deepEqual(out.pairingPassword, { fromFile: "/run/secrets/pairing" });
    assert.deepEqual(out.plan, ["note: *** leaked"]);
    assert.equal(out.echo, "***");
    for (const s of [SSH, PAIRING, KEY]) assert.ok(!JSON.stringify(out).includes(s));
  });

  it("hands check the values and the engine the references, and keeps values out of failures and thrown errors", async () => {
    process.env.VDI_TEST_SECRET_REF = SSH;
    try {
      const news = { connection: { host: "h", user: "u", password: { fromEnv: "VDI_TEST_SECRET_REF" } } };
      let seen: unknown;
      const checked = await checkWithReferences(
        news,
        async (n) => ((seen = n), { inputs: n, failures: [{ property: "", reason: `bad ${SSH}` }] }),
      );
      assert.equal((seen as typeof news & { connection: { password: string } }).connection.password, SSH);
      assert.deepEqual((checked.inputs as typeof news).connection.password, { fromEnv: "VDI_TEST_SECRET_REF" });
      assert.equal(checked.failures![0].reason, "bad ***");
      const created = await createWithReferences(news, async (i) => ({ id: "x", outs: i }));
      assert.ok(!JSON.stringify(created).includes(SSH));
      await assert.rejects(
        readWithReferences(news, async () => {
          throw new Error(`cannot log in with ${SSH}`);
        }),
        (e: Error) => e.message === "cannot log in with ***" && !String(e.stack).includes(SSH),
      );
      await assert.rejects(
        createWithReferences({ pairingPassword: { fromEnv: "VDI_TEST_NOT_SET" } }, async () => ({ outs: {} })),
        /\[pairingPassword\] \{ fromEnv: "VDI_TEST_NOT_SET" \}/,
      );
    } finally {
      delete process.env.VDI_TEST_SECRET_REF;
    }
  });
});
