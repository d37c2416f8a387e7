/**
 * `Get-ReplicationHealth`: LDAP replication of a Connection Server's AD LDS instances, the documented precondition of
 * parallel Connection Server upgrades. Horizon 2203 upgrades, "Parallel upgrades"
 * (docs.vmware.com/en/VMware-Horizon/2203/horizon-upgrades/GUID-1B7271A5-3312-49DF-97CF-53FEC8C4AED8.html): allowed
 * only while local and global replication are healthy, checked with `repadmin /showrepl localhost:389` and, for a pod
 * in a Cloud Pod Architecture federation, `repadmin /showrepl localhost:22389`.
 *
 * The host only reports: whether the global instance's service is there and, per instance read, repadmin's exit code
 * and output as the tool prints it. Whether that output is healthy is decided in TypeScript (upgrade/replication.ts).
 */
import { z } from "zod";
import type { RunResult, Session } from "../transport/session";
import { type OperationDefinition, type OperationOptions, runOperation } from "./operation";

/** Params of `Get-ReplicationHealth`. */
export const replicationParamsSchema = z
  .object({
    /** Service name of the Cloud Pod global LDAP instance (default ADAM_VMwareVDMDSG, a reading: see docs/horizon.md). */
    cloudPodService: z.string().min(1).max(256),
    /** "detect": read 22389 when that service is present; "always" / "never": as the program declares. */
    global: z.enum(["detect", "always", "never"]),
  })
  .strict();

/** One `repadmin /showrepl localhost:<port>` as it ran. */
export const replicationInstanceSchema = z.object({ port: z.number().int(), exitCode: z.number().int(), output: z.array(z.string()) });

/** Result of `Get-ReplicationHealth`. */
export const replicationResultSchema = z.object({
  cloudPodService: z.object({ name: z.string(), present: z.boolean() }),
  instances: z.array(replicationInstanceSchema).min(1),
});

export type ReplicationParams = z.infer<typeof replicationParamsSchema>;
export type ReplicationResult = z.infer<typeof replicationResultSchema>;

export const GET_REPLICATION_HEALTH: OperationDefinition<ReplicationParams, ReplicationResult> = {
  name: "Get-ReplicationHealth",
  overridable: false,
  params: replicationParamsSchema,
  result: replicationResultSchema,
  deadlineSeconds: () => 180,
  body: String.raw`$repadmin = Get-Command repadmin.exe -ErrorAction SilentlyContinue
if ($null -eq $repadmin) { throw "repadmin.exe was not found on $env:COMPUTERNAME (it comes with the AD LDS tools)." }
$present = $null -ne (Get-Service -Name ([string]$p.cloudPodService) -ErrorAction SilentlyContinue)
$ports = @(389)
if ($p.global -eq 'always' -or ($p.global -eq 'detect' -and $present)) { $ports += 22389 }
$instances = @()
foreach ($port in $ports) {
  $output = & {
    $ErrorActionPreference = 'Continue'
    & $repadmin.Source '/showrepl' ('localhost:' + $port) 2>&1 | ForEach-Object { [string]$_ }
  }
  $instances += @{ port = [int]$port; exitCode = [int]$LASTEXITCODE; output = @($output) }
}
Write-VdiResult @{ cloudPodService = @{ name = [string]$p.cloudPodService; present = $present }; instances = @($instances) }`,
};

/** Reads the LDAP replication of a Connection Server's instances (389 and, in a Cloud Pod federation, 22389). */
export function getReplicationHealth(
  session: Session,
  params: ReplicationParams,
  options?: OperationOptions,
): Promise<RunResult<ReplicationResult>> {
  return runOperation(session, GET_REPLICATION_HEALTH, params, options);
}
