import * as assert from "node:assert/strict";
import {
  ConnectionServerIntent,
  HostFacts,
  IpsecRuleFact,
  PairIpsecFacts,
  hostNames,
  pairRules,
  pairingPasswordProblem,
  type PairingPasswordFacts,
  PairingFacts,
  SecurityServerEntry,
  SecurityServerIntent,
  planConnectionServer,
  planSecurityServer,
  sameName,
  staleEntries,
} from "../../provider/upgrade/horizonPlan";
import type { Plan, StepName } from "../../provider/upgrade/steps";

const SHA = "0123456789abcdef".repeat(4);
const CS_SERVICE = "VMware Horizon View Connection Server";
const SS_SERVICE = "VMware Horizon View Security Server";

/** A reachable, elevated host one release behind 7.13.2, with the declared installer staged. */
function hostFacts(over: Partial<HostFacts> = {}): HostFacts {
  return {
    host: "CS1",
    reachable: true,
    isAdmin: true,
    user: "CORP\\svc-upgrade",
    hostNow: "2026-12-05T22:30:00Z",
    liveVersion: "7.12.0",
    serviceStatus: "Running",
    serviceDisplayName: CS_SERVICE,
    installer: { exists: true, sha256: SHA },
    ...over,
  };
}

function csIntent(over: Partial<ConnectionServerIntent> = {}): ConnectionServerIntent {
  return {
    targetVersion: "7.13.2",
    installerPath: "C:\\Installers\\VMware-Horizon-Connection-Server-x86_64-7.13.2.exe",
    installerSha256: SHA,
    hooks: {},
    service: CS_SERVICE,
    ...over,
  };
}

function ssFacts(over: Partial<HostFacts> = {}): HostFacts {
  return hostFacts({ host: "SS2", serviceDisplayName: SS_SERVICE, ...over });
}

function entry(name: string, ipsec: SecurityServerEntry["ipsec"] = "active"): SecurityServerEntry {
  return { name, version: "7.12.0", connectionServer: "CS1", ipsec };
}

const RULE = "VMware View Security Server QM Pairing with ";
const SS_IP = "10.0.0.22";
const CS_IP = "10.0.0.11";

/** The pair's connection security rules: by default the pairing rule on each host, naming the other's address. */
function ipsecFacts(ssRules: IpsecRuleFact[] = [rule(CS_IP)], csRules: IpsecRuleFact[] = [rule(SS_IP)]): PairIpsecFacts {
  return {
    securityServer: { computerName: "SS2", fqdn: "SS2", addresses: [SS_IP], rules: ssRules },
    connectionServer: { computerName: "CS1", fqdn: "CS1", addresses: [CS_IP], rules: csRules },
  };
}

function rule(remote: string, displayName = `${RULE}${remote}`, store = "Local"): IpsecRuleFact {
  return { displayName, remoteAddresses: [remote], store };
}

/** The paired Connection Server already at the target, listing SS2, with the pair's IPsec rules in place. */
function pairing(over: Partial<PairingFacts> = {}): PairingFacts {
  return {
    connectionServer: hostFacts({ host: "CS1", liveVersion: "7.13.2", installer: undefined }),
    securityServers: [entry("SS2")],
    useIpsec: true,
    ipsec: ipsecFacts(),
    ...over,
  };
}

function ssIntent(over: Partial<SecurityServerIntent> = {}): SecurityServerIntent {
  return {
    ...csIntent({ service: SS_SERVICE }),
    connectionServerName: "CS1",
    ipsec: "detect",
    connectionServerTarget: "7.13.2",
    ...over,
  };
}

const names = (plan: Plan): StepName[] => plan.steps.map((s) => s.name);

