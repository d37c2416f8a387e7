import assert from "node:assert/strict";
import type { OperationRequest, Session } from "../../provider/transport/session";
import {
  CLOUD_POD_SERVICE_DEFAULT,
  judgeInstance,
  readReplication,
  requireHealthyReplication,
  parallelUpgradeProblem,
  replicationBlock,
  replicationFacts,
  replicationSummary,
  withReplication,
} from "../../provider/upgrade/replication";

const HEALTHY = [
  "Repadmin: running command /showrepl against full DC localhost:389",
  "Default-First-Site-Name\\CS2",
  "==== INBOUND NEIGHBORS ======================================",
  "DC=vdi,DC=vmware,DC=int",
  "    Default-First-Site-Name\\CS1 via RPC",
  "        Last attempt @ 2024-01-08 08:00:00 was successful.",
];
const BROKEN = [
  "Repadmin: running command /showrepl against full DC localhost:22389",
  "DC=vdiglobal,DC=vmware,DC=int",
  "    Default-First-Site-Name\\CS1 via RPC",
  "        Last attempt @ 2024-01-08 08:00:00 failed, result 1722 (0x6ba):",
  "            The RPC server is unavailable.",
  "        3 consecutive failure(s).",
];

describe("LDAP replication before a parallel Connection Server upgrade", () => {
  it("judges repadmin's output healthy only with exit 0 and no failure line", () => {
    assert.equal(judgeInstance({ port: 389, exitCode: 0, output: HEALTHY }).healthy, true);
    assert.equal(judgeInstance({ port: 389, exitCode: 58, output: HEALTHY }).healthy, false);
    const broken = judgeInstance({ port: 22389, exitCode: 0, output: BROKEN });
    assert.equal(broken.healthy, false);
    assert.deepEqual(broken.failures, ["Last attempt @ 2024-01-08 08:00:00 failed, result 1722 (0x6ba):", "3 consecutive failure(s)."]);
    assert.equal(
      judgeInstance({ port: 22389, exitCode: 58, output: ["LDAP error 81 (Server Down) Win32 Err 58."] }).failures[0],
      "LDAP error 81 (Server Down) Win32 Err 58.",
    );
  });

  it("names the server, the failing instance and repadmin's lines, with the vendor's advice and never the serial one for 2203+", () => {
    const facts = replicationFacts("CS2", "detect", {
      cloudPodService: { name: CLOUD_POD_SERVICE_DEFAULT, present: true },
      instances: [
        { port: 389, exitCode: 0, output: HEALTHY },
        { port: 22389, exitCode: 0, output: BROKEN },
      ],
    });
    const block = replicationBlock(facts, "8.5.0")!;
    assert.equal(block.code, "replication-unhealthy");
    assert.match(
      block.reason,
      /^LDAP replication on CS2 has errors: Cloud Pod global LDAP instance \(repadmin \/showrepl localhost:22389: Last attempt @ .* failed, result 1722 \(0x6ba\): \| 3 consecutive failure\(s\)\.\)/,
    );
    assert.match(block.reason, /the installer refuses to upgrade while replication has errors: repair LDAP replication/);
    assert.doesNotMatch(block.reason, /local View LDAP instance|parallelConnectionServers/);
    assert.equal(
      replicationSummary(facts),
      `LDAP replication on CS2: localhost:389 healthy, localhost:22389 has errors (service ${CLOUD_POD_SERVICE_DEFAULT} present: in a Cloud Pod federation)`,
    );
  });

  it("refuses a plan when the read failed, and leaves an already blocked plan's reason alone", () => {
    const unread = {
      host: "CS1",
      federation: "detect" as const,
      cloudPodService: { name: "x", present: false },
      instances: [],
      readError: "repadmin.exe was not found on CS1",
    };
    assert.equal(withReplication({ steps: [] }, unread, "8.5.0").blocked?.code, "replication-unreadable");
    const blocked = withReplication({ steps: [], blocked: { code: "downgrade", reason: "r" } }, unread, "8.5.0");
    assert.equal(blocked.blocked?.code, "downgrade");
    assert.equal(blocked.notes?.length, 1);
  });

  it("refuses a parallel upgrade to a target older than 2203, with the one-at-a-time advice, and allows 2203 and later", () => {
    assert.match(
      parallelUpgradeProblem({ parallelUpgrade: true, targetVersion: "7.13.2" }, "pod1-cs1")!,
      /documented from Horizon 2203 \(8\.5\) only.*set parallelConnectionServers: false$/,
    );
    assert.equal(parallelUpgradeProblem({ parallelUpgrade: true, targetVersion: "8.5.0" }), undefined);
    assert.equal(parallelUpgradeProblem({ targetVersion: "7.13.2" }), undefined);
  });

  describe("reading a Connection Server (the up-time preflight and preview)", () => {
    /** A session answering Get-ReplicationHealth like a host whose global instance (22389) is broken. */
    function host(requests: OperationRequest[], fail?: Error): Session {
      return {
        label: "cs2",
        async run<T>(request: OperationRequest) {
          requests.push(request);
          if (fail) throw fail;
          const global = (request.params as { global: string }).global;
          const instances = [
            { port: 389, exitCode: 0, output: HEALTHY },
            ...(global === "never" ? [] : [{ port: 22389, exitCode: 0, output: BROKEN }]),
          ];
          return {
            result: { cloudPodService: { name: CLOUD_POD_SERVICE_DEFAULT, present: true }, instances } as T,
            exitCode: 0,
            stdout: [],
            stderr: "",
          };
        },
      };
    }

    it("reads both instances at preflight and stops naming the global one, with the documented default service", async () => {
      const requests: OperationRequest[] = [];
      await assert.rejects(
        requireHealthyReplication(host(requests), "CS2", { targetVersion: "8.5.0" }),
        /LDAP replication on CS2 has errors: Cloud Pod global LDAP instance \(repadmin \/showrepl localhost:22389/,
      );
      assert.deepEqual(requests[0].params, { cloudPodService: "ADAM_VMwareVDMDSG", global: "detect" });
    });

    it("takes a declared federation and an overridden service name", async () => {
      const requests: OperationRequest[] = [];
      const lines: string[] = [];
      await requireHealthyReplication(host(requests), "CS2", { targetVersion: "8.5.0", cloudPodFederation: false }, (l) => lines.push(l));
      assert.deepEqual(lines, ["LDAP replication on CS2: localhost:389 healthy (Cloud Pod federation declared no)"]);
      await readReplication(host(requests), "CS2", {
        targetVersion: "8.5.0",
        cloudPodFederation: true,
        overrides: { cloudPodServiceName: "ADAM_Other" },
      });
      assert.deepEqual(
        requests.map((r) => r.params),
        [
          { cloudPodService: "ADAM_VMwareVDMDSG", global: "never" },
          { cloudPodService: "ADAM_Other", global: "always" },
        ],
      );
    });

    it("reports a read that failed as unreadable, and rethrows what the caller calls fatal", async () => {
      const facts = await readReplication(
        host([], new Error("repadmin.exe was not found on CS2 (it comes with the AD LDS tools).")),
        "CS2",
        { targetVersion: "8.5.0" },
      );
      assert.equal(facts.readError, "repadmin.exe was not found on CS2 (it comes with the AD LDS tools).");
      const hostKey = new Error("host key mismatch");
      await assert.rejects(
        readReplication(host([], hostKey), "CS2", { targetVersion: "8.5.0" }, { isFatal: (e) => e === hostKey }),
        /host key mismatch/,
      );
    });
  });
});
