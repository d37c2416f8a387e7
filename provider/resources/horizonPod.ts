import * as pulumi from "@pulumi/pulumi";
import { ConnectionServer } from "./connectionServer";
import { ConfigurationBackupArgs, ConnectionServerArgs, SecurityServerArgs } from "./horizonArgs";
import { HorizonPodReadiness, type PodReadinessMember } from "./horizonPodReadiness";
import { SecurityServer } from "./securityServer";

/** A security server of the pod: its arguments without the pairing, which the pod fills in. */
export interface HorizonPodSecurityServer extends Omit<SecurityServerArgs, "connectionServer" | "upgradeAfter" | "targetVersion"> {
  /** Resource name (the child is named `<pod>-<name>`). */
  name: string;
  /**
   * @default its Connection Server's target. A security server pairs only with a Connection Server of exactly its
   * version, so another value fails preview.
   */
  targetVersion?: pulumi.Input<string>;
}

/** A Connection Server of the pod and the security servers paired with it. */
export interface HorizonPodConnectionServer extends Omit<ConnectionServerArgs, "upgradeAfter" | "targetVersion"> {
  /** Resource name (the child is named `<pod>-<name>`). */
  name: string;
  /** Its NetBIOS name in the pod, as the Security Servers list and vdmadmin know it. @default `name` upper-cased */
  netbiosName?: pulumi.Input<string>;
  /** @default the pod's targetVersion */
  targetVersion?: pulumi.Input<string>;
  securityServers?: HorizonPodSecurityServer[];
}

export interface HorizonPodArgs {
  /** The version every server targets unless it sets its own. */
  targetVersion: pulumi.Input<string>;
  /** In upgrade order: the first is upgraded first. */
  connectionServers: HorizonPodConnectionServer[];
  /**
   * Horizon 2203 and later: once the first Connection Server is done, upgrade the others at the same time (the
   * installer refuses while LDAP replication has errors, and each checks replication first). Security servers still go
   * one at a time, each after its own Connection Server. @default false (one pair at a time, the documented
   * zero-downtime order)
   */
  parallelConnectionServers?: boolean;
  /**
   * Whether the pod belongs to a Cloud Pod Architecture federation, for the replication read of a parallel upgrade:
   * then `repadmin /showrepl localhost:22389` (the global instance) is read besides `localhost:389`. "detect" reads
   * whether the global instance's service (`overrides.cloudPodServiceName`, default `ADAM_VMwareVDMDSG`, a name the
   * vendor sources do not confirm) is present on each Connection Server. @default "detect"
   */
  cloudPodFederation?: "detect" | boolean;
  /**
   * The backup of the pod's View LDAP configuration (vdmexport) taken on the first Connection Server before its
   * installer. @default taken, to `C:\ProgramData\vdi-upgrade\<pod>-<cs>-before-<target>.LDF`; waive it only with a reason
   */
  configurationBackup?: pulumi.Input<ConfigurationBackupArgs>;
}

/**
 * In a parallel upgrade every Connection Server, the first included, reads LDAP replication
 * (389, and 22389 in a Cloud Pod federation) in preview, at the readiness gate and at its preflight.
 */
function replicationArgs(
  args: HorizonPodArgs,
  cs: Pick<ConnectionServerArgs, "checkReplication" | "cloudPodFederation">,
): Pick<ConnectionServerArgs, "checkReplication" | "cloudPodFederation" | "parallelUpgrade"> {
  const parallel = !!args.parallelConnectionServers;
  return {
    checkReplication: parallel || cs.checkReplication,
    ...(parallel ? { parallelUpgrade: true } : {}),
    ...(args.cloudPodFederation !== undefined || cs.cloudPodFederation !== undefined
      ? { cloudPodFederation: cs.cloudPodFederation ?? args.cloudPodFederation }
      : {}),
  };
}

/**
 * A Horizon pod upgraded in the documented zero-downtime order, one pair at a time: the first Connection Server, the
 * security servers paired with it (one at a time: removing a security server's IPsec rules takes it out of service
 * until it is upgraded), the next Connection Server, and so on. Order comes from passing each server's
 * `installedVersion` into the next one, so each reads its live facts only once the previous one is done.
 */
export class HorizonPod extends pulumi.ComponentResource {
  readonly connectionServers: ConnectionServer[] = [];
  readonly securityServers: SecurityServer[] = [];
  /** The gate every server of the pod is ordered after: its `check` assesses the whole pod first. */
  readonly readiness: HorizonPodReadiness;

