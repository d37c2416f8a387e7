/**
 * The dynamic providers of the Horizon resources: one object per resource kind, at module scope, so the SDK serializes
 * each once. Their methods only require the implementation by package name: the serialized code stays a few hundred
 * bytes per resource and, in the provider process, resolves the compiled package from the program's node_modules, as
 * it does for a user who installed vdi-upgrade from npm (docs/architecture.md).
 */
import type * as pulumi from "@pulumi/pulumi";

type Kind = "connection-server" | "security-server";

function makeProvider(kind: Kind): pulumi.dynamic.ResourceProvider {
  return {
    // replsec (issue 19 item 5): secret references resolved in this process, returned as references (secrets/references.ts).
    check: (olds: any, news: any) => require("vdi-upgrade/dist/provider/report/status").decorate(require("vdi-upgrade/dist/provider/secrets/references").checkWithReferences(news, (n: any) => require("vdi-upgrade/dist/provider/resources/horizonProvider").check(kind, olds, n))),
    diff: (id: string, olds: any, news: any) => require("vdi-upgrade/dist/provider/resources/horizonProvider").diff(kind, id, olds, news),
    create: (inputs: any) => require("vdi-upgrade/dist/provider/report/status").decorate(require("vdi-upgrade/dist/provider/secrets/references").createWithReferences(inputs, (i: any) => require("vdi-upgrade/dist/provider/resources/horizonProvider").create(kind, i))),
    update: (id: string, olds: any, news: any) => require("vdi-upgrade/dist/provider/report/status").decorate(require("vdi-upgrade/dist/provider/secrets/references").updateWithReferences(olds, news, (o: any, n: any) => require("vdi-upgrade/dist/provider/resources/horizonProvider").update(kind, id, o, n))),
    read: (id: string, props: any) => require("vdi-upgrade/dist/provider/report/status").decorate(require("vdi-upgrade/dist/provider/secrets/references").readWithReferences(props, (p: any) => require("vdi-upgrade/dist/provider/resources/horizonProvider").read(kind, id, p))),
    delete: (id: string, props: any) => require("vdi-upgrade/dist/provider/resources/horizonProvider").remove(kind, id, props),
  };
}

const providers: Record<Kind, pulumi.dynamic.ResourceProvider> = {
  "connection-server": makeProvider("connection-server"),
  "security-server": makeProvider("security-server"),
};

/** The provider of a pod's readiness gate: its `check` assesses every server of the pod; it changes nothing. */
const podReadiness: pulumi.dynamic.ResourceProvider = {
  // replsec (issue 19 item 5): the gate carries its servers' connections, references included.
  check: (olds: any, news: any) => require("vdi-upgrade/dist/provider/secrets/references").checkWithReferences(news, (n: any) => require("vdi-upgrade/dist/provider/resources/horizonProvider").checkPod(olds, n)),
  diff: async () => ({ changes: false }),
  create: async (inputs: any) => ({ id: `horizon-pod:${inputs.resourceName}`, outs: { resourceName: inputs.resourceName, ready: inputs.ready ?? [] } }),
  update: async (_id: string, _olds: any, news: any) => ({ outs: { resourceName: news.resourceName, ready: news.ready ?? [] } }),
};

/** The provider object of a pod's readiness gate. */
export function podReadinessProvider(): pulumi.dynamic.ResourceProvider {
  return podReadiness;
}

/** The provider object for a kind of Horizon server. */
export function horizonProvider(kind: Kind): pulumi.dynamic.ResourceProvider {
  return providers[kind];
}

/** Output-only properties, seeded as undefined so the SDK exposes them. */
export const horizonOutputs = {
  liveVersion: undefined,
  installedVersion: undefined,
  plan: undefined,
  steps: undefined,
  status: undefined,
  blockedReason: undefined,
  blockedCode: undefined,
  serviceStatus: undefined,
};
