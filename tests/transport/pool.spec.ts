import * as assert from "node:assert/strict";
import { utils as sshUtils } from "ssh2";
import { type Lab, startLab } from "../../lab";
import { resolveConnectionArgs } from "../../provider/transport/connectionArgs";
import { acquire, closeAllConnections, poolKey, pooledConnectionCount } from "../../provider/transport/pool";
import { FAST, argsFor } from "./labFixture";

const hostKey = sshUtils.generateKeyPairSync("ed25519").public;
const base = { host: "cs1", user: "u", password: "a", hostKey };
const key = (x: object) => poolKey(resolveConnectionArgs({ ...base, ...x }, "connection", {}));

describe("pool", function () {
  this.timeout(20_000);

  it("keys connections by host, port, user, jump host and credentials", () => {
    assert.equal(key({}), key({}));
    for (const change of [{ host: "cs2" }, { port: 2222 }, { user: "v" }, { password: "b" }, { proxy: { host: "j", user: "u", password: "a", hostKey } }]) {
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
});
