# vdi-upgrade operation: Get-ReplicationHealth
param($p)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
function Write-VdiResult($Value) {
  'VDIUPGRADE-RESULT ' + (ConvertTo-Json -Compress -Depth 5 -InputObject $Value)
}
$repadmin = Get-Command repadmin.exe -ErrorAction SilentlyContinue
if ($null -eq $repadmin) { throw "repadmin.exe was not found on $env:COMPUTERNAME (it comes with the AD LDS tools)." }
$output = & {
  $ErrorActionPreference = 'Continue'
  & $repadmin.Source '/showrepl' 'localhost:389' 2>&1 | ForEach-Object { [string]$_ }
}
$exitCode = [int]$LASTEXITCODE
$output = @($output)
$failed = @($output | Where-Object { $_ -match 'Last attempt @ .* failed' -or $_ -match '\b[1-9][0-9]* consecutive failure' })
Write-VdiResult @{ healthy = ($exitCode -eq 0 -and $failed.Count -eq 0); output = $output }
