import * as pulumi from "@pulumi/pulumi";
import { APPV_SERVER } from "../products/appvInputs";
import type { AppVServerArgs } from "./appvArgs";
import { guardInput } from "./guardArgs";
import { UpgradedServer } from "./planned";

/**
 * A Microsoft App-V 4.x server (Management Server, Streaming Server or Management Web Service host) brought to
 * `targetVersion` ("4.5 sp 2" becomes "4.5 SP2") by Microsoft's "How to Upgrade the Servers and System Components"
 * (docs/sources.md): preflight, the setup run silently with a log, the role's service, the version check.
 *
 * On its own it does not stop the other servers sharing the database, back the database up or order the upgrades:
 * use `AppVFarm` for a farm. Creating it adopts the existing installation (it never installs from scratch); changing
 * `targetVersion` is an update; deleting it only stops managing the server.
 */
export class AppVServer extends UpgradedServer {
  constructor(name: string, args: AppVServerArgs, opts?: pulumi.CustomResourceOptions) {
    const admin = args.databaseAdmin !== undefined ? { databaseAdmin: pulumi.secret(args.databaseAdmin) } : {};
    // guard: the run lease on the host (docs/concurrent-runs.md), with this stack and project.
    super(APPV_SERVER, name, { ...args, connection: pulumi.secret(args.connection), ...admin, guard: guardInput(args.guard) }, opts);
  }
}
