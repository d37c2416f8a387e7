// `npm run reliability [-- --json] [-- --only <substring>]`: the whole fault matrix through the real engine against
// the lab. Prints a readable table, or with --json one JSON object as its last line. Exits 1 when a check fails.
import { closeAllConnections } from "../provider/transport/pool";
import { Engine } from "../tests/harness/engine";
import { SCENARIOS, type ScenarioResult, runScenario } from "../tests/reliability/faultMatrix";

async function main(): Promise<void> {
  const json = process.argv.includes("--json");
  const only = process.argv.indexOf("--only");
  const filter = only >= 0 ? process.argv[only + 1] : undefined;
  const engine = await Engine.open();
  const results: ScenarioResult[] = [];
  try {
    for (const s of SCENARIOS.filter((x) => !filter || x.name.includes(filter))) {
      const started = Date.now();
      const r = await runScenario(engine, s);
      results.push(r);
      const ok = r.problems.length === 0;
      process.stderr.write(
        `${ok ? "ok  " : "FAIL"} ${s.name} (${((Date.now() - started) / 1000).toFixed(0)} s)${ok ? "" : `: ${r.problems.join("; ")}`}\n`,
      );
    }
  } finally {
    await engine.dispose();
    closeAllConnections();
  }
  const rows = results.map(({ problems: _p, ...r }) => r);
  if (json) {
    console.log(JSON.stringify({ scenarios: rows }));
  } else {
    const cols = [
      "name",
      "failedClearly",
      "maxOutOfServicePerGroup",
      "stateValid",
      "secretsFound",
      "resumed",
      "noopAfter",
      "maxInstallerRunsPerServer",
    ] as const;
    const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
    const line = (cells: string[]) => cells.map((c, i) => c.padEnd(width[i])).join("  ");
    console.log(line([...cols]));
    for (const r of rows) console.log(line(cols.map((c) => String(r[c]))));
  }
  if (results.some((r) => r.problems.length > 0)) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
