import * as pulumi from "@pulumi/pulumi";
import type { PlanStep, ServerStatus } from "../report/status";
import { guardInput } from "./guardArgs";
import type { ConnectionServerArgs } from "./horizonArgs";
import { horizonOutputs, horizonProvider } from "./horizonProviders";

/**
 * A Horizon Connection Server (standard or replica) brought to `targetVersion` by the vendor's upgrade procedure:
 * preflight, the before hook, the silent installer with a log, the Connection Server service, the version check, the
 * after hook.
 *
 * Creating it adopts the existing installation (it never installs from scratch); changing `targetVersion` is an
 * update, never a replacement; deleting it only stops managing the server. Preview shows the live version, the target
 * and the steps `up` will take (`plan`), or why the server is blocked (`blockedReason`).
 */
export class ConnectionServer extends pulumi.dynamic.Resource {
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
  /** Status of the Connection Server service when last read. */
  declare readonly serviceStatus: pulumi.Output<string | undefined>;
  /** The configuration backup taken before this server's installer (`{ path, sizeBytes, sha256 }`), or `{ waived }`. */
  declare readonly configurationBackupFile: pulumi.Output<{ path?: string; sizeBytes?: number; sha256?: string; waived?: string } | undefined>;
  /** The declared target, normalised (a release name such as 2312 becomes 8.12.0). */
  declare readonly targetVersion: pulumi.Output<string>;

  constructor(name: string, args: ConnectionServerArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      horizonProvider("connection-server"),
      name,
      // guard: issue 19 (run lease, availability guard), with this stack and project.
      { ...args, connection: pulumi.secret(args.connection), guard: guardInput(args.guard), resourceName: name, ...horizonOutputs, configurationBackupFile: undefined },
      { ...opts, additionalSecretOutputs: ["connection", "guard", ...(opts?.additionalSecretOutputs ?? [])] },
      "horizon",
      "ConnectionServer",
    );
  }
}
