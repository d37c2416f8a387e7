# vdi-upgrade operation: Get-FileHash
param($p)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
function Write-VdiResult($Value) {
  'VDIUPGRADE-RESULT ' + (ConvertTo-Json -Compress -Depth 5 -InputObject $Value)
}
$path = [string]$p.path
if (Test-Path -LiteralPath $path -PathType Leaf) {
  $item = Get-Item -LiteralPath $path
  $hash = Get-FileHash -LiteralPath $path -Algorithm SHA256
  Write-VdiResult @{ exists = $true; sha256 = $hash.Hash.ToLowerInvariant(); sizeBytes = [long]$item.Length }
} else {
  Write-VdiResult @{ exists = $false; sha256 = $null; sizeBytes = $null }
}
