# vdi-upgrade operation: Get-HorizonPrerequisites
param($p)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
function Write-VdiResult($Value) {
  'VDIUPGRADE-RESULT ' + (ConvertTo-Json -Compress -Depth 5 -InputObject $Value)
}
$missing = @()
foreach ($f in @($p.files)) { if (-not (Test-Path -LiteralPath ([string]$f) -PathType Leaf)) { $missing += [string]$f } }
foreach ($c in @($p.commands)) { if ($null -eq (Get-Command ([string]$c) -ErrorAction SilentlyContinue)) { $missing += [string]$c } }
foreach ($m in @($p.modules)) { if ($null -eq (Get-Module -ListAvailable -Name ([string]$m))) { $missing += [string]$m } }
Write-VdiResult @{ missing = @($missing) }
