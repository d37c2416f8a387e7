/**
 * Operations on IIS for the App-V Management Web Service, which is an IIS application (docs/sources.md#appv-services-and-paths: its files
 * and `SftMgmt.udl` live in `...\App Virt Management Service\`): stopping IIS itself (W3SVC) would take every other
 * site of that IIS down, so only the application's pool is stopped and started (WebAdministration module, IIS 7+).
 */
import { z } from "zod";
import type { RunResult, Session } from "../transport/session";
import { type OperationDefinition, type OperationOptions, runOperation } from "./operation";

// ---------------------------------------------------------------------------------------------------------------
// Get-WebApplicationPool

/** Params of `Get-WebApplicationPool`. */
export const webApplicationPoolParamsSchema = z.object({ physicalPathLike: z.string().min(1).max(512) }).strict();
/** Result of `Get-WebApplicationPool`. */
export const webApplicationPoolResultSchema = z.object({
  iisRunning: z.boolean(),
  applications: z.array(
    z.object({ site: z.string(), path: z.string(), physicalPath: z.string(), applicationPool: z.string(), poolState: z.string() }),
  ),
});

/**
 * `Get-WebApplicationPool`: the IIS applications whose physical path (environment variables expanded) is `-like` the
 * pattern, each with its pool and the pool's state, and whether W3SVC runs. Read-only.
 */
export const GET_WEB_APPLICATION_POOL: OperationDefinition<
  z.infer<typeof webApplicationPoolParamsSchema>,
  z.infer<typeof webApplicationPoolResultSchema>
> = {
  name: "Get-WebApplicationPool",
  overridable: false,
  params: webApplicationPoolParamsSchema,
  result: webApplicationPoolResultSchema,
  deadlineSeconds: () => 60,
  body: String.raw`Import-Module WebAdministration
$w3 = Get-Service -Name W3SVC -ErrorAction SilentlyContinue
$apps = New-Object System.Collections.ArrayList
foreach ($site in @(Get-Website)) {
  foreach ($app in @(Get-WebApplication -Site $site.Name)) {
    $physical = [Environment]::ExpandEnvironmentVariables([string]$app.PhysicalPath)
    if ($physical -notlike [string]$p.physicalPathLike) { continue }
    $pool = [string]$app.applicationPool
    [void]$apps.Add(@{
      site = [string]$site.Name
      path = [string]$app.path
      physicalPath = $physical
      applicationPool = $pool
      poolState = [string](Get-WebAppPoolState -Name $pool).Value
    })
  }
}
Write-VdiResult @{ iisRunning = ($null -ne $w3 -and $w3.Status.ToString() -eq 'Running'); applications = @($apps.ToArray()) }`,
};

/** Finds the IIS applications under a physical path, with their pools. */
export function getWebApplicationPool(
  session: Session,
  params: z.infer<typeof webApplicationPoolParamsSchema>,
  options?: OperationOptions,
): Promise<RunResult<z.infer<typeof webApplicationPoolResultSchema>>> {
  return runOperation(session, GET_WEB_APPLICATION_POOL, params, options);
}

// ---------------------------------------------------------------------------------------------------------------
// Set-WebAppPoolState

/** Params of `Set-WebAppPoolState`. */
export const setWebAppPoolStateParamsSchema = z
  .object({ name: z.string().min(1).max(256), state: z.enum(["Started", "Stopped"]), timeoutSeconds: z.number().positive().max(86_400) })
  .strict();
/** Result of `Set-WebAppPoolState`. */
export const setWebAppPoolStateResultSchema = z.object({ name: z.string(), state: z.string(), waitedSeconds: z.number() });

/**
 * `Set-WebAppPoolState`: starts or stops one application pool and waits up to `timeoutSeconds` for it to get there;
 * throws when it does not. IIS and the other pools are not touched.
 */
export const SET_WEB_APP_POOL_STATE: OperationDefinition<
  z.infer<typeof setWebAppPoolStateParamsSchema>,
  z.infer<typeof setWebAppPoolStateResultSchema>
> = {
  name: "Set-WebAppPoolState",
  overridable: false,
  params: setWebAppPoolStateParamsSchema,
  result: setWebAppPoolStateResultSchema,
  deadlineSeconds: (p) => p.timeoutSeconds + 60,
  body: String.raw`Import-Module WebAdministration
$name = [string]$p.name
$want = [string]$p.state
$started = [DateTime]::UtcNow
if ((Get-WebAppPoolState -Name $name).Value -ne $want) {
  if ($want -eq 'Started') { Start-WebAppPool -Name $name } else { Stop-WebAppPool -Name $name }
}
while ((Get-WebAppPoolState -Name $name).Value -ne $want) {
  if (([DateTime]::UtcNow - $started).TotalSeconds -gt [double]$p.timeoutSeconds) {
    throw "Application pool '$name' did not reach $want within $($p.timeoutSeconds) s; it is $((Get-WebAppPoolState -Name $name).Value)."
  }
  Start-Sleep -Seconds 1
}
Write-VdiResult @{ name = $name; state = $want; waitedSeconds = [int]([DateTime]::UtcNow - $started).TotalSeconds }`,
};

/** Starts or stops an IIS application pool. */
export function setWebAppPoolState(
  session: Session,
  params: z.infer<typeof setWebAppPoolStateParamsSchema>,
  options?: OperationOptions,
): Promise<RunResult<z.infer<typeof setWebAppPoolStateResultSchema>>> {
  return runOperation(session, SET_WEB_APP_POOL_STATE, params, options);
}
