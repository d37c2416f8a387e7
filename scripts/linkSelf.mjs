#!/usr/bin/env node
// Links this package into its own node_modules, so that Pulumi programs anywhere in the repository (examples/, tests/
// fixtures, the root demo) resolve `vdi-upgrade` exactly as a user's program resolves the installed package. The
// dynamic providers require their implementation by package name inside their methods (docs/architecture.md).
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const link = path.join(root, "node_modules", "vdi-upgrade");
let current;
try {
  current = fs.readlinkSync(link);
} catch {
  current = undefined;
}
if (current !== "..") {
  fs.rmSync(link, { recursive: true, force: true });
  fs.symlinkSync("..", link, "dir");
}

// The package's command (`npx vdi-upgrade summary`), as npm links it for a user who installed the package.
const bin = path.join(root, "node_modules", ".bin", "vdi-upgrade");
const target = path.join("..", "vdi-upgrade", "dist", "provider", "cli", "main.js");
let binCurrent;
try {
  binCurrent = fs.readlinkSync(bin);
} catch {
  binCurrent = undefined;
}
if (binCurrent !== target) {
  fs.mkdirSync(path.dirname(bin), { recursive: true });
  fs.rmSync(bin, { force: true });
  fs.symlinkSync(target, bin);
}
fs.chmodSync(path.join(root, "dist", "provider", "cli", "main.js"), 0o755);
