/**
 * The client side of docs/wire-protocol.md §1–§4: the fixed bootstrap, the exec command line, the request on stdin
 * and the parsing of the result and error lines. Pure functions; the exact texts are pinned by golden files.
 */

/** Marker of the result line (§4). */
export const RESULT_MARKER = "VDIUPGRADE-RESULT";
/** Marker of the error line (§1 step 4). */
export const ERROR_MARKER = "VDIUPGRADE-ERROR";
/** cmd.exe's command-line limit; Windows OpenSSH hands the exec line to a shell that enforces it. */
export const MAX_COMMAND_LINE = 8191;

/**
 * The bootstrap (§1). Windows PowerShell 5.1. It:
 * - sets stdout to UTF-8 without BOM, so a Unicode path in a progress or result line survives any console code page;
 * - reads all of stdin as ASCII base64 text, decodes it to UTF-8 JSON `{script, params}`;
 * - runs `script` as a script block with the params object, writing each output object as one line as soon as it
 *   comes (`[Console]::Out` is auto-flushed; `Out-Default` would wrap long lines at the host's width);
 * - on an uncaught exception prints one `VDIUPGRADE-ERROR {"message": ...}` line and exits 1.
 */
export const BOOTSTRAP = [
  "$ErrorActionPreference = 'Stop'",
  "$ProgressPreference = 'SilentlyContinue'",
  "[Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false",
  "try {",
  "  $raw = [Console]::In.ReadToEnd()",
  "  $json = [System.Text.Encoding]::UTF8.GetString([System.Convert]::FromBase64String($raw.Trim()))",
  "  $req = ConvertFrom-Json -InputObject $json",
  "  $sb = [ScriptBlock]::Create([string]$req.script)",
  "  & $sb $req.params | ForEach-Object { [Console]::Out.WriteLine([string]$_) }",
  "  exit 0",
  "} catch {",
  "  $msg = [string]$_.Exception.Message",
  "  [Console]::Out.WriteLine('VDIUPGRADE-ERROR ' + (ConvertTo-Json -Compress -InputObject @{ message = $msg }))",
  "  exit 1",
  "}",
].join("\n");

/** `powershell.exe ... -EncodedCommand <base64 of the UTF-16LE bytes of bootstrap>` (§1). */
export function buildCommandLine(bootstrap: string = BOOTSTRAP): string {
  const encoded = Buffer.from(bootstrap, "utf16le").toString("base64");
  const line = `powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand ${encoded}`;
  if (line.length > MAX_COMMAND_LINE) {
    throw new Error(`The exec command line is ${line.length} characters; cmd.exe accepts ${MAX_COMMAND_LINE}.`);
  }
  return line;
}

/** The exec command line every operation uses. */
export const COMMAND_LINE = buildCommandLine();

/** The request an operation sends (§2). */
export interface WireRequest {
  /** Header line `# vdi-upgrade operation: <Name>` then the body. */
  readonly script: string;
  readonly params: Record<string, unknown>;
}

/** The header line of an operation's script (§3). */
export function operationHeader(operation: string): string {
  return `# vdi-upgrade operation: ${operation}`;
}

/** The operation named by a script's header line, or undefined. */
export function operationOf(script: string): string | undefined {
  const first = script.replace(/^\uFEFF/, "").split(/\r?\n/, 1)[0] ?? "";
  return /^# vdi-upgrade operation: ([A-Za-z][A-Za-z0-9-]*)\s*$/.exec(first)?.[1];
}

/** Stdin of a request: base64 of the UTF-8 JSON (§2). */
export function encodeRequest(request: WireRequest): string {
  return Buffer.from(JSON.stringify({ script: request.script, params: request.params }), "utf8").toString("base64");
}

/** Inverse of `encodeRequest` (for tests and diagnostics). */
export function decodeRequest(stdin: string): WireRequest {
  return JSON.parse(Buffer.from(stdin.trim(), "base64").toString("utf8")) as WireRequest;
}

/** What one stdout line is. */
export type OutputLine =
  | { readonly kind: "result"; readonly json: string }
  | { readonly kind: "error"; readonly message: string }
  | { readonly kind: "progress"; readonly text: string };

/** Classifies a stdout line (without its line ending). */
export function classifyLine(line: string): OutputLine {
  if (line.startsWith(`${RESULT_MARKER} `)) return { kind: "result", json: line.slice(RESULT_MARKER.length + 1) };
  if (line.startsWith(`${ERROR_MARKER} `)) {
    const raw = line.slice(ERROR_MARKER.length + 1);
    try {
      const parsed = JSON.parse(raw) as { message?: unknown };
      if (typeof parsed?.message === "string") return { kind: "error", message: parsed.message };
    } catch {
      // Not JSON: keep the raw text as the message.
    }
    return { kind: "error", message: raw };
  }
  return { kind: "progress", text: line };
}

/** Splits streamed text into complete lines (CRLF or LF), keeping the unfinished rest for the next chunk. */
export class LineSplitter {
  private rest = "";

  /** Feeds a chunk; returns the lines it completed. */
  push(chunk: string): string[] {
    const text = this.rest + chunk;
    const parts = text.split("\n");
    this.rest = parts.pop() ?? "";
    return parts.map((l) => l.replace(/\r$/, ""));
  }

  /** The last line, if the stream ended without a newline. */
  flush(): string[] {
    const r = this.rest.replace(/\r$/, "");
    this.rest = "";
    return r.length > 0 ? [r] : [];
  }
}
