/**
 * The dynamic provider objects of every resource kind: one per kind, at module scope, so the SDK serializes each once.
 * Each method only requires the runtime entry by package name (`vdi-upgrade/runtime`): the serialized code stays a few
 * hundred bytes per resource and, in the provider process, resolves the compiled package from the program's
 * node_modules, as it does for a user who installed vdi-upgrade from npm (docs/architecture.md).
 */
import type * as pulumi from "@pulumi/pulumi";
import type { RuntimeKind } from "../lifecycle/descriptor";

function makeProvider(kind: RuntimeKind): pulumi.dynamic.ResourceProvider {
  return {
    check: (olds: any, news: any) => require("vdi-upgrade/runtime").check(kind, olds, news),
    diff: (id: string, olds: any, news: any) => require("vdi-upgrade/runtime").diff(kind, id, olds, news),
    create: (inputs: any) => require("vdi-upgrade/runtime").create(kind, inputs),
    update: (id: string, olds: any, news: any) => require("vdi-upgrade/runtime").update(kind, id, olds, news),
    read: (id: string, props: any) => require("vdi-upgrade/runtime").read(kind, id, props),
    delete: (id: string, props: any) => require("vdi-upgrade/runtime").remove(kind, id, props),
  };
}

const providers: Record<RuntimeKind, pulumi.dynamic.ResourceProvider> = {
  "connection-server": makeProvider("connection-server"),
  "security-server": makeProvider("security-server"),
  "pod-readiness": makeProvider("pod-readiness"),
  "appv-server": makeProvider("appv-server"),
  "farm-preparation": makeProvider("farm-preparation"),
  "farm-completion": makeProvider("farm-completion"),
};

/** The provider object of a kind of resource. */
export function providerOf(kind: RuntimeKind): pulumi.dynamic.ResourceProvider {
  return providers[kind];
}
