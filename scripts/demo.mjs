#!/usr/bin/env node
// The main job, end to end: `pulumi preview` then `pulumi up` of the repository's Pulumi program (Pulumi.yaml), with the
// pinned CLI on a local file backend under .pulumi-state/. `npm run demo` builds the toolchain and the package first.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { engineEnv, resolveToolchain } from "./toolchain.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const stackName = process.env.DEMO_STACK || "demo";

function pulumi(tc, env, args) {
    console.log(`\n$ pulumi ${args.join(" ")}`);
    return new Promise((resolve, reject) => {
        const child = spawn(tc.pulumi, args, { cwd: root, env: { ...process.env, ...env }, stdio: "inherit" });
        child.on("error", reject);
        child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`pulumi ${args[0]} exited with code ${code}`))));
    });
}

async function main() {
    const tc = await resolveToolchain();
    if (!tc) throw new Error("the Pulumi toolchain is not set up: run `npm run toolchain`");
    const stateDir = path.join(root, ".pulumi-state");
    fs.mkdirSync(stateDir, { recursive: true });
    const env = engineEnv(tc, { PULUMI_BACKEND_URL: `file://${stateDir}`, PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? "demo" });
    await pulumi(tc, env, ["stack", "select", "--create", stackName, "--non-interactive"]);
    await pulumi(tc, env, ["preview", "--diff", "--non-interactive", "--stack", stackName]);
    await pulumi(tc, env, ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", stackName]);
}

main().catch((err) => {
    console.error(`demo failed: ${err.message}`);
    process.exit(1);
});
