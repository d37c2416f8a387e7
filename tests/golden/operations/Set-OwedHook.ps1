# vdi-upgrade operation: Set-OwedHook
param($p)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
function Write-VdiResult($Value) {
  'VDIUPGRADE-RESULT ' + (ConvertTo-Json -Compress -Depth 5 -InputObject $Value)
}
$dir = Join-Path $env:ProgramData 'vdi-upgrade'
$leasePath = Join-Path $dir 'run-lease.json'
$owedPath = Join-Path $dir 'owed-hooks.json'
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
Write-VdiResult @{ owedHooks = @($kept) }
