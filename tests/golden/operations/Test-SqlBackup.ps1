# vdi-upgrade operation: Test-SqlBackup
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
$query = 'RESTORE VERIFYONLY FROM DISK = ' + (ConvertTo-SqlLiteral ([string]$p.backupPath))
$run = Invoke-VdiSqlcmd $query
$message = (@($run.output | Where-Object { $_ -ne '' }) -join ' ').Trim()
Write-VdiResult @{ valid = ($run.exitCode -eq 0); message = $message }