describe("planConnectionServer", () => {
  const atTarget: Array<[string, string, string]> = [
    ["the same three fields", "7.13.2", "7.13.2"],
    ["a build the target does not name", "7.13.2.21000000", "7.13.2"],
    ["the same build", "7.13.2.21000000", "7.13.2.21000000"],
    ["a Horizon 8 host at a release-name target", "8.12.0", "2312"],
  ];
  for (const [what, live, target] of atTarget) {
    it(`plans nothing for a running host at the target (${what}: ${live} vs ${target})`, () => {
      const plan = planConnectionServer(hostFacts({ liveVersion: live }), csIntent({ targetVersion: target }));
      assert.deepEqual(plan, { steps: [] });
    });
  }

  for (const status of ["Stopped", "StartPending", "Paused", "missing"]) {
    it(`plans only a start-service step for a host at the target whose service is ${status}`, () => {
      const plan = planConnectionServer(hostFacts({ liveVersion: "7.13.2", serviceStatus: status }), csIntent());
      assert.equal(plan.blocked, undefined);
      assert.deepEqual(names(plan), ["start-service"]);
      assert.equal(plan.steps[0].host, "CS1");
      assert.match(plan.steps[0].detail, new RegExp(`start "${CS_SERVICE}" \\(it is ${status}\\)`));
    });
  }

  it("names the declared service pattern in start-service when the host did not report a display name", () => {
    const plan = planConnectionServer(
      hostFacts({ liveVersion: "7.13.2", serviceStatus: undefined, serviceDisplayName: undefined }),
      csIntent({ service: "VMware Horizon*Connection Server" }),
    );
    assert.deepEqual(plan.steps, [
      { name: "start-service", host: "CS1", detail: 'start "VMware Horizon*Connection Server" (it is not running)' },
    ]);
  });

  const hookCases: Array<[string, ConnectionServerIntent["hooks"], StepName[]]> = [
    ["no hooks", {}, ["preflight", "install", "wait-service", "verify-version"]],
    ["a before hook", { before: "Disable-LbMember cs1" }, ["preflight", "hook-before", "install", "wait-service", "verify-version"]],
    ["an after hook", { after: "Enable-LbMember cs1" }, ["preflight", "install", "wait-service", "verify-version", "hook-after"]],
    [
      "both hooks",
      { before: "Disable-LbMember cs1", after: "Enable-LbMember cs1" },
      ["preflight", "hook-before", "install", "wait-service", "verify-version", "hook-after"],
    ],
    ["empty hook scripts as no hooks", { before: "", after: "" }, ["preflight", "install", "wait-service", "verify-version"]],
  ];
  for (const [what, hooks, expected] of hookCases) {
    it(`plans the upgrade of a host behind its target with ${what}`, () => {
      const plan = planConnectionServer(hostFacts(), csIntent({ hooks }));
      assert.equal(plan.blocked, undefined);
      assert.deepEqual(names(plan), expected);
      assert.ok(
        plan.steps.every((s) => s.host === "CS1"),
        "every Connection Server step runs on the Connection Server",
      );
    });
  }

  const behind: Array<[string, string, string]> = [
    ["one patch behind", "7.13.1", "7.13.2"],
    ["one build behind", "7.13.2.21000000", "7.13.2.21000001"],
    ["Horizon 7 to a Horizon 8 release name", "7.13.2", "2312"],
  ];
  for (const [what, live, target] of behind) {
    it(`plans an install for a host ${what} (${live} -> ${target})`, () => {
      const plan = planConnectionServer(hostFacts({ liveVersion: live }), csIntent({ targetVersion: target }));
      assert.equal(plan.blocked, undefined);
      const install = plan.steps.find((s) => s.name === "install");
      assert.ok(install, "an install step");
      assert.ok(install.detail.includes(`${live} -> ${target}`), install.detail);
      assert.ok(install.detail.includes(csIntent().installerPath), install.detail);
    });
  }

  const downgrades: Array<[string, string, string]> = [
    ["one patch ahead", "7.13.3", "7.13.2"],
    ["a newer major", "8.0.0", "7.13.2"],
    ["a newer build of the same release", "7.13.2.21000001", "7.13.2.21000000"],
  ];
  for (const [what, live, target] of downgrades) {
    it(`blocks a downgrade from a host ${what} (${live} -> ${target}) without steps`, () => {
      const plan = planConnectionServer(hostFacts({ liveVersion: live }), csIntent({ targetVersion: target }));
      assert.deepEqual(plan.steps, []);
      assert.equal(plan.blocked?.code, "downgrade");
      assert.ok(plan.blocked.reason.includes(live) && plan.blocked.reason.includes(target), plan.blocked.reason);
    });
  }

  const hostBlocks: Array<[string, Partial<HostFacts>, string, string]> = [
    ["an unreachable host", { reachable: false, unreachableReason: "connect ETIMEDOUT 10.0.0.5:22" }, "host-unreachable", "ETIMEDOUT"],
    ["an unreachable host without a reason", { reachable: false, unreachableReason: undefined }, "host-unreachable", "no answer"],
    ["a host without the product", { liveVersion: undefined }, "not-installed", "never installs from scratch"],
    ["a host reporting an empty version", { liveVersion: "" }, "not-installed", "not installed on CS1"],
    ["a host reporting an unparseable version", { liveVersion: "7.x" }, "live-version-unparseable", '"7.x"'],
  ];
  for (const [what, over, code, fragment] of hostBlocks) {
    it(`blocks ${what} with code ${code} and no steps`, () => {
      const plan = planConnectionServer(hostFacts(over), csIntent());
      assert.deepEqual(plan.steps, []);
      assert.equal(plan.blocked?.code, code);
      assert.ok(plan.blocked.reason.includes(fragment), plan.blocked.reason);
    });
  }

  const preflight: Array<[string, Partial<HostFacts>, string, string]> = [
    [
      "the account is not an elevated administrator",
      { isAdmin: false },
      "not-admin",
      "CORP\\svc-upgrade is not an elevated administrator on CS1",
    ],
    ["the installer was not read", { installer: undefined }, "installer-missing", "is not on CS1"],
    ["the installer is not on the host", { installer: { exists: false, sha256: null } }, "installer-missing", "stage it there first"],
    [
      "the installer's hash differs in one digit",
      { installer: { exists: true, sha256: SHA.slice(0, -1) + "0" } },
      "installer-hash-mismatch",
      "correct installer.sha256",
    ],
    [
      "the installer's hash is another file's",
      { installer: { exists: true, sha256: "f".repeat(64) } },
      "installer-hash-mismatch",
      "f".repeat(64),
    ],
    [
      "both the account and the installer are wrong",
      { isAdmin: false, installer: { exists: false, sha256: null } },
      "not-admin",
      "local administrator rights",
    ],
  ];
  for (const [what, over, code, fragment] of preflight) {
    it(`keeps the steps but blocks with ${code} when ${what}`, () => {
      const plan = planConnectionServer(hostFacts(over), csIntent());
      assert.deepEqual(names(plan), ["preflight", "install", "wait-service", "verify-version"]);
      assert.equal(plan.blocked?.code, code);
      assert.ok(plan.blocked.reason.includes(fragment), plan.blocked.reason);
    });
  }

  const hashCases: Array<[string, string, string]> = [
    ["an upper-case host hash against a lower-case declaration", SHA.toUpperCase(), SHA],
    ["a lower-case host hash against an upper-case declaration", SHA, SHA.toUpperCase()],
    ["mixed case on both sides", "0123456789ABCDEF".repeat(4), "0123456789AbCdEf".repeat(4)],
  ];
  for (const [what, onHost, declared] of hashCases) {
    it(`compares installer hashes without regard to case: ${what}`, () => {
      const plan = planConnectionServer(
        hostFacts({ installer: { exists: true, sha256: onHost } }),
        csIntent({ installerSha256: declared }),
      );
      assert.equal(plan.blocked, undefined);
      assert.equal(plan.steps.length, 4);
    });
  }
});

