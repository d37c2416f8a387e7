/**
 * Operations any Windows host runs: facts, installed products, services, file hashes, the installer and hooks
 * (docs/wire-protocol.md §5). Bodies are Windows PowerShell 5.1; params arrive as the object `$p` (JSON data, never
 * pasted into the text).
 */
import { z } from "zod";
import type { RunResult, Session } from "../transport/session";
import { type OperationDefinition, type OperationOptions, runOperation, secretsSchema } from "./operation";

// ---------------------------------------------------------------------------------------------------------------
// Get-HostFacts

/** Result of `Get-HostFacts`. */
export const hostFactsSchema = z.object({
  computerName: z.string(),
  user: z.string(),
  isAdmin: z.boolean(),
  utcNow: z.string(),
  psVersion: z.string(),
});
/** Facts about the host and the account the session runs as. */
export type HostFacts = z.infer<typeof hostFactsSchema>;

/** `Get-HostFacts`: computer name, account, whether it is an elevated administrator, UTC clock, PowerShell version. */
export const GET_HOST_FACTS: OperationDefinition<Record<string, never>, HostFacts> = {
  name: "Get-HostFacts",
  overridable: false,
  params: z.object({}).strict() as unknown as z.ZodType<Record<string, never>>,
  result: hostFactsSchema,
  deadlineSeconds: () => 60,
  body: String.raw`$identity = [System.Security.Principal.WindowsIdentity]::GetCurrent()
$principal = New-Object System.Security.Principal.WindowsPrincipal($identity)
$isAdmin = $principal.IsInRole([System.Security.Principal.WindowsBuiltInRole]::Administrator)
Write-VdiResult @{
  computerName = [string]$env:COMPUTERNAME
  user = [string]$identity.Name
  isAdmin = [bool]$isAdmin
  utcNow = [DateTime]::UtcNow.ToString('o')
  psVersion = $PSVersionTable.PSVersion.ToString()
}`,
};

/** Reads the host's facts. */
export function getHostFacts(session: Session, options?: OperationOptions): Promise<RunResult<HostFacts>> {
  return runOperation(session, GET_HOST_FACTS, {}, options);
}

// ---------------------------------------------------------------------------------------------------------------
// Get-InstalledProduct

/** Params of `Get-InstalledProduct`. */
export const installedProductParamsSchema = z.object({ displayNameLike: z.array(z.string().min(1)).min(1) }).strict();
/** Result of `Get-InstalledProduct`. */
export const installedProductSchema = z.object({
  products: z.array(z.object({ displayName: z.string(), displayVersion: z.string(), installLocation: z.string() })),
});
/** Products registered in the Uninstall keys. */
export type InstalledProducts = z.infer<typeof installedProductSchema>;

/**
 * `Get-InstalledProduct`: Uninstall entries whose DisplayName is `-like` one of the patterns, from both registry views
 * (64-bit and WOW6432Node), opened through `RegistryKey.OpenBaseKey` so a 32-bit PowerShell sees both too
 * (domain-facts §A5).
 */
