import * as pulumi from "@pulumi/pulumi";
import type { PlanStep, ServerStatus } from "../report/status";
import type { AppVServerArgs } from "./appvArgs";
import { appvProvider, appvServerOutputs } from "./appvProviders";

/**
 * A Microsoft App-V 4.x server (Management Server, Streaming Server or Management Web Service host) brought to
 * `targetVersion` by the vendor's procedure (002_d640911b67db555d.txt): preflight, the setup run silently with a log,
 * the role's service, the version check.
 *
 * On its own it does not stop the other servers sharing the database, back the database up or order the upgrades:
 * use `AppVFarm` for a farm. Creating it adopts the existing installation (it never installs from scratch); changing
 * `targetVersion` is an update; deleting it only stops managing the server. Preview shows the live version, the target
 * and the steps `up` will take (`plan`), or why the server is blocked (`blockedReason`).
 */
export class AppVServer extends pulumi.dynamic.Resource {
  /** The version the host ran when last read (preview, up or refresh). */
  declare readonly liveVersion: pulumi.Output<string | undefined>;
  /** The version verified on the host when the last `up` finished: pass it to order other servers after this one. */
  declare readonly installedVersion: pulumi.Output<string>;
  /** The steps `up` will take, in order; empty once the server runs the target. */
  declare readonly plan: pulumi.Output<string[]>;
  /** The plan as objects `{ step, host, detail }`, for pipelines. */
  declare readonly steps: pulumi.Output<PlanStep[]>;
  /** ready, waiting (for a predecessor), blocked (with a stable `code`) or done: what a pipeline gates on. */
  declare readonly status: pulumi.Output<ServerStatus>;
  /** Why `up` cannot run the plan now, if it cannot. */
  declare readonly blockedReason: pulumi.Output<string | undefined>;
  /** Status of the role's service when last read. */
  declare readonly serviceStatus: pulumi.Output<string | undefined>;
  /** The declared target, normalised ("4.5 sp 2" becomes "4.5 SP2"). */
  declare readonly targetVersion: pulumi.Output<string>;

  constructor(name: string, args: AppVServerArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      appvProvider("server"),
      name,
      {
        ...args,
        connection: pulumi.secret(args.connection),
        ...(args.databaseAdmin !== undefined ? { databaseAdmin: pulumi.secret(args.databaseAdmin) } : {}),
        resourceName: name,
        ...appvServerOutputs,
      },
      { ...opts, additionalSecretOutputs: ["connection", "databaseAdmin", ...(opts?.additionalSecretOutputs ?? [])] },
      "appv",
      "AppVServer",
    );
  }
}
