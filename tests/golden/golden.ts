/**
 * Golden files: exact texts pinned under tests/golden/. `UPDATE_GOLDEN=1` rewrites them instead of comparing.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

/** Directory of the golden files. */
export const GOLDEN_DIR = __dirname;

/** Compares `actual` with the golden file `name` (relative to tests/golden), or rewrites it under UPDATE_GOLDEN=1. */
export function assertGolden(name: string, actual: string): void {
  const file = path.join(GOLDEN_DIR, name);
  if (process.env.UPDATE_GOLDEN === "1") {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, actual);
    return;
  }
  if (!fs.existsSync(file)) {
    assert.fail(`Golden file ${path.relative(process.cwd(), file)} is missing; run the tests with UPDATE_GOLDEN=1 to create it.`);
  }
  const expected = fs.readFileSync(file, "utf8");
  assert.equal(actual, expected, `${name} differs from its golden file; if the change is intended, rerun with UPDATE_GOLDEN=1 and review the diff.`);
}
