/**
 * Microsoft App-V 4.x server version numbers: parsing the forms people and hosts write ("4.5 SP2", "4.5.2.17140"),
 * comparing them, and the rules a target and an upgrade path must follow (002_d640911b67db555d.txt; domain-facts
 * §B3). Pure functions; nothing here touches a host.
 *
 * Service packs sit in the third field of a dotted version (4.1 SP1 = 4.1.1.x, 4.5 SP2 = 4.5.2.x): only the 4.5 RTM
 * build (4.5.0.1485) is sourced (§B2); the lab uses that convention for the rest (lab/README.md).
 */
import { shorten } from "../errors/shorten";

/** An App-V version: major.minor, the service pack (0 for RTM) and the build when known. */
export interface AppVVersion {
  major: number;
  minor: number;
  servicePack: number;
  /** The fourth field of `4.5.2.17140`. */
  build?: number;
}

/** One broken rule: the property at fault, a stable kebab-case code, and a message that says how to fix it. */
export interface AppVViolation {
  property: string;
  code: string;
  message: string;
}

/** The server releases an App-V 4.x farm can be brought to, oldest first. */
export const APPV_TARGETS: readonly string[] = ["4.1", "4.1 SP1", "4.5", "4.5 SP1", "4.5 SP2"];

const MAX_FIELD = 2 ** 31;
const DOTTED = /^(\d+)\.(\d+)(?:\.(\d+)(?:\.(\d+))?)?$/;
const NAMED = /^(\d+)\.(\d+)(?:\s*(?:(rtm)|sp\s*(\d+)))?$/i;

function num(digits: string | undefined): number | undefined {
  if (digits === undefined) return undefined;
  const n = Number(digits);
  return Number.isSafeInteger(n) && n <= MAX_FIELD ? n : undefined;
}

/**
 * Parses an App-V version, or returns undefined when the text is not one.
 *
 * Accepted (case-insensitive, after trimming): `4.1`, `4.5 RTM`, `4.1 SP1`, `4.5 SP2`, `4.5 sp 2`, `4.5SP2`, and
 * dotted `4.5.2` or `4.5.2.17140` (the third field is the service pack, the fourth the build).
 */
export function parseAppVVersion(text: string): AppVVersion | undefined {
  if (typeof text !== "string") return undefined;
  const trimmed = text.trim();
  const d = DOTTED.exec(trimmed);
  if (d) {
    const [major, minor, sp] = [num(d[1]), num(d[2]), d[3] === undefined ? 0 : num(d[3])];
    if (major === undefined || minor === undefined || sp === undefined) return undefined;
    if (d[4] === undefined) return { major, minor, servicePack: sp };
    const build = num(d[4]);
    return build === undefined ? undefined : { major, minor, servicePack: sp, build };
  }
  const n = NAMED.exec(trimmed);
  if (!n) return undefined;
  const [major, minor, sp] = [num(n[1]), num(n[2]), n[4] === undefined ? 0 : num(n[4])];
  if (major === undefined || minor === undefined || sp === undefined || (n[4] !== undefined && sp === 0)) return undefined;
  return { major, minor, servicePack: sp };
}

/** The display form: `4.5`, `4.1 SP1`, `4.5 SP2` (the build left out). */
export function formatAppVVersion(v: AppVVersion): string {
  return `${v.major}.${v.minor}${v.servicePack > 0 ? ` SP${v.servicePack}` : ""}`;
}

/**
 * The normalised form of a declared target: the display form (`4.5 SP2`), or the dotted form when a build is given
 * (`4.5.2.17140`), so the build is still checked.
 */
export function normaliseAppVVersion(v: AppVVersion): string {
  return v.build === undefined ? formatAppVVersion(v) : `${v.major}.${v.minor}.${v.servicePack}.${v.build}`;
}

/** Orders two versions; builds are compared only when both sides have one (`4.5 SP2` equals `4.5.2.17140`). */
export function compareAppVVersions(a: AppVVersion, b: AppVVersion): number {
  const fields: Array<[number, number]> = [
    [a.major, b.major],
    [a.minor, b.minor],
    [a.servicePack, b.servicePack],
  ];
  if (a.build !== undefined && b.build !== undefined) fields.push([a.build, b.build]);
  for (const [x, y] of fields) if (x !== y) return x < y ? -1 : 1;
  return 0;
}

