# vdi-upgrade operation: Invoke-PrepareSecurityServer
param($p)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
function Write-VdiResult($Value) {
  'VDIUPGRADE-RESULT ' + (ConvertTo-Json -Compress -Depth 5 -InputObject $Value)
}
$prefix = [string]$p.ruleNamePrefix
$pairOf = [string]$p.securityServer
$partners = @($p.partnerAddresses | ForEach-Object { [string]$_ })
function Get-PairRules([string]$Store) {
  foreach ($r in @(Get-NetIPsecRule -PolicyStore $Store -ErrorAction Stop)) {
    if (-not ([string]$r.DisplayName).StartsWith($prefix)) { continue }
    $remote = @(($r | Get-NetIPsecAddressFilter -ErrorAction Stop).RemoteAddress | ForEach-Object { [string]$_ })
    if (@($remote | Where-Object { $partners -contains $_ }).Count -eq 0) { continue }
    @{ name = [string]$r.Name; displayName = [string]$r.DisplayName; remoteAddresses = $remote; store = [string]$r.PolicyStoreSourceType }
  }
}
$removed = @()
foreach ($rule in @(Get-PairRules 'PersistentStore')) {
  Remove-NetIPsecRule -PolicyStore PersistentStore -Name $rule.name -ErrorAction Stop
  "Removed connection security rule '$($rule.displayName)' (remote $($rule.remoteAddresses -join ', ')) on $env:COMPUTERNAME, for the pairing of $pairOf."
  $removed += @{ displayName = $rule.displayName; remoteAddresses = $rule.remoteAddresses; store = $rule.store }
}
$remaining = @(Get-PairRules 'ActiveStore' | ForEach-Object { @{ displayName = $_.displayName; remoteAddresses = $_.remoteAddresses; store = $_.store } })
$state = 'none'
if ($removed.Count -gt 0) { $state = 'prepared' }
Write-VdiResult @{ ipsec = $state; removed = $removed; remaining = $remaining }
