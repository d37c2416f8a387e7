// The fast CRUD tier: the one lifecycle (provider/lifecycle/lifecycle.ts) driven through the runtime entry with fake
// sessions replaying transcripts (tests/lifecycle/fakeSessions.ts): no lab, no SSH, no engine. Whole runs recorded from
// the lab (tests/lifecycle/goldenRuns.ts; UPDATE_GOLDEN=1 records them again) fail on any operation, params or session
// purpose other than the recorded ones. The lab tier keeps the end-to-end tests.
import assert from "node:assert/strict";
import * as runtime from "../../provider/lifecycle/runtime";
import { UNKNOWN } from "../../provider/lifecycle/inputSupport";
import { resetFactsCache } from "../../provider/upgrade/factsCache";
import { replay, transcript } from "./fakeSessions";
import { GOLDEN_RUNS, type RunOutcome, drive, recordGoldenRuns } from "./goldenRuns";

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGZha2VrZXlmb3J0ZXN0c29ubHkxMjM0NTY3ODkwYWJjZGVm";

function connectionServer(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    resourceName: "pod1-cs1",
    connection: { host: "cs1.lab.local", user: "svc", password: "S3cret-pw!", hostKey: HOST_KEY },
    targetVersion: "7.13.2",
    installer: { path: "C:\\Installers\\horizon.exe", sha256: "a".repeat(64) },
    ...extra,
  };
}

function securityServer(host: string): Record<string, unknown> {
  return {
    resourceName: "pod1-ss1",
    connection: { host, user: "svc", password: "S3cret-pw!", hostKey: HOST_KEY },
    connectionServer: { name: "CS1", connection: { host: "cs1.lab.local", user: "svc", password: "S3cret-pw!", hostKey: HOST_KEY } },
    targetVersion: "7.13.2",
    installer: { path: "C:\\Installers\\horizon.exe", sha256: "a".repeat(64) },
  };
}

