// The main job, end to end: starts the lab (a Horizon pod of two Connection Servers and two paired Security Servers
// on 7.12.0 with the 7.13.2 installer staged, and an App-V farm of two management servers and a streaming server on
// 4.1 SP1 sharing one database, with the 4.5 SP2 setup staged), writes its inventory to .lab/lab.json, then runs the
// real `pulumi preview` and `pulumi up` of the repository's program (Pulumi.yaml) with the pinned CLI on a fresh local
// file backend, and prints each server's version and the order in which the lab saw the work done: the configuration
// backup on the first Connection Server, each pair's IPsec rules removed on both hosts, the installers, the stale entry.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { cliLabOptions, stageAndDescribe } from "../lab/cli";
import { type Lab, startLab } from "../lab";
import { renderSummary } from "../provider/report/summary";

const root = path.resolve(__dirname, "..");
const importEsm = new Function("specifier", "return import(specifier)") as (s: string) => Promise<any>;
const TIME_FACTOR = Number(process.env.DEMO_TIME_FACTOR ?? 200);

function pulumi(bin: string, env: NodeJS.ProcessEnv, args: string[]): Promise<void> {
  console.log(`\n$ pulumi ${args.join(" ")}`);
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`pulumi ${args[0]} exited with code ${code}`))));
  });
}

/** Runs pulumi with its standard output captured (for `--json`); its standard error still reaches the terminal. */
function pulumiCapture(bin: string, env: NodeJS.ProcessEnv, args: string[]): Promise<string> {
  console.log(`\n$ pulumi ${args.join(" ")}`);
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`pulumi ${args[0]} exited with code ${code}`))));
  });
}

function report(lab: Lab): void {
  console.log("\nWhat the lab saw:");
  for (const name of lab.hostNames()) {
    const state = lab.host(name).state;
    if (!state.products[0]) continue;
    console.log(`  ${name.padEnd(6)} ${state.role.padEnd(18)} ${state.products[0].displayVersion}`);
  }
  console.log("\nOrder of the upgrade (simulated time):");
  for (const e of lab.audit()) {
    const stop = e.operation === "Set-ServiceState" && (e.params as { state?: string }).state === "Stopped";
    const shown = [
      "Start-Installer",
      "Invoke-Vdmexport",
      "Set-PairingPassword",
      "Invoke-PrepareSecurityServer",
      "Invoke-Vdmadmin",
      "Invoke-SqlBackup",
      "Test-SqlBackup",
    ];
    if (!stop && !shown.includes(e.operation)) continue;
    const removed = (e.result as { removed?: { displayName: string }[] } | undefined)?.removed;
    const what =
      e.operation === "Start-Installer"
        ? "installer started (outside the SSH session)"
        : stop
          ? "App-V service stopped"
          : e.operation === "Invoke-Vdmexport"
            ? "configuration backup (vdmexport)"
            : e.operation === "Invoke-PrepareSecurityServer"
              ? `IPsec rules removed: ${removed?.map((r) => r.displayName).join(", ") || "none"}`
              : e.operation === "Invoke-Vdmadmin"
                ? `vdmadmin ${((e.params as { arguments?: string[] }).arguments ?? []).join(" ")}`
                : e.operation;
    console.log(`  ${e.simTime}  ${e.host.padEnd(6)} ${what}`);
  }
  const pod = lab.pod("pod1");
  console.log(`\nSecurity Servers list of pod1: ${pod.registry.map((r) => r.name).join(", ")}`);
  const rules = lab.hostNames().flatMap((h) => lab.host(h).state.ipsecRules.map((r) => `${h}: ${r.displayName}`));
  console.log(`IPsec connection security rules now (re-created by each pairing while IPsec is on): ${rules.join("; ") || "none"}`);
  console.log(
    `Most servers of pod1 out of service at once: ${lab.maxOutOfService([...pod.connectionServers, ...Object.keys(pod.securityServers)])}`,
  );
  const db = lab.database("sql1", "APPVIRT");
  console.log(
    `App-V database sql1/APPVIRT: schema ${db.schemaVersion}; backups ${
      Object.values(db.backups)
        .map((b) => b.path)
        .join(", ") || "none"
    }`,
  );
}

async function main(): Promise<void> {
  const toolchain = await importEsm(path.join(root, "scripts", "toolchain.mjs"));
  const tc = await toolchain.resolveToolchain();
  if (!tc) throw new Error("the Pulumi toolchain is not set up: run `npm run toolchain`");

  const options = cliLabOptions(TIME_FACTOR);
  const lab = await startLab(options);
  try {
    const inventory = path.join(root, ".lab", "lab.json");
    fs.mkdirSync(path.dirname(inventory), { recursive: true });
    fs.writeFileSync(inventory, JSON.stringify(stageAndDescribe(lab), null, 2) + "\n", { mode: 0o600 });
    console.log(
      `Lab started: pod1 (cs1, cs2, ss1, ss2) on 7.12.0 and farm1 (appv1, appv2, appv3 on sql1) on 4.1 SP1, time factor ${TIME_FACTOR}; ` +
        `inventory ${path.relative(root, inventory)}`,
    );

    // A fresh backend each run: the lab is new each run, so an old stack's state would describe other hosts.
    const stateDir = path.join(root, ".pulumi-state", "demo");
    fs.rmSync(stateDir, { recursive: true, force: true });
    fs.mkdirSync(stateDir, { recursive: true });
    const env = toolchain.engineEnv(tc, {
      PULUMI_BACKEND_URL: `file://${stateDir}`,
      PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? "demo",
    });
    const stack = process.env.DEMO_STACK || "demo";
    await pulumi(tc.pulumi, env, ["stack", "init", stack, "--non-interactive"]);
    await pulumi(tc.pulumi, env, ["preview", "--diff", "--non-interactive", "--stack", stack]);
    // What a reviewer sees on the pull request (examples/gitops): the same preview, as JSON, summarized.
    const previewJson = await pulumiCapture(tc.pulumi, env, ["preview", "--json", "--non-interactive", "--stack", stack]);
    console.log("  | npx vdi-upgrade summary\n");
    console.log(renderSummary(JSON.parse(previewJson), "vdi-upgrade preview of the demo").replace(/\n<details>[\s\S]*?<\/details>\n/g, ""));
    await pulumi(tc.pulumi, env, ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", stack]);
    report(lab);
  } finally {
    await lab.stop();
    fs.rmSync(path.join(root, `Pulumi.${process.env.DEMO_STACK || "demo"}.yaml`), { force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
