# vdi-upgrade operation: Invoke-Vdmexport
param($p)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
function Write-VdiResult($Value) {
  'VDIUPGRADE-RESULT ' + (ConvertTo-Json -Compress -Depth 5 -InputObject $Value)
}
$exe = [string]$p.vdmexportPath
if (-not (Test-Path -LiteralPath $exe -PathType Leaf)) {
  throw "vdmexport.exe was not found at '$exe' on $env:COMPUTERNAME; set overrides.vdmexportPath to where it is."
}
$dir = Split-Path -Parent ([string]$p.path)
if ($dir -and -not (Test-Path -LiteralPath $dir)) { New-Item -ItemType Directory -Path $dir -Force | Out-Null }
$output = & {
  $ErrorActionPreference = 'Continue'
  & $exe '-f' ([string]$p.path) 2>&1 | ForEach-Object { [string]$_ }
}
$exitCode = [int]$LASTEXITCODE
$output = @($output)
foreach ($line in $output) { $line }
Write-VdiResult @{ exitCode = $exitCode; output = $output }
