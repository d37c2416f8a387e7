#!/usr/bin/env node
/**
 * `vdi-upgrade`: the package's command line.
 *
 *   vdi-upgrade summary [--fail-on-blocked] [--title TEXT] [FILE]
 *
 * reads `pulumi preview --json` (FILE, or standard input) and prints a Markdown summary for a pull request. With
 * `--fail-on-blocked` it exits 2 when any server is blocked, so a pipeline can gate on it.
 */
import { readFileSync } from "node:fs";
import { renderSummary, summarize } from "../report/summary";

const USAGE =
  "usage: vdi-upgrade summary [--fail-on-blocked] [--title TEXT] [FILE]   (FILE: `pulumi preview --json` output; default: standard input)";

/** Runs the command line; returns the exit code. Pure apart from reading FILE or `stdin` and writing `out`/`err`. */
export function main(argv: readonly string[], io: { stdin: () => string; out: (s: string) => void; err: (s: string) => void }): number {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    io.out(USAGE + "\n");
    return command === undefined ? 1 : 0;
  }
  if (command !== "summary") {
    io.err(`unknown command "${command}". ${USAGE}\n`);
    return 1;
  }
  let failOnBlocked = false;
  let title: string | undefined;
  let file: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === "--fail-on-blocked") failOnBlocked = true;
    else if (a === "--title") {
      title = rest[++i];
      if (title === undefined) {
        io.err(`[--title] needs a text. ${USAGE}\n`);
        return 1;
      }
    } else if (a === "--help" || a === "-h") {
      io.out(USAGE + "\n");
      return 0;
    } else if (a.startsWith("-")) {
      io.err(`unknown option "${a}". ${USAGE}\n`);
      return 1;
    } else if (file === undefined) file = a;
    else {
      io.err(`more than one FILE ("${file}", "${a}"). ${USAGE}\n`);
      return 1;
    }
  }
  let raw: string;
  try {
    raw = file === undefined ? io.stdin() : readFileSync(file, "utf8");
  } catch (e) {
    io.err(`cannot read ${file ?? "standard input"}: ${(e as Error).message}\n`);
    return 1;
  }
  let preview: unknown;
  try {
    preview = JSON.parse(raw);
  } catch (e) {
    io.err(`${file ?? "standard input"} is not JSON (${(e as Error).message}): give it the output of \`pulumi preview --json\`.\n`);
    return 1;
  }
  if (!preview || typeof preview !== "object" || !Array.isArray((preview as { steps?: unknown }).steps)) {
    io.err(`${file ?? "standard input"} has no "steps": give it the output of \`pulumi preview --json\`.\n`);
    return 1;
  }
  io.out(renderSummary(preview, title));
  return failOnBlocked && summarize(preview).counts.blocked > 0 ? 2 : 0;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2), {
    stdin: () => readFileSync(0, "utf8"),
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
  });
}
