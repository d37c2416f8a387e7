# vdi-upgrade operation: Set-ServiceState
param($p)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
function Write-VdiResult($Value) {
  'VDIUPGRADE-RESULT ' + (ConvertTo-Json -Compress -Depth 5 -InputObject $Value)
}
$displayName = [string]$p.displayName
$target = [System.ServiceProcess.ServiceControllerStatus][string]$p.state
$svc = @(Get-Service | Where-Object { $_.DisplayName -eq $displayName }) | Select-Object -First 1
if ($null -eq $svc) { throw "Cannot find any service with display name '$displayName'." }
$watch = [System.Diagnostics.Stopwatch]::StartNew()
if ($svc.Status -ne $target) {
  if ($target -eq [System.ServiceProcess.ServiceControllerStatus]::Running) {
    if ($svc.StartType.ToString() -eq 'Disabled') { throw "Service '$displayName ($($svc.Name))' cannot be started because it is disabled." }
    if ($svc.Status -ne [System.ServiceProcess.ServiceControllerStatus]::StartPending) { $svc.Start() }
  } else {
    Stop-Service -InputObject $svc -Force -NoWait
  }
  try {
    $svc.WaitForStatus($target, [TimeSpan]::FromSeconds([double]$p.timeoutSeconds))
  } catch [System.ServiceProcess.TimeoutException] {
    $svc.Refresh()
    throw "Service '$displayName ($($svc.Name))' did not reach $target within $($p.timeoutSeconds) s; it is $($svc.Status)."
  }
  'Service ''' + $displayName + ''' is ' + $target + '.'
}
$svc.Refresh()
Write-VdiResult @{
  displayName = [string]$svc.DisplayName
  status = $svc.Status.ToString()
  waitedSeconds = [math]::Round($watch.Elapsed.TotalSeconds, 1)
}
