# vdi-upgrade operation: Set-PairingPassword
param($p)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
function Write-VdiResult($Value) {
  'VDIUPGRADE-RESULT ' + (ConvertTo-Json -Compress -Depth 5 -InputObject $Value)
}
Import-Module VMware.VimAutomation.HorizonView -ErrorAction Stop
$fqdn = [System.Net.Dns]::GetHostEntry([string]$env:COMPUTERNAME).HostName
$viewUser = $null
if ($null -ne $p.secrets -and $null -ne $p.secrets.viewApiUser) { $viewUser = [string]$p.secrets.viewApiUser }
if ($viewUser) {
  $hv = Connect-HVServer -Server $fqdn -User $viewUser -Password ([string]$p.secrets.viewApiPassword) -Domain ([string]$p.secrets.viewApiDomain)
} else {
  $hv = Connect-HVServer -Server $fqdn
}
$api = $hv.ExtensionData
try {
  if ([System.TimeZoneInfo]::Local.BaseUtcOffset -ne [TimeSpan]::Zero) {
    'WARNING: ' + $env:COMPUTERNAME + ' is not in UTC (' + [System.TimeZoneInfo]::Local.Id + '); the pairing password may be treated as expired.'
  }
  $target = [string]$p.connectionServer
  $cs = @($api.ConnectionServer.ConnectionServer_List() | Where-Object { $_.General.Name -eq $target -or $_.General.Fqhn -eq $target }) | Select-Object -First 1
  if ($null -eq $cs) { throw "[connectionServer] '$target' is not a Connection Server of this pod." }
  $pairing = New-Object VMware.Hv.ConnectionServerSecurityServerPairingData
  $pairing.PairingPassword = New-Object VMware.Hv.SecureString
  $pairing.PairingPassword.Utf8String = [System.Text.Encoding]::UTF8.GetBytes([string]$p.secrets.pairingPassword)
  $pairing.TimeoutMinutes = [int]$p.timeoutMinutes
  $update = New-Object VMware.Hv.MapEntry
  $update.Key = 'securityServerPairing'
  $update.Value = $pairing
  $api.ConnectionServer.ConnectionServer_Update($cs.Id, @($update))
  Write-VdiResult @{ expiresUtc = [DateTime]::UtcNow.AddMinutes([int]$p.timeoutMinutes).ToString('o') }
} finally {
  Disconnect-HVServer -Server $hv -Force -Confirm:$false
}
