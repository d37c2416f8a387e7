/**
 * Horizon version numbers: parsing the forms people and hosts write, comparing them, and the rules a target version and
 * an upgrade path must follow (docs/sources.md#horizon-versions). Pure functions; nothing here touches a host.
 */
import { type RuleViolation, evaluateUpgradeRules } from "./rules";

/** A Horizon Connection/Security Server version such as 7.13.2 or 8.12.0, with the build number when known. */
export interface HorizonVersion {
  major: number;
  minor: number;
  patch: number;
  /** The build number (the 4th field of `7.13.2.21000000`, or what follows the dash in `7.13.2-21000000`). */
  build?: number;
}

/**
 * Horizon 8 release names (year and month) and the 8.x version each one is (docs/sources.md#horizon-versions). 2203 = 8.5,
 * 2412 = 8.14 and 2506 = 8.16 are inferred from the gaps in the sequence, not read from a source (docs/sources.md#unconfirmed).
 */
const RELEASES: ReadonlyArray<readonly [name: string, minor: number]> = [
  ["2006", 0],
  ["2012", 1],
  ["2103", 2],
  ["2106", 3],
  ["2111", 4],
  ["2203", 5],
  ["2206", 6],
  ["2209", 7],
  ["2212", 8],
  ["2303", 9],
  ["2306", 10],
  ["2309", 11],
  ["2312", 12],
  ["2406", 13],
  ["2412", 14],
  ["2503", 15],
  ["2506", 16],
  ["2512", 17],
];

const MINOR_BY_RELEASE = new Map(RELEASES.map(([name, minor]) => [name, minor]));
const RELEASE_BY_MINOR = new Map(RELEASES.map(([name, minor]) => [minor, name]));

/** The largest major, minor or patch number accepted, so a typo cannot become a huge version. */
const MAX_FIELD = 2 ** 31;

/**
 * The largest build number accepted. Larger than `MAX_FIELD` on purpose: Omnissa build numbers pass 2^31 (docs/sources.md#horizon-silent-install
 * `8.13.0-8565949332`, docs/sources.md#horizon-installed-version `8.17.0.20167542520`), and the installed version of a 2406 or later host must parse.
 */
const MAX_BUILD = Number.MAX_SAFE_INTEGER;

const DOTTED = /^(\d+)\.(\d+)(?:\.(\d+)(?:[.-](\d+))?)?$/;

function toNumber(digits: string | undefined, max: number): number | undefined {
  if (digits === undefined) return undefined;
  const n = Number(digits);
  return Number.isSafeInteger(n) && n <= max ? n : undefined;
}

/**
 * Parses a Horizon version as people and hosts write it, or returns undefined when the text is not one.
 *
 * Accepted (after trimming whitespace): `7.13.2`; `7.13.2.21000000` and `7.13.2-21000000` (the last field is the
 * build); `8.12` (patch 0); and a Horizon 8 release name from 2006 to 2512 (`2312` is 8.12.0). Leading zeros are read
 * numerically. Rejected: anything with letters or signs, more than four fields, a major, minor or patch above 2^31, a
 * build above 2^53 - 1, and a four-digit number that is not a known release name (`2400`).
 */
export function parseHorizonVersion(text: string): HorizonVersion | undefined {
  if (typeof text !== "string") return undefined;
  const trimmed = text.trim();
  if (/^\d{4}$/.test(trimmed)) {
    const minor = MINOR_BY_RELEASE.get(trimmed);
    return minor === undefined ? undefined : { major: 8, minor, patch: 0 };
  }
  const m = DOTTED.exec(trimmed);
  if (!m) return undefined;
  const major = toNumber(m[1], MAX_FIELD);
  const minor = toNumber(m[2], MAX_FIELD);
  const patch = m[3] === undefined ? 0 : toNumber(m[3], MAX_FIELD);
  if (major === undefined || minor === undefined || patch === undefined) return undefined;
  if (m[4] === undefined) return { major, minor, patch };
  const build = toNumber(m[4], MAX_BUILD);
  return build === undefined ? undefined : { major, minor, patch, build };
}

/** Formats a version as `7.13.2`, or `7.13.2.21000000` when the build is known. */
export function formatHorizonVersion(v: HorizonVersion): string {
  const base = `${v.major}.${v.minor}.${v.patch}`;
  return v.build === undefined ? base : `${base}.${v.build}`;
}

/**
 * Orders two versions: negative when `a` is older, 0 when equal, positive when `a` is newer. Builds are compared only
 * when both sides have one, so a target of `7.13.2` equals an installed `7.13.2.21000000`.
 */
export function compareHorizonVersions(a: HorizonVersion, b: HorizonVersion): number {
  const fields: Array<[number, number]> = [
    [a.major, b.major],
    [a.minor, b.minor],
    [a.patch, b.patch],
  ];
  if (a.build !== undefined && b.build !== undefined) fields.push([a.build, b.build]);
  for (const [x, y] of fields) {
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** The Horizon 8 release name of a version (8.12.x is `2312`), or undefined for Horizon 7 and unknown 8.x minors. */
export function releaseNameOf(v: HorizonVersion): string | undefined {
  return v.major === 8 ? RELEASE_BY_MINOR.get(v.minor) : undefined;
}

/** One broken rule: the property at fault, a stable kebab-case code, and a message that says how to fix it. */
export interface VersionViolation {
  property: string;
  code: string;
  message: string;
}

const plain = (v: RuleViolation): VersionViolation => ({ property: v.property, code: v.code, message: v.message });

/**
 * Checks a declared target version on its own, before anything is read from a host: the rows of the upgrade-rule
 * table (./rules.ts) that need only what the program declares. Returns every violation, or an empty list.
 *
 * Codes: `version-malformed` (not a version; nothing else is checked), `version-unsupported` (below 7.0),
 * `security-server-unsupported` (a security server targeting Horizon 8), and
 * `security-server-older-than-connection-server` / `security-server-newer-than-connection-server` (a security server
 * whose target differs from its paired Connection Server's target, when that target is given and parses).
 */
export function evaluateHorizonTarget(args: {
  role: "connection-server" | "security-server";
  target: string;
  pairedConnectionServerTarget?: string;
}): VersionViolation[] {
  return evaluateUpgradeRules(
    { product: "horizon", role: args.role, target: args.target, paired: { target: args.pairedConnectionServerTarget } },
    ["target", "paired-target"],
  ).map(plain);
}

/**
 * Checks that a host running `live` can be upgraded in place to `target`: the rows of the upgrade-rule table
 * (./rules.ts) about the live version. Returns every violation, or an empty list.
 *
 * Codes: `downgrade` (the target is older than what the host runs) and `upgrade-path-unsupported` (Horizon 7 is
 * reached from View 5.3 or Horizon 6.x only; Horizon 8 from Horizon 7 only). Both use the property `targetVersion`.
 */
export function evaluateUpgradePath(live: HorizonVersion, target: HorizonVersion): VersionViolation[] {
  return evaluateUpgradeRules({ product: "horizon", target: formatHorizonVersion(target), live: formatHorizonVersion(live) }, ["live"]).map(
    plain,
  );
}
