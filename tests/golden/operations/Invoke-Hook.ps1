# vdi-upgrade operation: Invoke-Hook
param($p)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
function Write-VdiResult($Value) {
  'VDIUPGRADE-RESULT ' + (ConvertTo-Json -Compress -Depth 5 -InputObject $Value)
}
$hook = [ScriptBlock]::Create([string]$p.hook)
$global:LASTEXITCODE = 0
$exitCode = 0
$output = @()
try {
  $output = @(& $hook 2>&1 | ForEach-Object { [string]$_ })
  if ($null -ne $global:LASTEXITCODE) { $exitCode = [int]$global:LASTEXITCODE }
} catch {
  $output += [string]$_.Exception.Message
  $exitCode = 1
}
foreach ($line in $output) { 'hook ' + [string]$p.phase + ': ' + $line }
Write-VdiResult @{ exitCode = $exitCode; output = @($output) }
