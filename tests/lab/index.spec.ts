import assert from "node:assert/strict";
import { startLab } from "../../lab";
import { cliLabOptions, parseFlags, stageAndDescribe } from "../../lab/cli";
import { runOnce } from "./labClient";

describe("lab start-up", () => {
  it("starts 50 hosts that all answer", async () => {
    const t = Date.now();
    const lab = await startLab({ hosts: Array.from({ length: 50 }, (_, i) => ({ name: `h${i}` })) });
    const started = Date.now() - t;
    try {
      console.log(`      50 hosts started in ${started} ms`);
      const ports = new Set(lab.hostNames().map((h) => lab.endpoint(h).port));
      assert.equal(ports.size, 50);
      const answers = await Promise.all(lab.hostNames().map((h) => runOnce(lab.endpoint(h), "Get-HostFacts")));
      assert.deepEqual(
        answers.map((a) => a.result.computerName),
        lab.hostNames().map((h) => h.toUpperCase()),
      );
    } finally {
      await lab.stop();
    }
  });

  it("gives every host its own random administrator password and host key", async () => {
    const lab = await startLab({ hosts: [{ name: "a" }, { name: "b" }] });
    try {
      const [a, b] = [lab.endpoint("a"), lab.endpoint("b")];
      assert.equal(a.user, "administrator");
      assert.notEqual(a.password, b.password);
      assert.notEqual(a.hostKey, b.hostKey);
    } finally {
      await lab.stop();
    }
  });

  const badSpecs: [string, Parameters<typeof startLab>[0], RegExp][] = [
    [
      "a security server paired with an unknown CS",
      {
        pods: [
          {
            name: "p",
            connectionServers: [{ name: "cs", version: "7.12.0.1" }],
            securityServers: [{ name: "ss", version: "7.12.0.1", pairedWith: "nope" }],
          },
        ],
      },
      /\[pairedWith\]/,
    ],
    ["a host defined twice", { hosts: [{ name: "x" }, { name: "x" }] }, /defined twice/],
    ["a time factor of zero", { timeFactor: 0 }, /\[timeFactor\]/],
  ];
  for (const [what, spec, message] of badSpecs) {
    it(`refuses ${what}`, async () => {
      await assert.rejects(startLab(spec), message);
    });
  }

  it("takes a host off the network and brings it back on the same port with its state", async () => {
    const lab = await startLab({ hosts: [{ name: "a" }, { name: "b" }] });
    try {
      const ep = lab.endpoint("a");
      await lab.setReachable("a", false);
      await assert.rejects(runOnce(ep, "Get-HostFacts"));
      assert.equal((await runOnce(lab.endpoint("b"), "Get-HostFacts")).exitCode, 0, "another host went down too");
      await lab.setReachable("a", true);
      assert.equal(lab.endpoint("a").port, ep.port);
      assert.equal((await runOnce(ep, "Get-HostFacts")).exitCode, 0);
    } finally {
      await lab.stop();
    }
  });

  it("stops: the ports no longer answer", async () => {
    const lab = await startLab({ hosts: [{ name: "a" }] });
    const ep = lab.endpoint("a");
    await lab.stop();
    await assert.rejects(runOnce(ep, "Get-HostFacts"));
  });
});

describe("lab CLI", () => {
  it("parses --time-factor and --out, in both spellings", () => {
    assert.deepEqual(parseFlags([]), { timeFactor: 600, out: ".lab/lab.json" });
    assert.deepEqual(parseFlags(["--time-factor", "60", "--out=x.json"]), { timeFactor: 60, out: "x.json" });
    assert.throws(() => parseFlags(["--time-factor", "fast"]), /\[--time-factor\]/);
    assert.throws(() => parseFlags(["--bogus"]), /unknown argument/);
  });

  it("describes a pod of 2 CS + 2 SS on 7.12 and an App-V farm of 3 on 4.1 SP1, with installers staged", async () => {
    const lab = await startLab(cliLabOptions(600));
    try {
      const d = stageAndDescribe(lab);
      assert.deepEqual(Object.keys(d.hosts).sort(), ["appv1", "appv2", "appv3", "cs1", "cs2", "sql1", "ss1", "ss2"]);
      assert.equal(d.hosts.ss1.installers[0].version, "7.13.2.21000000");
      assert.deepEqual([d.hosts.ss2.pod, d.hosts.ss2.pairedWith, d.hosts.ss2.registeredAs], ["pod1", "cs2", "DMZ-SS2"]);
      assert.equal(d.hosts.appv1.installers[0].version, "4.5.2.17140");
      const hash = await runOnce(lab.endpoint("cs1"), "Get-FileHash", { path: d.hosts.cs1.installers[0].path });
      assert.equal(hash.result.sha256, d.hosts.cs1.installers[0].sha256);
      assert.ok(d.pairingPassword.length >= 8);
    } finally {
      await lab.stop();
    }
  });
});
