/**
 * Operations of the run lease and of owed hooks (issue 19): files under %ProgramData%\vdi-upgrade on the host itself,
 * so every run that reaches the host sees them, whichever stack, project or pipeline it comes from. The lease is
 * created with `[IO.File]::Open(path, [IO.FileMode]::CreateNew, ...)`, which fails when the file exists ("FileMode
 * Enum", https://learn.microsoft.com/dotnet/api/system.io.filemode): of two runs creating it at once exactly one wins.
 * Changing an existing lease opens it with `[IO.FileShare]::None` ("FileShare Enum",
 * https://learn.microsoft.com/dotnet/api/system.io.fileshare), so its read, compare and write are one step.
 */
import { z } from "zod";
import type { RunResult, Session } from "../transport/session";
import { type OperationDefinition, type OperationOptions, runOperation } from "./operation";

/** A run's lease as the host holds it. */
export const leaseSchema = z.object({
  runId: z.string(),
  stack: z.string(),
  project: z.string(),
  host: z.string(),
  since: z.string(),
  expires: z.string(),
  out: z.boolean().optional(),
});
export type Lease = z.infer<typeof leaseSchema>;

/** A hook that failed and is owed, as the host records it. */
export const owedHookSchema = z.object({
  resource: z.string(),
  phase: z.string(),
  failedAt: z.string(),
  exitCode: z.number().int(),
  output: z.array(z.string()),
  lease: leaseSchema.omit({ out: true }).optional(),
});
export type OwedHook = z.infer<typeof owedHookSchema>;

/** The lines every lease operation shares: where the files are. */
const PATHS = String.raw`$dir = Join-Path $env:ProgramData 'vdi-upgrade'
$leasePath = Join-Path $dir 'run-lease.json'
$owedPath = Join-Path $dir 'owed-hooks.json'`;

// ---------------------------------------------------------------------------------------------------------------
// Get-RunLease

export const getRunLeaseResultSchema = z.object({ utcNow: z.string(), lease: leaseSchema.nullable(), owedHooks: z.array(owedHookSchema) });

/** `Get-RunLease`: the lease on this host (null when none) and the hooks owed on it. Read-only. */
export const GET_RUN_LEASE: OperationDefinition<Record<string, never>, z.infer<typeof getRunLeaseResultSchema>> = {
  name: "Get-RunLease",
  overridable: false,
  params: z.object({}).strict() as unknown as z.ZodType<Record<string, never>>,
  result: getRunLeaseResultSchema,
  deadlineSeconds: () => 60,
  body: String.raw`${PATHS}
$lease = $null
if (Test-Path -LiteralPath $leasePath) { $lease = [IO.File]::ReadAllText($leasePath) | ConvertFrom-Json }
$owed = @()
if (Test-Path -LiteralPath $owedPath) { $owed = @([IO.File]::ReadAllText($owedPath) | ConvertFrom-Json) }
Write-VdiResult @{ utcNow = [DateTime]::UtcNow.ToString('o'); lease = $lease; owedHooks = @($owed) }`,
};

export function getRunLease(session: Session, options?: OperationOptions): Promise<RunResult<z.infer<typeof getRunLeaseResultSchema>>> {
  return runOperation(session, GET_RUN_LEASE, {}, options);
}

// ---------------------------------------------------------------------------------------------------------------
// New-RunLease

export const newRunLeaseParamsSchema = z
  .object({
    runId: z.string().min(1).max(100),
    stack: z.string().min(1).max(400),
    project: z.string().min(1).max(400),
    minutes: z
      .number()
      .positive()
      .max(7 * 24 * 60),
    /** Replace the lease only if this run holds it (an expired lease being taken over). */
    takeOverRunId: z.string().min(1).max(100).optional(),
  })
  .strict();
export const newRunLeaseResultSchema = z.object({
  taken: z.boolean(),
  utcNow: z.string(),
  lease: leaseSchema,
  previous: leaseSchema.optional(),
});

/**
 * `New-RunLease`: creates the lease file (CreateNew); renews it when this run holds it; replaces it when the run named
 * by `takeOverRunId` holds it. Otherwise changes nothing and returns the holder's lease (`taken: false`).
 */
