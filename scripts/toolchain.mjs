#!/usr/bin/env node
// Makes the Pulumi engine available to this project without downloading a release binary:
//   pulumi, pulumi-language-nodejs and pulumi-resource-pulumi-nodejs in one bin directory, and the project's own
//   Pulumi home (plugins). `node scripts/toolchain.mjs ensure` sets it up (idempotent); tests and the demo call
//   `resolveToolchain()` to find it. See docs/toolchain.md for the why of every pin.
import { spawn, execFile } from "node:child_process";
import { promisify } from "node:util";
import * as fs from "node:fs/promises";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const execFileP = promisify(execFile);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const pkg = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8"));

/** The CLI version: always the exact `@pulumi/pulumi` pin of devDependencies (dependencies holds the range users get), so SDK and engine match. */
export const PULUMI_VERSION = pkg.devDependencies["@pulumi/pulumi"];
/** The command provider plugin version: the exact `@pulumi/command` pin. */
export const COMMAND_VERSION = pkg.dependencies["@pulumi/command"];
/**
 * The Node.js language host is built from the last SDK module release that still contained it (3.68.0). From 3.69 on
 * it is a module of its own that was never tagged, and the Go module proxy reachable here serves no untagged
 * (pseudo-)versions. The language host only launches `@pulumi/pulumi/cmd/run` from the program's node_modules, which
 * is the pinned SDK, so the program itself runs on the pinned version.
 */
export const LANGUAGE_HOST_SDK_VERSION = "3.68.0";
/** pulumi-command's Go module at the v1.2.1 commit (its tags carry no `provider/` prefix, so only a pseudo-version names it). */
export const COMMAND_MODULE = "github.com/pulumi/pulumi-command/provider";
export const COMMAND_PSEUDO_VERSION = "v0.0.0-20260303235922-7f3eb6f3b77c";

const cacheRoot = process.env.VDI_UPGRADE_TOOLCHAIN_DIR || path.join(os.homedir(), ".cache", "vdi-upgrade", "toolchain");
const buildDir = path.join(cacheRoot, `pulumi-v${PULUMI_VERSION}`);
/** The project's isolated Pulumi home: plugins and workspace files, never the user's ~/.pulumi. */
export const PULUMI_HOME = path.join(repoRoot, ".pulumi-home");
const goBuildFlags = ["-trimpath", "-tags", "osusergo,grpcnotrace"];

function log(msg) {
  process.stderr.write(`[toolchain] ${msg}\n`);
}

