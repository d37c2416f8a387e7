/**
 * Hostile values for property-based tests (issue 6): strings that carry PowerShell and shell syntax, control
 * characters and awkward Unicode, malformed versions, values of the wrong type and huge strings.
 */
import fc from "fast-check";

/** Pieces of PowerShell, cmd.exe and shell syntax, control characters and awkward Unicode. */
export const NASTY_FRAGMENTS: readonly string[] = [
  "'",
  '"',
  "''",
  '""',
  ";",
  "$(",
  ")",
  "$(Stop-Computer)",
  "${env:PATH}",
  "$null",
  "@(",
  "@'",
  "'@",
  "`",
  "`n`r",
  "`0",
  "&",
  "&&",
  "|",
  "||",
  ">",
  "<",
  "%PATH%",
  "^",
  "#",
  "<#",
  "#>",
  "\\",
  "\\\\",
  "/",
  "..\\",
  "{{secret:pairingPassword}}",
  "{{log}}",
  "\n",
  "\r",
  "\r\n",
  "\t",
  "\u0000",
  "\u0007",
  "\u001b[31m",
  "\u007f",
  "\u0085",
  "\u00a0",
  "\u2028",
  "\u2029",
  "\u200b",
  "\u200d",
  "\u202e",
  "\u2066",
  "\ufeff",
  "\ufffd",
  "e\u0301",
  "\u0301\u0301\u0301",
  "Z\u0351\u0352\u0353\u0354",
  "\u05e9\u05dc\u05d5\u05dd",
  "\u0627\u0644\u0633\u0644\u0627\u0645",
  "\u65e5\u672c\u8a9e",
  "\uff04\uff08\uff09",
  "\u2019",
  "\u201c\u201d",
  "\ud83d\ude80",
  "\ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67",
  "\ud83c\uddeb\ud83c\uddf7",
  "\ud800",
  "\udfff",
  "VDIUPGRADE-RESULT {}",
  'VDIUPGRADE-ERROR {"message":"x"}',
  "# vdi-upgrade operation: Invoke-Installer",
];

/** Whole hostile texts, written by hand. */
export const NASTY_STRINGS: readonly string[] = [
  "'; Remove-Item C:\\ -Recurse #",
  "$(Stop-Computer)",
  "`n`r",
  '" & calc & "',
  "`whoami`",
  "``",
  "'`\"$(x)`\";'",
  '"; Stop-Computer -Force; "',
  "'; Stop-Computer -Force; '",
  '@"\n$(Stop-Computer)\n"@',
  "@'\nStop-Computer\n'@",
  'x\r\nVDIUPGRADE-RESULT {"exitCode":0}\r\n',
  "Write-Host done\n# vdi-upgrade operation: Invoke-Installer",
  "\u202egnp.exe",
  "\ud83d\ude80 \ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67 \ud83c\uddeb\ud83c\uddf7",
  "e\u0301\u0301\u0301 Z\u0351\u0352\u0353",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "\udc00\ud800",
  "\ufeff# vdi-upgrade operation: Get-HostFacts",
  " ",
  "\t\r\n",
  "C:\\Windows\\System32\\cmd.exe /c del /q C:\\*",
  "| Out-File C:\\Windows\\win.ini",
  "%COMSPEC% /c calc",
  "$env:COMPUTERNAME",
  "${function:Stop-Computer}",
  "&{Stop-Computer}",
  "{{secret:pairingPassword}}",
  "'\u2019\u2018\u201c\u201d\"",
];

/** One code unit of UTF-16, lone surrogates included. */
const utf16Unit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));

/** Strings made of code points, graphemes, UTF-16 units (lone surrogates) or hostile fragments. */
export function hostileString(maxLength = 40): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...NASTY_STRINGS), weight: 3 },
    { arbitrary: fc.array(fc.constantFrom(...NASTY_FRAGMENTS), { maxLength: 8 }).map((a) => a.join("")), weight: 3 },
    {
      arbitrary: fc
        .array(fc.oneof(fc.constantFrom(...NASTY_FRAGMENTS), fc.string({ unit: "grapheme", maxLength: 4 })), { maxLength: 8 })
        .map((a) => a.join("")),
      weight: 2,
    },
    { arbitrary: fc.string({ unit: "binary", maxLength }), weight: 2 },
    { arbitrary: fc.string({ unit: "grapheme", maxLength }), weight: 1 },
    { arbitrary: fc.string({ unit: utf16Unit, maxLength }), weight: 2 },
  );
}

