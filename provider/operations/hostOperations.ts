/**
 * Operations any Windows host runs: facts, installed products, services, file hashes, the installer (started outside
 * the SSH session, and its run record) and hooks
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
 * (docs/sources.md#horizon-installed-version).
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
 * several Horizon services are unconfirmed (docs/sources.md#horizon-services).
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
 * Server service stops its Framework, Message Bus, Security Gateway and Web components, docs/sources.md#horizon-services).
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
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .nullable(),
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
// Start-Installer, Get-InstallerRun
//
// Why the installer is started outside the SSH session: Win32-OpenSSH puts the session's first process (here
// powershell.exe) in a job object with kill-on-close "so that all the child processes are cleaned-up automatically"
// (PowerShell/Win32-OpenSSH issue 1195, https://github.com/PowerShell/Win32-OpenSSH/issues/1195). An installer started
// with Start-Process inside the session dies when that process exits: a time-out, a cancelled or killed provider that
// closes the channel, a dropped connection (what a lost client does has varied between versions: issue 1751). So the
// default body starts it through WMI: `Win32_Process.Create` runs in the WMI service, outside the session's job, as the
// calling account, and returns the PID at once. The alternatives stay available as `overrides.startInstallerScript`:
// - a break-away start (`START_INSTALLER_BREAKAWAY_BODY`: CreateProcess with CREATE_BREAKAWAY_FROM_JOB), which works
//   only where the session's job allows break-away (PowerShell/Win32-OpenSSH issue 1032, PowerShell/openssh-portable
//   PR 267); older builds refuse it with "Access is denied";
// - a one-shot scheduled task, not shipped: its action (the argument string, secrets included) is saved under
//   C:\Windows\System32\Tasks until the task is deleted, and running it as the same account without a password needs an
//   S4U principal (docs/horizon.md, "A lost connection during the installer").
// Either way the installer runs under a small watcher (powershell.exe started detached) that waits for it and records
// its exit code next to the run record, because nothing else can read the exit code of a process that is not one's
// child once it has ended.

/** Run record of a started installer, as the host keeps it (never a secret in it). */
export const installerRunRecordSchema = z.object({
  /** Key of the run record (one per product on a host). */
  product: z.string(),
  /** Version the installer installs. */
  target: z.string(),
  path: z.string(),
  logPath: z.string(),
  /** The process started outside the SSH session that runs the installer and ends with it. */
  pid: z.number().int(),
  /** When it was started, by the host's clock (ISO 8601). */
  startedUtc: z.string(),
});
/** A run record. */
export type InstallerRunRecord = z.infer<typeof installerRunRecordSchema>;

/** Result of `Get-InstallerRun` (and the status part of `Start-Installer`'s result). */
export const installerRunSchema = z.object({
  /** A run record exists for the product. */
  found: z.boolean(),
  record: installerRunRecordSchema.nullable(),
  /** The recorded process still runs. */
  running: z.boolean(),
  /** The installer's exit code once it ended; null while it runs, or when it ended without recording one. */
  exitCode: z.number().int().nullable(),
  rebootRequired: z.boolean(),
  endedUtc: z.string().nullable(),
  /** The last lines of its log. */
  logTail: z.array(z.string()),
});
/** What the host knows of the last installer started for a product. */
export type InstallerRun = z.infer<typeof installerRunSchema>;

/** A product key: names the run record file, so only letters, digits, `.`, `_` and `-`. */
const productKeySchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "must be 1 to 64 letters, digits, '.', '_' or '-'");