describe("the lifecycle over fake sessions", () => {
  let restore: (() => void) | undefined;
  beforeEach(() => resetFactsCache());
  afterEach(() => {
    restore?.();
    restore = undefined;
  });

  it("fails check on the connection's hostKey when the host's key is refused, without the password", async () => {
    const fake = replay(transcript("cs-host-key-refused"));
    restore = fake.restore;
    const r = await runtime.check("connection-server", {}, connectionServer());
    assert.deepEqual(
      r.failures?.map((f) => f.property),
      ["connection.hostKey"],
    );
    assert.match(r.failures![0].reason, /^\[connection\.hostKey\] .*does not match the pinned hostKey/);
    assert.ok(!JSON.stringify(r).includes("S3cret-pw!"));
    // Check plans with a planning session from the factory: nothing was sent for changing a host.
    assert.ok(fake.sent.length > 0 && fake.sent.every((s) => s.purpose === "planning"));
  });

  it("plans nothing and opens no session while the connection is not known", async () => {
    const fake = replay({ about: "no host may be reached", hosts: {} });
    restore = fake.restore;
    const r = (await runtime.check("connection-server", {}, connectionServer({ connection: UNKNOWN }))) as {
      inputs: Record<string, unknown>;
    };
    assert.deepEqual(r.inputs.plan, ["(computed once the connection and the installer are known)"]);
    assert.deepEqual(fake.sent, []);
  });

  it("keeps the last known state on refresh when the stored state is not valid input, and reads no host", async () => {
    const fake = replay({ about: "no host may be reached", hosts: {} });
    restore = fake.restore;
    const props = { ...connectionServer({ targetVersion: "not a version" }), installedVersion: "7.13.2" };
    const r = await runtime.read("connection-server", "horizon-cs:cs1", props);
    assert.equal(r.id, "horizon-cs:cs1");
    assert.equal(r.inputs, undefined);
    assert.deepEqual(fake.sent, []);
  });

  it("reads a security server's stored state without the write-only pairing password", async () => {
    const fake = replay(transcript("cs-host-key-refused"));
    restore = fake.restore;
    const props = {
      resourceName: "pod1-ss1",
      connection: { host: "cs1.lab.local", user: "svc", password: "S3cret-pw!", hostKey: HOST_KEY },
      connectionServer: { name: "CS1", connection: { host: "cs1.lab.local", user: "svc", password: "S3cret-pw!", hostKey: HOST_KEY } },
      targetVersion: "7.13.2",
      installer: { path: "C:\\Installers\\horizon.exe", sha256: "a".repeat(64) },
    };
    // Validation passes (no pairing password needed), so the host is read: the refused key is what stops it.
    await assert.rejects(runtime.read("security-server", "horizon-ss:ss1", props), /does not match the pinned hostKey/);
    assert.ok(fake.sent.length > 0);
  });

  it("keeps both connections' passwords and the pairing password out of a failure that quotes a host's message", async () => {
    // Three different secrets, each found by its own entry of the descriptor's secretValues.
    const inputs = securityServer("ss1.lab.local");
    (inputs.connection as Record<string, unknown>).password = "Ss1-Pw-77";
    (inputs.connectionServer as { connection: Record<string, unknown> }).connection.password = "Cs1-Pw-88";
    const quoted = "Ss1-Pw-77, Cs1-Pw-88 and Pairing-Pw-42";
    const fake = replay({
      about: "a security server and its Connection Server whose hosts answer with a message that quotes every secret",
      hosts: Object.fromEntries(
        ["ss1.lab.local", "cs1.lab.local"].map((h) => [
          h,
          [
            {
              operation: "*",
              error: { code: "host-key-mismatch" as const, message: `${h} refused ${quoted}; it does not match the pinned hostKey` },
            },
          ],
        ]),
      ),
    });
    restore = fake.restore;
    const r = await runtime.check("security-server", {}, { ...inputs, pairingPassword: "Pairing-Pw-42" });
    assert.equal(r.failures?.length, 1);
    assert.match(r.failures![0].property, /^(connectionServer\.)?connection\.hostKey$/);
    assert.match(r.failures![0].reason, /does not match the pinned hostKey/);
    for (const secret of ["Ss1-Pw-77", "Cs1-Pw-88", "Pairing-Pw-42"])
      assert.ok(!r.failures![0].reason.includes(secret), `${secret} in ${r.failures![0].reason}`);
  });

  it("reports no change on diff when only the write-only pairing password differs", async () => {
    const olds = { ...securityServer("ss1.lab.local"), liveVersion: "7.13.2", plan: [] };
    const news = { ...securityServer("ss1.lab.local"), plan: [], pairingPassword: "another-one" };
    assert.deepEqual(await runtime.diff("security-server", "horizon-ss:ss1", olds, news), { changes: false });
  });

  it("reports no change on diff when only outputs, links and write-only inputs differ", async () => {
    const olds = { ...connectionServer(), liveVersion: "7.13.2", installedVersion: "7.13.2", plan: [], upgradeAfter: ["x"] };
    const news = { ...connectionServer(), plan: [], upgradeAfter: ["y"] };
    assert.deepEqual(await runtime.diff("connection-server", "horizon-cs:cs1", olds, news), { changes: false });
    assert.deepEqual(await runtime.diff("connection-server", "horizon-cs:cs1", olds, { ...news, targetVersion: "7.13.3" }), {
      changes: true,
    });
  });
});

