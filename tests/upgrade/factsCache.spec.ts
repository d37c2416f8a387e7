import assert from "node:assert/strict";
import type { OperationRequest, RunResult, Session } from "../../provider/transport/session";
import { FACTS_TTL_MS, cachingSession, factsCacheCounters, resetFactsCache, writingSession } from "../../provider/upgrade/factsCache";

/** A host that counts what it is sent and answers after a tick. */
function fakeHost(label = "administrator@cs1:22"): Session & { sent: string[] } {
  const sent: string[] = [];
  return {
    label,
    sent,
    async run<T>(request: OperationRequest): Promise<RunResult<T>> {
      sent.push(request.operation);
      await new Promise((r) => setImmediate(r));
      return { result: { n: sent.length } as T, exitCode: 0, stdout: [], stderr: "" };
    },
  };
}

const read = (operation = "Get-HostFacts", params: Record<string, unknown> = {}): OperationRequest => ({
  operation,
  script: `# ${operation}`,
  params,
});

describe("facts cache", () => {
  let clock = 0;
  beforeEach(() => {
    clock = 0;
    resetFactsCache(() => clock);
  });
  after(() => resetFactsCache());

  it("sends a read once when two planning sessions of the same host ask for it, even while the first is in flight", async () => {
    const host = fakeHost();
    const [a, b] = await Promise.all([cachingSession(host).run(read()), cachingSession(host).run(read())]);
    assert.deepEqual(host.sent, ["Get-HostFacts"]);
    assert.deepEqual(a.result, b.result);
    assert.deepEqual(factsCacheCounters(), { sent: 1, reused: 1 });
  });

  it("sends the read again for other params, another host, or once the facts are older than the time to live", async () => {
    const host = fakeHost();
    const other = fakeHost("administrator@cs2:22");
    await cachingSession(host).run(read("Get-ServiceState", { displayNames: ["A"] }));
    await cachingSession(host).run(read("Get-ServiceState", { displayNames: ["B"] }));
    await cachingSession(other).run(read("Get-ServiceState", { displayNames: ["A"] }));
    clock = FACTS_TTL_MS;
    await cachingSession(host).run(read("Get-ServiceState", { displayNames: ["A"] }));
    assert.deepEqual(host.sent, ["Get-ServiceState", "Get-ServiceState", "Get-ServiceState"]);
    assert.deepEqual(other.sent, ["Get-ServiceState"]);
  });

  it("never remembers an operation that changes the host", async () => {
    const host = fakeHost();
    await cachingSession(host).run(read("Set-ServiceState"));
    await cachingSession(host).run(read("Set-ServiceState"));
    assert.deepEqual(host.sent, ["Set-ServiceState", "Set-ServiceState"]);
  });

  it("makes the next planning read of every host go to the host once an upgrading session ran anything anywhere", async () => {
    const host = fakeHost();
    const other = fakeHost("administrator@ss1:22");
    await cachingSession(host).run(read());
    await cachingSession(other).run(read());
    await writingSession(host).run(read("Invoke-Installer"));
    await cachingSession(host).run(read());
    await cachingSession(other).run(read());
    assert.deepEqual(host.sent, ["Get-HostFacts", "Invoke-Installer", "Get-HostFacts"]);
    assert.deepEqual(
      other.sent,
      ["Get-HostFacts", "Get-HostFacts"],
      "a change on one host (a pairing, a clock that moved on) can change what another reports",
    );
  });

  it("never answers an upgrading session from the cache: up re-reads before it acts", async () => {
    const host = fakeHost();
    await cachingSession(host).run(read());
    await writingSession(host).run(read());
    assert.deepEqual(host.sent, ["Get-HostFacts", "Get-HostFacts"]);
  });

  it("re-reads while an upgrading operation runs on the host, and forgets what was read then once it ends", async () => {
    const host = fakeHost();
    await cachingSession(host).run(read());
    const upgrading = writingSession(host).run(read("Invoke-Installer"));
    await cachingSession(host).run(read());
    await upgrading;
    await cachingSession(host).run(read());
    assert.deepEqual(host.sent, ["Get-HostFacts", "Invoke-Installer", "Get-HostFacts", "Get-HostFacts"]);
  });
});
