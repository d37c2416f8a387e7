// The vdi-upgrade policy pack: `pulumi preview --policy-pack policy [--policy-pack-config config.json]`.
// Each policy is a pure rule of rules.ts over the stack's resources; this file only wraps them.
import { PolicyPack, type StackValidationPolicy } from "@pulumi/policy";
import { type PolicyConfig, RULES } from "./rules";

const configSchema = {
  properties: {
    approvedVersions: {
      type: "object",
      properties: { horizon: { type: "array", items: { type: "string" } }, appv: { type: "array", items: { type: "string" } } },
    },
    productionStacks: { type: "array", items: { type: "string" } },
    maxServersPerRun: { type: "integer", minimum: 1 },
  },
} as const;

const policies: StackValidationPolicy[] = Object.entries(RULES).map(([name, rule]) => ({
  name,
  description: rule.description,
  enforcementLevel: "mandatory",
  configSchema: configSchema as StackValidationPolicy["configSchema"],
  validateStack: (args, reportViolation) => {
    const config = args.getConfig<PolicyConfig>();
    const resources = args.resources.map((r) => ({ type: r.type, urn: r.urn, name: r.name, props: r.props as Record<string, unknown> }));
    for (const v of rule.check(resources, config)) reportViolation(v.message, v.urn);
  },
}));

new PolicyPack("vdi-upgrade", { policies });
