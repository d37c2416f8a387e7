# vdi-upgrade operation: Get-PairingPasswordState
param($p)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
function Write-VdiResult($Value) {
  'VDIUPGRADE-RESULT ' + (ConvertTo-Json -Compress -Depth 5 -InputObject $Value)
}
$cn = [string]$p.connectionServer
$entry = $null
foreach ($nc in @('DC=vdi,DC=vmware,DC=int', 'DC=vdi,DC=horizon,DC=internal')) {
  $candidate = New-Object System.DirectoryServices.DirectoryEntry ('LDAP://localhost:389/CN=' + $cn + ',OU=Server,OU=Properties,' + $nc)
  try { $candidate.RefreshCache(); $entry = $candidate; break } catch { }
}
if ($null -eq $entry) { throw "The View LDAP entry CN=$cn,OU=Server,OU=Properties was not found on $env:COMPUTERNAME (localhost:389)." }
$last = $entry.Properties['pae-SecurityServerPairingPasswordLastChangedTime'].Value
$timeout = $entry.Properties['pae-SecurityServerPairingPasswordTimeout'].Value
$set = $null -ne $entry.Properties['pae-SecurityServerPairingPassword'].Value
$tz = [System.TimeZoneInfo]::Local
$lastText = $null
if ($null -ne $last) { $lastText = [string]$last }
$timeoutValue = $null
if ($null -ne $timeout) { $timeoutValue = [long]$timeout }
Write-VdiResult @{
  passwordSet = $set
  lastChangedTime = $lastText
  timeoutSeconds = $timeoutValue
  utcNow = [DateTime]::UtcNow.ToString('o')
  timeZoneId = [string]$tz.Id
  utcOffsetMinutes = [int]$tz.GetUtcOffset([DateTime]::UtcNow).TotalMinutes
}
