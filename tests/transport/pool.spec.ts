import * as assert from "node:assert/strict";
import { utils as sshUtils } from "ssh2";
import { type Lab, startLab } from "../../lab";
import { resolveConnectionArgs } from "../../provider/transport/connectionArgs";
import { acquire, closeAllConnections, poolKey, pooledConnectionCount } from "../../provider/transport/pool";
import { type ConnectionArgs, openSession, operationHeader } from "../../provider/transport";
import { FAST, argsFor } from "./labFixture";

const request = (operation: string, params: Record<string, unknown> = {}) => ({
  operation,
  script: `${operationHeader(operation)}\nparam($p)\n`,
  params,
});

const hostKey = sshUtils.generateKeyPairSync("ed25519").public;
const base = { host: "cs1", user: "u", password: "a", hostKey };
const key = (x: object) => poolKey(resolveConnectionArgs({ ...base, ...x }, "connection", {}));

describe("pool", function () {
  this.timeout(20_000);

  it("keys connections by host, port, user, jump host and credentials", () => {
    assert.equal(key({}), key({}));
    for (const change of [
      { host: "cs2" },
      { port: 2222 },
      { user: "v" },
      { password: "b" },
      { proxy: { host: "j", user: "u", password: "a", hostKey } },
    ]) {
      assert.notEqual(key(change), key({}), JSON.stringify(change));
    }
    assert.ok(!key({ password: "visible-secret" }).includes("visible-secret"));
  });

  describe("against the lab", () => {
    let lab: Lab;
    before(async () => {
      lab = await startLab({ timeFactor: FAST, hosts: [{ name: "h1" }] });
    });
    after(async () => {
      closeAllConnections();
      await lab?.stop();
    });
    afterEach(() => closeAllConnections());

    it("shares one dial between concurrent borrowers", async () => {
      const c = resolveConnectionArgs(argsFor(lab.endpoint("h1")));
      const before = lab.host("h1").connections;
      const leases = await Promise.all([acquire(c), acquire(c), acquire(c)]);
      assert.equal(new Set(leases.map((l) => l.connection)).size, 1);
      assert.equal(lab.host("h1").connections - before, 1);
      for (const l of leases) l.release();
    });

    it("closes a connection left idle, with a timer that does not keep the process alive", async () => {
      const c = resolveConnectionArgs(argsFor(lab.endpoint("h1")));
      const lease = await acquire(c, { idleSeconds: 0.2 });
      let closed = false;
      lease.connection.client.once("close", () => void (closed = true));
      lease.release();
      assert.equal(pooledConnectionCount(), 1);
      await new Promise((r) => setTimeout(r, 500));
      assert.ok(closed);
      assert.equal(pooledConnectionCount(), 0);
    });

    it("drops a discarded connection so the next borrower dials again", async () => {
      const c = resolveConnectionArgs(argsFor(lab.endpoint("h1")));
      const first = await acquire(c);
      first.discard();
      const before = lab.host("h1").connections;
      const second = await acquire(c);
      assert.notEqual(second.connection, first.connection);
      assert.equal(lab.host("h1").connections - before, 1);
      second.release();
    });
  });

  describe("under the host's MaxSessions", () => {
    // A quick operation lasts 600 simulated seconds: ~80 ms at this time factor, so operations overlap.
    const slow = { timeFactor: FAST, durations: { quick: 600 } };
    const labs: Lab[] = [];
    const labWith = async (maxSessions: number) => {
      const l = await startLab({ ...slow, maxSessions, hosts: [{ name: "h" }] });
      labs.push(l);
      return l;
    };
    after(async () => {
      closeAllConnections();
      await Promise.all(labs.map((l) => l.stop()));
    });
    afterEach(() => closeAllConnections());

    /** Runs `n` operations at once; each carries its index so the host's audit shows the order they started in. */
    async function burst(l: Lab, n: number, extra: Partial<ConnectionArgs> = {}) {
      const s = openSession(argsFor(l.endpoint("h"), extra), { retryDelayMs: 10 });
      const before = l.host("h").connections;
      const auditBefore = l.host("h").audit.length;
      const results = await Promise.allSettled(Array.from({ length: n }, (_, i) => s.run(request("Get-HostFacts", { n: i }))));
      const failures = results.flatMap((r) => (r.status === "rejected" ? [String((r.reason as Error).message)] : []));
      const order = l
        .host("h")
        .audit.slice(auditBefore)
        .map((a) => (a.params as { n: number }).n);
      return { failures, order, connections: l.host("h").connections - before };
    }

    for (const max of [10, 1]) {
      it(`runs 50 operations at once against MaxSessions ${max}: all succeed, in the order asked, on one connection`, async () => {
        const l = await labWith(max);
        const r = await burst(l, 50);
        assert.deepEqual(r.failures, []);
        assert.deepEqual(
          r.order,
          Array.from({ length: 50 }, (_, i) => i),
        );
        assert.equal(r.connections, 1);
      });
    }

    it("never disturbs running operations when the host refuses one more session, and runs the refused one once a slot frees", async () => {
      // The operator allows more than the host does: the 11th channel is refused by the host, as sshd refuses it.
      const l = await labWith(10);
      const r = await burst(l, 20, { maxSessions: 20 });
      assert.deepEqual(r.failures, []);
      assert.equal(r.order.length, 20);
      assert.equal(r.connections, 1);
    });

    it("never disturbs the 10 operations running on a host with MaxSessions 10 when an 11th is asked for", async () => {
      const l = await labWith(10);
      const args = argsFor(l.endpoint("h"), { maxSessions: 11 });
      const s = openSession(args, { retryDelayMs: 10 });
      const running = Array.from({ length: 10 }, (_, i) => s.run(request("Get-HostFacts", { n: i })));
      // The 11th is asked for while the 10 run: the host refuses its channel, as sshd does.
      await new Promise((r) => setTimeout(r, 20));
      const eleventh = s.run(request("Get-HostFacts", { n: 10 }));
      const results = await Promise.allSettled([...running, eleventh]);
      assert.deepEqual(
        results.flatMap((r) => (r.status === "rejected" ? [String(r.reason)] : [])),
        [],
      );
      assert.equal(l.host("h").audit.filter((a) => a.outcome === "ok").length, 11);
    });

    it("keeps one close listener on the pooled connection however many operations run on it", async () => {
      const l = await startLab({ ...slow, maxSessions: 30, hosts: [{ name: "h" }] });
      labs.push(l);
      const args = argsFor(l.endpoint("h"), { maxSessions: 20 });
      const s = openSession(args, { retryDelayMs: 10 });
      const lease = await acquire(resolveConnectionArgs(args));
      const client = lease.connection.client;
      const before = client.listenerCount("close");
      const runs = Array.from({ length: 19 }, () => s.run(request("Get-HostFacts")));
      await new Promise((r) => setTimeout(r, 40));
      assert.equal(client.listenerCount("close"), before, "a close listener per operation");
      await Promise.all(runs);
      lease.release();
    });

    it("queues beyond maxSessions on one connection without a close listener per operation", async () => {
      const l = await labWith(10);
      const c = resolveConnectionArgs(argsFor(l.endpoint("h"), { maxSessions: 2 }));
      const first = await acquire(c);
      const second = await acquire(c);
      let third = false;
      const pending = acquire(c).then((lease) => ((third = true), lease));
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(third, false, "a third lease waits while two are out");
      assert.ok(first.connection.client.listenerCount("close") <= 3, `${first.connection.client.listenerCount("close")} close listeners`);
      first.release();
      const lease = await pending;
      assert.equal(lease.connection, second.connection);
      second.release();
      lease.release();
    });
  });
});