export const GET_INSTALLED_PRODUCT: OperationDefinition<z.infer<typeof installedProductParamsSchema>, InstalledProducts> = {
  name: "Get-InstalledProduct",
  overridable: false,
  params: installedProductParamsSchema,
  result: installedProductSchema,
  deadlineSeconds: () => 60,
  body: String.raw`$patterns = @($p.displayNameLike | ForEach-Object { [string]$_ })
$products = New-Object System.Collections.ArrayList
$seen = @{}
$views = @([Microsoft.Win32.RegistryView]::Registry64, [Microsoft.Win32.RegistryView]::Registry32)
foreach ($view in $views) {
  $base = [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive]::LocalMachine, $view)
  try {
    $uninstall = $base.OpenSubKey('SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall')
    if ($null -eq $uninstall) { continue }
    foreach ($subName in $uninstall.GetSubKeyNames()) {
      $key = $uninstall.OpenSubKey($subName)
      if ($null -eq $key) { continue }
      try {
        $displayName = [string]$key.GetValue('DisplayName')
        if ([string]::IsNullOrEmpty($displayName)) { continue }
        $matched = $false
        foreach ($pattern in $patterns) { if ($displayName -like $pattern) { $matched = $true; break } }
        if (-not $matched) { continue }
        $displayVersion = [string]$key.GetValue('DisplayVersion')
        # On a 32-bit Windows both views are the same key: report each entry once.
        $id = $displayName + '|' + $displayVersion + '|' + $subName
        if ($seen.ContainsKey($id)) { continue }
        $seen[$id] = $true
        [void]$products.Add(@{
          displayName = $displayName
          displayVersion = $displayVersion
          installLocation = [string]$key.GetValue('InstallLocation')
        })
      } finally { $key.Close() }
    }
    $uninstall.Close()
  } finally { $base.Close() }
}
Write-VdiResult @{ products = @($products.ToArray()) }`,
};

/** Lists installed products whose display name matches one of the `-like` patterns. */
export function getInstalledProduct(
  session: Session,
  params: z.infer<typeof installedProductParamsSchema>,
  options?: OperationOptions,
): Promise<RunResult<InstalledProducts>> {
  return runOperation(session, GET_INSTALLED_PRODUCT, params, options);
}

// ---------------------------------------------------------------------------------------------------------------
// Get-ServiceState

/** Params of `Get-ServiceState`. */
export const serviceStateParamsSchema = z.object({ displayNames: z.array(z.string().min(1)).min(1) }).strict();
/** A service's state. */
export const serviceSchema = z.object({
  name: z.string(),
  displayName: z.string(),
  status: z.string(),
  startType: z.string(),
});
/** Result of `Get-ServiceState`. */
export const serviceStateSchema = z.object({ services: z.array(serviceSchema) });
/** Services found (missing ones are absent). */
export type ServiceStates = z.infer<typeof serviceStateSchema>;

/**
 * `Get-ServiceState`: services by display name (wildcards allowed), resolved at run time because the short names of
 * several Horizon services are unconfirmed (domain-facts §A4).
 */
export const GET_SERVICE_STATE: OperationDefinition<z.infer<typeof serviceStateParamsSchema>, ServiceStates> = {
  name: "Get-ServiceState",
  overridable: false,
  params: serviceStateParamsSchema,
  result: serviceStateSchema,
  deadlineSeconds: () => 60,
  body: String.raw`$found = @{}
$services = New-Object System.Collections.ArrayList
foreach ($displayName in @($p.displayNames | ForEach-Object { [string]$_ })) {
  foreach ($svc in @(Get-Service -DisplayName $displayName -ErrorAction SilentlyContinue)) {
    if ($found.ContainsKey($svc.Name)) { continue }
    $found[$svc.Name] = $true
    [void]$services.Add(@{
      name = [string]$svc.Name
      displayName = [string]$svc.DisplayName
      status = $svc.Status.ToString()
      startType = $svc.StartType.ToString()
    })
  }
}
Write-VdiResult @{ services = @($services.ToArray()) }`,
};

/** Reads the state of services by display name. */
export function getServiceState(
  session: Session,
  params: z.infer<typeof serviceStateParamsSchema>,
  options?: OperationOptions,
): Promise<RunResult<ServiceStates>> {
  return runOperation(session, GET_SERVICE_STATE, params, options);
}

// ---------------------------------------------------------------------------------------------------------------
// Set-ServiceState

/** Params of `Set-ServiceState`. */
export const setServiceStateParamsSchema = z
  .object({
    displayName: z.string().min(1),
    state: z.enum(["Running", "Stopped"]),
    timeoutSeconds: z.number().positive().max(86_400),
  })
  .strict();
