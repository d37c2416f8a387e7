/**
 * The PowerShell grammar: tree-sitter-powershell's WebAssembly build, run by web-tree-sitter. Both ship their `.wasm`
 * in the npm package (no install script, no download). Loaded once per process, on first use, so a program whose
 * resources carry no script pays nothing; the load time is kept for the benchmark.
 */
import type { Language as TsLanguage, Node as TsNode, Parser as TsParser, Tree as TsTree } from "web-tree-sitter";

export type SyntaxNode = TsNode;
export type SyntaxTree = TsTree;

/** A loaded grammar: parses a script text to a tree (the caller deletes the tree). */
export interface PowerShellGrammar {
  parse(text: string): SyntaxTree;
  /** Milliseconds the first load took (WebAssembly compile of both modules). */
  readonly loadMs: number;
}

let loading: Promise<PowerShellGrammar> | undefined;

/** The grammar, loaded on first call (about 30 ms), then the same object. */
export function loadPowerShellGrammar(): Promise<PowerShellGrammar> {
  loading ??= load();
  return loading;
}

async function load(): Promise<PowerShellGrammar> {
  const started = performance.now();
  // Required here, not imported at the top: a program that never checks a script never loads the WebAssembly.
  const { Parser, Language } = await import("web-tree-sitter");
  await Parser.init();
  const language: TsLanguage = await Language.load(require.resolve("tree-sitter-powershell/tree-sitter-powershell.wasm"));
  const parser: TsParser = new Parser();
  parser.setLanguage(language);
  const loadMs = performance.now() - started;
  return {
    loadMs,
    parse(text: string): SyntaxTree {
      const tree = parser.parse(text);
      if (!tree) throw new Error("The PowerShell parser returned no tree.");
      return tree;
    },
  };
}
