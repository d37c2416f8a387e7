import * as pulumi from "@pulumi/pulumi";
import { ConnectionServer } from "./connectionServer";
import { ConnectionServerArgs, SecurityServerArgs } from "./horizonArgs";
import { horizonPodPeers } from "./podPeers";
import { SecurityServer } from "./securityServer";

/** A security server of the pod: its arguments without the pairing, which the pod fills in. */
export interface HorizonPodSecurityServer extends Omit<SecurityServerArgs, "connectionServer" | "upgradeAfter" | "targetVersion"> {
    /** Resource name (the child is named `<pod>-<name>`). */
    name: string;
    /** @default the pod's targetVersion */
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

    constructor(name: string, args: HorizonPodArgs, opts?: pulumi.ComponentResourceOptions) {
        super("vdi-upgrade:horizon:HorizonPod", name, {}, opts);
        if (!args.connectionServers?.length) {
            throw new Error(`[connectionServers] HorizonPod ${name} needs at least one Connection Server (received none)`);
        }
        const peers = horizonPodPeers(name, args);
        let previous: pulumi.Output<string> | undefined;
        let firstConnectionServer: pulumi.Output<string> | undefined;
        for (const [index, entry] of args.connectionServers.entries()) {
            const { name: csName, netbiosName, securityServers, targetVersion, ...csArgs } = entry;
            const csTarget = targetVersion ?? args.targetVersion;
            const after = args.parallelConnectionServers && index > 0 ? firstConnectionServer : previous;
            const parallel = !!args.parallelConnectionServers && index > 0;
            const cs = new ConnectionServer(
                `${name}-${csName}`,
                { ...csArgs, targetVersion: csTarget, upgradeAfter: after ? [after] : undefined, checkReplication: parallel || csArgs.checkReplication, peers },
                { parent: this },
            );
            this.connectionServers.push(cs);
            firstConnectionServer ??= cs.installedVersion;
            // In parallel mode the security server chain still runs one server at a time across the pod.
            let chain: pulumi.Output<string> = args.parallelConnectionServers && previous ? pulumi.all([previous, cs.installedVersion]).apply(([, v]) => v) : cs.installedVersion;
            for (const ssEntry of securityServers ?? []) {
                const { name: ssName, targetVersion: ssTarget, ...ssArgs } = ssEntry;
                const ss = new SecurityServer(
                    `${name}-${ssName}`,
                    {
                        ...ssArgs,
                        targetVersion: ssTarget ?? args.targetVersion,
                        connectionServer: {
                            name: netbiosName ?? csName.toUpperCase(),
                            connection: csArgs.connection,
                            targetVersion: csTarget,
                            upgraded: cs.installedVersion,
                        },
                        upgradeAfter: [chain],
                        peers,
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
