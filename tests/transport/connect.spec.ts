import * as assert from "node:assert/strict";
import * as net from "node:net";
import { utils as sshUtils } from "ssh2";
import { dial, retryDelay } from "../../provider/transport/connect";
import { resolveConnectionArgs } from "../../provider/transport/connectionArgs";
import { isTransportError } from "../../provider/transport/errors";
import { startLab } from "../../lab";
import { argsFor } from "./labFixture";

const hostKey = sshUtils.generateKeyPairSync("ed25519").public;

/** A TCP server that accepts and immediately closes every connection: the SSH handshake fails each time. */
async function slammingServer(): Promise<{ port: number; accepted: () => number; close: () => Promise<void> }> {
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    port: (server.address() as net.AddressInfo).port,
    accepted: () => accepted,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe("connect", () => {
  const delays: Array<[number, number]> = [
    [1, 500],
    [2, 1000],
    [3, 2000],
    [4, 4000],
    [5, 5000],
    [50, 5000],
  ];
  for (const [attempt, ms] of delays) {
    it(`waits ${ms} ms before retry ${attempt} (doubling from 500 ms, capped at 5 s)`, () => {
      assert.equal(retryDelay(attempt), ms);
    });
  }

  it("retries a failing connect exactly dialErrorLimit times, waiting between attempts, then fails with connect-failed", async () => {
    const server = await slammingServer();
    try {
      const c = resolveConnectionArgs(
        { host: "127.0.0.1", port: server.port, user: "u", password: "pw-secret", hostKey, dialErrorLimit: 3 },
        "connection",
        {},
      );
      const started = Date.now();
      await assert.rejects(dial(c, { retryDelayMs: 50 }), (e: unknown) => {
        assert.ok(isTransportError(e, "connect-failed"), String(e));
        assert.match(e.message, /after 3 attempt\(s\)/);
        assert.ok(!e.message.includes("pw-secret"));
        return true;
      });
      assert.equal(server.accepted(), 3);
      // Two awaited back-offs: 50 ms then 100 ms.
      assert.ok(Date.now() - started >= 140);
    } finally {
      await server.close();
    }
  });

  it("gives up on a closed port after dialErrorLimit attempts", async () => {
    const server = await slammingServer();
    const port = server.port;
    await server.close();
    const c = resolveConnectionArgs({ host: "127.0.0.1", port, user: "u", password: "p", hostKey, dialErrorLimit: 2 }, "connection", {});
    await assert.rejects(
      dial(c, { retryDelayMs: 10 }),
      (e: unknown) => isTransportError(e, "connect-failed") && /ECONNREFUSED/.test(e.message),
    );
  });

  it("bounds each attempt by perDialTimeout", async () => {
    // A server that accepts and then says nothing: the handshake never completes.
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => void sockets.push(s));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    try {
      const port = (server.address() as net.AddressInfo).port;
      const c = resolveConnectionArgs(
        { host: "127.0.0.1", port, user: "u", password: "p", hostKey, dialErrorLimit: 1, perDialTimeout: 0.3 },
        "connection",
        {},
      );
      const started = Date.now();
      await assert.rejects(dial(c), (e: unknown) => isTransportError(e, "connect-failed") && /Timed out/i.test(e.message));
      assert.ok(Date.now() - started < 3000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
    }
  });

  it("turns Nagle's algorithm off on the connection (every operation is small writes answered by small writes)", async () => {
    const lab = await startLab({ hosts: [{ name: "h" }] });
    const calls: unknown[] = [];
    const original = net.Socket.prototype.setNoDelay;
    net.Socket.prototype.setNoDelay = function (this: net.Socket, noDelay?: boolean) {
      if (this.remotePort === lab.endpoint("h").port) calls.push(noDelay);
      return original.call(this, noDelay);
    };
    try {
      const conn = await dial(resolveConnectionArgs(argsFor(lab.endpoint("h"))));
      conn.end();
      assert.deepEqual(calls, [true]);
    } finally {
      net.Socket.prototype.setNoDelay = original;
      await lab.stop();
    }
  });
});