describe("planSecurityServer", () => {
  it("plans preflight, pairing password, IPsec removal, install, service and version checks in that order", () => {
    const plan = planSecurityServer(ssFacts(), pairing(), ssIntent());
    assert.equal(plan.blocked, undefined);
    assert.equal(plan.after, undefined);
    assert.deepEqual(
      plan.steps.map((s) => [s.name, s.host]),
      [
        ["preflight", "SS2"],
        ["set-pairing-password", "CS1"],
        ["prepare-ipsec", "SS2 and CS1"],
        ["install", "SS2"],
        ["wait-service", "SS2"],
        ["verify-version", "SS2"],
      ],
    );
  });

  it("puts the hooks around the procedure when both are declared", () => {
    const plan = planSecurityServer(
      ssFacts(),
      pairing(),
      ssIntent({ hooks: { before: "Drain-LbMember ss2", after: "Enable-LbMember ss2" } }),
    );
    assert.deepEqual(names(plan), [
      "preflight",
      "hook-before",
      "set-pairing-password",
      "prepare-ipsec",
      "install",
      "wait-service",
      "verify-version",
      "hook-after",
    ]);
  });

  it("plans nothing for a running security server at the target", () => {
    assert.deepEqual(planSecurityServer(ssFacts({ liveVersion: "7.13.2" }), pairing(), ssIntent()), { steps: [] });
  });

  it("plans only a start-service step for a security server at the target whose service is stopped", () => {
    const plan = planSecurityServer(ssFacts({ liveVersion: "7.13.2", serviceStatus: "Stopped" }), pairing(), ssIntent());
    assert.equal(plan.blocked, undefined);
    assert.deepEqual(
      plan.steps.map((s) => [s.name, s.host]),
      [["start-service", "SS2"]],
    );
    assert.ok(plan.steps[0].detail.includes(SS_SERVICE), plan.steps[0].detail);
  });

  it("blocks a security server newer than its target as a downgrade, before asking its Connection Server", () => {
    const plan = planSecurityServer(
      ssFacts({ liveVersion: "7.13.3" }),
      pairing({ connectionServer: hostFacts({ reachable: false }) }),
      ssIntent(),
    );
    assert.deepEqual(plan.steps, []);
    assert.equal(plan.blocked?.code, "downgrade");
  });

  const blocks: Array<[string, Partial<HostFacts>, Partial<PairingFacts>, string, string]> = [
    [
      "an unreachable security server",
      { reachable: false, unreachableReason: "connection refused" },
      {},
      "host-unreachable",
      "SS2 could not be reached: connection refused",
    ],
    [
      "a security server without the product",
      { liveVersion: undefined },
      {},
      "not-installed",
      "Horizon Security Server is not installed on SS2",
    ],
    [
      "an unreachable Connection Server",
      {},
      { connectionServer: hostFacts({ host: "CS1", reachable: false, unreachableReason: "host key mismatch" }) },
      "connection-server-unreachable",
      "the paired Connection Server CS1 could not be reached: host key mismatch",
    ],
    [
      "an unreadable Security Servers list",
      {},
      { securityServers: undefined, listError: "View API: 401 Unauthorized" },
      "pairing-state-unknown",
      "could not be read on CS1: View API: 401 Unauthorized",
    ],
  ];
  for (const [what, ss, pair, code, fragment] of blocks) {
    it(`blocks ${what} with code ${code} and no steps`, () => {
      const plan = planSecurityServer(ssFacts(ss), pairing(pair), ssIntent());
      assert.deepEqual(plan.steps, []);
      assert.equal(plan.blocked?.code, code);
      assert.ok(plan.blocked.reason.includes(fragment), plan.blocked.reason);
    });
  }

  const unregistered: Array<[string, SecurityServerEntry[], string]> = [
    ["lists other servers only", [entry("SS9"), entry("SS10")], "(SS9, SS10)"],
    ["lists nothing", [], "(empty)"],
    ["lists a name that only starts like it", [entry("SS20")], "(SS20)"],
  ];
  for (const [what, list, shown] of unregistered) {
    it(`keeps the steps but blocks with not-registered when the pod ${what}`, () => {
      const plan = planSecurityServer(ssFacts(), pairing({ securityServers: list }), ssIntent());
      assert.ok(
        plan.steps.some((s) => s.name === "install"),
        "the steps are still shown",
      );
      assert.equal(plan.blocked?.code, "not-registered");
      assert.ok(plan.blocked.reason.includes(`SS2 is not in the Security Servers list of CS1 ${shown}`), plan.blocked.reason);
      assert.ok(plan.blocked.reason.includes("registeredName"), plan.blocked.reason);
    });
  }

  const waiting: Array<[string, string | undefined, string | undefined, string | undefined]> = [
    // [what, Connection Server's live version, its declared target, expected `after`]
    ["declares the same target", "7.12.0", "7.13.2", "CS1 reaches 7.13.2"],
    // Only the same version pairs: a Connection Server headed elsewhere is not waited for with an `after`.
    ["declares a newer target", "7.12.0", "7.13.3", undefined],
    ["declares a Horizon 8 target", "7.12.0", "2312", undefined],
    ["declares an older target", "7.12.0", "7.13.1", undefined],
    ["declares no target", "7.12.0", undefined, undefined],
    ["runs one patch behind and declares no target", "7.13.1", undefined, undefined],
    ["reports no version and declares the same target", undefined, "7.13.2", "CS1 reaches 7.13.2"],
    ["reports an unparseable version", "unknown", "7.13.2", "CS1 reaches 7.13.2"],
  ];
  for (const [what, csLive, csTarget, after] of waiting) {
    it(`waits for a Connection Server that runs ${csLive ?? "nothing known"} and ${what}${after ? ", after it catches up" : ", with no after"}`, () => {
      const plan = planSecurityServer(
        ssFacts(),
        pairing({ connectionServer: hostFacts({ host: "CS1", liveVersion: csLive }) }),
        ssIntent({ connectionServerTarget: csTarget }),
      );
      assert.equal(plan.blocked?.code, "waiting-for-connection-server");
      assert.ok(plan.blocked.reason.includes("runs exactly 7.13.2"), plan.blocked.reason);
      assert.equal(plan.after, after);
      assert.ok(
        plan.steps.some((s) => s.name === "install"),
        "the steps are still shown",
      );
    });
  }

  for (const csLive of ["7.13.2", "7.13.2.21000000"]) {
    it(`does not wait for a Connection Server that already runs ${csLive}`, () => {
      const plan = planSecurityServer(
        ssFacts(),
        pairing({ connectionServer: hostFacts({ host: "CS1", liveVersion: csLive }) }),
        ssIntent(),
      );
      assert.equal(plan.blocked, undefined);
      assert.equal(plan.after, undefined);
    });
  }

  for (const csLive of ["7.13.3", "8.0.0"]) {
    it(`refuses, without waiting, a Connection Server that already runs ${csLive}, past the security server's target`, () => {
      const plan = planSecurityServer(
        ssFacts(),
        pairing({ connectionServer: hostFacts({ host: "CS1", liveVersion: csLive }) }),
        ssIntent(),
      );
      assert.equal(plan.blocked?.code, "connection-server-version-differs");
      assert.match(plan.blocked!.reason, new RegExp(`set targetVersion to ${csLive.replaceAll(".", "\\.")}`));
      assert.equal(plan.after, undefined);
    });
  }

  // Documents a bug: a connectionServer.targetVersion that is not a version (validation lets "latest" through) makes
  // the planner throw a TypeError instead of waiting without an `after`.
  it("waits without an after, and does not throw, when the Connection Server's declared target is not a version", () => {
    const plan = planSecurityServer(
      ssFacts(),
      pairing({ connectionServer: hostFacts({ host: "CS1", liveVersion: "7.12.0" }) }),
      ssIntent({ connectionServerTarget: "latest" }),
    );
    assert.equal(plan.blocked?.code, "waiting-for-connection-server");
    assert.equal(plan.after, undefined);
  });

  const preflight: Array<[string, Partial<HostFacts>, string]> = [
    ["the account is not an elevated administrator", { isAdmin: false }, "not-admin"],
    ["the installer is missing", { installer: { exists: false, sha256: null } }, "installer-missing"],
    ["the installer's hash does not match", { installer: { exists: true, sha256: "e".repeat(64) } }, "installer-hash-mismatch"],
  ];
  for (const [what, over, code] of preflight) {
    it(`keeps the steps but blocks with ${code} when ${what} and the Connection Server is ready`, () => {
      const plan = planSecurityServer(ssFacts(over), pairing(), ssIntent());
      assert.deepEqual(names(plan), ["preflight", "set-pairing-password", "prepare-ipsec", "install", "wait-service", "verify-version"]);
      assert.equal(plan.blocked?.code, code);
    });
  }

  it("reports a missing installer at once, not only after its Connection Server is done (waiting is not what blocks it)", () => {
    const plan = planSecurityServer(
      ssFacts({ installer: { exists: false, sha256: null } }),
      pairing({ connectionServer: hostFacts({ host: "CS1", liveVersion: "7.12.0" }) }),
      ssIntent(),
    );
    assert.equal(plan.blocked?.code, "installer-missing");
    assert.equal(plan.after, undefined);
  });

  it("accepts the installer's hash in another case", () => {
    const plan = planSecurityServer(ssFacts({ installer: { exists: true, sha256: SHA.toUpperCase() } }), pairing(), ssIntent());
    assert.equal(plan.blocked, undefined);
  });

  // The pair's IPsec state comes from its rules on both hosts; the global setting is shown, never decisive.
  const ipsecCases: Array<[string, SecurityServerIntent["ipsec"], boolean | undefined, PairIpsecFacts, boolean]> = [
    ["rules on both hosts", "detect", true, ipsecFacts(), true],
    ["rules on both hosts, the global setting turned off since pairing", "detect", false, ipsecFacts(), true],
    ["rules on both hosts, the global setting unknown", "detect", undefined, ipsecFacts(), true],
    ["a rule left on the security server only", "detect", false, ipsecFacts([rule(CS_IP)], []), true],
    ["a rule left on the Connection Server only", "detect", true, ipsecFacts([], [rule(SS_IP)]), true],
    ["no rules on either host, the global setting on", "detect", true, ipsecFacts([], []), false],
    ["only rules of another pair", "detect", true, ipsecFacts([rule("10.9.9.9")], [rule("10.9.9.8")]), false],
    ["rules present, ipsec off", "off", true, ipsecFacts(), false],
    ["no rules, ipsec on (an override's job)", "on", false, ipsecFacts([], []), true],
  ];
  for (const [what, mode, useIpsec, ipsec, expected] of ipsecCases) {
    it(`${expected ? "removes" : "does not remove"} IPsec rules with ipsec "${mode}" and ${what}`, () => {
      const plan = planSecurityServer(ssFacts(), pairing({ useIpsec, ipsec }), ssIntent({ ipsec: mode }));
      assert.equal(plan.blocked, undefined);
      const list = names(plan);
      if (expected) {
        const at = list.indexOf("prepare-ipsec");
        assert.equal(list[at - 1], "set-pairing-password", list.join(", "));
        assert.equal(list[at + 1], "install", list.join(", "));
        assert.equal(plan.steps[at].host, "SS2 and CS1");
        assert.match(
          plan.steps[at].detail,
          new RegExp(`global IPsec setting: ${useIpsec === undefined ? "unknown" : useIpsec ? "on" : "off"}`),
        );
      } else {
        assert.ok(!list.includes("prepare-ipsec"), list.join(", "));
        assert.deepEqual(list.slice(1, 3), ["set-pairing-password", "install"]);
      }
    });
  }

  it("names every rule it will delete in the step, per host, with its remote address", () => {
    const plan = planSecurityServer(ssFacts(), pairing(), ssIntent());
    const step = plan.steps.find((s) => s.name === "prepare-ipsec")!;
    assert.ok(step.detail.includes(`"${RULE}${CS_IP}" on SS2 (remote ${CS_IP})`), step.detail);
    assert.ok(step.detail.includes(`"${RULE}${SS_IP}" on CS1 (remote ${SS_IP})`), step.detail);
    assert.match(step.detail, /\(global IPsec setting: on; View API health of SS2: unknown\)/);
  });

  const ambiguous: Array<[string, PairIpsecFacts, RegExp]> = [
    [
      "a rule to the partner under another (localised?) name",
      ipsecFacts([rule(CS_IP, "Règle d'appariement QM")], [rule(SS_IP)]),
      /SS2 has the connection security rule "Règle d'appariement QM" to 10\.0\.0\.11/,
    ],
    [
      "a pairing rule from a Group Policy",
      ipsecFacts([rule(CS_IP)], [rule(SS_IP, undefined, "GroupPolicy")]),
      /CS1's rule .* GroupPolicy store/,
    ],
  ];
  for (const [what, ipsec, reason] of ambiguous) {
    it(`refuses rather than guesses when the read is ambiguous: ${what}`, () => {
      const plan = planSecurityServer(ssFacts(), pairing({ ipsec }), ssIntent());
      assert.equal(plan.blocked?.code, "ipsec-rules-ambiguous");
      assert.match(plan.blocked!.reason, reason);
      assert.equal(plan.after, undefined);
    });
  }

  it("refuses when the rules could not be read, naming the host, and says how to proceed", () => {
    const plan = planSecurityServer(
      ssFacts(),
      pairing({ ipsec: { readError: "on SS2: The term 'Get-NetIPsecRule' is not recognized" } }),
      ssIntent(),
    );
    assert.equal(plan.blocked?.code, "ipsec-state-unknown");
    assert.match(plan.blocked!.reason, /on SS2: The term 'Get-NetIPsecRule'/);
    assert.match(plan.blocked!.reason, /set ipsec to "on" with overrides\.prepareSecurityServerScript/);
  });

  it("needs no rule read when ipsec is declared off", () => {
    const plan = planSecurityServer(ssFacts(), pairing({ ipsec: { readError: "on SS2: no NetSecurity" } }), ssIntent({ ipsec: "off" }));
    assert.equal(plan.blocked, undefined);
  });

  it("removes the entry the pod lists under the registered name after the upgrade re-pairs the server under its computer name", () => {
    const plan = planSecurityServer(ssFacts(), pairing({ securityServers: [entry("DMZ-SS2")] }), ssIntent({ registeredName: "DMZ-SS2" }));
    assert.equal(plan.blocked, undefined);
    assert.deepEqual(names(plan), [
      "preflight",
      "set-pairing-password",
      "prepare-ipsec",
      "install",
      "wait-service",
      "verify-version",
      "remove-duplicates",
    ]);
    assert.ok(plan.steps[2].detail.includes("DMZ-SS2"), "the step names the registered entry that goes out of service");
    const last = plan.steps[plan.steps.length - 1];
    assert.equal(last.host, "CS1");
    assert.ok(last.detail.includes("DMZ-SS2"), last.detail);
  });

  it("removes the duplicate entry before the after hook", () => {
    const plan = planSecurityServer(
      ssFacts(),
      pairing({ securityServers: [entry("DMZ-SS2")] }),
      ssIntent({ registeredName: "DMZ-SS2", hooks: { after: "Enable-LbMember ss2" } }),
    );
    assert.deepEqual(names(plan).slice(-3), ["verify-version", "remove-duplicates", "hook-after"]);
  });

  for (const listed of ["SS2", "ss2"]) {
    it(`plans no duplicate removal when the pod lists the server under its computer name (${listed})`, () => {
      const plan = planSecurityServer(ssFacts(), pairing({ securityServers: [entry(listed), entry("SS3")] }), ssIntent());
      assert.ok(!names(plan).includes("remove-duplicates"), names(plan).join(", "));
    });
  }

  it("plans only the duplicate removal for a running server at the target listed under both names", () => {
    const plan = planSecurityServer(
      ssFacts({ liveVersion: "7.13.2" }),
      pairing({
        securityServers: [
          { ...entry("SS2", "none"), version: "7.13.2", status: "OK" },
          { ...entry("DMZ-SS2"), status: "NOT_RESPONDING" },
        ],
      }),
      ssIntent({ registeredName: "DMZ-SS2" }),
    );
    assert.equal(plan.blocked, undefined);
    assert.equal(plan.steps.length, 1);
    assert.equal(plan.steps[0].name, "remove-duplicates");
    assert.equal(plan.steps[0].host, "CS1");
    assert.match(plan.steps[0].detail, /^remove DMZ-SS2 \(7\.12\.0, NOT_RESPONDING\), beside the live entry SS2 \(7\.13\.2, OK\)/);
  });

  it("expects the NetBIOS entry to be left behind when the host's full system name is an FQDN, deciding only after the upgrade", () => {
    const ipsec = ipsecFacts();
    ipsec.securityServer!.fqdn = "SS2.corp.example";
    const plan = planSecurityServer(ssFacts(), pairing({ ipsec, securityServers: [{ ...entry("SS2"), status: "OK" }] }), ssIntent());
    const last = plan.steps[plan.steps.length - 1];
    assert.equal(last.name, "remove-duplicates");
    assert.match(last.detail, /^after the upgrade, remove SS2 \(7\.12\.0, OK\) if the re-paired entry \(7\.13\.2, status OK\) is another/);
  });

  it("leaves entries it cannot tell apart alone and reports them in a note", () => {
    const ipsec = ipsecFacts();
    ipsec.securityServer!.fqdn = "SS2.corp.example";
    const plan = planSecurityServer(
      ssFacts({ liveVersion: "7.13.2" }),
      pairing({
        ipsec,
        securityServers: [
          { ...entry("SS2"), status: "OK" },
          { ...entry("SS2.corp.example"), status: "OK" },
        ],
      }),
      ssIntent(),
    );
    assert.deepEqual(plan.steps, []);
    assert.match(plan.notes?.[0] ?? "", /SS2 \(7\.12\.0, OK\), SS2\.corp\.example \(7\.12\.0, OK\) .* none at 7\.13\.2 with status OK/);
  });

  it("starts the service and then removes the duplicate for a stopped server at the target listed under both names", () => {
    const plan = planSecurityServer(
      ssFacts({ liveVersion: "7.13.2", serviceStatus: "Stopped" }),
      pairing({ securityServers: [{ ...entry("SS2", "none"), version: "7.13.2", status: "OK" }, entry("DMZ-SS2")] }),
      ssIntent({ registeredName: "DMZ-SS2" }),
    );
    assert.deepEqual(names(plan), ["start-service", "remove-duplicates"]);
  });

  it("leaves an entry under an unrelated name alone when no registeredName says it is this server", () => {
    const plan = planSecurityServer(
      ssFacts({ liveVersion: "7.13.2" }),
      pairing({ securityServers: [entry("SS2", "none"), entry("DMZ-SS2")] }),
      ssIntent(),
    );
    assert.deepEqual(plan, { steps: [] });
  });
});

