# vdi-upgrade operation: Get-InstallerVersion
param($p)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
function Write-VdiResult($Value) {
  'VDIUPGRADE-RESULT ' + (ConvertTo-Json -Compress -Depth 5 -InputObject $Value)
}
$path = [string]$p.path
if (-not (Test-Path -LiteralPath $path -PathType Leaf)) {
  Write-VdiResult @{ exists = $false; productVersion = $null; fileVersion = $null }
} else {
  $info = (Get-Item -LiteralPath $path).VersionInfo
  $product = $null
  if ($info.ProductVersion) { $product = ([string]$info.ProductVersion).Trim() }
  $file = $null
  if ($info.FileVersion) { $file = ([string]$info.FileVersion).Trim() }
  Write-VdiResult @{ exists = $true; productVersion = $product; fileVersion = $file }
}
