/**
 * The `guard` argument of a server resource (issue 19): its availability group and the lease and guard timings. The
 * resource classes add the stack and project (`pulumi.getStack()`, `pulumi.getProject()`) so a lease on a host says
 * which stack holds it; `HorizonPod` fills the group. The whole object is a secret: the group's connections carry
 * credentials.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ConnectionArgs } from "./horizonArgs";

/** A run's coordination with other runs on the same servers (docs/concurrent-runs.md). */
export interface AvailabilityGuardArgs {
  /**
   * The other members of this server's availability group (the pod's other Connection Servers; the pod's other
   * security servers): each is read live right before this server leaves service. `HorizonPod` fills it in.
   * @default none (no guard)
   */
  group?: pulumi.Input<pulumi.Input<{ name: pulumi.Input<string>; connection: pulumi.Input<ConnectionArgs> }>[]>;
  /** Minutes a run lease on the host lives unless released; a crashed run's lease expires after it. @default twice `timeBudgetMinutes`, at least 60 */
  leaseMinutes?: pulumi.Input<number>;
  /** Minutes (host clock) the guard waits for a member to come back into service before it refuses. @default 15 */
  waitMinutes?: pulumi.Input<number>;
  /** Members leased by this same run may be out together (Horizon 2203+ parallel Connection Servers). `HorizonPod` sets it. @default false */
  sameRunMayBeOut?: pulumi.Input<boolean>;
}

/** The `guard` input as the provider receives it: the arguments plus this stack and project, as a secret. */
export function guardInput(args: pulumi.Input<AvailabilityGuardArgs> | undefined): pulumi.Output<unknown> {
  const withRun = pulumi
    .output(args ?? {})
    .apply((g): unknown => ({ ...(g as object), stack: pulumi.getStack(), project: pulumi.getProject() }));
  return pulumi.secret(withRun);
}
