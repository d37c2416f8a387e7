# vdi-upgrade operation: Invoke-Vdmadmin
param($p)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
function Write-VdiResult($Value) {
  'VDIUPGRADE-RESULT ' + (ConvertTo-Json -Compress -Depth 5 -InputObject $Value)
}
$exe = [string]$p.vdmadminPath
if (-not (Test-Path -LiteralPath $exe -PathType Leaf)) {
  throw "vdmadmin.exe was not found at '$exe' on $env:COMPUTERNAME. VMware-branded builds keep it in C:\Program Files\VMware\VMware View\Server\tools\bin; set vdmadminPath to where it is."
}
$secrets = @{}
if ($null -ne $p.secrets) {
  foreach ($prop in $p.secrets.PSObject.Properties) { $secrets[$prop.Name] = [string]$prop.Value }
}
$argv = @()
foreach ($a in @($p.arguments)) {
  $arg = [string]$a
  foreach ($name in @($secrets.Keys)) { $arg = $arg.Replace('{{secret:' + $name + '}}', $secrets[$name]) }
  if ($arg.Contains('"')) { throw 'vdmadmin arguments must not contain a double quote (Windows PowerShell 5.1 would split them).' }
  $argv += $arg
}
# Native stderr through 2>&1 becomes error records; with 'Stop' the first one would abort. Collect them instead.
$output = & {
  $ErrorActionPreference = 'Continue'
  & $exe @argv 2>&1 | ForEach-Object { [string]$_ }
}
$exitCode = [int]$LASTEXITCODE
$output = @($output)
foreach ($line in $output) { $line }
Write-VdiResult @{ exitCode = $exitCode; output = $output }
