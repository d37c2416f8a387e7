import assert from "node:assert/strict";
import type { ConnectionArgs } from "../../provider/transport/connectionArgs";
import type { Session } from "../../provider/transport/session";
import { type SessionFactory, sessionFactory, sshSessions, useSessionFactory } from "../../provider/transport/sessions";

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGZha2VrZXlmb3J0ZXN0c29ubHkxMjM0NTY3ODkwYWJjZGVm";
const connection = (extra: Partial<ConnectionArgs> = {}): ConnectionArgs =>
  ({ host: "cs1.lab.local", user: "svc", password: "pw", hostKey: HOST_KEY, ...extra }) as ConnectionArgs;
/** The resolved connection a session of the SSH transport dials with (no connection is opened before `run`). */
const dialOf = (s: Session) => (s as unknown as { connection: { dialErrorLimit: number; perDialTimeout: number } }).connection;

describe("sshSessions", () => {
  it("makes at most 2 connection attempts of at most 10 s while planning, so preview does not hang on a dead host", () => {
    const d = dialOf(sshSessions.open(connection(), "planning"));
    assert.deepEqual([d.dialErrorLimit, d.perDialTimeout], [2, 10]);
    const fewer = dialOf(sshSessions.open(connection({ dialErrorLimit: 1, perDialTimeout: 5 }), "planning"));
    assert.deepEqual([fewer.dialErrorLimit, fewer.perDialTimeout], [1, 5]);
  });

  it("keeps the connection's own attempts for an upgrade", () => {
    const d = dialOf(sshSessions.open(connection({ dialErrorLimit: 7, perDialTimeout: 40 }), "changing"));
    assert.deepEqual([d.dialErrorLimit, d.perDialTimeout], [7, 40]);
  });
});

describe("useSessionFactory", () => {
  it("serves sessions from the installed factory until restored, then from the SSH transport again", () => {
    assert.equal(sessionFactory(), sshSessions);
    const fake: SessionFactory = { open: () => ({ label: "fake", run: async () => assert.fail("not run") }) };
    const restore = useSessionFactory(fake);
    try {
      assert.equal(sessionFactory().open(connection(), "planning").label, "fake");
    } finally {
      restore();
    }
    assert.equal(sessionFactory(), sshSessions);
  });
});