/** Result of `Set-ServiceState`. */
export const setServiceStateSchema = z.object({ displayName: z.string(), status: z.string(), waitedSeconds: z.number() });

/**
 * `Set-ServiceState`: starts or stops one service (by exact display name) and waits up to `timeoutSeconds` for it to
 * get there; throws when it does not. `Start-Service` has no timeout, so the start goes through the controller and
 * `WaitForStatus`; a stop uses `Stop-Service -Force -NoWait` (dependent services stop too: stopping the Connection
 * Server service stops its Framework, Message Bus, Security Gateway and Web components, §A4).
 */
export const SET_SERVICE_STATE: OperationDefinition<z.infer<typeof setServiceStateParamsSchema>, z.infer<typeof setServiceStateSchema>> = {
  name: "Set-ServiceState",
  overridable: false,
  params: setServiceStateParamsSchema,
  result: setServiceStateSchema,
  deadlineSeconds: (p) => p.timeoutSeconds + 60,
  body: String.raw`$displayName = [string]$p.displayName
$target = [System.ServiceProcess.ServiceControllerStatus][string]$p.state
$svc = @(Get-Service | Where-Object { $_.DisplayName -eq $displayName }) | Select-Object -First 1
if ($null -eq $svc) { throw "Cannot find any service with display name '$displayName'." }
$watch = [System.Diagnostics.Stopwatch]::StartNew()
if ($svc.Status -ne $target) {
  if ($target -eq [System.ServiceProcess.ServiceControllerStatus]::Running) {
    if ($svc.StartType.ToString() -eq 'Disabled') { throw "Service '$displayName ($($svc.Name))' cannot be started because it is disabled." }
    if ($svc.Status -ne [System.ServiceProcess.ServiceControllerStatus]::StartPending) { $svc.Start() }
  } else {
    Stop-Service -InputObject $svc -Force -NoWait
  }
  try {
    $svc.WaitForStatus($target, [TimeSpan]::FromSeconds([double]$p.timeoutSeconds))
  } catch [System.ServiceProcess.TimeoutException] {
    $svc.Refresh()
    throw "Service '$displayName ($($svc.Name))' did not reach $target within $($p.timeoutSeconds) s; it is $($svc.Status)."
  }
  'Service ''' + $displayName + ''' is ' + $target + '.'
}
$svc.Refresh()
Write-VdiResult @{
  displayName = [string]$svc.DisplayName
  status = $svc.Status.ToString()
  waitedSeconds = [math]::Round($watch.Elapsed.TotalSeconds, 1)
}`,
};

/** Starts or stops a service and waits for it. */
export function setServiceState(
  session: Session,
  params: z.infer<typeof setServiceStateParamsSchema>,
  options?: OperationOptions,
): Promise<RunResult<z.infer<typeof setServiceStateSchema>>> {
  return runOperation(session, SET_SERVICE_STATE, params, options);
}

// ---------------------------------------------------------------------------------------------------------------
// Get-FileHash

/** Params of `Get-FileHash`. */
export const fileHashParamsSchema = z.object({ path: z.string().min(1) }).strict();
/** Result of `Get-FileHash`. */
export const fileHashSchema = z.object({
  exists: z.boolean(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/).nullable(),
  sizeBytes: z.number().int().nonnegative().nullable(),
});
/** Whether a file exists, its SHA-256 (lower-case hex) and size. */
export type FileHash = z.infer<typeof fileHashSchema>;

