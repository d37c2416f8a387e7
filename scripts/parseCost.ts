// Prints what checking PowerShell costs: the one-time load of the grammar (both .wasm modules) in a fresh process,
// and the parse and check of each default operation body and of a 50,000-character override. `--json` for a record.
import { OPERATIONS } from "../provider/operations";
import { loadPowerShellGrammar } from "../provider/powershell/grammar";
import { checkOperationScript } from "../provider/powershell/scriptCheck";

async function main(): Promise<void> {
  const started = performance.now();
  const grammar = await loadPowerShellGrammar();
  const loadMs = performance.now() - started;
  const defs = Object.values(OPERATIONS);
  const firstPass: number[] = [];
  for (const def of defs) {
    const t = performance.now();
    checkOperationScript(grammar, def);
    firstPass.push(performance.now() - t);
  }
  const warm: number[] = [];
  for (let i = 0; i < 20; i++) {
    for (const def of defs) {
      const t = performance.now();
      checkOperationScript(grammar, def);
      warm.push(performance.now() - t);
    }
  }
  warm.sort((a, b) => a - b);
  const big = Array.from({ length: 1200 }, (_, i) => `$v${i} = [string]$p.securityServer + '${i}'`)
    .join("\n")
    .slice(0, 50_000);
  const t = performance.now();
  checkOperationScript(grammar, OPERATIONS["Invoke-PrepareSecurityServer"], big);
  const bigMs = performance.now() - t;
  const figures = {
    grammarLoadMs: Number(loadMs.toFixed(1)),
    bodies: defs.length,
    firstPassAllBodiesMs: Number(firstPass.reduce((a, b) => a + b, 0).toFixed(1)),
    warmMedianBodyMs: Number(warm[Math.floor(warm.length / 2)].toFixed(2)),
    warmWorstBodyMs: Number(warm[warm.length - 1].toFixed(2)),
    override50kCharsMs: Number(bigMs.toFixed(1)),
  };
  console.log(
    process.argv.includes("--json")
      ? JSON.stringify(figures)
      : Object.entries(figures)
          .map(([k, v]) => `${k}: ${v}`)
          .join("\n"),
  );
}

void main();