  constructor(name: string, args: HorizonPodArgs, opts?: pulumi.ComponentResourceOptions) {
    super("vdi-upgrade:horizon:HorizonPod", name, {}, opts);
    if (!args.connectionServers?.length) {
      throw new Error(`[connectionServers] HorizonPod ${name} needs at least one Connection Server (received none)`);
    }
    // Every server's inputs first, for the readiness gate: it assesses the whole pod before any server is touched.
    const members: PodReadinessMember[] = [];
    // The vendor's preparation, once per replicated group, before the first Connection Server (VMware Horizon 7 Upgrades, "Preparing View Connection Server for an Upgrade"; docs/sources.md).
    const backup = args.configurationBackup ?? {};
    for (const entry of args.connectionServers) {
      const { name: csName, netbiosName, securityServers, targetVersion, ...csArgs } = entry;
      const csTarget = targetVersion ?? args.targetVersion;
      members.push({
        kind: "connection-server",
        inputs: { ...csArgs, ...replicationArgs(args, csArgs), targetVersion: csTarget, resourceName: `${name}-${csName}` } as Record<
          string,
          unknown
        >,
      });
      if (members.length === 1) (members[0].inputs as Record<string, unknown>).configurationBackup = backup;
      for (const ssEntry of securityServers ?? []) {
        const { name: ssName, targetVersion: ssTarget, pairingPassword: _secret, ...ssArgs } = ssEntry;
        members.push({
          kind: "security-server",
          inputs: {
            ...ssArgs,
            targetVersion: ssTarget ?? csTarget,
            connectionServer: { name: netbiosName ?? csName.toUpperCase(), connection: csArgs.connection, targetVersion: csTarget },
            resourceName: `${name}-${ssName}`,
          } as Record<string, unknown>,
        });
      }
    }
    this.readiness = new HorizonPodReadiness(`${name}-readiness`, members, { parent: this });
    const gate = this.readiness.ready.apply((r) => (r ?? []).join(","));

    // Each server's availability group, read live by the guard before it leaves service: the pod's other
    // Connection Servers, or the pod's other security servers.
    const csGroup = args.connectionServers.map((c) => ({ name: c.name, connection: c.connection }));
    const ssGroup = args.connectionServers.flatMap((c) =>
      (c.securityServers ?? []).map((s) => ({ name: s.name, connection: s.connection })),
    );
    const others = (group: typeof csGroup, self: string) => group.filter((m) => m.name !== self);

    let previous: pulumi.Output<string> | undefined;
    let firstConnectionServer: pulumi.Output<string> | undefined;
    for (const [index, entry] of args.connectionServers.entries()) {
      const { name: csName, netbiosName, securityServers, targetVersion, ...csArgs } = entry;
      const csTarget = targetVersion ?? args.targetVersion;
      const after = args.parallelConnectionServers && index > 0 ? firstConnectionServer : previous;
      const cs = new ConnectionServer(
        `${name}-${csName}`,
        {
          ...csArgs,
          targetVersion: csTarget,
          upgradeAfter: [after ?? gate],
          ...replicationArgs(args, csArgs),
          configurationBackup: index === 0 ? backup : csArgs.configurationBackup,
          guard: {
            ...(csArgs.guard as object),
            group: others(csGroup, csName),
            sameRunMayBeOut: !!args.parallelConnectionServers && index > 0,
          },
        },
        { parent: this },
      );
      this.connectionServers.push(cs);
      firstConnectionServer ??= cs.installedVersion;
      // In parallel mode the security server chain still runs one server at a time across the pod.
      let chain: pulumi.Output<string> =
        args.parallelConnectionServers && previous ? pulumi.all([previous, cs.installedVersion]).apply(([, v]) => v) : cs.installedVersion;
      for (const ssEntry of securityServers ?? []) {
        const { name: ssName, targetVersion: ssTarget, ...ssArgs } = ssEntry;
        const ss = new SecurityServer(
          `${name}-${ssName}`,
          {
            ...ssArgs,
            // A security server pairs only with a Connection Server of its own version (VMware Horizon 7 Upgrades, "Upgrade View Security Servers"; docs/sources.md).
            targetVersion: ssTarget ?? csTarget,
            connectionServer: {
              name: netbiosName ?? csName.toUpperCase(),
              connection: csArgs.connection,
              targetVersion: csTarget,
              upgraded: cs.installedVersion,
            },
            upgradeAfter: [chain],
            guard: { ...(ssArgs.guard as object), group: others(ssGroup, ssName) },
          },
          { parent: this },
        );
        this.securityServers.push(ss);
        chain = ss.installedVersion;
      }
      previous = chain;
    }
    this.registerOutputs({});
  }
}
