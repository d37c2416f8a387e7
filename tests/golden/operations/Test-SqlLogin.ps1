# vdi-upgrade operation: Test-SqlLogin
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
$run = Invoke-VdiSqlcmd ('SET NOCOUNT ON; USE ' + $db + '; SELECT IS_SRVROLEMEMBER(''sysadmin'')')
if ($run.exitCode -ne 0) {
  Write-VdiResult @{ canLogIn = $false; sysadmin = $false; message = (($run.output | Where-Object { $_ -ne '' }) -join ' ').Trim() }
  return
}
$flag = @($run.output | Where-Object { $_ -match '^\s*[01]\s*$' }) | Select-Object -First 1
Write-VdiResult @{ canLogIn = $true; sysadmin = (([string]$flag).Trim() -eq '1'); message = 'logged in' }
