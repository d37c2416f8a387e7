import * as pulumi from "@pulumi/pulumi";
import { type ResourceDescriptor, outputSeeds, secretOutputs } from "../lifecycle/descriptor";
import type { PlanStep, ServerStatus } from "../report/status";
import { providerOf } from "./providers";

/**
 * A resource whose provider plans from live facts: its kind's provider object, its declared outputs seeded, its secret
 * inputs in `additionalSecretOutputs`, all from the kind's descriptor (lifecycle/descriptor.ts).
 */
export abstract class PlannedResource extends pulumi.dynamic.Resource {
  /** The steps `up` will take, in order, as preview shows them; empty once there is nothing to do. */
  declare readonly plan: pulumi.Output<string[]>;
  /** The plan as objects `{ step, host, detail }`, for pipelines. */
  declare readonly steps: pulumi.Output<PlanStep[]>;
  /** ready, waiting (for a predecessor), blocked (with a stable `code`) or done: what a pipeline gates on. */
  declare readonly status: pulumi.Output<ServerStatus>;
  /** Why `up` cannot run the plan now, if it cannot. */
  declare readonly blockedReason: pulumi.Output<string | undefined>;
  /**
   * The stable code of the blocked reason (e.g. `waiting-for-connection-server`, `upgrade-path-unsupported`,
   * `service-pack-downgrade`), for a pipeline to gate on; docs/horizon.md and docs/appv.md list them.
   */
  declare readonly blockedCode: pulumi.Output<string | undefined>;

  protected constructor(descriptor: ResourceDescriptor, name: string, props: Record<string, unknown>, opts?: pulumi.CustomResourceOptions) {
    super(
      providerOf(descriptor.kind),
      name,
      { ...props, resourceName: name, ...outputSeeds(descriptor) },
      { ...opts, additionalSecretOutputs: secretOutputs(descriptor, opts?.additionalSecretOutputs) },
      descriptor.type[0],
      descriptor.type[1],
    );
  }
}

/** A server brought to `targetVersion`: what every server resource reports. */
export abstract class UpgradedServer extends PlannedResource {
  /** The version the host ran when last read (preview, up or refresh). */
  declare readonly liveVersion: pulumi.Output<string | undefined>;
  /** The version verified on the host when the last `up` finished: pass it to order other servers after this one. */
  declare readonly installedVersion: pulumi.Output<string>;
  /** Status of the server's service when last read. */
  declare readonly serviceStatus: pulumi.Output<string | undefined>;
  /** The declared target, normalised. */
  declare readonly targetVersion: pulumi.Output<string>;
}
