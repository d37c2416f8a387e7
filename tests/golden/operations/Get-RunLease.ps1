# vdi-upgrade operation: Get-RunLease
param($p)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
function Write-VdiResult($Value) {
  'VDIUPGRADE-RESULT ' + (ConvertTo-Json -Compress -Depth 5 -InputObject $Value)
}
$dir = Join-Path $env:ProgramData 'vdi-upgrade'
$leasePath = Join-Path $dir 'run-lease.json'
$owedPath = Join-Path $dir 'owed-hooks.json'
$lease = $null
if (Test-Path -LiteralPath $leasePath) { $lease = [IO.File]::ReadAllText($leasePath) | ConvertFrom-Json }
$owed = @()
if (Test-Path -LiteralPath $owedPath) { $owed = @([IO.File]::ReadAllText($owedPath) | ConvertFrom-Json) }
Write-VdiResult @{ utcNow = [DateTime]::UtcNow.ToString('o'); lease = $lease; owedHooks = @($owed) }
