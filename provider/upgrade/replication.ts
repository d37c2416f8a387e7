/**
 * LDAP replication before a parallel Connection Server upgrade: what to read, how to judge repadmin's output, and what
 * to tell the operator. Horizon 2203 upgrades, "Parallel upgrades"
 * (docs.vmware.com/en/VMware-Horizon/2203/horizon-upgrades/GUID-1B7271A5-3312-49DF-97CF-53FEC8C4AED8.html):
 * - parallel upgrades are allowed only while local and global LDAP replication are healthy, checked with
 *   `repadmin /showrepl localhost:389` and, in a Cloud Pod Architecture federation, `repadmin /showrepl localhost:22389`;
 * - first upgrade one Connection Server; the installer blocks the upgrade when replication has errors.
 * Parallel upgrades are a 2203-and-later feature: for 7.x targets the vendor's way is one Connection Server at a time.
 *
 * Federation membership is read from the global instance's Windows service, `ADAM_VMwareVDMDSG` by default. That name
 * is a reading of a public script, not stated by the vendor (UNCONFIRMED): `overrides.cloudPodServiceName` replaces
 * it, and `cloudPodFederation: true | false` declares membership instead of detecting it (docs/horizon.md).
 *
 * Pure apart from `readReplication` / `requireHealthyReplication`, which run the read-only operation.
 */
import { z } from "zod";
import { type ReplicationResult, getReplicationHealth } from "../operations/replicationOperations";
import type { OperationOptions } from "../operations/operation";
import type { Session } from "../transport/session";
import { compareHorizonVersions, parseHorizonVersion } from "../versions/horizon";
import type { Blocked, Plan } from "./steps";

/** The documented default service name of the Cloud Pod global LDAP instance (UNCONFIRMED, overridable). */
export const CLOUD_POD_SERVICE_DEFAULT = "ADAM_VMwareVDMDSG";

/** The first release with documented parallel Connection Server upgrades (and an installer that checks replication). */
export const PARALLEL_UPGRADE_FROM = { text: "2203 (8.5)", version: parseHorizonVersion("8.5.0")! };

/** What each instance is, by port, for messages. */
export const REPLICATION_INSTANCES: Readonly<Record<number, string>> = {
  389: "local View LDAP instance",
  22389: "Cloud Pod global LDAP instance",
};

/** Federation membership: detected from the global instance's service, or declared. */
export type CloudPodFederation = "detect" | boolean;

/** The Connection Server inputs this module reads (spread into the resource's schema, below). */
export interface ReplicationInputs {
  checkReplication?: boolean;
  /** Set by `HorizonPod` on every Connection Server of a parallel upgrade. */
  parallelUpgrade?: boolean;
  cloudPodFederation?: CloudPodFederation;
  targetVersion: string;
  overrides?: { cloudPodServiceName?: string };
}

/** The zod fields of these inputs, for the Connection Server schema. */
export const REPLICATION_INPUT_FIELDS = {
  parallelUpgrade: z.boolean().optional(),
  cloudPodFederation: z.union([z.literal("detect"), z.boolean()]).optional(),
};
/** The zod field of the override, for the overrides schema. */
export const REPLICATION_OVERRIDE_FIELDS = {
  cloudPodServiceName: z
    .string()
    .min(1)
    .max(256)
    .regex(/^[A-Za-z0-9_$.-]+$/, "must be a Windows service name such as ADAM_VMwareVDMDSG (letters, digits, _ $ . -)")
    .optional(),
};

/** One instance as read and judged. */
export interface InstanceHealth {
  port: number;
  what: string;
  healthy: boolean;
  exitCode: number;
  /** repadmin's lines that show the failure (the failed attempts, consecutive failures, the LDAP error). */
  failures: string[];
}

/** The replication of one Connection Server. */
export interface ReplicationFacts {
  host: string;
  cloudPodService: { name: string; present: boolean };
  federation: CloudPodFederation;
  instances: InstanceHealth[];
  /** Set when the read itself failed (repadmin missing, a timeout); nothing is known then. */
  readError?: string;
}

/** repadmin's lines that mean a failure: a failed attempt, a non-zero count of consecutive failures, an LDAP error. */
const FAILURE_LINE = [/Last attempt @ .* failed/i, /\b[1-9][0-9]* consecutive failure/i, /^LDAP error/i, /CONSECUTIVE FAILURES/];

/** Judges one `repadmin /showrepl` run: healthy when it exited 0 and printed no failure line. */
export function judgeInstance(run: { port: number; exitCode: number; output: readonly string[] }): InstanceHealth {
  const failures = [...new Set(run.output.map((l) => l.trim()).filter((l) => FAILURE_LINE.some((re) => re.test(l))))];
  return {
    port: run.port,
    what: REPLICATION_INSTANCES[run.port] ?? `instance on ${run.port}`,
    healthy: run.exitCode === 0 && failures.length === 0,
    exitCode: run.exitCode,
    failures,
  };
}

/** The facts from the operation's result. */
export function replicationFacts(host: string, federation: CloudPodFederation, result: ReplicationResult): ReplicationFacts {
  return { host, federation, cloudPodService: result.cloudPodService, instances: result.instances.map(judgeInstance) };
}

/** Whether a target has documented parallel upgrades (2203 and later). */
export function parallelDocumentedFor(target: string): boolean {
  const t = parseHorizonVersion(target);
  return !!t && compareHorizonVersions(t, PARALLEL_UPGRADE_FROM.version) >= 0;
}

/**
 * Why a Connection Server in a parallel upgrade cannot go on: its target is older than 2203, where the vendor documents
 * no parallel upgrade and recommends one Connection Server at a time. Undefined otherwise.
 */
