/**
 * The runtime entry (`vdi-upgrade/runtime`): what the provider objects serialized into every resource's state require
 * by package name, so a file moved inside the package never breaks an existing stack. Each method takes the resource
 * kind and dispatches to its spec through the one lifecycle; check, create, update and read return `steps` and `status`
 * derived from the plan (report/status.ts). The old paths (resources/horizonProvider.ts, resources/appvProvider.ts)
 * re-export this module for stacks written before it existed.
 */
import { checkPod } from "../products/horizonSpec";
import { decorate } from "../report/status";
import { checkWithReferences, createWithReferences, readWithReferences, updateWithReferences } from "../secrets/references";
import type { Props, RuntimeKind } from "./descriptor";
import { type CheckFailure, safeFailures } from "./inputSupport";
import * as lifecycle from "./lifecycle";

export type { RuntimeKind };

/** The spec of a server kind (the pod's readiness gate has none: it only checks). */
function specOf(kind: Exclude<RuntimeKind, "pod-readiness">): lifecycle.AnyKindSpec {
  // Required here, not at the top: a process serving only one product loads only its spec.
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded on first use, one product at a time */
  if (kind === "connection-server" || kind === "security-server") return require("../products/horizonSpec").SPECS[kind];
  const appv = require("../products/appvSpec");
  /* eslint-enable @typescript-eslint/no-require-imports */
  return kind === "appv-server" ? appv.APPV_SERVER_SPEC : appv.FARM_SPECS[kind];
}

/** The readiness gate's outputs: its name and the servers found ready. */
function gateOutputs(props: Props): Props {
  return { resourceName: props.resourceName, ready: props.ready ?? [] };
}

/** `check`: validate, then plan from live facts (a pod's gate assesses every server of the pod). */
export function check(kind: RuntimeKind, olds: unknown, news: Props): Promise<{ inputs?: unknown; failures?: CheckFailure[] }> {
  // Secret references ({ fromEnv } / { fromFile }) are resolved in this process and go back to the engine as references.
  const checked = checkWithReferences(news, (n) => (kind === "pod-readiness" ? checkPod(olds, n) : lifecycle.check(specOf(kind), olds, n)));
  // A reference that cannot be resolved is never attached to a property whose printed value would hold a secret either.
  return decorate(checked.then((r) => (r.failures ? { ...r, failures: safeFailures(r.failures, news) } : r)));
}

/** `diff`: a change when there is work, drift or a changed desired state; never a replacement. */
export async function diff(kind: RuntimeKind, id: string, olds: Props, news: Props): Promise<{ changes: boolean }> {
  return kind === "pod-readiness" ? { changes: false } : lifecycle.diff(specOf(kind), id, olds, news);
}

/** `create`: adopt the installation and bring it to the target. */
export function create(kind: RuntimeKind, inputs: Props): Promise<{ id: string; outs: Props }> {
  if (kind === "pod-readiness") return decorate({ id: `horizon-pod:${inputs.resourceName}`, outs: gateOutputs(inputs) });
  return decorate(createWithReferences(inputs, (i) => lifecycle.create(specOf(kind), i)));
}

/** `update`: run the procedure again from live facts. */
export function update(kind: RuntimeKind, id: string, olds: Props, news: Props): Promise<{ outs: Props }> {
  if (kind === "pod-readiness") return decorate({ outs: gateOutputs(news) });
  return decorate(updateWithReferences(olds, news, (o, n) => lifecycle.update(specOf(kind), id, o, n)));
}

/** `read` (refresh): the live facts, and the inputs with a fresh plan. The gate keeps what it has. */
export function read(kind: RuntimeKind, id: string, props: Props): Promise<{ id: string; props: Props; inputs?: Props }> {
  if (kind === "pod-readiness") return decorate({ id, props });
  return decorate(readWithReferences(props, (p) => lifecycle.read(specOf(kind), id, p)));
}

/** `delete`: stop managing. Nothing is uninstalled. */
export async function remove(kind: RuntimeKind, id: string, props: Props): Promise<void> {
  if (kind !== "pod-readiness") await lifecycle.remove(specOf(kind), id, props);
}

/**
 * The methods of an older entry module whose kinds were named differently (`server` for `appv-server`), forwarding to
 * this one: the compatibility modules at the paths older states require are made of it.
 */
export function forwarding<K extends string>(kindOf: (kind: K) => RuntimeKind) {
  return {
    check: (kind: K, olds: unknown, news: Props) => check(kindOf(kind), olds, news),
    diff: (kind: K, id: string, olds: Props, news: Props) => diff(kindOf(kind), id, olds, news),
    create: (kind: K, inputs: Props) => create(kindOf(kind), inputs),
    update: (kind: K, id: string, olds: Props, news: Props) => update(kindOf(kind), id, olds, news),
    read: (kind: K, id: string, props: Props) => read(kindOf(kind), id, props),
    remove: (kind: K, id: string, props: Props) => remove(kindOf(kind), id, props),
  };
}
