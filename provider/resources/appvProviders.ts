/**
 * The dynamic providers of the App-V resources: one object per resource kind, at module scope, so the SDK serializes
 * each once. Their methods only require the implementation by package name, so the serialized code stays a few hundred
 * bytes per resource and, in the provider process, resolves the compiled package from the program's node_modules
 * (as horizonProviders.ts does).
 */
import type * as pulumi from "@pulumi/pulumi";

type Kind = "server" | "farm-preparation" | "farm-completion";

function makeProvider(kind: Kind): pulumi.dynamic.ResourceProvider {
  return {
    // replsec (issue 19 item 5): secret references resolved in this process, returned as references (secrets/references.ts).
    check: (olds: any, news: any) => require("vdi-upgrade/dist/provider/report/status").decorate(require("vdi-upgrade/dist/provider/secrets/references").checkWithReferences(news, (n: any) => require("vdi-upgrade/dist/provider/resources/appvProvider").check(kind, olds, n))),
    diff: (id: string, olds: any, news: any) => require("vdi-upgrade/dist/provider/resources/appvProvider").diff(kind, id, olds, news),
    create: (inputs: any) => require("vdi-upgrade/dist/provider/report/status").decorate(require("vdi-upgrade/dist/provider/secrets/references").createWithReferences(inputs, (i: any) => require("vdi-upgrade/dist/provider/resources/appvProvider").create(kind, i))),
    update: (id: string, olds: any, news: any) => require("vdi-upgrade/dist/provider/report/status").decorate(require("vdi-upgrade/dist/provider/secrets/references").updateWithReferences(olds, news, (o: any, n: any) => require("vdi-upgrade/dist/provider/resources/appvProvider").update(kind, id, o, n))),
    read: (id: string, props: any) => require("vdi-upgrade/dist/provider/report/status").decorate(require("vdi-upgrade/dist/provider/secrets/references").readWithReferences(props, (p: any) => require("vdi-upgrade/dist/provider/resources/appvProvider").read(kind, id, p))),
    delete: (id: string, props: any) => require("vdi-upgrade/dist/provider/resources/appvProvider").remove(kind, id, props),
  };
}

const providers: Record<Kind, pulumi.dynamic.ResourceProvider> = {
  server: makeProvider("server"),
  "farm-preparation": makeProvider("farm-preparation"),
  "farm-completion": makeProvider("farm-completion"),
};

/** The provider object for a kind of App-V resource. */
export function appvProvider(kind: Kind): pulumi.dynamic.ResourceProvider {
  return providers[kind];
}

/** Output-only properties of `AppVServer`, seeded as undefined so the SDK exposes them. */
export const appvServerOutputs = {
  liveVersion: undefined,
  installedVersion: undefined,
  plan: undefined,
  steps: undefined,
  status: undefined,
  blockedReason: undefined,
  serviceStatus: undefined,
};

/** Output-only properties of the farm-level resources. */
export const appvFarmOutputs = {
  liveVersions: undefined,
  plan: undefined,
  steps: undefined,
  status: undefined,
  blockedReason: undefined,
  schemaVersion: undefined,
  backupPath: undefined,
  backupVerified: undefined,
  stoppedServers: undefined,
  ready: undefined,
  serviceStatuses: undefined,
};
