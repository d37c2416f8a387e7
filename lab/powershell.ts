/**
 * The lab's own PowerShell parser: tree-sitter-powershell's WebAssembly build run by web-tree-sitter, loaded from
 * the npm packages directly (never through provider code), once, on the first request.
 */
import type { Parser } from "web-tree-sitter";
import type { ParseScript } from "./protocol";

let loading: Promise<ParseScript> | undefined;

/** A parse function for scripts, loaded on first call. */
export function loadScriptParser(): Promise<ParseScript> {
  loading ??= (async () => {
    const ts = await import("web-tree-sitter");
    await ts.Parser.init();
    const language = await ts.Language.load(require.resolve("tree-sitter-powershell/tree-sitter-powershell.wasm"));
    const parser: Parser = new ts.Parser();
    parser.setLanguage(language);
    return (text: string) => {
      const tree = parser.parse(text);
      if (!tree) throw new Error("The PowerShell parser returned no tree.");
      return tree;
    };
  })();
  return loading;
}
