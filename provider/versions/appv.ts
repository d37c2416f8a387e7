/**
 * Microsoft App-V 4.x server version numbers: parsing the forms people and hosts write ("4.5 SP2", "4.5.2.17140"),
 * comparing them, and the rules a target and an upgrade path must follow ("How to Upgrade the Servers and System Components";
 * docs/sources.md#appv-upgrade-and-database). Pure functions; nothing here touches a host.
 *
 * Service packs sit in the third field of a dotted version (4.1 SP1 = 4.1.1.x, 4.5 SP2 = 4.5.2.x): only the 4.5 RTM
 * build (4.5.0.1485) is sourced (docs/sources.md#appv-services-and-paths); the lab uses that convention for the rest (lab/README.md).
 */
import { type RuleViolation, evaluateUpgradeRules } from "./rules";

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

export { APPV_TARGETS } from "./rules";

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

const plain = (v: RuleViolation): AppVViolation => ({ property: v.property, code: v.code, message: v.message });

/**
 * Checks a declared target on its own (the rows of ./rules.ts that need only the target). Codes: `version-malformed`
 * (not a version), `version-unsupported` (not a server release this package upgrades to: 4.1, 4.1 SP1, 4.5, 4.5 SP1 or
 * 4.5 SP2).
 */
export function evaluateAppVTarget(target: string, property = PROPERTY): AppVViolation[] {
  return evaluateUpgradeRules({ product: "appv", target, property }, ["target"]).map(plain);
}

/**
 * Checks that a server running `live` can be upgraded in place to `target` (the rows of ./rules.ts about the live
 * version). Codes: `service-pack-downgrade` (same release, lower service pack), `downgrade` (an older release),
 * `upgrade-path-unsupported` (4.5 is reached from 4.1 or 4.1 SP1 only).
 */
export function evaluateAppVUpgradePath(live: AppVVersion, target: AppVVersion, property = PROPERTY): AppVViolation[] {
  return evaluateUpgradeRules({ product: "appv", target: normaliseAppVVersion(target), live: normaliseAppVVersion(live), property }, [
    "live",
  ]).map(plain);
}

/**
 * Checks that every server of a farm targets the same version (they share one database, whose schema the first
 * server upgrades). `servers[i].targetVersion` is server i's target as declared; unparseable ones are left to
 * `evaluateAppVTarget`. Code: `farm-versions-differ`, one per server that differs from the farm's target.
 */
export function evaluateFarmTargets(farmTarget: string, servers: readonly { name: string; targetVersion?: string }[]): AppVViolation[] {
  return servers.flatMap((s, i) =>
    s.targetVersion === undefined
      ? []
      : evaluateUpgradeRules(
          {
            product: "appv",
            target: s.targetVersion,
            property: `servers[${i}].targetVersion`,
            subject: s.name,
            paired: { target: farmTarget },
          },
          ["paired-target"],
        ).map(plain),
  );
}
