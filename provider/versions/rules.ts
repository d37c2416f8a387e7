/**
 * Upgrade-path rules as data: one row per rule, one evaluator. Validation (`check`), the planners and `read` (refresh)
 * all judge a target and an upgrade path here, so a rule is written once and its stable code reaches the check
 * failure, the plan's `blocked.code` and the `blockedCode` output alike.
 *
 * Adding a rule is one row in `UPGRADE_RULES` and one row in the table of tests/versions/rules.spec.ts
 * (docs/architecture.md, "Add an upgrade-path rule"). Every vendor document a row cites is listed in docs/sources.md.
 * Pure functions; nothing here touches a host.
 */
import { shorten } from "../errors/shorten";
import { compareAppVVersions, formatAppVVersion, parseAppVVersion } from "./appv";
import { compareHorizonVersions, formatHorizonVersion, parseHorizonVersion } from "./horizon";

/** The products whose upgrade paths the table governs. */
export type Product = "horizon" | "appv";

/** A vendor document (or a file of this repository) that states a rule. */
export interface RuleSource {
  title: string;
  /** A public URL, or a path in this repository. */
  url: string;
  /** True when no vendor text states the rule exactly and the row keeps a documented default (docs/sources.md). */
  unconfirmed?: boolean;
}

/**
 * Target versions a row applies to, as written by people (`7.0`, `4.5`, `2006`); every bound given must hold.
 * `atLeast` is inclusive, `below` exclusive; `notOneOf` holds when the target is none of the listed releases.
 */
export interface TargetRange {
  atLeast?: string;
  below?: string;
  notOneOf?: readonly string[];
}

/**
 * What else must be true for the rule to be broken, besides the target being in range:
 * - `target`: nothing else (the target alone breaks it);
 * - `target-malformed`: the target does not parse (then no other row is judged);
 * - `live-below`: the host runs a version below `version` (the minimum live version);
 * - `live-newer`: the host runs a newer version than the target (`release`: `same` when only the service pack or patch
 *   is newer, `other` for an older major.minor, `any` for both);
 * - `paired-target`: this target is `older`/`newer` than, or `different` from, the target of the server it must
 *   match (a security server's Connection Server, a farm member's farm);
 * - `paired-live`: this target is `older` than the version that server runs now.
 */
export type RuleCondition =
  | { kind: "target" }
  | { kind: "target-malformed" }
  | { kind: "live-below"; version: string }
  | { kind: "live-newer"; release: "same" | "other" | "any" }
  | { kind: "paired-target"; target: "older" | "newer" | "different" }
  | { kind: "paired-live"; target: "older" };

/** Which facts a condition needs: the evaluator judges a row only when its caller supplies them. */
export type RuleNeed = "target" | "paired-target" | "live" | "paired-live";

/** What a message can say: every version already formatted for people. */
export interface RuleContext {
  /** The property at fault, `targetVersion` or `servers[1].targetVersion`. */
  property: string;
  /** The target as written (`2312 (8.12.0)` when it reads differently), shortened. */
  received: string;
  /** The target, formatted (`8.12.0`, `4.5 SP2`). */
  target: string;
  role?: string;
  /** The live version, formatted with its build where the product shows one. */
  live?: string;
  /** The live version without its build (Horizon), or as `live` (App-V). */
  liveBase?: string;
  /** The paired target as written, and formatted. */
  pairedReceived?: string;
  paired?: string;
  /** The paired server's live version as read. */
  pairedLive?: string;
  /** The server the property belongs to (`b` in `servers[1]`), and the paired server's name. */
  subject?: string;
  pairedName?: string;
}

/** One upgrade-path rule. */
export interface UpgradeRule {
  /** Unique name of the row; tests/versions/rules.spec.ts has one test row per id. */
  id: string;
  product: Product;
  /** Roles the rule applies to; every role when omitted. */
  roles?: readonly string[];
  /** Target versions the rule applies to; every target when omitted. */
  target?: TargetRange;
  when: RuleCondition;
  /** Stable kebab-case code: check failures end with `[code]`, plans carry it as `blocked.code`, outputs as `blockedCode`. */
  code: string;
  /** The message with the fix, starting with `[property]`. */
  message: (c: RuleContext) => string;
  source: RuleSource;
}

/** One broken rule: the property at fault, the rule's code, its message, and the row that was broken. */
export interface RuleViolation {
  property: string;
  code: string;
  message: string;
  rule: UpgradeRule;
}

