/**
 * Operations on App-V servers beyond those every product shares: who is streaming from a server now ("How to Upgrade the Servers and System Components": "User
 * sessions should be shut down before you begin the upgrade process").
 */
import { z } from "zod";
import type { RunResult, Session } from "../transport/session";
import { type OperationDefinition, type OperationOptions, runOperation } from "./operation";

/** Params of `Get-ClientSessions`. */
export const clientSessionsParamsSchema = z.object({ ports: z.array(z.number().int().min(1).max(65_535)).min(1).max(16) }).strict();
/** Result of `Get-ClientSessions`. */
export const clientSessionsResultSchema = z.object({
  connections: z.array(z.object({ remoteAddress: z.string(), localPort: z.number() })),
});

/**
 * `Get-ClientSessions` (overridable): the established TCP connections on the server's streaming ports. UNCONFIRMED as
 * the measure of "user sessions": App-V 4.x clients stream over RTSP (554) or RTSPS (322) (KB 2615139); a site that
 * counts sessions another way (the server's own reporting) replaces the body. `Get-NetTCPConnection` where it exists
 * (Windows Server 2012+), `netstat -ano` otherwise. Read-only.
 */
export const GET_CLIENT_SESSIONS: OperationDefinition<
  z.infer<typeof clientSessionsParamsSchema>,
  z.infer<typeof clientSessionsResultSchema>
> = {
  name: "Get-ClientSessions",
  overridable: true,
  params: clientSessionsParamsSchema,
  result: clientSessionsResultSchema,
  deadlineSeconds: () => 60,
  body: String.raw`$ports = @($p.ports | ForEach-Object { [int]$_ })
$connections = New-Object System.Collections.ArrayList
if (Get-Command Get-NetTCPConnection -ErrorAction SilentlyContinue) {
  foreach ($c in @(Get-NetTCPConnection -State Established -ErrorAction SilentlyContinue | Where-Object { $ports -contains [int]$_.LocalPort })) {
    [void]$connections.Add(@{ remoteAddress = [string]$c.RemoteAddress; localPort = [int]$c.LocalPort })
  }
} else {
  foreach ($line in @(netstat -ano -p TCP)) {
    $f = ([string]$line).Trim() -split '\s+'
    if ($f.Length -lt 4 -or $f[3] -ne 'ESTABLISHED') { continue }
    $local = [int]($f[1].Substring($f[1].LastIndexOf(':') + 1))
    if ($ports -contains $local) { [void]$connections.Add(@{ remoteAddress = $f[2].Substring(0, $f[2].LastIndexOf(':')); localPort = $local }) }
  }
}
Write-VdiResult @{ connections = @($connections.ToArray()) }`,
};

/** Reads the client connections on a server's streaming ports. */
export function getClientSessions(
  session: Session,
  params: z.infer<typeof clientSessionsParamsSchema>,
  options?: OperationOptions,
): Promise<RunResult<z.infer<typeof clientSessionsResultSchema>>> {
  return runOperation(session, GET_CLIENT_SESSIONS, params, options);
}