/** `Get-FileHash`: SHA-256 and size of a file (`-LiteralPath`: brackets in a name are not wildcards). */
export const GET_FILE_HASH: OperationDefinition<z.infer<typeof fileHashParamsSchema>, FileHash> = {
  name: "Get-FileHash",
  overridable: false,
  params: fileHashParamsSchema,
  result: fileHashSchema,
  // Hashing a 300 MB installer on a slow disk.
  deadlineSeconds: () => 600,
  body: String.raw`$path = [string]$p.path
if (Test-Path -LiteralPath $path -PathType Leaf) {
  $item = Get-Item -LiteralPath $path
  $hash = Get-FileHash -LiteralPath $path -Algorithm SHA256
  Write-VdiResult @{ exists = $true; sha256 = $hash.Hash.ToLowerInvariant(); sizeBytes = [long]$item.Length }
} else {
  Write-VdiResult @{ exists = $false; sha256 = $null; sizeBytes = $null }
}`,
};

/** Hashes a file on the host. */
export function getFileHash(
  session: Session,
  params: z.infer<typeof fileHashParamsSchema>,
  options?: OperationOptions,
): Promise<RunResult<FileHash>> {
  return runOperation(session, GET_FILE_HASH, params, options);
}

// ---------------------------------------------------------------------------------------------------------------
// Invoke-Installer

/** Params of `Invoke-Installer`. */
export const installerParamsSchema = z
  .object({
    /** Installer path on the host. */
    path: z.string().min(1),
    /** Arguments; `{{secret:NAME}}` is replaced on the host by `secrets.NAME`. */
    argumentTemplate: z.string(),
    /** Log the installer writes (the template's `/l*v` target); its tail is returned. */
    logPath: z.string().min(1),
    timeoutSeconds: z.number().positive().max(86_400),
    secrets: secretsSchema.optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    for (const m of p.argumentTemplate.matchAll(/\{\{secret:([A-Za-z0-9_.-]+)\}\}/g)) {
      if (!Object.hasOwn(p.secrets ?? {}, m[1])) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ["argumentTemplate"],
          message: `uses {{secret:${m[1]}}} but [secrets] has no "${m[1]}"`,
        });
      }
    }
  });
/** Result of `Invoke-Installer`. */
export const installerResultSchema = z.object({
  exitCode: z.number().int(),
  rebootRequired: z.boolean(),
  logTail: z.array(z.string()),
});
/** What an installer run returned. */
export type InstallerResult = z.infer<typeof installerResultSchema>;

/**
 * `Invoke-Installer`: runs an installer with its argument string assembled on the host from `argumentTemplate`
 * (`{{secret:NAME}}` → `secrets.NAME`), so no secret sits on the SSH command line or in a log the provider writes.
 * Exit 0 and 3010 are success (3010: reboot required, domain-facts §A1). The installer is never killed on timeout:
 * stopping msiexec half-way leaves the product broken; the error says it is still running.
 */
