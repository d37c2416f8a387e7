# vdi-upgrade operation: Get-MemberState
param($p)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
function Write-VdiResult($Value) {
  'VDIUPGRADE-RESULT ' + (ConvertTo-Json -Compress -Depth 5 -InputObject $Value)
}
$dir = Join-Path $env:ProgramData 'vdi-upgrade'
$leasePath = Join-Path $dir 'run-lease.json'
$owedPath = Join-Path $dir 'owed-hooks.json'
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
Write-VdiResult @{ computerName = [string]$env:COMPUTERNAME; utcNow = [DateTime]::UtcNow.ToString('o'); service = $service; lease = $lease }
