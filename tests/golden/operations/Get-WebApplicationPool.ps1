# vdi-upgrade operation: Get-WebApplicationPool
param($p)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
function Write-VdiResult($Value) {
  'VDIUPGRADE-RESULT ' + (ConvertTo-Json -Compress -Depth 5 -InputObject $Value)
}
Import-Module WebAdministration
$w3 = Get-Service -Name W3SVC -ErrorAction SilentlyContinue
$apps = New-Object System.Collections.ArrayList
foreach ($site in @(Get-Website)) {
  foreach ($app in @(Get-WebApplication -Site $site.Name)) {
    $physical = [Environment]::ExpandEnvironmentVariables([string]$app.PhysicalPath)
    if ($physical -notlike [string]$p.physicalPathLike) { continue }
    $pool = [string]$app.applicationPool
    [void]$apps.Add(@{
      site = [string]$site.Name
      path = [string]$app.path
      physicalPath = $physical
      applicationPool = $pool
      poolState = [string](Get-WebAppPoolState -Name $pool).Value
    })
  }
}
Write-VdiResult @{ iisRunning = ($null -ne $w3 -and $w3.Status.ToString() -eq 'Running'); applications = @($apps.ToArray()) }
