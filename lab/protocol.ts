/**
 * Decoding of the wire protocol (docs/wire-protocol.md) as a Windows host would see it. Pure functions: the SSH
 * front feeds them bytes and turns their verdicts into exit codes.
 */

/** cmd.exe's maximum command-line length; Windows OpenSSH hands the exec line to a shell that enforces it. */
export const MAX_COMMAND_LINE = 8191;

/** The only exec form the lab accepts (§1). */
const COMMAND_PREFIX = "powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand ";

/** Text the bootstrap must contain: it reads the request from stdin (§1 step 1). */
export const BOOTSTRAP_STDIN_READ = "[Console]::In.ReadToEnd()";

/** Header line naming the operation (§3). */
const HEADER = /^# vdi-upgrade operation: ([A-Za-z][A-Za-z0-9-]*)\s*$/;

/** Result and error line markers (§4, §1 step 4). */
export const RESULT_MARKER = "VDIUPGRADE-RESULT";
export const ERROR_MARKER = "VDIUPGRADE-ERROR";

/** Verdict on an exec command line. */
export type CommandVerdict = { ok: true; bootstrap: string } | { ok: false; exitCode: number; stderr: string };

/** Checks an exec command line: length, exact form, a base64 UTF-16LE bootstrap that reads stdin. */
export function checkCommandLine(command: string): CommandVerdict {
  if (command.length > MAX_COMMAND_LINE) {
    return { ok: false, exitCode: 1, stderr: "The command line is too long." };
  }
  if (!command.startsWith(COMMAND_PREFIX)) {
    const first = command.split(/\s+/)[0] ?? "";
    return {
      ok: false,
      exitCode: 1,
      stderr:
        `'${first}' is not accepted by this host: the lab only runs ` +
        `"${COMMAND_PREFIX}<base64 UTF-16LE bootstrap>" (docs/wire-protocol.md §1).`,
    };
  }
  const encoded = command.slice(COMMAND_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) {
    return { ok: false, exitCode: 1, stderr: "Cannot process the command because the value of -EncodedCommand is not valid base64." };
  }
  const bytes = Buffer.from(encoded, "base64");
  if (bytes.length % 2 !== 0) {
    return { ok: false, exitCode: 1, stderr: "The -EncodedCommand value is not UTF-16LE text (odd byte count)." };
  }
  const bootstrap = bytes.toString("utf16le");
  if (!bootstrap.includes(BOOTSTRAP_STDIN_READ)) {
    return {
      ok: false,
      exitCode: 1,
      stderr: `The bootstrap does not read the request from stdin (${BOOTSTRAP_STDIN_READ} not found).`,
    };
  }
  return { ok: true, bootstrap };
}

/** A decoded request. */
export interface Request {
  readonly operation: string;
  readonly script: string;
  readonly params: Record<string, unknown>;
}

/** Verdict on the stdin bytes. */
export type RequestVerdict = { ok: true; request: Request } | { ok: false; message: string };

/** Decodes stdin: base64 (whitespace tolerated) → UTF-8 → JSON `{script, params}` → operation from the header. */
export function decodeRequest(stdin: string): RequestVerdict {
  const text = stdin.replace(/\s+/g, "");
  if (text.length === 0) return { ok: false, message: "No request on stdin (empty input)." };
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) {
    return { ok: false, message: "The request on stdin is not base64." };
  }
  const json = Buffer.from(text, "base64").toString("utf8");
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (e) {
    return { ok: false, message: `The request is not JSON: ${(e as Error).message}` };
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return { ok: false, message: "The request must be a JSON object {script, params}." };
  }
  const { script, params } = parsed as { script?: unknown; params?: unknown };
  if (typeof script !== "string") return { ok: false, message: "The request has no [script] string." };
  if (typeof params !== "object" || params === null || Array.isArray(params)) {
    return { ok: false, message: "The request has no [params] object." };
  }
  const firstLine = script.replace(/^\uFEFF/, "").split(/\r?\n/)[0] ?? "";
  const m = HEADER.exec(firstLine);
  if (!m) {
    return {
      ok: false,
      message: `The script does not start with the header "# vdi-upgrade operation: <Name>" (got "${firstLine.slice(0, 80)}").`,
    };
  }
  return { ok: true, request: { operation: m[1], script, params: params as Record<string, unknown> } };
}

/** The result line (compact JSON). */
export function resultLine(result: unknown): string {
  return `${RESULT_MARKER} ${JSON.stringify(result)}`;
}

/** The error line. */
export function errorLine(message: string): string {
  return `${ERROR_MARKER} ${JSON.stringify({ message })}`;
}

/**
 * Replaces `{{secret:NAME}}` placeholders with `secrets[NAME]`, as the remote PowerShell does (§2). Throws on a
 * placeholder without a secret, as the bootstrap would.
 */
export function substituteSecrets(template: string, secrets: Record<string, string> | undefined): string {
  return template.replace(/\{\{secret:([A-Za-z0-9_.-]+)\}\}/g, (_all, name: string) => {
    const value = secrets?.[name];
    if (typeof value !== "string") {
      throw new Error(`[argumentTemplate] uses {{secret:${name}}} but params.secrets has no "${name}".`);
    }
    return value;
  });
}