export const INVOKE_INSTALLER: OperationDefinition<z.infer<typeof installerParamsSchema>, InstallerResult> = {
  name: "Invoke-Installer",
  overridable: false,
  params: installerParamsSchema,
  result: installerResultSchema,
  deadlineSeconds: (p) => p.timeoutSeconds + 120,
  body: String.raw`$path = [string]$p.path
$logPath = [string]$p.logPath
if (-not (Test-Path -LiteralPath $path -PathType Leaf)) { throw "The installer '$path' does not exist on $env:COMPUTERNAME." }
$secrets = @{}
if ($null -ne $p.secrets) {
  foreach ($prop in $p.secrets.PSObject.Properties) { $secrets[$prop.Name] = [string]$prop.Value }
}
$arguments = [string]$p.argumentTemplate
foreach ($m in [regex]::Matches($arguments, '\{\{secret:([A-Za-z0-9_.-]+)\}\}')) {
  $name = $m.Groups[1].Value
  if (-not $secrets.ContainsKey($name)) { throw "[argumentTemplate] uses {{secret:$name}} but params.secrets has no '$name'." }
}
# Literal replacement (String.Replace, not -replace): a secret containing '$' or '\' stays as it is.
foreach ($name in @($secrets.Keys)) { $arguments = $arguments.Replace('{{secret:' + $name + '}}', $secrets[$name]) }
# A log left by an earlier run would make its tail look like this run's.
if (Test-Path -LiteralPath $logPath) { Remove-Item -LiteralPath $logPath -Force }
'Starting ' + $path
# One argument string, passed as is: the doubled quotes of /v"..." must reach the bootstrapper intact (§A1).
$proc = Start-Process -FilePath $path -ArgumentList $arguments -PassThru -WindowStyle Hidden
# Touch the handle now, or ExitCode reads as empty once the process has exited.
$null = $proc.Handle
# Start-Process -Wait has no timeout; WaitForExit does, and leaves the installer running when it expires.
if (-not $proc.WaitForExit([int]([double]$p.timeoutSeconds * 1000))) {
  throw "The installer $path (PID $($proc.Id)) did not finish within $($p.timeoutSeconds) s; it is still running on $env:COMPUTERNAME. Wait for it to end and check $logPath before running it again."
}
$proc.WaitForExit()
$exitCode = [int]$proc.ExitCode
$logTail = @()
if (Test-Path -LiteralPath $logPath -PathType Leaf) {
  # MSI verbose logs are UTF-16 with a BOM; Get-Content detects it.
  $logTail = @(Get-Content -LiteralPath $logPath -Tail 20 | ForEach-Object { [string]$_ })
}
if ($exitCode -ne 0 -and $exitCode -ne 3010) {
  'The installer exited with ' + $exitCode + '; last lines of ' + $logPath + ':'
  $logTail
} else {
  'Installation finished with exit code ' + $exitCode
}
Write-VdiResult @{ exitCode = $exitCode; rebootRequired = ($exitCode -eq 3010); logTail = @($logTail) }`,
};

/** Runs an installer and waits for it. */
export function invokeInstaller(
  session: Session,
  params: z.infer<typeof installerParamsSchema>,
  options?: OperationOptions,
): Promise<RunResult<InstallerResult>> {
  return runOperation(session, INVOKE_INSTALLER, params, options);
}

// ---------------------------------------------------------------------------------------------------------------
// Invoke-Hook

/** Params of `Invoke-Hook`. */
export const hookParamsSchema = z
  .object({ hook: z.string().min(1), phase: z.string().min(1) })
  .strict();
/** Result of `Invoke-Hook`. */
export const hookResultSchema = z.object({ exitCode: z.number().int(), output: z.array(z.string()) });

/**
 * `Invoke-Hook`: runs an operator's PowerShell at a phase of the upgrade (drain from a load balancer, notify, ...).
 * The hook text is data: it becomes a script block on the host, and its output and `$LASTEXITCODE` come back.
 */
export const INVOKE_HOOK: OperationDefinition<z.infer<typeof hookParamsSchema>, z.infer<typeof hookResultSchema>> = {
  name: "Invoke-Hook",
  overridable: false,
  params: hookParamsSchema,
  result: hookResultSchema,
  // A hook that needs longer takes `deadlineSeconds` in the call's options.
  deadlineSeconds: () => 600,
  body: String.raw`$hook = [ScriptBlock]::Create([string]$p.hook)
$global:LASTEXITCODE = 0
$exitCode = 0
$output = @()
try {
  $output = @(& $hook 2>&1 | ForEach-Object { [string]$_ })
  if ($null -ne $global:LASTEXITCODE) { $exitCode = [int]$global:LASTEXITCODE }
} catch {
  $output += [string]$_.Exception.Message
  $exitCode = 1
}
foreach ($line in $output) { 'hook ' + [string]$p.phase + ': ' + $line }
Write-VdiResult @{ exitCode = $exitCode; output = @($output) }`,
};

/** Runs an operator hook. */
export function invokeHook(
  session: Session,
  params: z.infer<typeof hookParamsSchema>,
  options?: OperationOptions,
): Promise<RunResult<z.infer<typeof hookResultSchema>>> {
  return runOperation(session, INVOKE_HOOK, params, options);
}
