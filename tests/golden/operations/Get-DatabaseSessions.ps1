# vdi-upgrade operation: Get-DatabaseSessions
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
$name = ConvertTo-SqlLiteral ([string]$p.database)
$query = 'SET NOCOUNT ON; SELECT DISTINCT ''VDI|'' + RTRIM(hostname) + ''|'' + RTRIM(program_name) + ''|'' + RTRIM(loginame) FROM master.sys.sysprocesses WHERE dbid = DB_ID(' + $name + ') AND spid <> @@SPID'
$run = Invoke-VdiSqlcmd $query
if ($run.exitCode -ne 0) { throw "Could not read the sessions on '$($p.database)' (sqlcmd exit $($run.exitCode)): $($run.output -join ' ')" }
$sessions = New-Object System.Collections.ArrayList
foreach ($line in $run.output) {
  if (-not $line.StartsWith('VDI|')) { continue }
  $f = $line.Substring(4).Split('|')
  [void]$sessions.Add(@{ hostName = [string]$f[0]; programName = [string]$f[1]; loginName = [string]$f[2] })
}
Write-VdiResult @{ sqlHost = [string]$env:COMPUTERNAME; sessions = @($sessions.ToArray()) }