export const NEW_RUN_LEASE: OperationDefinition<z.infer<typeof newRunLeaseParamsSchema>, z.infer<typeof newRunLeaseResultSchema>> = {
  name: "New-RunLease",
  overridable: false,
  params: newRunLeaseParamsSchema,
  result: newRunLeaseResultSchema,
  deadlineSeconds: () => 60,
  body: String.raw`${PATHS}
New-Item -ItemType Directory -Force -Path $dir | Out-Null
$now = [DateTime]::UtcNow
$lease = [ordered]@{
  runId = [string]$p.runId
  stack = [string]$p.stack
  project = [string]$p.project
  host = [string]$env:COMPUTERNAME
  since = $now.ToString('o')
  expires = $now.AddMinutes([double]$p.minutes).ToString('o')
  out = $false
}
$bytes = [Text.Encoding]::UTF8.GetBytes((ConvertTo-Json -Compress -InputObject $lease))
$created = $false
try {
  $fs = [IO.File]::Open($leasePath, [IO.FileMode]::CreateNew, [IO.FileAccess]::Write, [IO.FileShare]::None)
  try { $fs.Write($bytes, 0, $bytes.Length) } finally { $fs.Dispose() }
  $created = $true
} catch [IO.IOException] {
  $created = $false
}
if ($created) {
  Write-VdiResult @{ taken = $true; utcNow = $now.ToString('o'); lease = $lease }
  return
}
$fs = [IO.File]::Open($leasePath, [IO.FileMode]::Open, [IO.FileAccess]::ReadWrite, [IO.FileShare]::None)
try {
  $buffer = New-Object byte[] $fs.Length
  [void]$fs.Read($buffer, 0, $buffer.Length)
  $current = [Text.Encoding]::UTF8.GetString($buffer) | ConvertFrom-Json
  $own = [string]$current.runId -eq [string]$p.runId
  $takeOver = $p.takeOverRunId -and ([string]$current.runId -eq [string]$p.takeOverRunId)
  if (-not ($own -or $takeOver)) {
    Write-VdiResult @{ taken = $false; utcNow = $now.ToString('o'); lease = $current }
    return
  }
  if ($own) {
    $lease.since = [string]$current.since
    $lease.out = [bool]$current.out
  }
  $bytes = [Text.Encoding]::UTF8.GetBytes((ConvertTo-Json -Compress -InputObject $lease))
  $fs.SetLength(0)
  $fs.Write($bytes, 0, $bytes.Length)
  if ($own) { Write-VdiResult @{ taken = $true; utcNow = $now.ToString('o'); lease = $lease } }
  else { Write-VdiResult @{ taken = $true; utcNow = $now.ToString('o'); lease = $lease; previous = $current } }
} finally {
  $fs.Dispose()
}`,
};

export function newRunLease(
  session: Session,
  params: z.infer<typeof newRunLeaseParamsSchema>,
  options?: OperationOptions,
): Promise<RunResult<z.infer<typeof newRunLeaseResultSchema>>> {
  return runOperation(session, NEW_RUN_LEASE, params, options);
}

// ---------------------------------------------------------------------------------------------------------------
// Set-RunLease

export const setRunLeaseParamsSchema = z
  .object({ runId: z.string().min(1).max(100), out: z.boolean().optional(), release: z.boolean().optional() })
  .strict();
export const setRunLeaseResultSchema = z.object({ ok: z.boolean(), utcNow: z.string(), lease: leaseSchema.nullable() });

/** `Set-RunLease`: marks this run's lease out of service (or back), or releases it (deletes the file). Never touches another run's. */
export const SET_RUN_LEASE: OperationDefinition<z.infer<typeof setRunLeaseParamsSchema>, z.infer<typeof setRunLeaseResultSchema>> = {
  name: "Set-RunLease",
  overridable: false,
  params: setRunLeaseParamsSchema,
  result: setRunLeaseResultSchema,
  deadlineSeconds: () => 60,
  body: String.raw`${PATHS}
$now = [DateTime]::UtcNow.ToString('o')
if (-not (Test-Path -LiteralPath $leasePath)) {
  Write-VdiResult @{ ok = $false; utcNow = $now; lease = $null }
  return
}
$fs = [IO.File]::Open($leasePath, [IO.FileMode]::Open, [IO.FileAccess]::ReadWrite, [IO.FileShare]::None)
$delete = $false
try {
  $buffer = New-Object byte[] $fs.Length
  [void]$fs.Read($buffer, 0, $buffer.Length)
  $current = [Text.Encoding]::UTF8.GetString($buffer) | ConvertFrom-Json
  if ([string]$current.runId -ne [string]$p.runId) {
    Write-VdiResult @{ ok = $false; utcNow = $now; lease = $current }
    return
  }
  if ($p.release) {
    $delete = $true
  } else {
    if ($null -ne $p.out) { $current.out = [bool]$p.out }
    $bytes = [Text.Encoding]::UTF8.GetBytes((ConvertTo-Json -Compress -InputObject $current))
    $fs.SetLength(0)
    $fs.Write($bytes, 0, $bytes.Length)
  }
} finally {
  $fs.Dispose()
}
if ($delete) {
  Remove-Item -LiteralPath $leasePath -Force
  Write-VdiResult @{ ok = $true; utcNow = $now; lease = $null }
} else {
  Write-VdiResult @{ ok = $true; utcNow = $now; lease = $current }
}`,
};

export function setRunLease(
  session: Session,
  params: z.infer<typeof setRunLeaseParamsSchema>,
  options?: OperationOptions,
): Promise<RunResult<z.infer<typeof setRunLeaseResultSchema>>> {
  return runOperation(session, SET_RUN_LEASE, params, options);
}

