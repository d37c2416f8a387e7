# vdi-upgrade operation: Get-ReplicationHealth
param($p)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
function Write-VdiResult($Value) {
  'VDIUPGRADE-RESULT ' + (ConvertTo-Json -Compress -Depth 5 -InputObject $Value)
}
$repadmin = Get-Command repadmin.exe -ErrorAction SilentlyContinue
if ($null -eq $repadmin) { throw "repadmin.exe was not found on $env:COMPUTERNAME (it comes with the AD LDS tools)." }
$present = $null -ne (Get-Service -Name ([string]$p.cloudPodService) -ErrorAction SilentlyContinue)
$ports = @(389)
if ($p.global -eq 'always' -or ($p.global -eq 'detect' -and $present)) { $ports += 22389 }
$instances = @()
foreach ($port in $ports) {
  $output = & {
    $ErrorActionPreference = 'Continue'
    & $repadmin.Source '/showrepl' ('localhost:' + $port) 2>&1 | ForEach-Object { [string]$_ }
  }
  $instances += @{ port = [int]$port; exitCode = [int]$LASTEXITCODE; output = @($output) }
}
Write-VdiResult @{ cloudPodService = @{ name = [string]$p.cloudPodService; present = $present }; instances = @($instances) }