describe("planConnectionServer: the configuration backup of the pod's first Connection Server", () => {
  it("backs up with vdmexport after preflight and the before hook, before the installer", () => {
    const plan = planConnectionServer(
      hostFacts(),
      csIntent({ hooks: { before: "x" }, configurationBackup: { path: "C:\\Backup\\pod1.LDF" } }),
    );
    assert.deepEqual(names(plan), ["preflight", "hook-before", "backup-configuration", "install", "wait-service", "verify-version"]);
    assert.match(plan.steps[2].detail, /vdmexport to C:\\Backup\\pod1\.LDF, then verify the file exists and is not empty/);
  });

  it("takes no backup when waived, and says so with the reason", () => {
    const plan = planConnectionServer(hostFacts(), csIntent({ configurationBackup: { waived: "VM snapshots taken at 21:55" } }));
    assert.ok(!names(plan).includes("backup-configuration"));
    assert.deepEqual(plan.notes, [
      "the configuration backup before the pod's first Connection Server is waived: VM snapshots taken at 21:55",
    ]);
  });

  it("takes no backup on a server already at its target", () => {
    const plan = planConnectionServer(
      hostFacts({ liveVersion: "7.13.2" }),
      csIntent({ configurationBackup: { path: "C:\\Backup\\pod1.LDF" } }),
    );
    assert.deepEqual(plan.steps, []);
  });
});

