import * as pulumi from "@pulumi/pulumi";
import { outputSeeds, secretOutputs } from "../lifecycle/descriptor";
import { POD_READINESS } from "../products/horizonInputs";
import { providerOf } from "./providers";

/** One server the gate assesses: its kind and its inputs (without ordering links and without the pairing password). */
export interface PodReadinessMember {
  kind: "connection-server" | "security-server";
  inputs: pulumi.Input<Record<string, unknown>>;
}

/**
 * The readiness gate of a `HorizonPod`: a resource that changes nothing, whose `check` reads every server of the pod
 * and fails, naming each one, when an operator must act (installer missing or not the target, not an administrator,
 * a host unreachable, ...). Every server of the pod is ordered after it, so `up` touches no server of a pod that is not
 * ready, and `preview` names every blocked server at once.
 */
export class HorizonPodReadiness extends pulumi.dynamic.Resource {
  /** The servers found ready when last checked. */
  declare readonly ready: pulumi.Output<string[]>;

  constructor(name: string, members: PodReadinessMember[], opts?: pulumi.CustomResourceOptions) {
    super(
      providerOf(POD_READINESS.kind),
      name,
      // Connections are credentials: the whole list is a secret.
      { resourceName: name, servers: pulumi.secret(members), ...outputSeeds(POD_READINESS) },
      { ...opts, additionalSecretOutputs: secretOutputs(POD_READINESS, opts?.additionalSecretOutputs) },
      POD_READINESS.type[0],
      POD_READINESS.type[1],
    );
  }
}
