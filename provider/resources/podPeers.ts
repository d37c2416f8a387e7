/**
 * The members of a pod as each member's `peers` input (docs/scaling.md): every server's kind and the inputs its own
 * planning read uses, so the first check of the pod reads all of them at once (upgrade/factsCache.ts). Ordering links
 * and the pairing password are left out (reading does not need them); the list is a secret, since it carries the
 * connections.
 */
import * as pulumi from "@pulumi/pulumi";
import type { HorizonPodArgs } from "./horizonPod";

/** The pod's members as `peers`, in upgrade order. */
export function horizonPodPeers(pod: string, args: HorizonPodArgs): pulumi.Output<unknown[]> {
  const peers: pulumi.Input<unknown>[] = [];
  for (const cs of args.connectionServers) {
    const { name: csName, netbiosName, securityServers, targetVersion, ...csArgs } = cs;
    const csTarget = targetVersion ?? args.targetVersion;
    peers.push({ kind: "connection-server", args: { ...csArgs, targetVersion: csTarget, resourceName: `${pod}-${csName}` } });
    for (const ss of securityServers ?? []) {
      const { name: ssName, targetVersion: ssTarget, pairingPassword: _notForReading, ...ssArgs } = ss;
      peers.push({
        kind: "security-server",
        args: {
          ...ssArgs,
          targetVersion: ssTarget ?? args.targetVersion,
          resourceName: `${pod}-${ssName}`,
          connectionServer: { name: netbiosName ?? csName.toUpperCase(), connection: csArgs.connection, targetVersion: csTarget },
        },
      });
    }
  }
  return pulumi.secret(pulumi.output(peers) as pulumi.Output<unknown[]>);
}
