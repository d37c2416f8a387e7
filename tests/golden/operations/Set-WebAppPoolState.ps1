# vdi-upgrade operation: Set-WebAppPoolState
param($p)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
function Write-VdiResult($Value) {
  'VDIUPGRADE-RESULT ' + (ConvertTo-Json -Compress -Depth 5 -InputObject $Value)
}
Import-Module WebAdministration
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
Write-VdiResult @{ name = $name; state = $want; waitedSeconds = [int]([DateTime]::UtcNow - $started).TotalSeconds }
