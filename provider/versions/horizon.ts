/**
 * Horizon version numbers: parsing the forms people and hosts write, comparing them, and the rules a target version and
 * an upgrade path must follow (../shared/reference/domain-facts.md §A6). Pure functions; nothing here touches a host.
 */
import { shorten } from "../errors/shorten";

/** A Horizon Connection/Security Server version such as 7.13.2 or 8.12.0, with the build number when known. */
export interface HorizonVersion {
  major: number;
  minor: number;
  patch: number;
  /** The build number (the 4th field of `7.13.2.21000000`, or what follows the dash in `7.13.2-21000000`). */
  build?: number;
}

/**
 * Horizon 8 release names (year and month) and the 8.x version each one is (domain-facts §A6). 2203 = 8.5,
 * 2412 = 8.14 and 2506 = 8.16 are inferred from the gaps in the sequence, not read from a source (§C7).
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
 * The largest build number accepted. Larger than `MAX_FIELD` on purpose: Omnissa build numbers pass 2^31 (§A1
 * `8.13.0-8565949332`, §A5 `8.17.0.20167542520`), and the installed version of a 2406 or later host must parse.
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

const PROPERTY = "targetVersion";

/** The text as written, with the version it stands for when that reads differently (`2312 (8.12.0)`). */
function shown(text: string, v: HorizonVersion): string {
  const trimmed = text.trim();
  const formatted = formatHorizonVersion(v);
  return trimmed === formatted ? trimmed : `${trimmed} (${formatted})`;
}

/**
 * Checks a declared target version on its own, before anything is read from a host. Returns every violation, or an
 * empty list when the target is acceptable.
 *
 * Codes: `version-malformed` (not a version; nothing else is checked), `version-unsupported` (below 7.0),
 * `security-server-unsupported` (a security server targeting Horizon 8), and
 * `security-server-newer-than-connection-server` (a security server targeting a newer version than its paired
 * Connection Server's target, when that target is given and parses).
 */
export function evaluateHorizonTarget(args: {
  role: "connection-server" | "security-server";
  target: string;
  pairedConnectionServerTarget?: string;
}): VersionViolation[] {
  const target = parseHorizonVersion(args.target);
  if (!target) {
    return [
      {
        property: PROPERTY,
        code: "version-malformed",
        message:
          `[${PROPERTY}] ${shorten(JSON.stringify(args.target))} is not a Horizon version: accepted forms are 7.13.2, 7.13.2.21000000, ` +
          `8.12.0, or a release name such as 2312; set ${PROPERTY} to one of these forms.`,
      },
    ];
  }
  const violations: VersionViolation[] = [];
  const received = shown(args.target, target);
  const isSecurityServer = args.role === "security-server";

  if (target.major < 7) {
    const example = isSecurityServer ? "a 7.x version such as 7.13.2" : "a 7.x version such as 7.13.2 or a Horizon 8 release such as 2312";
    violations.push({
      property: PROPERTY,
      code: "version-unsupported",
      message: `[${PROPERTY}] ${received} is older than Horizon 7: this product upgrades servers to Horizon 7 or 8 only; set ${PROPERTY} to ${example}.`,
    });
  }

  if (isSecurityServer && target.major >= 8) {
    // §A6: the 2006 and later install docs list no security server type; the View API marks it deprecated for UAG.
    violations.push({
      property: PROPERTY,
      code: "security-server-unsupported",
      message:
        `[${PROPERTY}] ${received} is a Horizon 8 target for a security server: Horizon 2006 (8.0) and later have no ` +
        `Security Server role; stay on 7.x (e.g. 7.13.2) for this server, or replace it with Unified Access Gateway.`,
    });
  }

  const paired = args.pairedConnectionServerTarget === undefined ? undefined : parseHorizonVersion(args.pairedConnectionServerTarget);
  if (isSecurityServer && paired && compareHorizonVersions(target, paired) < 0) {
    // §A6: an older-version security server cannot pair with a newer Connection Server (a pairing password set on the
    // current Connection Server is invalid for an older security server installer): the versions are paired exactly.
    violations.push({
      property: PROPERTY,
      code: "security-server-older-than-connection-server",
      message:
        `[${PROPERTY}] ${received} is older than the ${shown(args.pairedConnectionServerTarget!, paired)} its paired ` +
        `Connection Server targets: an older security server cannot be paired with a newer Connection Server; set this ` +
        `targetVersion to ${formatHorizonVersion(paired)} (HorizonPod does so when it is left unset).`,
    });
  }
  if (isSecurityServer && paired && compareHorizonVersions(target, paired) > 0) {
    // §A6: an older-version security server cannot pair with a newer Connection Server and a 7.0 SS with an older CS
    // is not supported, so the Connection Server goes first and the security server never ends up ahead of it.
    violations.push({
      property: PROPERTY,
      code: "security-server-newer-than-connection-server",
      message:
        `[${PROPERTY}] ${received} is newer than the ${shown(args.pairedConnectionServerTarget!, paired)} its paired ` +
        `Connection Server targets: a security server cannot be paired with an older Connection Server; raise the ` +
        `Connection Server's targetVersion or lower this one to at most ${formatHorizonVersion(paired)}.`,
    });
  }
  return violations;
}

const withoutBuild = (v: HorizonVersion): string => formatHorizonVersion({ major: v.major, minor: v.minor, patch: v.patch });

/**
 * Checks that a host running `live` can be upgraded in place to `target`. Returns every violation, or an empty list.
 *
 * Codes: `downgrade` (the target is older than what the host runs) and `upgrade-path-unsupported` (Horizon 7 is
 * reached from View 5.3 or Horizon 6.x only; Horizon 8 from Horizon 7 only). Both use the property `targetVersion`.
 */
export function evaluateUpgradePath(live: HorizonVersion, target: HorizonVersion): VersionViolation[] {
  const violations: VersionViolation[] = [];
  const liveText = formatHorizonVersion(live);
  const targetText = formatHorizonVersion(target);

  if (compareHorizonVersions(target, live) < 0) {
    violations.push({
      property: PROPERTY,
      code: "downgrade",
      message:
        `[${PROPERTY}] ${targetText} is older than the ${liveText} the host runs: Horizon servers cannot be downgraded ` +
        `in place; set ${PROPERTY} to ${withoutBuild(live)} or later.`,
    });
  }

  if (target.major === 7 && compareHorizonVersions(live, { major: 5, minor: 3, patch: 0 }) < 0) {
    // §A6: the supported sources are the latest maintenance releases of View 5.3, Horizon 6.0, 6.1 and 6.2. Whether the
    // host has the *latest* maintenance release is not checked here.
    violations.push({
      property: PROPERTY,
      code: "upgrade-path-unsupported",
      message:
        `[${PROPERTY}] ${targetText} cannot be reached from the ${liveText} the host runs: upgrades to Horizon 7 are ` +
        `supported from View 5.3, Horizon 6.0, 6.1 and 6.2; upgrade the host to one of those first.`,
    });
  }

  if (target.major === 8 && live.major < 7) {
    // The minimum 7.x release that upgrades directly to 2006 or a given 2xxx release is unconfirmed (domain-facts §C7),
    // so only "from Horizon 7" is enforced.
    violations.push({
      property: PROPERTY,
      code: "upgrade-path-unsupported",
      message:
        `[${PROPERTY}] ${targetText} cannot be reached from the ${liveText} the host runs: upgrades to Horizon 8 are ` +
        `supported from Horizon 7 only; upgrade the host to Horizon 7 (e.g. 7.13.2) first.`,
    });
  }
  return violations;
}
