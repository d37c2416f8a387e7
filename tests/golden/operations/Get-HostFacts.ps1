# vdi-upgrade operation: Get-HostFacts
param($p)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
function Write-VdiResult($Value) {
  'VDIUPGRADE-RESULT ' + (ConvertTo-Json -Compress -Depth 5 -InputObject $Value)
}
$identity = [System.Security.Principal.WindowsIdentity]::GetCurrent()
$principal = New-Object System.Security.Principal.WindowsPrincipal($identity)
$isAdmin = $principal.IsInRole([System.Security.Principal.WindowsBuiltInRole]::Administrator)
Write-VdiResult @{
  computerName = [string]$env:COMPUTERNAME
  user = [string]$identity.Name
  isAdmin = [bool]$isAdmin
  utcNow = [DateTime]::UtcNow.ToString('o')
  psVersion = $PSVersionTable.PSVersion.ToString()
}
