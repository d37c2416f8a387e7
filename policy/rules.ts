/**
 * The guard rails as pure rules over the resources of one preview: each takes the resources (type, URN, inputs) and
 * its config and returns violations. `index.ts` wraps them into a Pulumi policy pack; the tests also run them on the
 * `pulumi preview --json` of the demo. Messages name the resource, the property, the value and the fix; they never
 * print a connection or a password.
 */

/** A resource as a policy sees it. */
export interface PolicyResource {
  readonly type: string;
  readonly urn: string;
  readonly name: string;
  readonly props: Record<string, unknown>;
}

/** One rule broken by one resource (or by the stack, when `urn` is absent). */
export interface Violation {
  readonly urn?: string;
  readonly message: string;
}

/** Config of every rule; each field is optional and documented with its default. */
export interface PolicyConfig {
  /** Approved target versions per product; a product left out is not restricted. @default {} */
  readonly approvedVersions?: { readonly horizon?: readonly string[]; readonly appv?: readonly string[] };
  /** Stack names treated as production (exact, case-insensitive). @default ["prod", "production"] */
  readonly productionStacks?: readonly string[];
  /** Most servers one run may upgrade (servers whose plan is not empty). @default 50 */
  readonly maxServersPerRun?: number;
}

export const DEFAULT_PRODUCTION_STACKS = ["prod", "production"];
export const DEFAULT_MAX_SERVERS_PER_RUN = 50;

const HORIZON_SERVERS = ["pulumi-nodejs:dynamic/horizon:ConnectionServer", "pulumi-nodejs:dynamic/horizon:SecurityServer"];
const APPV_SERVERS = ["pulumi-nodejs:dynamic/appv:AppVServer"];
const APPV_FARM_STEPS = ["pulumi-nodejs:dynamic/appv:AppVFarmPreparation", "pulumi-nodejs:dynamic/appv:AppVFarmCompletion"];
/** Resources that take a server out of service (and so need a window in production). */
const CHANGING = [...HORIZON_SERVERS, ...APPV_SERVERS, "pulumi-nodejs:dynamic/appv:AppVFarmPreparation"];

const productOf = (type: string): "horizon" | "appv" | undefined =>
  HORIZON_SERVERS.includes(type) ? "horizon" : APPV_SERVERS.includes(type) || APPV_FARM_STEPS.includes(type) ? "appv" : undefined;

const str = (v: unknown): string | undefined => (typeof v === "string" && v.length > 0 ? v : undefined);
const label = (r: PolicyResource): string => `[${str(r.props.resourceName) ?? r.name}]`;

/** The stack a URN belongs to: `urn:pulumi:<stack>::<project>::...`. */
export function stackOfUrn(urn: string): string {
  return urn.replace(/^urn:pulumi:/, "").split("::")[0];
}

function isProduction(resources: readonly PolicyResource[], config: PolicyConfig): boolean {
  const names = (config.productionStacks ?? DEFAULT_PRODUCTION_STACKS).map((s) => s.toLowerCase());
  const stack = resources[0] ? stackOfUrn(resources[0].urn).toLowerCase() : "";
  return names.includes(stack);
}

/** Every server's target is on the approved list of its product. */
export function approvedTargetVersions(resources: readonly PolicyResource[], config: PolicyConfig): Violation[] {
  const out: Violation[] = [];
  for (const r of resources) {
    const product = productOf(r.type);
    const approved = product ? config.approvedVersions?.[product] : undefined;
    const target = str(r.props.targetVersion);
    if (!approved || !target || approved.includes(target)) continue;
    out.push({
      urn: r.urn,
      message:
        `${label(r)} [targetVersion] "${target}" is not an approved ${product === "horizon" ? "Horizon" : "App-V"} version ` +
        `(approved: ${approved.length > 0 ? approved.join(", ") : "none"}). Fix: set targetVersion to an approved version, or add ` +
        `"${target}" to approvedVersions.${product} in the policy config once it has been reviewed.`,
    });
  }
  return out;
}

/** In a production stack, every resource that takes a server out of service declares a maintenance window. */
export function productionMaintenanceWindow(resources: readonly PolicyResource[], config: PolicyConfig): Violation[] {
  if (!isProduction(resources, config)) return [];
  return resources
    .filter((r) => CHANGING.includes(r.type) && (r.props.maintenanceWindow === undefined || r.props.maintenanceWindow === null))
    .map((r) => ({
      urn: r.urn,
      message:
        `${label(r)} [maintenanceWindow] is not declared, and stack "${stackOfUrn(r.urn)}" is production. Fix: declare ` +
        `maintenanceWindow (e.g. { days: ["Sat"], from: "22:00", to: "04:00", utcOffset: "+01:00" }) on the pod, farm or server.`,
    }));
}

