# vdi-upgrade operation: Get-AppVDatabase
param($p)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
function Write-VdiResult($Value) {
  'VDIUPGRADE-RESULT ' + (ConvertTo-Json -Compress -Depth 5 -InputObject $Value)
}
function ConvertTo-SqlIdentifier([string]$Name) { '[' + $Name.Replace(']', ']]') + ']' }
function ConvertTo-SqlLiteral([string]$Text) { "N'" + $Text.Replace("'", "''") + "'" }
function Invoke-VdiSqlcmd([string]$Query) {
  $sqlcmd = Get-Command sqlcmd.exe -ErrorAction SilentlyContinue
  if ($null -eq $sqlcmd) { throw "sqlcmd.exe was not found on $env:COMPUTERNAME; install the SQL Server command-line utilities." }
  $argv = @('-S', [string]$p.sqlServer, '-b', '-x', '-h', '-1', '-W')
  $useLogin = $null -ne $p.secrets -and $null -ne $p.secrets.sqlUser
  if ($useLogin) {
    $argv += @('-U', [string]$p.secrets.sqlUser)
    $env:SQLCMDPASSWORD = [string]$p.secrets.sqlPassword
  } else {
    $argv += '-E'
  }
  $argv += @('-Q', $Query)
  try {
    $lines = & {
      $ErrorActionPreference = 'Continue'
      & $sqlcmd.Source @argv 2>&1 | ForEach-Object { [string]$_ }
    }
    return @{ exitCode = [int]$LASTEXITCODE; output = @($lines) }
  } finally {
    if ($useLogin) { Remove-Item Env:\SQLCMDPASSWORD -ErrorAction SilentlyContinue }
  }
}
$db = ConvertTo-SqlIdentifier ([string]$p.database)
$query = 'SET NOCOUNT ON; SELECT TOP (1) CAST([version] AS nvarchar(64)) FROM ' + $db + '.[dbo].[SCHEMA_VERSION] ORDER BY 1 DESC'
$run = Invoke-VdiSqlcmd $query
if ($run.exitCode -ne 0) { throw "Could not read the schema version of '$($p.database)' (sqlcmd exit $($run.exitCode)): $($run.output -join ' ')" }
$version = @($run.output | Where-Object { $_ -match '^\d+(\.\d+)+$' }) | Select-Object -First 1
if (-not $version) { throw "No schema version found in $db.dbo.SCHEMA_VERSION: $($run.output -join ' ')" }
Write-VdiResult @{ schemaVersion = [string]$version }
