# vdi-upgrade operation: New-RunLease
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
}
