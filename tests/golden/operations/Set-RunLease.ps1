# vdi-upgrade operation: Set-RunLease
param($p)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
function Write-VdiResult($Value) {
  'VDIUPGRADE-RESULT ' + (ConvertTo-Json -Compress -Depth 5 -InputObject $Value)
}
$dir = Join-Path $env:ProgramData 'vdi-upgrade'
$leasePath = Join-Path $dir 'run-lease.json'
$owedPath = Join-Path $dir 'owed-hooks.json'
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
}
