import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";

const ROOT = join(__dirname, "..", "..");
const SELF = relative(ROOT, __filename).split(sep).join("/");

/**
 * Citations a reader of this repository cannot follow: the team's private reference notes, the hashed file names of
 * their copies of vendor pages, their section numbers, and paths outside the repository. A source is cited by its
 * title and URL, or by a section of docs/sources.md.
 */
const UNFOLLOWABLE: ReadonlyArray<[what: string, pattern: RegExp]> = [
  ["a private reference note (domain-facts)", /domain-facts/i],
  ["a private reference note (pulumi-notes)", /pulumi-notes/i],
  ["a hashed copy of a vendor page", /\b\d{3}_[0-9a-f]{16}(\.txt)?\b/],
  ["a copy of a vendor page by number", /\bseeds?[\s/]+0\d\d\b/i],
  ["a copy of a vendor page", /\bthe seed('s)?\b|\bseed (step|note)\b/i],
  ["a section of the private reference notes", /§\s?[ABC](\.?\d|\b)/],
  ["a path outside the repository", /(\.\.\/)+shared\/|\/work\/(shared|brief|main|wt)\b|shared\/(reference|seeds)\//],
];

const TEXT = /\.(ts|js|mjs|cjs|md|json|ya?ml|sh|ps1|txt)$|(^|\/)[^./]+$/;
const SKIP_DIRS = new Set([".git", "node_modules", "dist"]);

/** The repository's tracked files, or every file outside .git, node_modules and dist when git is not available. */
function trackedFiles(): string[] {
  try {
    return execFileSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })
      .split("\0")
      .filter((f) => f.length > 0);
  } catch {
    const out: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        if (SKIP_DIRS.has(name)) continue;
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else out.push(relative(ROOT, path).split(sep).join("/"));
      }
    };
    walk(ROOT);
    return out;
  }
}

/** `file:line: what: text` for every unfollowable citation in the file's text. */
export function unfollowableCitations(file: string, text: string): string[] {
  const hits: string[] = [];
  text.split("\n").forEach((line, i) => {
    for (const [what, pattern] of UNFOLLOWABLE) {
      if (pattern.test(line)) hits.push(`${file}:${i + 1}: ${what}: ${line.trim().slice(0, 160)}`);
    }
  });
  return hits;
}

function scan(): Map<string, string[]> {
  const byFile = new Map<string, string[]>();
  for (const file of trackedFiles()) {
    if (file === SELF || !TEXT.test(file) || file.split("/").some((p) => SKIP_DIRS.has(p))) continue;
    let text: string;
    try {
      text = readFileSync(join(ROOT, file), "utf8");
    } catch {
      continue; // deleted in the work tree but still in the index
    }
    const hits = unfollowableCitations(file, text);
    if (hits.length > 0) byFile.set(file, hits);
  }
  return byFile;
}

describe("citations", () => {
  const found = scan();

  it("cite vendor documents by title and URL or a file of this repository, never the private notes, in every tracked file", () => {
    const offending = [...found].flatMap(([, hits]) => hits);
    assert.deepEqual(offending, [], `cite by title and URL, or a section of docs/sources.md:\n${offending.join("\n")}`);
  });

  it("recognises each kind of citation a reader cannot follow", () => {
    const samples = [
      "see domain-facts §A3",
      "(pulumi-notes §6.1)",
      "from 000_af3e1762bc73176d.txt",
      "(seed 002 step 7)",
      "in the seed's order",
      "the rule (§B2)",
      "../shared/reference/facts.md",
    ];
    for (const sample of samples) assert.equal(unfollowableCitations("x.ts", sample).length > 0, true, sample);
    for (const fine of [
      "docs/wire-protocol.md §5",
      "RFC 4254 §5.1",
      "docs/sources.md#horizon-versions",
      '"Upgrade View Security Server", step 5',
    ]) {
      assert.deepEqual(unfollowableCitations("x.ts", fine), [], fine);
    }
  });
});