const HORIZON_UPGRADE_PATHS: RuleSource = {
  title: "VMware Horizon 7 Upgrades (7.2): supported upgrade paths to Horizon 7",
  url: "https://docs.vmware.com/de/VMware-Horizon-7/7.2/com.vmware.horizon-view.upgrade.doc/GUID-E9BB81A4-1054-4BBB-A43B-CB60A6EF909E.html",
};
const HORIZON_PAIRING: RuleSource = {
  title: "VMware Horizon 7 Installation (7.13): an older security server cannot be paired with a newer Connection Server",
  url: "https://docs.vmware.com/en/VMware-Horizon-7/7.13/horizon-installation/GUID-4EBF39D8-FBA8-4F13-82B6-E400286E203A.html",
};
const HORIZON_NO_SECURITY_SERVER: RuleSource = {
  title: "VMware Horizon 2006 Installation: Connection Server installation types (standard, replica, enrollment; no security server)",
  url: "https://docs.vmware.com/en/VMware-Horizon/2006/horizon-installation/GUID-5F4A0BDE-4C61-43D6-8A88-524CE93224BF.html",
};
const HORIZON_8_OVERVIEW: RuleSource = {
  title: "VMware Horizon 2006 Upgrades: overview of upgrading Horizon (minimum 7.x source not stated)",
  url: "https://docs.vmware.com/en/VMware-Horizon/2006/horizon-upgrades/GUID-CE9531F4-6E70-494B-BE42-EF4666719F24.html",
  unconfirmed: true,
};
const HORIZON_NO_DOWNGRADE: RuleSource = {
  title: "VMware Horizon 2111 Upgrades: upgrade constraints (no downgrade below 7.2 once upgraded; back up first)",
  url: "https://docs.vmware.com/en/VMware-Horizon/2111/horizon-upgrades/GUID-916EEE7C-C284-4D0B-9B03-0DA7A7662CF0.html",
};
const APPV_UPGRADE: RuleSource = {
  title: "How to Upgrade the Servers and System Components (Microsoft App-V 4.5)",
  url: "https://learn.microsoft.com/en-us/microsoft-desktop-optimization-pack/appv-v4/how-to-upgrade-the-servers-and-system-components",
};
const PACKAGE_SCOPE: RuleSource = { title: "This package's scope: Horizon 7 and 8, App-V 4.1 to 4.5 SP2", url: "README.md" };

const SS = "security-server";

/** The server releases an App-V 4.x farm can be brought to, oldest first (re-exported by ./appv). */
export const APPV_TARGETS: readonly string[] = ["4.1", "4.1 SP1", "4.5", "4.5 SP1", "4.5 SP2"];

/**
 * The upgrade-path rules, one row each, judged in this order. A row with `when.kind` `target-malformed` stops the
 * evaluation when it fires (nothing else can be judged of a target that does not parse).
 */
