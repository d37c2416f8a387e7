# vdi-upgrade operation: Get-IpsecRules
param($p)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
function Write-VdiResult($Value) {
  'VDIUPGRADE-RESULT ' + (ConvertTo-Json -Compress -Depth 5 -InputObject $Value)
}
if ($null -eq (Get-Command Get-NetIPsecRule -ErrorAction SilentlyContinue)) {
  throw "The NetSecurity module (Get-NetIPsecRule) is not available on $env:COMPUTERNAME; it comes with Windows Server 2012 and later."
}
$fqdn = [System.Net.Dns]::GetHostEntry([string]$env:COMPUTERNAME).HostName
$addresses = @(Get-NetIPAddress -ErrorAction Stop | Where-Object { $_.IPAddress -notmatch '^(127\.|::1$|fe80:)' } | ForEach-Object { [string]$_.IPAddress })
$rules = New-Object System.Collections.ArrayList
foreach ($r in @(Get-NetIPsecRule -PolicyStore ActiveStore -ErrorAction Stop)) {
  $remote = @(($r | Get-NetIPsecAddressFilter -ErrorAction Stop).RemoteAddress | ForEach-Object { [string]$_ })
  [void]$rules.Add(@{ displayName = [string]$r.DisplayName; remoteAddresses = $remote; store = [string]$r.PolicyStoreSourceType })
}
Write-VdiResult @{ computerName = [string]$env:COMPUTERNAME; fqdn = [string]$fqdn; addresses = $addresses; rules = @($rules.ToArray()) }
