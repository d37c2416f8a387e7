# vdi-upgrade operation: Get-SecurityServerList
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
  $useIpsec = [bool]$api.GlobalSettings.GlobalSettings_Get().SecurityData.EnableIPSecForSecurityServerPairing
  $csNames = @{}
  foreach ($cs in @($api.ConnectionServer.ConnectionServer_List())) { $csNames[[string]$cs.Id.Id] = [string]$cs.General.Name }
  $health = @{}
  foreach ($h in @($api.SecurityServerHealth.SecurityServerHealth_List())) { $health[[string]$h.Name] = $h }
  $list = New-Object System.Collections.ArrayList
  foreach ($ss in @($api.SecurityServer.SecurityServer_List())) {
    $name = [string]$ss.General.Name
    $ipsec = 'none'
    if ($useIpsec) {
      $ipsec = 'active'
      if ($health.ContainsKey($name) -and ([string]$health[$name].IpSecStatus) -match 'PREPARED|UPGRADE') { $ipsec = 'prepared' }
    }
    $csName = [string]$csNames[[string]$ss.General.ConnectionServer.Id]
    $status = 'UNKNOWN'
    if ($health.ContainsKey($name)) { $status = [string]$health[$name].Status }
    [void]$list.Add(@{ name = $name; version = [string]$ss.General.Version; connectionServer = $csName; ipsec = $ipsec; status = $status })
  }
  Write-VdiResult @{ securityServers = @($list.ToArray()); useIpsec = $useIpsec }
} finally {
  Disconnect-HVServer -Server $hv -Force -Confirm:$false
}
