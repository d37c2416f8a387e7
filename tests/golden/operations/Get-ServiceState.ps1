# vdi-upgrade operation: Get-ServiceState
param($p)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
function Write-VdiResult($Value) {
  'VDIUPGRADE-RESULT ' + (ConvertTo-Json -Compress -Depth 5 -InputObject $Value)
}
$found = @{}
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
Write-VdiResult @{ services = @($services.ToArray()) }