export const UPGRADE_RULES: readonly UpgradeRule[] = [
  {
    id: "horizon-target-malformed",
    product: "horizon",
    when: { kind: "target-malformed" },
    code: "version-malformed",
    message: (c) =>
      `[${c.property}] ${c.received} is not a Horizon version: accepted forms are 7.13.2, 7.13.2.21000000, ` +
      `8.12.0, or a release name such as 2312; set ${c.property} to one of these forms.`,
    source: PACKAGE_SCOPE,
  },
  {
    id: "horizon-target-before-7",
    product: "horizon",
    target: { below: "7.0" },
    when: { kind: "target" },
    code: "version-unsupported",
    message: (c) =>
      `[${c.property}] ${c.received} is older than Horizon 7: this product upgrades servers to Horizon 7 or 8 only; set ${c.property} to ` +
      (c.role === SS ? "a 7.x version such as 7.13.2." : "a 7.x version such as 7.13.2 or a Horizon 8 release such as 2312."),
    source: PACKAGE_SCOPE,
  },
  {
    id: "horizon-security-server-on-8",
    product: "horizon",
    roles: [SS],
    target: { atLeast: "8.0" },
    when: { kind: "target" },
    code: "security-server-unsupported",
    message: (c) =>
      `[${c.property}] ${c.received} is a Horizon 8 target for a security server: Horizon 2006 (8.0) and later have no ` +
      `Security Server role; stay on 7.x (e.g. 7.13.2) for this server, or replace it with Unified Access Gateway.`,
    source: HORIZON_NO_SECURITY_SERVER,
  },
  {
    id: "horizon-security-server-behind-connection-server-target",
    product: "horizon",
    roles: [SS],
    when: { kind: "paired-target", target: "older" },
    code: "security-server-older-than-connection-server",
    message: (c) =>
      `[${c.property}] ${c.received} is older than the ${c.pairedReceived} its paired Connection Server targets: an older ` +
      `security server cannot be paired with a newer Connection Server; set this targetVersion to ${c.paired} ` +
      `(HorizonPod does so when it is left unset).`,
    source: HORIZON_PAIRING,
  },
  {
    id: "horizon-security-server-ahead-of-connection-server-target",
    product: "horizon",
    roles: [SS],
    when: { kind: "paired-target", target: "newer" },
    code: "security-server-newer-than-connection-server",
    message: (c) =>
      `[${c.property}] ${c.received} is newer than the ${c.pairedReceived} its paired Connection Server targets: a security ` +
      `server cannot be paired with an older Connection Server; raise the Connection Server's targetVersion or lower this ` +
      `one to at most ${c.paired}.`,
    source: HORIZON_PAIRING,
  },
  {
    id: "horizon-downgrade",
    product: "horizon",
    when: { kind: "live-newer", release: "any" },
    code: "downgrade",
    message: (c) =>
      `[${c.property}] ${c.target} is older than the ${c.live} the host runs: Horizon servers cannot be downgraded in place; ` +
      `set ${c.property} to ${c.liveBase} or later.`,
    source: HORIZON_NO_DOWNGRADE,
  },
  {
    id: "horizon-7-from-before-5.3",
    product: "horizon",
    target: { atLeast: "7.0", below: "8.0" },
    when: { kind: "live-below", version: "5.3" },
    code: "upgrade-path-unsupported",
    // Whether the host runs the *latest* maintenance release of its 5.3 or 6.x line is not checked.
    message: (c) =>
      `[${c.property}] ${c.target} cannot be reached from the ${c.live} the host runs: upgrades to Horizon 7 are ` +
      `supported from View 5.3, Horizon 6.0, 6.1 and 6.2; upgrade the host to one of those first.`,
    source: HORIZON_UPGRADE_PATHS,
  },
  {
    id: "horizon-8-from-before-7",
    product: "horizon",
    target: { atLeast: "8.0", below: "9.0" },
    when: { kind: "live-below", version: "7.0" },
    code: "upgrade-path-unsupported",
    // The minimum 7.x release that upgrades directly to a given Horizon 8 release is not documented: only "from
    // Horizon 7" is enforced (docs/sources.md#unconfirmed).
    message: (c) =>
      `[${c.property}] ${c.target} cannot be reached from the ${c.live} the host runs: upgrades to Horizon 8 are ` +
      `supported from Horizon 7 only; upgrade the host to Horizon 7 (e.g. 7.13.2) first.`,
    source: HORIZON_8_OVERVIEW,
  },
  {
    id: "horizon-security-server-behind-connection-server-live",
    product: "horizon",
    roles: [SS],
    when: { kind: "paired-live", target: "older" },
    code: "connection-server-version-differs",
    message: (c) =>
      `[${c.property}] ${c.target} is older than the ${c.pairedLive} its paired Connection Server ${c.pairedName ?? ""}`.trimEnd() +
      ` runs: a security server pairs only with a Connection Server of its own version; set ${c.property} to ${c.pairedLive}.`,
    source: HORIZON_PAIRING,
  },
  {
    id: "appv-target-malformed",
    product: "appv",
    when: { kind: "target-malformed" },
    code: "version-malformed",
    message: (c) =>
      `[${c.property}] ${c.received} is not an App-V version: accepted forms are 4.5, 4.5 SP2 (or "4.5 sp 2") ` +
      `and 4.5.2.17140; set ${c.property} to one of ${APPV_TARGETS.join(", ")}.`,
    source: PACKAGE_SCOPE,
  },
  {
    id: "appv-target-not-a-release",
    product: "appv",
    target: { notOneOf: APPV_TARGETS },
    when: { kind: "target" },
    code: "version-unsupported",
    message: (c) =>
      `[${c.property}] ${c.received} is not an App-V 4.x server release this package upgrades to: set ${c.property} to ` +
      `one of ${APPV_TARGETS.join(", ")}.`,
    source: PACKAGE_SCOPE,
  },
  {
    id: "appv-farm-member-differs",
    product: "appv",
    when: { kind: "paired-target", target: "different" },
    code: "farm-versions-differ",
    message: (c) =>
      `[${c.property}] ${c.subject} targets ${c.received} but the farm targets ${c.pairedReceived}: all servers sharing ` +
      `one App-V database must run the same version; remove the server's targetVersion or set it to ${c.pairedReceived}.`,
    source: APPV_UPGRADE,
  },
  {
    id: "appv-service-pack-downgrade",
    product: "appv",
    when: { kind: "live-newer", release: "same" },
    code: "service-pack-downgrade",
    message: (c) =>
      `[${c.property}] ${c.target} is an older service pack than the ${c.live} the server runs: service packs only go ` +
      `upward; set ${c.property} to ${c.live} or later.`,
    source: APPV_UPGRADE,
  },
  {
    id: "appv-downgrade",
    product: "appv",
    when: { kind: "live-newer", release: "other" },
    code: "downgrade",
    message: (c) =>
      `[${c.property}] ${c.target} is older than the ${c.live} the server runs: App-V servers cannot be downgraded ` +
      `in place; set ${c.property} to ${c.live} or later.`,
    source: APPV_UPGRADE,
  },
  {
    id: "appv-4.5-from-before-4.1",
    product: "appv",
    target: { atLeast: "4.5" },
    when: { kind: "live-below", version: "4.1" },
    code: "upgrade-path-unsupported",
    message: (c) =>
      `[${c.property}] ${c.target} cannot be reached from ${c.live}: App-V ${c.live} must first be upgraded to 4.1 or 4.1 SP1.`,
    source: APPV_UPGRADE,
  },
];