async function which(cmd) {
  for (const dir of (process.env.PATH || "").split(path.delimiter)) {
    const p = path.join(dir, cmd);
    try {
      await fs.access(p, fs.constants.X_OK);
      return p;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

async function pulumiVersionOf(bin) {
  try {
    const { stdout } = await execFileP(bin, ["version"], { env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" }, timeout: 30_000 });
    return stdout.trim().replace(/^v/, "");
  } catch {
    return undefined;
  }
}

/**
 * Where the engine is, without building anything. `binDir` holds pulumi and the language host; `commandPlugin`
 * tells whether the command provider plugin is installed in `pulumiHome`.
 */
export async function resolveToolchain() {
  const candidates = [];
  const onPath = await which("pulumi");
  if (onPath) candidates.push(path.dirname(realpathSync(onPath)));
  candidates.push(path.join(buildDir, "bin"));
  for (const binDir of candidates) {
    const pulumi = path.join(binDir, "pulumi");
    if (!existsSync(pulumi) || !existsSync(path.join(binDir, "pulumi-language-nodejs"))) continue;
    if (binDir !== path.join(buildDir, "bin") && (await pulumiVersionOf(pulumi)) !== PULUMI_VERSION) continue;
    const commandPlugin = existsSync(path.join(PULUMI_HOME, "plugins", `resource-command-v${COMMAND_VERSION}`));
    return { binDir, pulumi, pulumiHome: PULUMI_HOME, version: PULUMI_VERSION, commandPlugin };
  }
  return undefined;
}

/** The environment every engine run of this project uses: offline, isolated, no prompts. */
export function engineEnv(tc, extra = {}) {
  return {
    PATH: `${tc.binDir}${path.delimiter}${process.env.PATH}`,
    PULUMI_HOME: tc.pulumiHome,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? "",
    PULUMI_NODEJS_TRANSPILE_ONLY: "true",
    ...extra,
  };
}

function run(cmd, args, opts) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...opts });
    let tail = "";
    const keep = (d) => {
      tail = (tail + d.toString()).slice(-4000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(" ")} exited ${code}:\n${tail}`))));
  });
}

async function goBuild(moduleDir, env, args, what) {
  const started = Date.now();
  log(`building ${what} ...`);
  await run("go", ["build", ...goBuildFlags, ...args], { cwd: moduleDir, env });
  log(`built ${what} in ${Math.round((Date.now() - started) / 1000)} s`);
}

/** Builds the CLI and the language host from the Go module proxy into the cache, atomically. */
async function buildFromGoProxy() {
  await fs.mkdir(cacheRoot, { recursive: true });
  const tmp = await fs.mkdtemp(path.join(cacheRoot, ".building-"));
  try {
    const env = {
      ...process.env,
      CGO_ENABLED: "0",
      GOFLAGS: "-mod=readonly",
      // go.sum in scripts/toolchain/* pins every module hash; the checksum database is not reachable from every
      // network that reaches the proxy.
      GOSUMDB: "off",
      GOTOOLCHAIN: process.env.GOTOOLCHAIN || "auto",
    };
    const versionFlag = (v) => `-w -s -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${v}`;
    const cliModule = path.join(tmp, "cli");
    const lhModule = path.join(tmp, "langhost");
    await fs.cp(path.join(repoRoot, "scripts", "toolchain", "cli"), cliModule, { recursive: true });
    await fs.cp(path.join(repoRoot, "scripts", "toolchain", "langhost"), lhModule, { recursive: true });
    log(`downloading modules (first run: several hundred MB into ${(await execFileP("go", ["env", "GOMODCACHE"])).stdout.trim()}) ...`);
    await run("go", ["mod", "download"], { cwd: cliModule, env });
    await run("go", ["mod", "download"], { cwd: lhModule, env });
    const bin = path.join(tmp, "bin");
    await goBuild(
      cliModule,
      env,
      ["-ldflags", versionFlag(PULUMI_VERSION), "-o", path.join(bin, "pulumi"), "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"],
      `pulumi v${PULUMI_VERSION} (about 6 minutes cold on 2 cores)`,
    );
    await goBuild(
      lhModule,
      env,
      [
        "-ldflags",
        versionFlag(LANGUAGE_HOST_SDK_VERSION),
        "-o",
        path.join(bin, "pulumi-language-nodejs"),
        "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs",
      ],
      `pulumi-language-nodejs (from sdk v${LANGUAGE_HOST_SDK_VERSION})`,
    );
    await fs.rm(cliModule, { recursive: true });
    await fs.rm(lhModule, { recursive: true });
    await fs.writeFile(
      path.join(tmp, "toolchain.json"),
      JSON.stringify({ pulumi: PULUMI_VERSION, languageHostSdk: LANGUAGE_HOST_SDK_VERSION, builtAt: new Date().toISOString() }, null, 2),
    );
    await fs.rm(buildDir, { recursive: true, force: true });
    await fs.rename(tmp, buildDir); // a half-finished build never sits at buildDir
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** The dynamic-provider launcher ships in the SDK package; it must sit next to `pulumi`. */
async function ensureLauncher(binDir) {
  const src = path.join(repoRoot, "node_modules", "@pulumi", "pulumi", "pulumi-resource-pulumi-nodejs");
  const dst = path.join(binDir, "pulumi-resource-pulumi-nodejs");
  if (!existsSync(src)) throw new Error(`${src} is missing: run \`npm ci\` first.`);
  if (existsSync(dst) && (await fs.readFile(dst, "utf8")) === (await fs.readFile(src, "utf8"))) return;
  try {
    await fs.copyFile(src, dst);
    await fs.chmod(dst, 0o755);
  } catch (err) {
    throw new Error(`cannot place pulumi-resource-pulumi-nodejs next to ${binDir}/pulumi (${err.message}); copy ${src} there.`, {
      cause: err,
    });
  }
}

/**
 * The runtime name under which this toolchain launches Node.js policy packs. The language host built here (SDK 3.68)
 * cannot run plugins (its RunPlugin answers "not supported"), and CLI 3.248 hands a `runtime: nodejs` pack to the
 * language host whenever one exists; for a runtime with no language host it starts `pulumi-analyzer-policy-<runtime>`
 * from PATH instead. docs/toolchain.md explains; tests/fixtures/policy-pack uses it to run policy/ unchanged.
 */
export const POLICY_RUNTIME = "vdi-upgrade-node";

const POLICY_LAUNCHER = `#!/bin/sh
# Launches a Node.js policy pack for the Pulumi engine (written by vdi-upgrade's npm run toolchain): runs the
# run-policy-pack entry point of the @pulumi/pulumi that the policy pack's directory resolves.
script=$(node -e "process.stdout.write(require.resolve('@pulumi/pulumi/cmd/run-policy-pack'))") || exit 1
exec node "$script" "$@"
`;

/** The policy-pack launcher for POLICY_RUNTIME, next to `pulumi`. */
async function ensurePolicyLauncher(binDir) {
  const dst = path.join(binDir, `pulumi-analyzer-policy-${POLICY_RUNTIME}`);
  if (existsSync(dst) && (await fs.readFile(dst, "utf8")) === POLICY_LAUNCHER) return;
  try {
    await fs.writeFile(dst, POLICY_LAUNCHER, { mode: 0o755 });
    await fs.chmod(dst, 0o755);
  } catch (err) {
    log(`WARNING: cannot place the policy-pack launcher next to ${binDir}/pulumi (${err.message}); the policy-pack tests will fail.`);
  }
}

/** Builds pulumi-resource-command and installs it into the project's Pulumi home; a warning, not a failure, if it cannot. */
async function ensureCommandPlugin(tc) {
  if (tc.commandPlugin) return;
  // Looking again costs a proxy round trip and a download attempt each time; remember a miss for a day.
  const missMarker = path.join(cacheRoot, `command-plugin-v${COMMAND_VERSION}.unavailable`);
  const missAge = existsSync(missMarker) ? Date.now() - (await fs.stat(missMarker)).mtimeMs : Infinity;
  if (missAge < 24 * 3600 * 1000 && !process.env.VDI_UPGRADE_RETRY_PLUGINS) {
    log(
      `command provider plugin v${COMMAND_VERSION}: not available (checked ${Math.round(missAge / 60000)} min ago; VDI_UPGRADE_RETRY_PLUGINS=1 retries)`,
    );
    return;
  }
  const env = { ...process.env, PULUMI_HOME: tc.pulumiHome, PULUMI_SKIP_UPDATE_CHECK: "true" };
  const pluginBin = path.join(cacheRoot, `pulumi-resource-command-v${COMMAND_VERSION}`, "pulumi-resource-command");
  if (!existsSync(pluginBin) && (await which("go"))) {
    log(`building pulumi-resource-command v${COMMAND_VERSION} ...`);
    try {
      await run(
        "go",
        [
          "install",
          "-trimpath",
          "-ldflags",
          `-s -w -X ${COMMAND_MODULE}/pkg/version.Version=v${COMMAND_VERSION}`,
          `${COMMAND_MODULE}/cmd/pulumi-resource-command@${COMMAND_PSEUDO_VERSION}`,
        ],
        { env: { ...process.env, CGO_ENABLED: "0", GOSUMDB: "off", GOBIN: path.dirname(pluginBin) } },
      );
    } catch (err) {
      log(`could not build pulumi-resource-command: ${String(err.message).split("\n").slice(-3).join(" ")}`);
    }
  }
  try {
    if (existsSync(pluginBin)) {
      await run(tc.pulumi, ["plugin", "install", "resource", "command", COMMAND_VERSION, "--file", pluginBin], { env });
    } else {
      await run(tc.pulumi, ["plugin", "install", "resource", "command", COMMAND_VERSION], { env });
    }
    log(`installed the command plugin v${COMMAND_VERSION} into ${tc.pulumiHome}`);
  } catch {
    await fs.writeFile(missMarker, new Date().toISOString());
    log(
      `WARNING: the command provider plugin v${COMMAND_VERSION} is not available (no module source on this network, no download). ` +
        "Everything except installer staging with CopyToRemote works without it; see docs/toolchain.md.",
    );
  }
}

/** Sets up the toolchain (idempotent) and returns what `resolveToolchain` returns. */
export async function ensureToolchain() {
  await fs.mkdir(PULUMI_HOME, { recursive: true });
  let tc = await resolveToolchain();
  if (!tc) {
    if (!(await which("go"))) {
      throw new Error(
        `vdi-upgrade needs the Pulumi CLI v${PULUMI_VERSION} (with pulumi-language-nodejs beside it). None was found on PATH and Go is not ` +
          `installed to build it. Install it the official way: curl -fsSL https://get.pulumi.com | sh -s -- --version ${PULUMI_VERSION} ` +
          "(https://www.pulumi.com/docs/iac/download-install/), then put ~/.pulumi/bin on PATH; or install Go 1.25 or later and run this again.",
      );
    }
    log(`no pulumi v${PULUMI_VERSION} on PATH: building it from the Go module proxy into ${buildDir}`);
    await buildFromGoProxy();
    tc = await resolveToolchain();
    if (!tc) throw new Error(`the build finished but ${buildDir}/bin is incomplete`);
  }
  await ensureLauncher(tc.binDir);
  await ensurePolicyLauncher(tc.binDir);
  await ensureCommandPlugin(tc);
  return resolveToolchain();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === realpathSync(process.argv[1])) {
  const cmd = process.argv[2] || "ensure";
  const started = Date.now();
  const action = cmd === "ensure" ? ensureToolchain() : resolveToolchain();
  action.then(
    (tc) => {
      if (!tc) {
        log("not set up: run `npm run toolchain`");
        process.exit(1);
      }
      log(
        `pulumi v${tc.version} in ${tc.binDir}; Pulumi home ${tc.pulumiHome}; command plugin ${tc.commandPlugin ? "installed" : "not available"} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
      );
    },
    (err) => {
      log(`ERROR: ${err.message}`);
      process.exit(1);
    },
  );
}
