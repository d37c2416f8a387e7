import * as pulumi from "@pulumi/pulumi";
import { CONNECTION_SERVER } from "../products/horizonInputs";
import { guardInput } from "./guardArgs";
import type { ConnectionServerArgs } from "./horizonArgs";
import { UpgradedServer } from "./planned";

/**
 * A Horizon Connection Server (standard or replica) brought to `targetVersion` by the vendor's upgrade procedure:
 * preflight, the before hook, the silent installer with a log, the Connection Server service, the version check, the
 * after hook.
 *
 * Creating it adopts the existing installation (it never installs from scratch); changing `targetVersion` is an
 * update, never a replacement; deleting it only stops managing the server. Preview shows the live version, the target
 * (a release name such as 2312 becomes 8.12.0) and the steps `up` will take (`plan`), or why the server is blocked
 * (`blockedReason`).
 */
export class ConnectionServer extends UpgradedServer {
  /** The configuration backup taken before this server's installer (`{ path, sizeBytes, sha256 }`), or `{ waived }`. */
  declare readonly configurationBackupFile: pulumi.Output<
    { path?: string; sizeBytes?: number; sha256?: string; waived?: string } | undefined
  >;

  constructor(name: string, args: ConnectionServerArgs, opts?: pulumi.CustomResourceOptions) {
    // guard: the run lease and availability guard (docs/concurrent-runs.md), with this stack and project.
    super(CONNECTION_SERVER, name, { ...args, connection: pulumi.secret(args.connection), guard: guardInput(args.guard) }, opts);
  }
}
