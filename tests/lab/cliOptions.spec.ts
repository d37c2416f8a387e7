import assert from "node:assert/strict";
import { cliLabOptions } from "../../lab/cli";
import { DEFAULT_START, layoutOptions, parseCommandLine, parseFault } from "../../lab/cliOptions";

describe("lab/cliOptions", () => {
  describe("parseCommandLine", () => {
    it("starts the default lab with no arguments", () =>
      assert.deepEqual(parseCommandLine([]), { command: "start", flags: DEFAULT_START }));
    for (const argv of [["--help"], ["-h"], ["help"]])
      it(`answers ${argv[0]} with help`, () => assert.deepEqual(parseCommandLine(argv), { command: "help" }));

    it("reads every start option, in both --flag value and --flag=value forms", () => {
      const cmd = parseCommandLine([
        "--time-factor=60",
        "--out",
        "x.json",
        "--pods",
        "2",
        "--connection-servers=3",
        "--security-servers",
        "1",
        "--farms",
        "0",
        "--farm-servers",
        "4",
        "--horizon-version",
        "8.5.0 (2203)",
        "--appv-version=4.1",
        "--ipsec",
        "off",
        "--fault",
        "ss1:exit-code=1603@Start-Installer#1",
      ]);
      assert.deepEqual(cmd, {
        command: "start",
        flags: {
          timeFactor: 60,
          out: "x.json",
          pods: 2,
          connectionServers: 3,
          securityServers: 1,
          farms: 0,
          farmServers: 4,
          horizonVersion: "8.5.0 (2203)",
          appvVersion: "4.1",
          ipsec: false,
          faults: [{ host: "ss1", fault: { kind: "exit-code", exitCode: 1603, operation: "Start-Installer", nth: 1 } }],
        },
      });
    });

    const refusals: [string[], RegExp][] = [
      [["--nope"], /unknown option "--nope"/],
      [["--time-factor", "fast"], /\[--time-factor\] must be a positive number; got "fast"/],
      [["--pods", "-1"], /\[--pods\] must be a whole number from 0 to 50; got "-1"/],
      [["--connection-servers", "0"], /\[--connection-servers\] must be a whole number from 1 to 50/],
      [["--horizon-version", "9.9"], /\[--horizon-version\] "9\.9" is not one of 7\.12\.0/],
      [["--appv-version"], /\[--appv-version\] "" is not one of/],
      [["--ipsec", "yes"], /\[--ipsec\] must be on or off; got "yes"/],
      [["--security-servers", "3"], /\[--security-servers\] 3 is more than --connection-servers 2/],
      [["--fault", "cs1"], /\[--fault\] "cs1" is not HOST:KIND/],
      [["frobnicate"], /unknown command "frobnicate"/],
      [["set", "cs2", "colour", "red"], /\[set\] "colour" is not version, powershell or service/],
      [["set", "cs2", "service", "Paused"], /must be Running or Stopped; got "Paused"/],
      [["set", "cs2"], /\[set\] needs HOST version V/],
      [["audit", "extra"], /\[audit\] takes no arguments/],
      [["replication", "pod1", "meh"], /must be healthy or broken/],
      [["replication", "pod1", "broken", "cloud"], /the instance must be local or global; got "cloud"/],
    ];
    for (const [argv, pattern] of refusals) {
      it(`refuses ${JSON.stringify(argv)}, naming the argument, and shows the usage`, () => {
        assert.throws(
          () => parseCommandLine(argv),
          (e: Error) => pattern.test(e.message) && /usage: npm run lab/.test(e.message),
        );
      });
    }

    it("reads every control command", () => {
      const cases: [string[], object][] = [
        [["audit"], { op: "audit" }],
        [["timeline"], { op: "timeline" }],
        [["status"], { op: "status" }],
        [["set", "cs2", "version", "7.12.0.15770369"], { op: "set-version", host: "cs2", version: "7.12.0.15770369" }],
        [["set", "ss2", "service", "Stopped"], { op: "set-service", host: "ss2", status: "Stopped" }],
        [["set", "cs1", "powershell", "4.0"], { op: "set-powershell", host: "cs1", version: "4.0" }],
        [
          ["set", "appv1", "service", "Stopped", "World", "Wide", "Web"],
          { op: "set-service", host: "appv1", status: "Stopped", displayName: "World Wide Web" },
        ],
        [["fault", "cs1", "hang@Start-Installer"], { op: "fault", host: "cs1", fault: { kind: "hang", operation: "Start-Installer" } }],
        [["clear-faults"], { op: "clear-faults" }],
        [["clear-faults", "cs1"], { op: "clear-faults", host: "cs1" }],
        [["down", "cs2"], { op: "reachable", host: "cs2", reachable: false }],
        [["up", "cs2"], { op: "reachable", host: "cs2", reachable: true }],
        [["replication", "pod1", "broken"], { op: "replication", pod: "pod1", healthy: false }],
        [["replication", "pod1", "broken", "global"], { op: "replication", pod: "pod1", healthy: false, instance: "global" }],
      ];
      for (const [argv, request] of cases)
        assert.deepEqual(parseCommandLine(argv), { command: "control", out: ".lab/lab.json", request }, argv.join(" "));
    });

    it("takes --out before or after a control command", () => {
      assert.deepEqual(parseCommandLine(["status", "--out", "y.json"]), { command: "control", out: "y.json", request: { op: "status" } });
      assert.deepEqual(parseCommandLine(["audit", "--out=z.json"]), { command: "control", out: "z.json", request: { op: "audit" } });
    });
  });

  describe("parseFault", () => {
    const cases: [string, object][] = [
      ["hang", { kind: "hang" }],
      ["drop=during@Start-Installer", { kind: "drop", phase: "during", operation: "Start-Installer" }],
      ["latency=500", { kind: "latency", ms: 500 }],
      ["slow-installer=3600@Start-Installer", { kind: "slow-installer", seconds: 3600, operation: "Start-Installer" }],
      ["stall", { kind: "stall" }],
      [
        "service-wont-start=VMware Horizon View Connection Server",
        { kind: "service-wont-start", displayName: "VMware Horizon View Connection Server" },
      ],
      ["pairing-expired#2", { kind: "pairing-expired", nth: 2 }],
    ];
    for (const [spec, fault] of cases) it(`reads ${spec}`, () => assert.deepEqual(parseFault(spec), fault));
    for (const [spec, pattern] of [
      ["melt", /unknown kind "melt"/],
      ["hang=1", /hang takes no value/],
      ["exit-code", /exit-code needs a whole number/],
      ["drop=sometimes", /drop needs before, during or after/],
      ["service-wont-start", /needs a service display name/],
    ] as [string, RegExp][]) {
      it(`refuses ${spec}`, () => assert.throws(() => parseFault(spec), pattern));
    }
  });

  describe("layoutOptions", () => {
    it("gives the CLI's default lab for the default flags", () => {
      assert.deepEqual(layoutOptions(DEFAULT_START, cliLabOptions(600)), cliLabOptions(600));
    });

    it("builds every pod and farm on the pattern of the first, with names of their own", () => {
      const o = layoutOptions(
        { ...DEFAULT_START, pods: 2, connectionServers: 3, securityServers: 2, farms: 2, farmServers: 2, ipsec: false },
        cliLabOptions(600),
      );
      assert.deepEqual(
        o.pods!.map((p) => [
          p.name,
          p.useIpsec,
          p.connectionServers.map((c) => `${c.name}:${c.role}`),
          p.securityServers!.map((s) => `${s.name}>${s.pairedWith}`),
        ]),
        [
          ["pod1", false, ["cs1:standard", "cs2:replica", "cs3:replica"], ["ss1>cs1", "ss2>cs2"]],
          ["pod2", false, ["p2cs1:standard", "p2cs2:replica", "p2cs3:replica"], ["p2ss1>p2cs1", "p2ss2>p2cs2"]],
        ],
      );
      assert.deepEqual(
        o.pods!.map((p) => p.securityServers![1].registeredAs),
        ["DMZ-SS2", "DMZ-SS2-P2"],
      );
      assert.deepEqual(
        o.farms!.map((f) => [f.name, f.sql, f.servers.map((s) => `${s.name}:${s.role}`)]),
        [
          ["farm1", "sql1", ["appv1:management", "appv2:streaming"]],
          ["farm2", "sql2", ["f2appv1:management", "f2appv2:streaming"]],
        ],
      );
    });

    it("runs the versions asked for", () => {
      const o = layoutOptions({ ...DEFAULT_START, horizonVersion: "8.5.0 (2203)", appvVersion: "4.1" }, cliLabOptions(600));
      assert.deepEqual(
        new Set(o.pods!.flatMap((p) => [...p.connectionServers, ...p.securityServers!].map((s) => s.version))),
        new Set(["8.5.0.19586897"]),
      );
      assert.deepEqual(new Set(o.farms!.flatMap((f) => f.servers.map((s) => s.version))), new Set(["4.1.0.56"]));
    });

    it("leaves out pods or farms asked to be none", () => {
      const o = layoutOptions({ ...DEFAULT_START, pods: 0, farms: 0 }, cliLabOptions(600));
      assert.deepEqual([o.pods, o.farms], [[], []]);
    });
  });
});
