/**
 * What a PowerShell script says before it runs: where Windows PowerShell 5.1 could not parse it, which PowerShell 7
 * constructs it uses, and which parameters (`$p.<name>`) it reads. Pure over a parsed tree; the rules are data.
 *
 * The hosts run Windows PowerShell 5.1 (`powershell.exe`): a script with a PowerShell 7 construct fails there with a
 * parse error, so a construct is refused here with its line rather than on the host inside the maintenance window.
 */
import { shorten } from "../errors/shorten";
import type { PowerShellGrammar, SyntaxNode } from "./grammar";

/** Stable codes of what a script check finds. */
export type ScriptProblemCode =
  "syntax-error" | "missing-token" | "powershell-7-only" | "unknown-param" | "unread-param" | "param-in-string";

/** One finding, located in the checked text (1-based line and column). */
export interface ScriptProblem {
  readonly code: ScriptProblemCode;
  readonly line: number;
  readonly column: number;
  /** The text of that line, trimmed and shortened. */
  readonly lineText: string;
  /** What is wrong and the fix, without the location (the caller prefixes the property and the line). */
  readonly message: string;
  /** For `powershell-7-only`: the construct, as the table below names it. */
  readonly construct?: string;
}

/** A read of a parameter: `$p.secrets.sqlUser` is `["secrets", "sqlUser"]`. */
export interface ParamRead {
  readonly path: readonly string[];
  readonly line: number;
  readonly column: number;
}

/** What `analyseScript` found. */
export interface ScriptAnalysis {
  readonly problems: readonly ScriptProblem[];
  readonly paramReads: readonly ParamRead[];
}

/** A PowerShell 7 construct Windows PowerShell 5.1 cannot parse or run, and what to write instead. */
export interface Powershell7Construct {
  readonly construct: string;
  readonly name: string;
  /** The PowerShell release that introduced it. */
  readonly since: string;
  readonly instead: string;
}

/**
 * PowerShell 7 syntax, from "What's New in PowerShell 7.0"
 * (https://learn.microsoft.com/en-us/powershell/scripting/whats-new/what-s-new-in-powershell-70): the ternary,
 * pipeline chain and null-coalescing operators, `ForEach-Object -Parallel`, and the null-conditional operators
 * (experimental in 7.0, stable in 7.1); "What's New in PowerShell 7.3"
 * (https://learn.microsoft.com/en-us/powershell/scripting/whats-new/what-s-new-in-powershell-73): the `clean` block.
 */
export const POWERSHELL_7_CONSTRUCTS: Readonly<Record<string, Powershell7Construct>> = {
  "??=": { construct: "??=", name: "null-coalescing assignment", since: "7.0", instead: "if ($null -eq $x) { $x = <value> }" },
  "??": { construct: "??", name: "null-coalescing operator", since: "7.0", instead: "if ($null -ne $a) { $a } else { $b }" },
  "?.": { construct: "?.", name: "null-conditional member access", since: "7.1", instead: "if ($null -ne $a) { $a.Name }" },
  "?[": { construct: "?[", name: "null-conditional index", since: "7.1", instead: "if ($null -ne $a) { $a[0] }" },
  "? :": { construct: "? :", name: "ternary operator", since: "7.0", instead: "if (<condition>) { <a> } else { <b> }" },
  "&&": { construct: "&&", name: "pipeline chain operator", since: "7.0", instead: "<first>; if ($?) { <second> }" },
  "||": { construct: "||", name: "pipeline chain operator", since: "7.0", instead: "<first>; if (-not $?) { <second> }" },
  "ForEach-Object -Parallel": {
    construct: "ForEach-Object -Parallel",
    name: "parallel ForEach-Object",
    since: "7.0",
    instead: "a foreach loop (or Start-Job and Wait-Job)",
  },
  "clean {}": { construct: "clean {}", name: "clean block", since: "7.3", instead: "try { ... } finally { <cleanup> } in the end block" },
};

/** Members every PowerShell object has: reading them is not reading a parameter. */
const INTRINSIC_MEMBERS = new Set(["psobject", "psbase", "pstypenames", "psadapted", "psextended"]);

