/**
 * PowerShell's `-like` operator: `*` any run, `?` one character, `[abc]`/`[a-z]` a set, a backtick escapes the next
 * character; case-insensitive, whole string.
 */
export function likeToRegExp(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === "`" && i + 1 < pattern.length) {
      re += escapeRegExp(pattern[++i]);
    } else if (ch === "*") {
      re += "[\\s\\S]*";
    } else if (ch === "?") {
      re += "[\\s\\S]";
    } else if (ch === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end < 0) {
        re += "\\[";
      } else {
        re += `[${pattern.slice(i + 1, end).replace(/[\\^\]]/g, "\\$&")}]`;
        i = end;
      }
    } else {
      re += escapeRegExp(ch);
    }
  }
  return new RegExp(`^${re}$`, "i");
}

/** `value -like pattern`. */
export function like(value: string, pattern: string): boolean {
  return likeToRegExp(pattern).test(value);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}