/** In a production stack, no App-V farm skips its database backup. */
export function noBackupWaiverInProduction(resources: readonly PolicyResource[], config: PolicyConfig): Violation[] {
  if (!isProduction(resources, config)) return [];
  const out: Violation[] = [];
  for (const r of resources) {
    const backup = r.props.backup as { waive?: unknown } | undefined;
    const farm = r.props.farm as { backupWaived?: unknown } | undefined;
    const waived =
      (r.type === "pulumi-nodejs:dynamic/appv:AppVFarmPreparation" && backup && backup.waive) ||
      (APPV_SERVERS.includes(r.type) && farm && farm.backupWaived);
    if (!waived) continue;
    out.push({
      urn: r.urn,
      message:
        `${label(r)} [backup.waive] the configuration database backup is waived in production stack "${stackOfUrn(r.urn)}". ` +
        `Fix: remove backup.waive so a full, verified backup is taken before the schema upgrade.`,
    });
  }
  return out;
}

/** One run upgrades at most `maxServersPerRun` servers (those whose plan has steps). */
export function maxServersPerRun(resources: readonly PolicyResource[], config: PolicyConfig): Violation[] {
  const limit = config.maxServersPerRun ?? DEFAULT_MAX_SERVERS_PER_RUN;
  const changing = resources.filter(
    (r) => (HORIZON_SERVERS.includes(r.type) || APPV_SERVERS.includes(r.type)) && Array.isArray(r.props.plan) && r.props.plan.length > 0,
  );
  if (changing.length <= limit) return [];
  return [
    {
      message:
        `[maxServersPerRun] this run would upgrade ${changing.length} servers; the limit is ${limit}. Fix: split the estate into ` +
        `stacks (one per site or pod) or raise maxServersPerRun in the policy config.`,
    },
  ];
}

/** A security server's target equals its Connection Server's (a security server pairs only with its own version). */
export function securityServerPairsExactly(resources: readonly PolicyResource[]): Violation[] {
  const out: Violation[] = [];
  for (const r of resources) {
    if (r.type !== "pulumi-nodejs:dynamic/horizon:SecurityServer") continue;
    const own = str(r.props.targetVersion);
    const cs = r.props.connectionServer as { name?: unknown; targetVersion?: unknown } | undefined;
    const theirs = str(cs?.targetVersion);
    if (!own || !theirs || own === theirs) continue;
    out.push({
      urn: r.urn,
      message:
        `${label(r)} [targetVersion] "${own}" differs from its Connection Server ${str(cs?.name) ?? ""} target "${theirs}"; a ` +
        `security server pairs only with a Connection Server of its own version. Fix: give both the same targetVersion ` +
        `(HorizonPod does this for you).`,
    });
  }
  return out;
}

/** Every rule by its policy name. */
export const RULES: Record<string, { description: string; check: (r: readonly PolicyResource[], c: PolicyConfig) => Violation[] }> = {
  "approved-target-versions": {
    description: "Every server's targetVersion is on the approved list of its product.",
    check: approvedTargetVersions,
  },
  "production-maintenance-window": { description: "Production stacks declare a maintenance window.", check: productionMaintenanceWindow },
  "no-backup-waiver-in-production": {
    description: "Production stacks never waive the App-V database backup.",
    check: noBackupWaiverInProduction,
  },
  "max-servers-per-run": { description: "One run upgrades at most maxServersPerRun servers.", check: maxServersPerRun },
  "security-server-pairs-exactly": {
    description: "A security server's target equals its Connection Server's.",
    check: securityServerPairsExactly,
  },
};

/** Resources of a `pulumi preview --json` document, as the policies see them. */
export function resourcesOfPreview(preview: unknown): PolicyResource[] {
  const steps = (preview as { steps?: { urn?: string; newState?: { type?: string; inputs?: Record<string, unknown> } }[] })?.steps ?? [];
  return steps
    .filter((s) => s.urn && s.newState?.type)
    .map((s) => ({ type: s.newState!.type!, urn: s.urn!, name: s.urn!.split("::").pop()!, props: s.newState!.inputs ?? {} }));
}