/** What a Horizon installer bootstrapper makes of its command line. */
export interface InstallerArguments {
  /** `/s` present (silent bootstrapper). */
  readonly silent: boolean;
  /** The msiexec string inside `/v"..."`, doubled quotes undone; undefined without `/v`. */
  readonly msiexec?: string;
  /** msiexec switches (`/qn`, `/l*v`, ...), lower-cased. */
  readonly switches: string[];
  /** MSI properties `NAME=value`, names upper-cased, surrounding quotes removed. */
  readonly properties: Record<string, string>;
}

/**
 * Parses `/s /v"/qn /l*v ""C:\log"" PROP=""a b"" PROP2=x"` by the rules of docs/sources.md#horizon-silent-install: inside `/v"..."` a
 * doubled quote stands for one quote, and the first single quote ends the string.
 */
export function parseInstallerArguments(args: string): InstallerArguments {
  let silent = false;
  let msiexec: string | undefined;
  let i = 0;
  while (i < args.length) {
    while (args[i] === " ") i++;
    if (i >= args.length) break;
    if (args.startsWith('/v"', i) || args.startsWith('/V"', i)) {
      i += 3;
      let inner = "";
      while (i < args.length) {
        if (args[i] === '"' && args[i + 1] === '"') {
          inner += '"';
          i += 2;
        } else if (args[i] === '"') {
          i++;
          break;
        } else {
          inner += args[i++];
        }
      }
      msiexec = inner;
    } else {
      let token = "";
      while (i < args.length && args[i] !== " ") token += args[i++];
      if (token.toLowerCase() === "/s") silent = true;
    }
  }
  const switches: string[] = [];
  const properties: Record<string, string> = {};
  for (const token of splitMsiexec(msiexec ?? "")) {
    const prop = /^([A-Za-z_][A-Za-z0-9_.]*)=(.*)$/s.exec(token);
    if (prop) properties[prop[1].toUpperCase()] = prop[2];
    else if (token.startsWith("/")) switches.push(token.toLowerCase());
  }
  return { silent, msiexec, switches, properties };
}

/** Splits an msiexec string on spaces outside quotes, removing the quotes (msiexec's own rule). */
function splitMsiexec(s: string): string[] {
  const tokens: string[] = [];
  let cur = "";
  let quoted = false;
  let started = false;
  for (const ch of s) {
    if (ch === '"') {
      quoted = !quoted;
      started = true;
    } else if (ch === " " && !quoted) {
      if (started) tokens.push(cur);
      cur = "";
      started = false;
    } else {
      cur += ch;
      started = true;
    }
  }
  if (started) tokens.push(cur);
  return tokens;
}

/** Parses a script to a tree (lab/powershell.ts loads it). */
export type ParseScript = (text: string) => import("web-tree-sitter").Tree;

/**
 * What a Windows PowerShell 5.1 host does with a script that does not parse: the bootstrap's
 * `[ScriptBlock]::Create($req.script)` throws a ParseException, nothing of the operation runs, and the error line
 * carries the location as PowerShell words it ("At line:L char:C"). The tokens `&&` and `||` are refused by 5.1's
 * parser ("What's New in PowerShell 7.0", pipeline chain operators,
 * https://learn.microsoft.com/en-us/powershell/scripting/whats-new/what-s-new-in-powershell-70); the grammar accepts
 * them, so they are looked for by node. Returns undefined when the script parses.
 */
export function scriptParseError(script: string, parse: ParseScript): string | undefined {
  const tree = parse(script);
  try {
    const root = tree.rootNode;
    // Most scripts parse: answer from the WebAssembly side without building a node per token.
    if (!root.hasError && root.descendantsOfType("pipeline_chain_tail").length === 0) return undefined;
    let at: { index: number; reason: string } | undefined;
    const mark = (index: number, reason: string) => {
      if (!at || index < at.index) at = { index, reason };
    };
    const stack = root.type === "ERROR" ? root.children.filter((c) => c !== null) : [root];
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (n.type === "pipeline_chain_tail") {
        mark(
          n.startIndex + (n.text.length - n.text.trimStart().length),
          `The token '${n.text.trim().slice(0, 2)}' is not a valid statement separator in this version.`,
        );
      } else if (n.isMissing && n.type !== ";") {
        // The grammar sometimes wants a ';' after a lone param block; PowerShell never does.
        mark(n.startIndex, `Missing '${n.type}'.`);
      } else if (n.type === "ERROR") {
        mark(n.startIndex + (n.text.length - n.text.trimStart().length), "Unexpected token in expression or statement.");
      }
      for (const c of n.children) if (c) stack.push(c);
    }
    if (!at && root.type === "ERROR") {
      // The whole script failed to parse: point at its first statement. A script of comments and a param block only
      // is an error to the grammar and nothing to PowerShell.
      const first = root.namedChildren.find((c) => c !== null && c.type !== "comment" && c.type !== "param_block");
      if (first) mark(first.startIndex, "Unexpected token in expression or statement.");
    }
    if (!at) return undefined;
    const before = script.slice(0, at.index);
    const line = before.split("\n").length;
    const char = at.index - (before.lastIndexOf("\n") + 1) + 1;
    const text = (script.split("\n")[line - 1] ?? "").replace(/\r$/, "");
    return `Exception calling "Create" with "1" argument(s): "At line:${line} char:${char}\n+ ${text}\n${at.reason}"`;
  } finally {
    tree.delete();
  }
}