export function parallelUpgradeProblem(inputs: ReplicationInputs, host?: string): string | undefined {
  if (!inputs.parallelUpgrade || parallelDocumentedFor(inputs.targetVersion) || !parseHorizonVersion(inputs.targetVersion))
    return undefined;
  return (
    `[parallelConnectionServers] true with the target ${inputs.targetVersion}${host ? ` on ${host}` : ""}: parallel Connection Server ` +
    `upgrades are documented from Horizon ${PARALLEL_UPGRADE_FROM.text} only (Horizon 2203 upgrades, "Parallel upgrades"); for 7.x ` +
    "the vendor's way is one Connection Server at a time: set parallelConnectionServers: false"
  );
}

/** "repadmin /showrepl localhost:389 on CS2" */
function command(host: string, port: number): string {
  return `repadmin /showrepl localhost:${port} on ${host}`;
}

/**
 * What blocks the upgrade, naming the server and each failing instance with repadmin's own lines, and the vendor's
 * advice: repair replication (the installer of 2203 and later would refuse anyway). Never "upgrade one at a time":
 * replication is the pod's, and a serial upgrade of 2203+ meets the same installer check.
 */
export function replicationBlock(facts: ReplicationFacts, target: string): Blocked | undefined {
  if (facts.readError !== undefined) {
    return {
      code: "replication-unreadable",
      reason:
        `LDAP replication on ${facts.host} could not be read (${facts.readError}); parallel Connection Server upgrades need it healthy: ` +
        `run ${command(facts.host, 389)} by hand, make it readable, then run preview again`,
    };
  }
  const bad = facts.instances.filter((i) => !i.healthy);
  if (bad.length === 0) return undefined;
  const what = bad
    .map((i) => `${i.what} (repadmin /showrepl localhost:${i.port}: ${i.failures.slice(0, 3).join(" | ") || `exit code ${i.exitCode}`})`)
    .join("; ");
  const installer = parallelDocumentedFor(target)
    ? `the installer refuses to upgrade while replication has errors`
    : `parallel upgrades are documented from Horizon ${PARALLEL_UPGRADE_FROM.text} only`;
  return {
    code: "replication-unhealthy",
    reason:
      `LDAP replication on ${facts.host} has errors: ${what}. Connection Servers are upgraded in parallel only while local and ` +
      `global LDAP replication are healthy (Horizon 2203 upgrades, "Parallel upgrades"), and ${installer}: repair LDAP replication ` +
      `(${bad.map((i) => command(facts.host, i.port)).join(", ")} names the failing partners), then run preview again`,
  };
}

/** One line for preview: each instance read and the federation verdict. */
export function replicationSummary(facts: ReplicationFacts): string {
  if (facts.readError !== undefined) return `LDAP replication on ${facts.host}: not read (${facts.readError})`;
  const federation =
    facts.federation === "detect"
      ? `service ${facts.cloudPodService.name} ${facts.cloudPodService.present ? "present: in a Cloud Pod federation" : "absent: not in a Cloud Pod federation"}`
      : `Cloud Pod federation declared ${facts.federation ? "yes" : "no"}`;
  const instances = facts.instances.map((i) => `localhost:${i.port} ${i.healthy ? "healthy" : "has errors"}`).join(", ");
  return `LDAP replication on ${facts.host}: ${instances} (${federation})`;
}

/** The operation's params for these inputs. */
function paramsFor(inputs: ReplicationInputs): { cloudPodService: string; global: "detect" | "always" | "never" } {
  const federation = inputs.cloudPodFederation ?? "detect";
  return {
    cloudPodService: inputs.overrides?.cloudPodServiceName ?? CLOUD_POD_SERVICE_DEFAULT,
    global: federation === "detect" ? "detect" : federation ? "always" : "never",
  };
}

/** Reads a Connection Server's replication (read-only); a failed read is reported in `readError`, not thrown. */
export async function readReplication(
  session: Session,
  host: string,
  inputs: ReplicationInputs,
  options: OperationOptions & { isFatal?: (e: unknown) => boolean } = {},
): Promise<ReplicationFacts> {
  const federation = inputs.cloudPodFederation ?? "detect";
  const params = paramsFor(inputs);
  try {
    return replicationFacts(host, federation, (await getReplicationHealth(session, params, options)).result);
  } catch (e) {
    if (options.isFatal?.(e)) throw e;
    return {
      host,
      federation,
      cloudPodService: { name: params.cloudPodService, present: false },
      instances: [],
      readError: (e as Error).message.split("\n")[0],
    };
  }
}

/**
 * The plan with the replication verdict: blocked (`replication-unhealthy`, `replication-unreadable`) when the plan could
 * otherwise run, and a note with what was read either way.
 */
export function withReplication(plan: Plan, facts: ReplicationFacts | undefined, target: string): Plan {
  if (!facts) return plan;
  const notes = [...(plan.notes ?? []), replicationSummary(facts)];
  const block = plan.blocked ? undefined : replicationBlock(facts, target);
  return { ...plan, notes, ...(block ? { blocked: block } : {}) };
}

/** The up-time preflight: reads both instances again and throws the same refusal preview gives. */
export async function requireHealthyReplication(
  session: Session,
  host: string,
  inputs: ReplicationInputs,
  onLine?: (line: string) => void,
): Promise<void> {
  const facts = await readReplication(session, host, inputs, { onLine });
  const block = replicationBlock(facts, inputs.targetVersion);
  if (block) throw new Error(block.reason);
  onLine?.(replicationSummary(facts));
}
