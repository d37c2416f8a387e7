# vdi-upgrade operation: Get-ClientSessions
param($p)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
function Write-VdiResult($Value) {
  'VDIUPGRADE-RESULT ' + (ConvertTo-Json -Compress -Depth 5 -InputObject $Value)
}
$ports = @($p.ports | ForEach-Object { [int]$_ })
$connections = New-Object System.Collections.ArrayList
if (Get-Command Get-NetTCPConnection -ErrorAction SilentlyContinue) {
  foreach ($c in @(Get-NetTCPConnection -State Established -ErrorAction SilentlyContinue | Where-Object { $ports -contains [int]$_.LocalPort })) {
    [void]$connections.Add(@{ remoteAddress = [string]$c.RemoteAddress; localPort = [int]$c.LocalPort })
  }
} else {
  foreach ($line in @(netstat -ano -p TCP)) {
    $f = ([string]$line).Trim() -split '\s+'
    if ($f.Length -lt 4 -or $f[3] -ne 'ESTABLISHED') { continue }
    $local = [int]($f[1].Substring($f[1].LastIndexOf(':') + 1))
    if ($ports -contains $local) { [void]$connections.Add(@{ remoteAddress = $f[2].Substring(0, $f[2].LastIndexOf(':')); localPort = $local }) }
  }
}
Write-VdiResult @{ connections = @($connections.ToArray()) }