// ---------------------------------------------------------------------------------------------------------------
// Set-OwedHook

export const setOwedHookParamsSchema = z
  .object({
    resource: z.string().min(1).max(400),
    phase: z.string().min(1).max(20),
    /** Clear the record instead of writing one. */
    clear: z.boolean().optional(),
    failedAt: z.string().max(64).optional(),
    exitCode: z.number().int().optional(),
    output: z.array(z.string().max(2_000)).max(20).optional(),
    lease: leaseSchema.omit({ out: true }).strict().optional(),
  })
  .strict();
export const setOwedHookResultSchema = z.object({ owedHooks: z.array(owedHookSchema) });

/** `Set-OwedHook`: records a resource's failed hook of a phase (replacing its earlier record), or clears it (`clear`). */
export const SET_OWED_HOOK: OperationDefinition<z.infer<typeof setOwedHookParamsSchema>, z.infer<typeof setOwedHookResultSchema>> = {
  name: "Set-OwedHook",
  overridable: false,
  params: setOwedHookParamsSchema,
  result: setOwedHookResultSchema,
  deadlineSeconds: () => 60,
  body: String.raw`${PATHS}
New-Item -ItemType Directory -Force -Path $dir | Out-Null
$owed = @()
if (Test-Path -LiteralPath $owedPath) { $owed = @([IO.File]::ReadAllText($owedPath) | ConvertFrom-Json) }
$kept = @($owed | Where-Object { -not ([string]$_.resource -eq [string]$p.resource -and [string]$_.phase -eq [string]$p.phase) })
if (-not $p.clear) {
  $record = [ordered]@{
    resource = [string]$p.resource
    phase = [string]$p.phase
    failedAt = [string]$p.failedAt
    exitCode = [int]$p.exitCode
    output = @($p.output | ForEach-Object { [string]$_ })
  }
  if ($null -ne $p.lease) {
    $record.lease = [ordered]@{
      runId = [string]$p.lease.runId
      stack = [string]$p.lease.stack
      project = [string]$p.lease.project
      host = [string]$p.lease.host
      since = [string]$p.lease.since
      expires = [string]$p.lease.expires
    }
  }
  $kept += [pscustomobject]$record
}
if ($kept.Count -eq 0) {
  if (Test-Path -LiteralPath $owedPath) { Remove-Item -LiteralPath $owedPath -Force }
} else {
  [IO.File]::WriteAllText($owedPath, (ConvertTo-Json -Compress -Depth 5 -InputObject @($kept)))
}
Write-VdiResult @{ owedHooks = @($kept) }`,
};

export function setOwedHook(
  session: Session,
  params: z.infer<typeof setOwedHookParamsSchema>,
  options?: OperationOptions,
): Promise<RunResult<z.infer<typeof setOwedHookResultSchema>>> {
  return runOperation(session, SET_OWED_HOOK, params, options);
}

// ---------------------------------------------------------------------------------------------------------------
// Get-MemberState

export const getMemberStateParamsSchema = z.object({ displayNameLike: z.array(z.string().min(1).max(256)).min(1) }).strict();
export const getMemberStateResultSchema = z.object({
  computerName: z.string(),
  utcNow: z.string(),
  service: z.object({ displayName: z.string(), status: z.string() }).nullable(),
  lease: leaseSchema.nullable(),
});
export type MemberState = z.infer<typeof getMemberStateResultSchema>;

/** `Get-MemberState`: what the availability guard reads on another member of the group: its service and its lease. Read-only. */
export const GET_MEMBER_STATE: OperationDefinition<z.infer<typeof getMemberStateParamsSchema>, MemberState> = {
  name: "Get-MemberState",
  overridable: false,
  params: getMemberStateParamsSchema,
  result: getMemberStateResultSchema,
  deadlineSeconds: () => 60,
  body: String.raw`${PATHS}
$service = $null
foreach ($pattern in @($p.displayNameLike | ForEach-Object { [string]$_ })) {
  $svc = @(Get-Service -DisplayName $pattern -ErrorAction SilentlyContinue) | Select-Object -First 1
  if ($svc) {
    $service = @{ displayName = [string]$svc.DisplayName; status = $svc.Status.ToString() }
    break
  }
}
$lease = $null
if (Test-Path -LiteralPath $leasePath) { $lease = [IO.File]::ReadAllText($leasePath) | ConvertFrom-Json }
Write-VdiResult @{ computerName = [string]$env:COMPUTERNAME; utcNow = [DateTime]::UtcNow.ToString('o'); service = $service; lease = $lease }`,
};

export function getMemberState(
  session: Session,
  params: z.infer<typeof getMemberStateParamsSchema>,
  options?: OperationOptions,
): Promise<RunResult<MemberState>> {
  return runOperation(session, GET_MEMBER_STATE, params, options);
}