describe("the pairing password read back", () => {
  const cases: Array<[string, PairingPasswordFacts, RegExp | undefined]> = [
    [
      "valid for its timeout from a last change just now",
      { lastChangedTime: "20240108080000.0Z", timeoutSeconds: 1800, utcNow: "2024-01-08T08:00:05Z" },
      undefined,
    ],
    [
      "one second before it expires",
      { lastChangedTime: "20240108080000.0Z", timeoutSeconds: 1800, utcNow: "2024-01-08T08:29:59Z" },
      undefined,
    ],
    [
      "at the second it expires",
      { lastChangedTime: "20240108080000.0Z", timeoutSeconds: 1800, utcNow: "2024-01-08T08:30:00Z" },
      /treated as expired/,
    ],
    // A Connection Server at UTC-5 writes 03:00 for 08:00 UTC: expired at once with a 30-minute timeout.
    [
      "written in local time west of UTC",
      { lastChangedTime: "20240108030000.0Z", timeoutSeconds: 1800, utcNow: "2024-01-08T08:00:05Z" },
      /last changed at 2024-01-08T03:00:00\.000Z with a 1800-second timeout/,
    ],
    ["in ISO form", { lastChangedTime: "2024-01-08T08:00:00Z", timeoutSeconds: 60, utcNow: "2024-01-08T08:00:30Z" }, undefined],
    ["without a last-changed time", { lastChangedTime: null, timeoutSeconds: 1800, utcNow: "2024-01-08T08:00:05Z" }, /could not be read/],
    [
      "without a timeout",
      { lastChangedTime: "20240108080000.0Z", timeoutSeconds: null, utcNow: "2024-01-08T08:00:05Z" },
      /could not be read/,
    ],
    [
      "with a last-changed time that is not a time",
      { lastChangedTime: "yesterday", timeoutSeconds: 1800, utcNow: "2024-01-08T08:00:05Z" },
      /could not be read/,
    ],
  ];
  for (const [what, state, problem] of cases) {
    it(`${problem ? "refuses" : "accepts"} a password ${what}`, () => {
      const found = pairingPasswordProblem(state, "CS1");
      if (problem) assert.match(found ?? "", problem);
      else assert.equal(found, undefined);
    });
  }

  it("blocks a security server whose Connection Server is not in UTC, with the vendor staff's workaround", () => {
    const plan = planSecurityServer(
      ssFacts(),
      pairing({ clock: { timeZoneId: "Eastern Standard Time", utcOffsetMinutes: -300 } }),
      ssIntent(),
    );
    assert.equal(plan.blocked?.code, "connection-server-not-utc");
    assert.match(plan.blocked!.reason, /CS1 runs in time zone Eastern Standard Time \(UTC-5 h\), not UTC/);
    assert.match(
      plan.blocked!.reason,
      /set its time zone to UTC, restart the "VMware Horizon View Connection Server" service, then set the pairing password/,
    );
  });

  it("does not block a security server already at its target on the Connection Server's time zone", () => {
    const plan = planSecurityServer(
      ssFacts({ liveVersion: "7.13.2" }),
      pairing({ clock: { timeZoneId: "Eastern Standard Time", utcOffsetMinutes: -300 } }),
      ssIntent(),
    );
    assert.equal(plan.blocked, undefined);
  });
});

