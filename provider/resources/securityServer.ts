import * as pulumi from "@pulumi/pulumi";
import type { PlanStep, ServerStatus } from "../report/status";
import { guardInput } from "./guardArgs";
import type { SecurityServerArgs } from "./horizonArgs";
import { horizonOutputs, horizonProvider } from "./horizonProviders";

/**
 * A Horizon 7 Security Server, upgraded after the Connection Server it is paired with (000_af3e1762bc73176d.txt):
 * only once that server runs at least the target (read live), with a fresh pairing password set on it, the IPsec
 * rules removed first when IPsec is in use ("Prepare for Upgrade or Reinstallation", 001_73f601550f54b971.txt), the
 * installer given the pairing password on the host, the Security Server service and version checked, and the stale
 * entry a re-pairing leaves in the pod's list removed.
 */
export class SecurityServer extends pulumi.dynamic.Resource {
  /** The version the host ran when last read (preview, up or refresh). */
  declare readonly liveVersion: pulumi.Output<string | undefined>;
  /** The version verified on the host when the last `up` finished: pass it to order other servers after this one. */
  declare readonly installedVersion: pulumi.Output<string>;
  /** The steps `up` will take, in order, as preview shows them; empty once the server runs the target. */
  declare readonly plan: pulumi.Output<string[]>;
  /** The plan as objects `{ step, host, detail }`, for pipelines. */
  declare readonly steps: pulumi.Output<PlanStep[]>;
  /** ready, waiting (for a predecessor), blocked (with a stable `code`) or done: what a pipeline gates on. */
  declare readonly status: pulumi.Output<ServerStatus>;
  /** Why `up` cannot run the plan now, if it cannot. */
  declare readonly blockedReason: pulumi.Output<string | undefined>;
  /**
   * The stable code of that reason (e.g. `waiting-for-connection-server`, `installer-hash-mismatch`), for a pipeline
   * to gate on; docs/horizon.md lists them.
   */
  declare readonly blockedCode: pulumi.Output<string | undefined>;
  /** Status of the Security Server service when last read. */
  declare readonly serviceStatus: pulumi.Output<string | undefined>;
  /** The declared target, normalised. */
  declare readonly targetVersion: pulumi.Output<string>;
  /**
   * This server's pairing as last read: its IPsec state from the pair's connection security rules ("active" while one
   * remains on either host, "none", "unknown"), those rules, the global IPsec setting beside them, and the pod's
   * entries for it.
   */
  declare readonly pairingState: pulumi.Output<{ ipsec: string; ipsecRules: string[]; useIpsec?: boolean; entries: string[] } | undefined>;

  constructor(name: string, args: SecurityServerArgs, opts?: pulumi.CustomResourceOptions) {
    // Only the credentials are made secret: wrapping the whole pairing object would make it unknown in preview
    // (its `upgraded` link is), and the plan could not read the paired Connection Server.
    const pairing = { ...args.connectionServer, connection: pulumi.secret(args.connectionServer.connection) };
    super(
      horizonProvider("security-server"),
      name,
      {
        ...args,
        connection: pulumi.secret(args.connection),
        connectionServer: pairing,
        pairingPassword: pulumi.secret(args.pairingPassword),
        // Issue 19 (run lease, availability guard), with this stack and project.
        guard: guardInput(args.guard),
        resourceName: name,
        ...horizonOutputs,
        pairingState: undefined,
      },
      { ...opts, additionalSecretOutputs: ["connection", "connectionServer", "pairingPassword", "guard", ...(opts?.additionalSecretOutputs ?? [])] },
      "horizon",
      "SecurityServer",
    );
  }
}