const PROPERTY = "targetVersion";

/**
 * Checks a declared target on its own. Codes: `version-malformed` (not a version), `version-unsupported` (not a
 * server release this package upgrades to: 4.1, 4.1 SP1, 4.5, 4.5 SP1 or 4.5 SP2).
 */
export function evaluateAppVTarget(target: string, property = PROPERTY): AppVViolation[] {
  const v = parseAppVVersion(target);
  if (!v) {
    return [
      {
        property,
        code: "version-malformed",
        message:
          `[${property}] ${shorten(JSON.stringify(target))} is not an App-V version: accepted forms are 4.5, 4.5 SP2 (or "4.5 sp 2") ` +
          `and 4.5.2.17140; set ${property} to one of ${APPV_TARGETS.join(", ")}.`,
      },
    ];
  }
  if (!APPV_TARGETS.includes(formatAppVVersion(v))) {
    return [
      {
        property,
        code: "version-unsupported",
        message:
          `[${property}] ${shorten(target.trim())} is not an App-V 4.x server release this package upgrades to: set ${property} to ` +
          `one of ${APPV_TARGETS.join(", ")}.`,
      },
    ];
  }
  return [];
}

/**
 * Checks that a server running `live` can be upgraded in place to `target`. Codes: `service-pack-downgrade` (same
 * release, lower service pack), `downgrade` (an older release), `upgrade-path-unsupported` (4.5 is reached from 4.1 or
 * 4.1 SP1 only: 002_d640911b67db555d.txt).
 */
export function evaluateAppVUpgradePath(live: AppVVersion, target: AppVVersion, property = PROPERTY): AppVViolation[] {
  const liveText = formatAppVVersion(live);
  const targetText = formatAppVVersion(target);
  const out: AppVViolation[] = [];
  if (compareAppVVersions(target, live) < 0) {
    const sameRelease = target.major === live.major && target.minor === live.minor;
    out.push({
      property,
      code: sameRelease ? "service-pack-downgrade" : "downgrade",
      message: sameRelease
        ? `[${property}] ${targetText} is an older service pack than the ${liveText} the server runs: service packs only go ` +
          `upward; set ${property} to ${liveText} or later.`
        : `[${property}] ${targetText} is older than the ${liveText} the server runs: App-V servers cannot be downgraded ` +
          `in place; set ${property} to ${liveText} or later.`,
    });
  }
  const fourFive: AppVVersion = { major: 4, minor: 5, servicePack: 0 };
  const fourOne: AppVVersion = { major: 4, minor: 1, servicePack: 0 };
  if (compareAppVVersions(target, fourFive) >= 0 && compareAppVVersions(live, fourOne) < 0) {
    // Seed 002: "App-V 4.0 and earlier must be uninstalled or upgraded to 4.1 or 4.1 SP1 before upgrading to App-V 4.5."
    out.push({
      property,
      code: "upgrade-path-unsupported",
      message:
        `[${property}] ${targetText} cannot be reached from ${liveText}: App-V ${liveText} must first be upgraded to 4.1 ` +
        `or 4.1 SP1.`,
    });
  }
  return out;
}

/**
 * Checks that every server of a farm targets the same version (they share one database, whose schema the first
 * server upgrades). `targets[i]` is server i's target as declared; unparseable ones are left to `evaluateAppVTarget`.
 * Code: `farm-versions-differ`, one per server that differs from the farm's target.
 */
export function evaluateFarmTargets(farmTarget: string, servers: readonly { name: string; targetVersion?: string }[]): AppVViolation[] {
  const farm = parseAppVVersion(farmTarget);
  if (!farm) return [];
  const out: AppVViolation[] = [];
  servers.forEach((s, i) => {
    if (s.targetVersion === undefined) return;
    const v = parseAppVVersion(s.targetVersion);
    if (!v || compareAppVVersions(v, farm) === 0) return;
    const property = `servers[${i}].targetVersion`;
    out.push({
      property,
      code: "farm-versions-differ",
      message:
        `[${property}] ${shorten(s.name)} targets ${shorten(s.targetVersion.trim())} but the farm targets ${shorten(farmTarget.trim())}: all servers sharing ` +
        `one App-V database must run the same version; remove the server's targetVersion or set it to ${shorten(farmTarget.trim())}.`,
    });
  });
  return out;
}
