import * as pulumi from "@pulumi/pulumi";
import { SECURITY_SERVER } from "../products/horizonInputs";
import { guardInput } from "./guardArgs";
import type { SecurityServerArgs } from "./horizonArgs";
import { UpgradedServer } from "./planned";

/**
 * A Horizon 7 Security Server, upgraded after the Connection Server it is paired with (VMware, "Upgrade View Security
 * Servers"; docs/sources.md): only once that server runs at least the target (read live), with a fresh pairing
 * password set on it, the IPsec rules removed first when IPsec is in use ("Prepare for Upgrade or Reinstallation"),
 * the installer given the pairing password on the host, the Security Server service and version checked, and the
 * stale entry a re-pairing leaves in the pod's list removed.
 */
export class SecurityServer extends UpgradedServer {
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
      SECURITY_SERVER,
      name,
      {
        ...args,
        connection: pulumi.secret(args.connection),
        connectionServer: pairing,
        pairingPassword: pulumi.secret(args.pairingPassword),
        // The run lease and availability guard (docs/concurrent-runs.md), with this stack and project.
        guard: guardInput(args.guard),
      },
      opts,
    );
  }
}