/** Line starts of `text`, for turning an index into a line and column. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") starts.push(i + 1);
  return starts;
}

class Locator {
  private readonly starts: number[];
  constructor(private readonly text: string) {
    this.starts = lineStarts(text);
  }
  /** 1-based line and column of a UTF-16 index. */
  at(index: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= index) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: index - this.starts[lo] + 1 };
  }
  lineText(line: number): string {
    const start = this.starts[line - 1] ?? this.text.length;
    const end = this.starts[line] ?? this.text.length;
    return shorten(
      this.text
        .slice(start, end)
        .replace(/\r?\n$/, "")
        .trim(),
    );
  }
}

function children(node: SyntaxNode): SyntaxNode[] {
  return node.children.filter((c): c is SyntaxNode => c !== null);
}

/**
 * Visits, in document order, the nodes under `node` (itself included) whose type `want` accepts. A tree cursor walks
 * the tree; only the wanted nodes are built as objects (building every node costs more than the parse itself).
 */
function walk(node: SyntaxNode, want: (type: string, missing: boolean) => boolean, visit: (n: SyntaxNode) => void): void {
  const cursor = node.walk();
  try {
    for (;;) {
      if (want(cursor.nodeType, cursor.nodeIsMissing)) visit(cursor.currentNode);
      if (cursor.gotoFirstChild()) continue;
      for (;;) {
        if (cursor.currentDepth === 0) return;
        if (cursor.gotoNextSibling()) break;
        cursor.gotoParent();
      }
    }
  } finally {
    cursor.delete();
  }
}

/**
 * The nodes under `root` of these types, in document order, searched inside the WebAssembly module (building every
 * node as an object costs more than the parse). web-tree-sitter 0.26 finds nothing when "ERROR" is asked for
 * together with other types, so it is asked for on its own.
 */
function ofType(root: SyntaxNode, ...types: string[]): SyntaxNode[] {
  const find = (t: string[]) => (t.length === 0 ? [] : root.descendantsOfType(t).filter((n): n is SyntaxNode => n !== null));
  const others = find(types.filter((t) => t !== "ERROR"));
  if (!types.includes("ERROR") || !root.hasError) return others;
  return [...others, ...find(["ERROR"])].sort((a, b) => a.startIndex - b.startIndex);
}

/** The first index at or after `from` that is not whitespace (an error node often starts with the blank before it). */
function skipBlank(text: string, from: number, to: number): number {
  let i = from;
  while (i < to && /\s/.test(text[i])) i++;
  return i < to ? i : from;
}

/** Which `?` construct starts at `i` (the character there is `?`). */
function questionConstruct(text: string, i: number): string {
  if (text[i + 1] === "?") return text[i + 2] === "=" ? "??=" : "??";
  if (text[i + 1] === ".") return "?.";
  if (text[i + 1] === "[") return "?[";
  return "? :";
}

const PARALLEL_COMMANDS = new Set(["foreach-object", "foreach", "%"]);

/**
 * PowerShell 7 constructs in the tree. The grammar accepts `&&`, `||` and `-Parallel` (so they are found by node),
 * and parses the `?` operators and the `clean` block as errors (so they are recognised at the error).
 */