describe("runs recorded from the lab, replayed over fake sessions", function () {
  const log = console.log;
  before(async function () {
    // UPDATE_GOLDEN=1 records the transcripts again from a lab; otherwise nothing here reaches a lab.
    if (process.env.UPDATE_GOLDEN === "1") {
      this.timeout(600_000);
      await recordGoldenRuns();
    }
  });
  beforeEach(() => {
    console.log = () => undefined; // check and create print the plan
  });
  afterEach(() => {
    console.log = log;
  });

  /** Replays a recorded run; fails on any operation, params or purpose the transcript does not have, or one left over. */
  async function replayed(name: string): Promise<RunOutcome & { sent: string[] }> {
    const run = GOLDEN_RUNS.find((r) => r.name === name)!;
    const t = transcript(name);
    const fake = replay(t);
    try {
      const outcome = await drive(run.kind, t.inputs!);
      assert.deepEqual(fake.mismatches, []);
      assert.deepEqual(fake.unused(), {});
      // The order of operations is the recorded one, and each came from a session of the recorded purpose.
      assert.deepEqual(
        fake.sent.map((s) => `${s.purpose} ${s.operation}`),
        t.hosts[run.host].map((a) => `${a.purpose} ${a.operation}`),
      );
      return { ...outcome, sent: fake.sent.map((s) => s.operation) };
    } finally {
      fake.restore();
    }
  }

  it("upgrades a Connection Server as recorded: preview plans with reads only, up backs up before the installer, refresh reads the new version", async () => {
    const { checked, created, read, sent } = await replayed("cs-upgrade");
    const inputs = checked.inputs as Record<string, unknown>;
    assert.equal(inputs.liveVersion, "7.12.0.15770369");
    assert.deepEqual(
      (inputs.plan as string[]).map((l) => l.split(":")[0]),
      ["1. preflight on CS1", "2. backup-configuration on CS1", "3. install on CS1", "4. wait-service on CS1", "5. verify-version on CS1"],
    );
    assert.ok(sent.indexOf("Invoke-Vdmexport") < sent.indexOf("Start-Installer"));
    // The run lease is taken before the first change and released at the end; the guard input is never stored.
    assert.ok(
      sent.indexOf("New-RunLease") < sent.indexOf("Invoke-Vdmexport") && sent.lastIndexOf("Set-RunLease") > sent.indexOf("Start-Installer"),
    );
    assert.equal(created!.outs.guard, undefined, "the guard's group connections were stored as an output");
    assert.equal(created!.id, "horizon-cs:cs1");
    assert.equal(created!.outs.installedVersion, "7.13.2.21000000");
    assert.equal(created!.outs.serviceStatus, "Running");
    assert.deepEqual(Object.keys(created!.outs.configurationBackupFile as object).sort(), ["path", "sha256", "sizeBytes"]);
    assert.equal(read!.props.liveVersion, "7.13.2.21000000");
    assert.deepEqual(read!.inputs!.plan, []);
    assert.equal(read!.inputs!.installedVersion, undefined, "read returned an output only up sets as an input");
  });

  it("upgrades an App-V server as recorded: preview plans with reads only, up installs and starts the service, refresh reads the new version", async () => {
    const { checked, created, read } = await replayed("appv-server-upgrade");
    const inputs = checked.inputs as Record<string, unknown>;
    assert.equal(inputs.liveVersion, "4.1.1.1");
    assert.deepEqual(
      (inputs.plan as string[]).map((l) => l.split(":")[0]),
      ["1. preflight on APPV3", "2. install on APPV3", "3. wait-service on APPV3", "4. verify-version on APPV3"],
    );
    assert.equal(created!.outs.installedVersion, "4.5.2.17140");
    assert.equal(created!.outs.serviceStatus, "Running");
    assert.equal(read!.props.liveVersion, "4.5.2.17140");
    assert.deepEqual(read!.inputs!.plan, []);
  });

  it("fails the replay when the provider sends other params than the transcript's", async () => {
    const t = transcript("cs-upgrade");
    const hash = t.hosts.cs1.find((a) => a.operation === "Get-FileHash")!;
    hash.params = { path: "C:\\Installers\\another.exe" };
    const fake = replay(t);
    try {
      await drive("connection-server", t.inputs!).catch(() => undefined);
      assert.match(fake.mismatches[0] ?? "", /^Get-FileHash on cs1 was sent with other params than the transcript's/);
    } finally {
      fake.restore();
    }
  });
});