describe("prerequisites read in preview", () => {
  it("blocks a Connection Server that lacks vdmexport for its configuration backup", () => {
    const plan = planConnectionServer(
      hostFacts({ missing: ["C:\\Program Files\\VMware\\VMware View\\Server\\tools\\bin\\vdmexport.exe"] }),
      csIntent({ configurationBackup: { path: "C:\\b.LDF" } }),
    );
    assert.equal(plan.blocked?.code, "prerequisite-missing");
    assert.match(plan.blocked!.reason, /CS1 lacks C:\\Program Files\\.*vdmexport\.exe, needed for the configuration backup/);
  });

  it("blocks a security server whose Connection Server lacks PowerCLI, without waiting for it", () => {
    const plan = planSecurityServer(
      ssFacts(),
      pairing({ connectionServer: hostFacts({ host: "CS1", liveVersion: "7.12.0", missing: ["VMware.VimAutomation.HorizonView"] }) }),
      ssIntent(),
    );
    assert.equal(plan.blocked?.code, "prerequisite-missing");
    assert.match(plan.blocked!.reason, /^CS1 lacks VMware\.VimAutomation\.HorizonView, needed to pair and tidy this security server/);
  });

  it("passes when nothing is missing", () => {
    assert.equal(planConnectionServer(hostFacts({ missing: [] }), csIntent()).blocked, undefined);
  });
});