/** Sizes of the huge strings: around the 20,000-character hook limit, 64 Ki and 100,000. */
export const HUGE_SIZES = [20_000, 20_001, 65_536, 100_000] as const;

/** A huge string: a hostile fragment repeated to one of `HUGE_SIZES` UTF-16 units. */
export function hugeString(): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.oneof(fc.constantFrom(...NASTY_FRAGMENTS, "x", "7.13.2."), fc.string({ unit: "binary", minLength: 1, maxLength: 3 })),
      fc.constantFrom(...HUGE_SIZES),
    )
    .map(([piece, size]) => piece.repeat(Math.ceil(size / piece.length)).slice(0, size));
}

/** Texts that look like versions and are not, or are only just. */
export const MALFORMED_VERSIONS: readonly string[] = [
  "",
  " ",
  "7",
  "7.",
  ".13",
  "7..13",
  "7.13.",
  "7.13.2.",
  "7.13.2-",
  "7.13.2..1",
  "7.13.2.21000000.1",
  "v7.13.2",
  "V7.13.2",
  "7.13.x",
  "7.13.*",
  "latest",
  "-1.0.0",
  "7.-1.0",
  "99999999999999999999.0.0",
  "7.99999999999999999999.0",
  "1e3",
  "0x7.13",
  "NaN",
  "Infinity",
  "7.13.2 ; Stop-Computer",
  "7.13.2$(Stop-Computer)",
  "7.13.2\n",
  "7.13.2\u0000",
  "\uff17.\uff11\uff13.\uff12",
  "\u0667.\u0661\u0663.\u0662",
  "\u0037\u20e3.13.2",
  "7\u200b.13.2",
  "0000",
  "9999",
  "2312 ",
  "23120",
  "231",
  "6.2.0",
  "8.12.0",
  "2312",
  "7.13.2",
];

/** A malformed (or borderline) version. */
export function malformedVersion(): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...MALFORMED_VERSIONS), weight: 4 },
    {
      arbitrary: fc
        .array(fc.oneof(fc.nat().map(String), fc.constantFrom(...NASTY_FRAGMENTS), fc.constant("")), { minLength: 1, maxLength: 6 })
        .chain((parts) => fc.constantFrom(".", "-", "_", " ").map((sep) => parts.join(sep))),
      weight: 2,
    },
  );
}

/** Values of the wrong type for any field: numbers (NaN, infinities, -0 included), booleans, null, arrays, objects. */
export function wrongType(): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constantFrom(
      null,
      true,
      false,
      0,
      -0,
      -1,
      1.5,
      NaN,
      Infinity,
      -Infinity,
      Number.MAX_SAFE_INTEGER,
      Number.MIN_VALUE,
      [],
      {},
      [""],
      [null],
      { "": "" },
    ),
    fc.integer(),
    fc.double(),
    fc.array(fc.oneof(hostileString(8), fc.integer(), fc.constant(null)), { maxLength: 3 }),
    fc.dictionary(hostileString(8), fc.oneof(hostileString(8), fc.integer(), fc.boolean()), { maxKeys: 3 }),
    fc.jsonValue({ maxDepth: 2 }),
  );
}

/** Any hostile value: a hostile, version-like or (unless `huge` is false) huge string, or a value of the wrong type. */
export function hostileValue(options: { huge?: boolean } = {}): fc.Arbitrary<unknown> {
  const normal = [
    { arbitrary: hostileString() as fc.Arbitrary<unknown>, weight: 4 },
    { arbitrary: malformedVersion() as fc.Arbitrary<unknown>, weight: 2 },
    { arbitrary: wrongType(), weight: 3 },
  ];
  return options.huge === false
    ? fc.oneof(...normal)
    : fc.oneof(...normal, { arbitrary: hugeString() as fc.Arbitrary<unknown>, weight: 1 });
}

/** Names for fields nobody declared: hostile text, near misses of real names and names of Object.prototype members. */
export function unknownFieldName(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(
      "constructor",
      "toString",
      "valueOf",
      "hasOwnProperty",
      "isPrototypeOf",
      "prototype",
      "targetversion",
      "TargetVersion",
      " targetVersion",
      "targetVersion\u0000",
      "targetVersion\u200b",
      "pasword",
      "Password",
      "$(Stop-Computer)",
      "'; Stop-Computer #",
      "",
    ),
    hostileString(24),
  );
}