/** The facts a rule is judged on. Versions are given as text, as declared or as read from a host. */
export interface RuleFacts {
  product: Product;
  role?: string;
  target: string;
  /** @default "targetVersion" */
  property?: string;
  /** The version the host runs. Rows about the live version are skipped without it. */
  live?: string;
  /** The server this one must match: its declared target and the version it runs. */
  paired?: { target?: string; live?: string; name?: string };
  /** The name of the server the property belongs to. */
  subject?: string;
}

interface Scheme<V> {
  parse(text: string): V | undefined;
  compare(a: V, b: V): number;
  /** Formatted for a message. */
  format(v: V): string;
  /** Formatted without the build, for "set it to ... or later". */
  base(v: V): string;
  /** The target as written, for a message. */
  received(text: string, v: V | undefined): string;
  sameRelease(a: V, b: V): boolean;
}

const horizonScheme: Scheme<NonNullable<ReturnType<typeof parseHorizonVersion>>> = {
  parse: parseHorizonVersion,
  compare: compareHorizonVersions,
  format: formatHorizonVersion,
  base: (v) => formatHorizonVersion({ major: v.major, minor: v.minor, patch: v.patch }),
  received: (text, v) => {
    if (!v) return shorten(JSON.stringify(text));
    const trimmed = text.trim();
    const formatted = formatHorizonVersion(v);
    return trimmed === formatted ? trimmed : `${trimmed} (${formatted})`;
  },
  sameRelease: (a, b) => a.major === b.major && a.minor === b.minor && a.patch === b.patch,
};