function findPowershell7(text: string, root: SyntaxNode, loc: Locator): ScriptProblem[] {
  const found: ScriptProblem[] = [];
  const seen = new Set<number>();
  const add = (construct: string, index: number) => {
    if (seen.has(index)) return;
    seen.add(index);
    const c = POWERSHELL_7_CONSTRUCTS[construct];
    const { line, column } = loc.at(index);
    found.push({
      code: "powershell-7-only",
      line,
      column,
      lineText: loc.lineText(line),
      construct,
      message: `uses "${c.construct}" (${c.name}), PowerShell ${c.since} syntax that Windows PowerShell 5.1 on the hosts does not know: write ${c.instead} instead`,
    });
  };
  for (const n of ofType(root, "pipeline_chain_tail", "command", "ERROR")) {
    if (n.type === "pipeline_chain_tail") {
      const at = skipBlank(text, n.startIndex, n.endIndex);
      add(text.startsWith("||", at) ? "||" : "&&", at);
    } else if (n.type === "command") {
      const name = n.childForFieldName("command_name")?.text.toLowerCase();
      if (name && PARALLEL_COMMANDS.has(name)) {
        for (const m of children(n.childForFieldName("command_elements") ?? n)) {
          const param = m.type === "command_parameter" ? m.text.toLowerCase().replace(/:$/, "") : "";
          if (param.length >= 3 && "-parallel".startsWith(param)) add("ForEach-Object -Parallel", n.startIndex);
        }
      }
    } else if (n.type === "ERROR") {
      if (n.childCount === 0) {
        const q = text.indexOf("?", n.startIndex);
        if (q >= 0 && q < n.endIndex) add(questionConstruct(text, q), q);
      }
      for (const c of children(n)) {
        if (
          c.type === "simple_name" &&
          c.text.trim().toLowerCase() === "clean" &&
          /^\s*\{/.test(text.slice(c.endIndex, c.endIndex + 200))
        ) {
          add("clean {}", skipBlank(text, c.startIndex, c.endIndex));
        }
      }
    }
  }
  return found.sort((a, b) => a.line - b.line || a.column - b.column);
}

const OPENERS: Readonly<Record<string, string>> = { "(": ")", "$(": ")", "@(": ")", "{": "}", "@{": "}", "[": "]" };
const CLOSERS = new Set([")", "}", "]"]);

/**
 * The first bracket left open or closed twice, by the tokens of the tree (brackets inside strings and comments are
 * text, not tokens). Error recovery often wraps a whole block around an unclosed bracket; the bracket itself is
 * where PowerShell reports it ("Missing closing ')'").
 */
function unbalancedBracket(root: SyntaxNode, loc: Locator): ScriptProblem | undefined {
  const stack: SyntaxNode[] = [];
  let problem: { node: SyntaxNode; message: string } | undefined;
  for (const n of ofType(root, ...Object.keys(OPENERS), ...CLOSERS)) {
    if (problem) break;
    if (n.childCount > 0 || n.isMissing) continue;
    if (n.type in OPENERS) stack.push(n);
    else if (CLOSERS.has(n.type)) {
      const open = stack.pop();
      if (!open) problem = { node: n, message: `this "${n.type}" closes nothing` };
      else if (OPENERS[open.type] !== n.type)
        problem = { node: open, message: `the "${open.type}" opened here is never closed with "${OPENERS[open.type]}"` };
    }
  }
  if (!problem && stack.length > 0) {
    const open = stack[stack.length - 1];
    problem = { node: open, message: `the "${open.type}" opened here is never closed with "${OPENERS[open.type]}"` };
  }
  if (!problem) return undefined;
  const index = problem.node.endIndex - problem.node.type.length;
  const { line, column } = loc.at(index);
  return {
    code: "syntax-error",
    line,
    column,
    lineText: loc.lineText(line),
    message: `Windows PowerShell 5.1 cannot parse the script: ${problem.message}`,
  };
}

/** The first place the grammar could not parse, or a token it had to assume. */
function firstSyntaxProblem(text: string, root: SyntaxNode, loc: Locator): ScriptProblem | undefined {
  if (!root.hasError) return undefined;
  // The grammar wants a statement: a script of comments only is an error to it, and nothing to PowerShell.
  if (root.type === "ERROR" && children(root).every((c) => c.type === "comment")) return undefined;
  const bracket = unbalancedBracket(root, loc);
  if (bracket) return bracket;
  let first: { index: number; node: SyntaxNode } | undefined;
  // The earliest error node; a root that is itself an error only when nothing inside it is more precise.
  walk(
    root,
    (type, missing) => type === "ERROR" || missing,
    (n) => {
      if ((n.type !== "ERROR" || n.id === root.id) && !n.isMissing) return;
      const index = n.isMissing ? n.startIndex : skipBlank(text, n.startIndex, n.endIndex);
      if (!first || index < first.index) first = { index, node: n };
    },
  );
  if (!first && root.type === "ERROR") first = { index: skipBlank(text, root.startIndex, root.endIndex), node: root };
  if (!first) return undefined;
  const { line, column } = loc.at(first.index);
  if (first.node.isMissing) {
    return {
      code: "missing-token",
      line,
      column,
      lineText: loc.lineText(line),
      message: `Windows PowerShell 5.1 cannot parse the script: a "${first.node.type}" is missing here`,
    };
  }
  const token = shorten(text.slice(first.index, first.node.endIndex).trim().split(/\r?\n/)[0] ?? "", 30);
  return {
    code: "syntax-error",
    line,
    column,
    lineText: loc.lineText(line),
    message: `Windows PowerShell 5.1 cannot parse the script at "${token}"`,
  };
}

function isParamVariable(n: SyntaxNode, name: string): boolean {
  if (n.type !== "variable") return false;
  const t = n.text.toLowerCase();
  return t === `$${name}` || t === `\${${name}}`;
}

/** Every `$p.a.b` member read (longest static chain), and `$p.x` written inside a double-quoted string. */
function findParamReads(text: string, root: SyntaxNode, loc: Locator, name: string): { reads: ParamRead[]; problems: ScriptProblem[] } {
  const reads: ParamRead[] = [];
  const problems: ScriptProblem[] = [];
  for (const n of ofType(root, "variable")) {
    if (!isParamVariable(n, name)) continue;
    const parent = n.parent;
    if (parent && parent.type === "expandable_string_literal") {
      const after = /^\.([A-Za-z_][A-Za-z0-9_]*)/.exec(text.slice(n.endIndex, n.endIndex + 100));
      if (after) {
        const { line, column } = loc.at(n.startIndex);
        problems.push({
          code: "param-in-string",
          line,
          column,
          lineText: loc.lineText(line),
          message: `"${n.text}.${after[1]}" inside a double-quoted string expands ${n.text} alone, followed by the text ".${after[1]}": write "$(${n.text}.${after[1]})"`,
        });
      }
      continue;
    }
    const path: string[] = [];
    let current: SyntaxNode = n;
    for (;;) {
      const up = current.parent;
      if (!up || up.type !== "member_access" || up.firstChild?.id !== current.id) break;
      const member = up.namedChildren.find((c) => c?.type === "member_name");
      const simple =
        member?.namedChildren.length === 1 && member.namedChildren[0]?.type === "simple_name" ? member.namedChildren[0] : undefined;
      if (!simple) break;
      path.push(simple.text);
      current = up;
    }
    if (path.length === 0 || INTRINSIC_MEMBERS.has(path[0].toLowerCase())) continue;
    const { line, column } = loc.at(n.startIndex);
    reads.push({ path, line, column });
  }
  return { reads, problems };
}

/** Options of `analyseScript`. */
export interface AnalyseOptions {
  /** The variable the params arrive in (the prelude's `param($p)`); null for a script that receives none. @default "p" */
  readonly paramVariable?: string | null;
}

/**
 * Parses `text` and reports: PowerShell 7 constructs (each with its line); otherwise the first place Windows
 * PowerShell 5.1 could not parse (a later error is often a consequence of the first); `$p.x` inside a string; and
 * every parameter read, for `checkParamReads`.
 */
export function analyseScript(grammar: PowerShellGrammar, text: string, options: AnalyseOptions = {}): ScriptAnalysis {
  const tree = grammar.parse(text);
  try {
    const root = tree.rootNode;
    const loc = new Locator(text);
    const problems: ScriptProblem[] = findPowershell7(text, root, loc);
    if (problems.length === 0) {
      const syntax = firstSyntaxProblem(text, root, loc);
      if (syntax) problems.push(syntax);
    }
    if (options.paramVariable === null) return { problems, paramReads: [] };
    const params = findParamReads(text, root, loc, (options.paramVariable ?? "p").toLowerCase());
    problems.push(...params.problems);
    return { problems, paramReads: params.reads };
  } finally {
    tree.delete();
  }
}
