# vdi-upgrade operation: Invoke-Installer
param($p)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
function Write-VdiResult($Value) {
  'VDIUPGRADE-RESULT ' + (ConvertTo-Json -Compress -Depth 5 -InputObject $Value)
}
$path = [string]$p.path
$logPath = [string]$p.logPath
if (-not (Test-Path -LiteralPath $path -PathType Leaf)) { throw "The installer '$path' does not exist on $env:COMPUTERNAME." }
$secrets = @{}
if ($null -ne $p.secrets) {
  foreach ($prop in $p.secrets.PSObject.Properties) { $secrets[$prop.Name] = [string]$prop.Value }
}
$arguments = [string]$p.argumentTemplate
foreach ($m in [regex]::Matches($arguments, '\{\{secret:([A-Za-z0-9_.-]+)\}\}')) {
  $name = $m.Groups[1].Value
  if (-not $secrets.ContainsKey($name)) { throw "[argumentTemplate] uses {{secret:$name}} but params.secrets has no '$name'." }
}
# Literal replacement (String.Replace, not -replace): a secret containing '$' or '\' stays as it is.
foreach ($name in @($secrets.Keys)) { $arguments = $arguments.Replace('{{secret:' + $name + '}}', $secrets[$name]) }
# A log left by an earlier run would make its tail look like this run's.
if (Test-Path -LiteralPath $logPath) { Remove-Item -LiteralPath $logPath -Force }
'Starting ' + $path
# One argument string, passed as is: the doubled quotes of /v"..." must reach the bootstrapper intact (§A1).
$proc = Start-Process -FilePath $path -ArgumentList $arguments -PassThru -WindowStyle Hidden
# Touch the handle now, or ExitCode reads as empty once the process has exited.
$null = $proc.Handle
# Start-Process -Wait has no timeout; WaitForExit does, and leaves the installer running when it expires.
if (-not $proc.WaitForExit([int]([double]$p.timeoutSeconds * 1000))) {
  throw "The installer $path (PID $($proc.Id)) did not finish within $($p.timeoutSeconds) s; it is still running on $env:COMPUTERNAME. Wait for it to end and check $logPath before running it again."
}
$proc.WaitForExit()
$exitCode = [int]$proc.ExitCode
$logTail = @()
if (Test-Path -LiteralPath $logPath -PathType Leaf) {
  # MSI verbose logs are UTF-16 with a BOM; Get-Content detects it.
  $logTail = @(Get-Content -LiteralPath $logPath -Tail 20 | ForEach-Object { [string]$_ })
}
if ($exitCode -ne 0 -and $exitCode -ne 3010) {
  'The installer exited with ' + $exitCode + '; last lines of ' + $logPath + ':'
  $logTail
} else {
  'Installation finished with exit code ' + $exitCode
}
Write-VdiResult @{ exitCode = $exitCode; rebootRequired = ($exitCode -eq 3010); logTail = @($logTail) }