describe("installerVersionBlock", () => {
  const cases: Array<[string, NonNullable<HostFacts["installer"]>, string | undefined]> = [
    ["the target's build", { exists: true, sha256: SHA, productVersion: "7.13.2.21000000" }, undefined],
    ["the target in another form of text", { exists: true, sha256: SHA, productVersion: "7.13.2 build-21000000" }, undefined],
    ["no product version read (an older reader)", { exists: true, sha256: SHA }, undefined],
    ["the installer of another patch", { exists: true, sha256: SHA, productVersion: "7.13.1.20000000" }, "installer-version-mismatch"],
    [
      "the installer of the version the host runs",
      { exists: true, sha256: SHA, productVersion: "7.12.0.15770369" },
      "installer-version-mismatch",
    ],
    ["a file with no product version", { exists: true, sha256: SHA, productVersion: null }, "installer-version-unreadable"],
    [
      "a product version that is not a Horizon version",
      { exists: true, sha256: SHA, productVersion: "release" },
      "installer-version-unreadable",
    ],
    ["a failed read", { exists: true, sha256: SHA, productVersionError: "Access is denied" }, "installer-version-unreadable"],
  ];
  for (const [what, installer, code] of cases) {
    it(`${code ? `blocks with ${code}` : "passes"} for ${what}`, () => {
      const plan = planConnectionServer(hostFacts({ installer }), csIntent());
      assert.equal(plan.blocked?.code, code);
      if (code === "installer-version-mismatch")
        assert.match(plan.blocked!.reason, /is the installer of 7\.1[23]\.[0-9.]+, not of the target 7\.13\.2/);
    });
  }

  it("blocks a security server whose installer is another version without waiting for its Connection Server", () => {
    const plan = planSecurityServer(
      ssFacts({ installer: { exists: true, sha256: SHA, productVersion: "7.13.1" } }),
      pairing({ connectionServer: hostFacts({ host: "CS1", liveVersion: "7.12.0" }) }),
      ssIntent(),
    );
    assert.equal(plan.blocked?.code, "installer-version-mismatch");
    assert.equal(plan.after, undefined);
  });
});

