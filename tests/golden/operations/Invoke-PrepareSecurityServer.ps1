# vdi-upgrade operation: Invoke-PrepareSecurityServer
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
  $target = [string]$p.securityServer
  $ss = @($api.SecurityServer.SecurityServer_List() | Where-Object { $_.General.Name -eq $target }) | Select-Object -First 1
  if ($null -eq $ss) { throw "[securityServer] '$target' is not a security server of this pod." }
  $useIpsec = [bool]$api.GlobalSettings.GlobalSettings_Get().SecurityData.EnableIPSecForSecurityServerPairing
  if (-not $useIpsec) {
    'IPsec for security server connections is off: there are no IPsec rules to remove for ' + $target + '.'
    Write-VdiResult @{ ipsec = 'none' }
  } else {
    throw ("There is no documented API for 'Prepare for Upgrade or Reinstallation'. Run it in Horizon Administrator: " +
      "View Configuration > Servers > Security Servers > " + $target + " > More Commands > Prepare for Upgrade or Reinstallation, " +
      "then run again with an override body for Invoke-PrepareSecurityServer that prints {""ipsec"":""prepared""}.")
  }
} finally {
  Disconnect-HVServer -Server $hv -Force -Confirm:$false
}