const appvScheme: Scheme<NonNullable<ReturnType<typeof parseAppVVersion>>> = {
  parse: parseAppVVersion,
  compare: compareAppVVersions,
  format: formatAppVVersion,
  base: formatAppVVersion,
  received: (text, v) => (v ? shorten(text.trim()) : shorten(JSON.stringify(text))),
  sameRelease: (a, b) => a.major === b.major && a.minor === b.minor,
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each product's scheme parses its own version type
const SCHEMES: Record<Product, Scheme<any>> = { horizon: horizonScheme, appv: appvScheme };

/** The facts a condition needs. */
export function needOf(when: RuleCondition): RuleNeed {
  switch (when.kind) {
    case "target":
    case "target-malformed":
      return "target";
    case "live-below":
    case "live-newer":
      return "live";
    case "paired-target":
      return "paired-target";
    case "paired-live":
      return "paired-live";
  }
}

function inRange<V>(s: Scheme<V>, target: V, range: TargetRange | undefined): boolean {
  if (!range) return true;
  const bound = (text: string): V => {
    const v = s.parse(text);
    if (!v) throw new Error(`upgrade rule table: ${JSON.stringify(text)} is not a version`);
    return v;
  };
  if (range.atLeast !== undefined && s.compare(target, bound(range.atLeast)) < 0) return false;
  if (range.below !== undefined && s.compare(target, bound(range.below)) >= 0) return false;
  if (range.notOneOf !== undefined && range.notOneOf.some((r) => s.format(bound(r)) === s.format(target))) return false;
  return true;
}

/** Whether `a` relates to `b` as asked; `undefined` when either side is missing. */
function relation(c: number, wanted: "older" | "newer" | "different"): boolean {
  return wanted === "older" ? c < 0 : wanted === "newer" ? c > 0 : c !== 0;
}

/**
 * The one evaluator: every rule of `facts.product` that the facts break, in table order. `needs` limits the rows to
 * those whose condition uses only the given facts (`["target", "paired-target"]` at validation, before any host is
 * read; `["live"]` once the host's version is known); rows whose facts are missing or do not parse are skipped.
 */
export function evaluateUpgradeRules(
  facts: RuleFacts,
  needs?: readonly RuleNeed[],
  rules: readonly UpgradeRule[] = UPGRADE_RULES,
): RuleViolation[] {
  const s = SCHEMES[facts.product];
  const property = facts.property ?? "targetVersion";
  const target = typeof facts.target === "string" ? s.parse(facts.target) : undefined;
  const live = facts.live !== undefined ? s.parse(facts.live) : undefined;
  const pairedTarget = facts.paired?.target !== undefined ? s.parse(facts.paired.target) : undefined;
  const pairedLive = facts.paired?.live !== undefined ? s.parse(facts.paired.live) : undefined;
  const context: RuleContext = {
    property,
    received: s.received(String(facts.target), target),
    target: target ? s.format(target) : String(facts.target),
    role: facts.role,
    live: live ? s.format(live) : undefined,
    liveBase: live ? s.base(live) : undefined,
    pairedReceived: pairedTarget ? s.received(facts.paired!.target!, pairedTarget) : undefined,
    paired: pairedTarget ? s.format(pairedTarget) : undefined,
    pairedLive: pairedLive ? facts.paired!.live : undefined,
    subject: facts.subject === undefined ? undefined : shorten(facts.subject),
    pairedName: facts.paired?.name,
  };
  const out: RuleViolation[] = [];
  for (const rule of rules) {
    if (rule.product !== facts.product) continue;
    if (needs && !needs.includes(needOf(rule.when))) continue;
    if (rule.roles && (facts.role === undefined || !rule.roles.includes(facts.role))) continue;
    if (rule.when.kind === "target-malformed") {
      if (target) continue;
      out.push({ property, code: rule.code, message: rule.message(context), rule });
      return out;
    }
    if (!target || !inRange(s, target, rule.target)) continue;
    if (!broken(s, rule.when, target, live, pairedTarget, pairedLive)) continue;
    out.push({ property, code: rule.code, message: rule.message(context), rule });
  }
  return out;
}

function broken<V>(
  s: Scheme<V>,
  when: RuleCondition,
  target: V,
  live: V | undefined,
  pairedTarget: V | undefined,
  pairedLive: V | undefined,
): boolean {
  switch (when.kind) {
    case "target":
      return true;
    case "target-malformed":
      return false;
    case "live-below": {
      const min = s.parse(when.version);
      if (!min) throw new Error(`upgrade rule table: ${JSON.stringify(when.version)} is not a version`);
      return live !== undefined && s.compare(live, min) < 0;
    }
    case "live-newer": {
      if (live === undefined || s.compare(target, live) >= 0) return false;
      if (when.release === "any") return true;
      return s.sameRelease(target, live) === (when.release === "same");
    }
    case "paired-target":
      return pairedTarget !== undefined && relation(s.compare(target, pairedTarget), when.target);
    case "paired-live":
      return pairedLive !== undefined && relation(s.compare(target, pairedLive), when.target);
  }
}

/** A check failure that keeps the rule's code: the message, the optional context (`host SS2`), then `[code]`. */
export interface RuleCheckFailure {
  property: string;
  reason: string;
  code: string;
}

/** Turns a violation into a check failure. The reason ends with the code in brackets, as every rule failure does. */
export function ruleFailure(v: { property: string; code: string; message: string }, context?: string): RuleCheckFailure {
  return { property: v.property, code: v.code, reason: `${v.message}${context ? ` (${context})` : ""} [${v.code}]` };
}

/** A plan's refusal from a violation: its code, and the message with the host. */
export function ruleBlock(v: RuleViolation, host: string): { code: string; reason: string } {
  return { code: v.code, reason: `${v.message.replace(/\.$/, "")} (host ${host})` };
}