describe("pairRules", () => {
  it("keeps the documented rules to the partner on each host and nothing else", () => {
    const found = pairRules(ipsecFacts([rule(CS_IP), rule("10.1.1.1"), rule(CS_IP, "Domain isolation", "Local")], [rule(SS_IP)]), RULE);
    assert.deepEqual(
      found.rules.map((r) => `${r.host}:${r.remoteAddress}`),
      [`SS2:${CS_IP}`, `CS1:${SS_IP}`],
    );
    assert.equal(found.ambiguous.length, 1);
  });
});

describe("staleEntries", () => {
  const V = "7.13.2.21000000";
  const OLD = "7.12.0.15770369";
  const e = (name: string, version: string, status?: string): SecurityServerEntry => ({
    name,
    version,
    connectionServer: "CS1",
    ipsec: "none",
    status,
  });
  const cases: Array<[string, SecurityServerEntry[], string[], string[], string | undefined]> = [
    ["nothing from an empty list", [], ["SS2"], [], undefined],
    ["nothing when only one entry names the host", [e("SS2", OLD, "OK")], ["SS2", "SS2.corp.example"], [], undefined],
    // The issue's case: the pod registered SS2; the re-pairing registered the full system name, which is the live one.
    [
      "the NetBIOS entry, never the live FQDN entry",
      [e("SS2", OLD, "NOT_RESPONDING"), e("SS2.corp.example", V, "OK")],
      ["SS2", "SS2.corp.example"],
      ["SS2"],
      undefined,
    ],
    [
      "the FQDN entry when the NetBIOS one is live",
      [e("SS2.corp.example", OLD, "NOT_RESPONDING"), e("SS2", V, "OK")],
      ["SS2", "SS2.corp.example"],
      ["SS2.corp.example"],
      undefined,
    ],
    ["the registered name beside the live entry", [e("SS2", V, "OK"), e("DMZ-SS2", OLD, "OK")], ["SS2", "DMZ-SS2"], ["DMZ-SS2"], undefined],
    ["the registered name in another case", [e("ss2", V, "OK"), e("dmz-ss2", OLD, "UNKNOWN")], ["SS2", "DMZ-SS2"], ["dmz-ss2"], undefined],
    [
      "an entry at the installed version whose health is not OK",
      [e("SS2", V, "NOT_RESPONDING"), e("SS2.corp.example", V, "OK")],
      ["SS2", "SS2.corp.example"],
      ["SS2"],
      undefined,
    ],
    [
      "the installed version without its build",
      [e("SS2", "7.13.2", "OK"), e("DMZ-SS2", OLD, "OK")],
      ["SS2", "DMZ-SS2"],
      ["DMZ-SS2"],
      undefined,
    ],
    [
      "nothing for other servers, prefixes and first labels included",
      [e("SS2", V, "OK"), e("SS20", OLD, "OK"), e("SS2.other.example", OLD, "OK"), e("CS1", V, "OK")],
      ["SS2", "SS2.corp.example"],
      [],
      undefined,
    ],
    [
      "nothing when no entry is live (ambiguous)",
      [e("SS2", OLD, "OK"), e("SS2.corp.example", OLD, "OK")],
      ["SS2", "SS2.corp.example"],
      [],
      "none at",
    ],
    [
      "nothing when two entries look live (ambiguous)",
      [e("SS2", V, "OK"), e("SS2.corp.example", V, "OK")],
      ["SS2", "SS2.corp.example"],
      [],
      "2 at",
    ],
    ["nothing when the health was not read (ambiguous)", [e("SS2", V), e("DMZ-SS2", OLD)], ["SS2", "DMZ-SS2"], [], "none at"],
  ];
  for (const [what, list, names, expected, ambiguous] of cases) {
    it(`returns ${what}`, () => {
      const verdict = staleEntries(list, { names, installedVersion: V });
      assert.deepEqual(
        verdict.stale.map((x) => x.name),
        expected,
      );
      if (ambiguous) assert.ok(verdict.ambiguous?.includes(ambiguous), verdict.ambiguous);
      else assert.equal(verdict.ambiguous, undefined);
      if (verdict.live) assert.ok(!verdict.stale.includes(verdict.live), "the live entry is stale too");
    });
  }
});

describe("hostNames", () => {
  it("lists the computer name, the full system name and the registered name once each", () => {
    assert.deepEqual(hostNames("SS2", "ss2.corp.example", "ss2"), ["SS2", "ss2.corp.example"]);
    assert.deepEqual(hostNames("SS2", undefined, "DMZ-SS2"), ["SS2", "DMZ-SS2"]);
  });
});

describe("sameName", () => {
  const cases: Array<[string, string, boolean]> = [
    ["SS2", "SS2", true],
    ["SS2", "ss2", true],
    ["ss2.corp.example", "SS2", true],
    ["SS2", "SS2.corp.example", true],
    ["SS2.dmz.example", "ss2.corp.example", true],
    ["SS2", "SS20", false],
    ["SS20", "SS2", false],
    ["DMZ-SS2", "SS2", false],
    ["cs1.corp.example", "ss2.corp.example", false],
  ];
  for (const [a, b, expected] of cases) {
    it(`says ${JSON.stringify(a)} and ${JSON.stringify(b)} are ${expected ? "" : "not "}the same NetBIOS name`, () => {
      assert.equal(sameName(a, b), expected);
    });
  }
});