/** Params of `Start-Installer`. */
export const startInstallerParamsSchema = z
  .object({
    /** Key of the run record, e.g. "horizon-connection-server". */
    product: productKeySchema,
    /** Version the installer installs (kept in the run record). */
    target: z.string().min(1),
    /** Installer path on the host. */
    path: z.string().min(1),
    /** Arguments; `{{secret:NAME}}` is replaced on the host by `secrets.NAME`. */
    argumentTemplate: z.string(),
    /** Log the installer writes (the template's `/l*v` target); its tail is returned. */
    logPath: z.string().min(1),
    /** Host seconds to wait for the installer to end before answering (0: answer at once). */
    waitSeconds: z.number().min(0).max(86_400),
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
/** Result of `Start-Installer`. */
export const startInstallerResultSchema = installerRunSchema.extend({
  /** False when the run record named an installer still running: nothing was started, that one is reported. */
  started: z.boolean(),
  /** The run this start replaced, when there was one. */
  previous: z
    .object({ record: installerRunRecordSchema.nullable(), exitCode: z.number().int().nullable(), endedUtc: z.string().nullable() })
    .nullable(),
});
/** What `Start-Installer` reports. */
export type StartedInstaller = z.infer<typeof startInstallerResultSchema>;

/** Params of `Get-InstallerRun`. */
export const installerRunParamsSchema = z.object({ product: productKeySchema, waitSeconds: z.number().min(0).max(86_400) }).strict();

/**
 * PowerShell shared by both installer operations: where the run records live, reading one, waiting on its process.
 * The records sit in %ProgramData%\vdi-upgrade\installer-runs, readable by Administrators and SYSTEM only.
 */
const RUN_RECORD_FUNCTIONS = String.raw`$runDir = Join-Path $env:ProgramData 'vdi-upgrade\installer-runs'
function Read-VdiRun([string]$product) {
  $recordPath = Join-Path $runDir ($product + '.json')
  if (-not (Test-Path -LiteralPath $recordPath -PathType Leaf)) {
    return @{ found = $false; record = $null; running = $false; exitCode = $null; rebootRequired = $false; endedUtc = $null; logTail = @() }
  }
  $record = Get-Content -LiteralPath $recordPath -Raw | ConvertFrom-Json
  $running = $false
  $proc = Get-Process -Id ([int]$record.pid) -ErrorAction SilentlyContinue
  if ($null -ne $proc) {
    # A PID is reused once its process has gone: the process is ours only if it started when the record says.
    $delta = ($proc.StartTime.ToUniversalTime() - [DateTime]::Parse([string]$record.processStartUtc, [Globalization.CultureInfo]::InvariantCulture, [Globalization.DateTimeStyles]::RoundtripKind).ToUniversalTime()).TotalSeconds
    $running = [math]::Abs($delta) -lt 2
  }
  $exitCode = $null
  $endedUtc = $null
  $exitPath = Join-Path $runDir ($product + '.exit.json')
  if (-not $running -and (Test-Path -LiteralPath $exitPath -PathType Leaf)) {
    $exit = Get-Content -LiteralPath $exitPath -Raw | ConvertFrom-Json
    if ($null -ne $exit.exitCode) { $exitCode = [int]$exit.exitCode }
    $endedUtc = [string]$exit.endedUtc
  }
  $logPath = [string]$record.logPath
  $logTail = @()
  if (Test-Path -LiteralPath $logPath -PathType Leaf) {
    # MSI verbose logs are UTF-16 with a BOM; Get-Content detects it.
    $logTail = @(Get-Content -LiteralPath $logPath -Tail 20 | ForEach-Object { [string]$_ })
  }
  @{
    found = $true
    record = @{ product = [string]$record.product; target = [string]$record.target; path = [string]$record.path; logPath = $logPath; pid = [int]$record.pid; startedUtc = [string]$record.startedUtc }
    running = $running
    exitCode = $exitCode
    rebootRequired = ($exitCode -eq 3010)
    endedUtc = $endedUtc
    logTail = $logTail
  }
}
function Wait-VdiRun($run, [double]$seconds) {
  if ($run.running -and $seconds -gt 0) {
    $proc = Get-Process -Id ([int]$run.record.pid) -ErrorAction SilentlyContinue
    # Waiting here is harmless: the installer is not in this session's job, and ends on its own whatever happens to it.
    if ($null -ne $proc) { $null = $proc.WaitForExit([int][math]::Min($seconds * 1000, [int]::MaxValue)) }
    $run = Read-VdiRun ([string]$run.record.product)
  }
  $run
}`;

/** Start-Installer up to the point where a process must be started outside the session; sets `$commandLine`. */
const START_PROLOGUE = String.raw`$product = [string]$p.product
$path = [string]$p.path
$logPath = [string]$p.logPath
$existing = Read-VdiRun $product
if ($existing.running) {
  'An installer started at ' + $existing.record.startedUtc + ' (PID ' + $existing.record.pid + ') is still running; not starting another.'
  $run = Wait-VdiRun $existing ([double]$p.waitSeconds)
  $run.started = $false
  $run.previous = $null
  Write-VdiResult $run
  return
}
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
# The run records are readable by Administrators and SYSTEM only; a folder someone else created is not trusted.
if (-not (Test-Path -LiteralPath $runDir)) { $null = New-Item -ItemType Directory -Path $runDir -Force }
$sidType = [System.Security.Principal.SecurityIdentifier]
$me = [System.Security.Principal.WindowsIdentity]::GetCurrent().User
$owner = (Get-Acl -LiteralPath $runDir).GetOwner($sidType)
if (@('S-1-5-32-544', 'S-1-5-18', $me.Value) -notcontains $owner.Value) { throw "$runDir is owned by $owner, not by Administrators: remove it and run again." }
$acl = New-Object System.Security.AccessControl.DirectorySecurity
$acl.SetAccessRuleProtection($true, $false)
foreach ($sid in @('S-1-5-32-544', 'S-1-5-18')) {
  $rule = New-Object System.Security.AccessControl.FileSystemAccessRule((New-Object System.Security.Principal.SecurityIdentifier($sid)), 'FullControl', 'ContainerInherit,ObjectInherit', 'None', 'Allow')
  $acl.AddAccessRule($rule)
}
Set-Acl -LiteralPath $runDir -AclObject $acl
$previous = $null
if ($existing.found) { $previous = @{ record = $existing.record; exitCode = $existing.exitCode; endedUtc = $existing.endedUtc } }
$recordPath = Join-Path $runDir ($product + '.json')
$exitPath = Join-Path $runDir ($product + '.exit.json')
if (Test-Path -LiteralPath $exitPath) { Remove-Item -LiteralPath $exitPath -Force }
# A log left by an earlier run would make its tail look like this run's.
if (Test-Path -LiteralPath $logPath) { Remove-Item -LiteralPath $logPath -Force }
# The watcher starts the installer, waits for it and records its exit code. Its data travels base64-encoded inside its
# own command line (in memory only, like the installer's arguments): no file holds the secrets.
$data = ConvertTo-Json -Compress -InputObject @{ path = $path; arguments = $arguments; exitPath = $exitPath }
$watcher = @'
$d = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('@DATA@')) | ConvertFrom-Json
$exit = @{ exitCode = $null; endedUtc = $null; error = $null }
try {
  # One argument string, passed as is: the doubled quotes of /v"..." must reach the bootstrapper intact.
  $proc = Start-Process -FilePath $d.path -ArgumentList $d.arguments -PassThru -WindowStyle Hidden
  # Touch the handle now, or ExitCode reads as empty once the process has exited.
  $null = $proc.Handle
  $proc.WaitForExit()
  $exit.exitCode = [int]$proc.ExitCode
} catch { $exit.error = [string]$_.Exception.Message }
$exit.endedUtc = [DateTime]::UtcNow.ToString('o')
Set-Content -LiteralPath $d.exitPath -Value (ConvertTo-Json -Compress -InputObject $exit) -Encoding UTF8
'@
$watcher = $watcher.Replace('@DATA@', [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($data)))
$commandLine = 'powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -WindowStyle Hidden -EncodedCommand ' +
  [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($watcher))`;

/** Start-Installer after the start: writes the run record, then waits. Expects `$processId`. */
const START_EPILOGUE = String.raw`$started = Get-Process -Id $processId -ErrorAction SilentlyContinue
$processStartUtc = [DateTime]::UtcNow.ToString('o')
if ($null -ne $started) { $processStartUtc = $started.StartTime.ToUniversalTime().ToString('o') }
$record = @{
  product = $product
  target = [string]$p.target
  path = $path
  logPath = $logPath
  pid = [int]$processId
  startedUtc = [DateTime]::UtcNow.ToString('o')
  processStartUtc = $processStartUtc
}
# Written whole then moved into place: a reader never sees half a record.
Set-Content -LiteralPath ($recordPath + '.tmp') -Value (ConvertTo-Json -Compress -InputObject $record) -Encoding UTF8
Move-Item -LiteralPath ($recordPath + '.tmp') -Destination $recordPath -Force
'Started ' + $path + ' as PID ' + $processId + ', outside the SSH session'
$run = Wait-VdiRun (Read-VdiRun $product) ([double]$p.waitSeconds)
$run.started = $true
$run.previous = $previous
Write-VdiResult $run`;

/** The default start: WMI's Win32_Process.Create (outside the session's job, the calling account, the PID at once). */
const START_WITH_WMI = String.raw`$created = Invoke-CimMethod -ClassName Win32_Process -MethodName Create -Arguments @{ CommandLine = $commandLine }
if ($created.ReturnValue -ne 0) { throw "Win32_Process.Create could not start the installer's watcher on $env:COMPUTERNAME (return value $($created.ReturnValue))." }
$processId = [int]$created.ProcessId`;

/** A break-away start: CreateProcess with CREATE_BREAKAWAY_FROM_JOB, where the session's job allows it (PR 267). */
const START_BREAKING_AWAY = String.raw`Add-Type -TypeDefinition @'
using System;
using System.Runtime.InteropServices;
public static class VdiBreakaway {
  [StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]
  public struct STARTUPINFO { public int cb; public string lpReserved; public string lpDesktop; public string lpTitle; public int dwX; public int dwY; public int dwXSize; public int dwYSize; public int dwXCountChars; public int dwYCountChars; public int dwFillAttribute; public int dwFlags; public short wShowWindow; public short cbReserved2; public IntPtr lpReserved2; public IntPtr hStdInput; public IntPtr hStdOutput; public IntPtr hStdError; }
  [StructLayout(LayoutKind.Sequential)]
  public struct PROCESS_INFORMATION { public IntPtr hProcess; public IntPtr hThread; public int dwProcessId; public int dwThreadId; }
  [DllImport("kernel32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
  static extern bool CreateProcess(string app, System.Text.StringBuilder cmd, IntPtr pa, IntPtr ta, bool inherit, uint flags, IntPtr env, string dir, ref STARTUPINFO si, out PROCESS_INFORMATION pi);
  [DllImport("kernel32.dll")]
  static extern bool CloseHandle(IntPtr h);
  public static int Start(string commandLine) {
    var si = new STARTUPINFO();
    si.cb = Marshal.SizeOf(si);
    PROCESS_INFORMATION pi;
    // CREATE_BREAKAWAY_FROM_JOB | CREATE_NO_WINDOW
    if (!CreateProcess(null, new System.Text.StringBuilder(commandLine), IntPtr.Zero, IntPtr.Zero, false, 0x01000000 | 0x08000000, IntPtr.Zero, null, ref si, out pi)) {
      throw new System.ComponentModel.Win32Exception(Marshal.GetLastWin32Error());
    }
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    return pi.dwProcessId;
  }
}
'@
$processId = [VdiBreakaway]::Start($commandLine)`;

function startInstallerBody(starter: string): string {
  return `${RUN_RECORD_FUNCTIONS}\n${START_PROLOGUE}\n${starter}\n${START_EPILOGUE}`;
}

/**
 * `overrides.startInstallerScript` for hosts whose Win32-OpenSSH job allows break-away (PowerShell/openssh-portable
 * PR 267): the installer's watcher is created with CREATE_BREAKAWAY_FROM_JOB instead of through WMI.
 */
export const START_INSTALLER_BREAKAWAY_BODY = startInstallerBody(START_BREAKING_AWAY);

/**
 * `Start-Installer`: starts an installer outside the SSH session's job object (by default through WMI's
 * `Win32_Process.Create`), as the same account, with its argument string assembled on the host from `argumentTemplate`
 * (`{{secret:NAME}}` → `secrets.NAME`): no secret on the SSH command line, in the run record or in any file. Writes the
 * run record (product, target, PID, start time, log path) under %ProgramData% (Administrators and SYSTEM only), then
 * waits up to `waitSeconds` for the installer to end. When the record names an installer still running, starts nothing
 * and reports that one (`started: false`). The installer is never stopped: stopping msiexec half-way leaves the product
 * broken. Overridable (`overrides.startInstallerScript`, e.g. `START_INSTALLER_BREAKAWAY_BODY`).
 */
export const START_INSTALLER: OperationDefinition<z.infer<typeof startInstallerParamsSchema>, StartedInstaller> = {
  name: "Start-Installer",
  overridable: true,
  params: startInstallerParamsSchema,
  result: startInstallerResultSchema,
  deadlineSeconds: (p) => p.waitSeconds + 120,
  body: startInstallerBody(START_WITH_WMI),
};

/** Starts an installer outside the SSH session (or finds the one still running) and waits up to `waitSeconds`. */
export function startInstaller(
  session: Session,
  params: z.infer<typeof startInstallerParamsSchema>,
  options?: OperationOptions,
): Promise<RunResult<StartedInstaller>> {
  return runOperation(session, START_INSTALLER, params, options);
}

/**
 * `Get-InstallerRun`: the run record of `product` and whether its installer still runs (PID and start time must both
 * match: PIDs are reused), its exit code once ended and its log's tail; waits up to `waitSeconds` for it to end.
 * Read-only: preview runs it. Needs an administrator (the records are not readable by others).
 */
export const GET_INSTALLER_RUN: OperationDefinition<z.infer<typeof installerRunParamsSchema>, InstallerRun> = {
  name: "Get-InstallerRun",
  overridable: false,
  params: installerRunParamsSchema,
  result: installerRunSchema,
  deadlineSeconds: (p) => p.waitSeconds + 60,
  body: `${RUN_RECORD_FUNCTIONS}
Write-VdiResult (Wait-VdiRun (Read-VdiRun ([string]$p.product)) ([double]$p.waitSeconds))`,
};

/** Reads the run record of the last installer started for `product`, waiting up to `waitSeconds` for it to end. */
export function getInstallerRun(
  session: Session,
  params: z.infer<typeof installerRunParamsSchema>,
  options?: OperationOptions,
): Promise<RunResult<InstallerRun>> {
  return runOperation(session, GET_INSTALLER_RUN, params, options);
}

// ---------------------------------------------------------------------------------------------------------------
// Invoke-Hook

/** Params of `Invoke-Hook`. */
export const hookParamsSchema = z.object({ hook: z.string().min(1), phase: z.string().min(1) }).strict();
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
