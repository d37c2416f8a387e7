# vdi-upgrade operation: Start-Installer
param($p)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
function Write-VdiResult($Value) {
  'VDIUPGRADE-RESULT ' + (ConvertTo-Json -Compress -Depth 5 -InputObject $Value)
}
$runDir = Join-Path $env:ProgramData 'vdi-upgrade\installer-runs'
function Read-VdiRun([string]$product) {
  $recordPath = Join-Path $runDir ($product + '.json')
  if (-not (Test-Path -LiteralPath $recordPath -PathType Leaf)) {
    return @{ found = $false; record = $null; running = $false; exitCode = $null; rebootRequired = $false; endedUtc = $null; logTail = @() }
  }
  $record = Get-Content -LiteralPath $recordPath -Raw | ConvertFrom-Json
  $running = $false
  $proc = Get-Process -Id ([int]$record.pid) -ErrorAction SilentlyContinue
  if ($null -ne $proc) {
    # A PID is reused once its process has gone: the process is ours only if it started when the record says.
    $delta = ($proc.StartTime.ToUniversalTime() - [DateTime]::Parse([string]$record.processStartUtc, [Globalization.CultureInfo]::InvariantCulture, [Globalization.DateTimeStyles]::RoundtripKind).ToUniversalTime()).TotalSeconds
    $running = [math]::Abs($delta) -lt 2
  }
  $exitCode = $null
  $endedUtc = $null
  $exitPath = Join-Path $runDir ($product + '.exit.json')
  if (-not $running -and (Test-Path -LiteralPath $exitPath -PathType Leaf)) {
    $exit = Get-Content -LiteralPath $exitPath -Raw | ConvertFrom-Json
    if ($null -ne $exit.exitCode) { $exitCode = [int]$exit.exitCode }
    $endedUtc = [string]$exit.endedUtc
  }
  $logPath = [string]$record.logPath
  $logTail = @()
  if (Test-Path -LiteralPath $logPath -PathType Leaf) {
    # MSI verbose logs are UTF-16 with a BOM; Get-Content detects it.
    $logTail = @(Get-Content -LiteralPath $logPath -Tail 20 | ForEach-Object { [string]$_ })
  }
  @{
    found = $true
    record = @{ product = [string]$record.product; target = [string]$record.target; path = [string]$record.path; logPath = $logPath; pid = [int]$record.pid; startedUtc = [string]$record.startedUtc }
    running = $running
    exitCode = $exitCode
    rebootRequired = ($exitCode -eq 3010)
    endedUtc = $endedUtc
    logTail = $logTail
  }
}
function Wait-VdiRun($run, [double]$seconds) {
  if ($run.running -and $seconds -gt 0) {
    $proc = Get-Process -Id ([int]$run.record.pid) -ErrorAction SilentlyContinue
    # Waiting here is harmless: the installer is not in this session's job, and ends on its own whatever happens to it.
    if ($null -ne $proc) { $null = $proc.WaitForExit([int][math]::Min($seconds * 1000, [int]::MaxValue)) }
    $run = Read-VdiRun ([string]$run.record.product)
  }
  $run
}
$product = [string]$p.product
$path = [string]$p.path
$logPath = [string]$p.logPath
$existing = Read-VdiRun $product
if ($existing.running) {
  'An installer started at ' + $existing.record.startedUtc + ' (PID ' + $existing.record.pid + ') is still running; not starting another.'
  $run = Wait-VdiRun $existing ([double]$p.waitSeconds)
  $run.started = $false
  $run.previous = $null
  Write-VdiResult $run
  return
}
if (-not (Test-Path -LiteralPath $path -PathType Leaf)) { throw "The installer '$path' does not exist on $env:COMPUTERNAME." }
$secrets = @{}
if ($null -ne $p.secrets) {
  foreach ($prop in $p.secrets.PSObject.Properties) { $secrets[$prop.Name] = [string]$prop.Value }
}
$arguments = [string]$p.argumentTemplate
foreach ($m in [regex]::Matches($arguments, '\{\{secret:([A-Za-z0-9_.-]+)\}\}')) {
  $name = $m.Groups[1].Value
  if (-not $secrets.ContainsKey($name)) { throw "[argumentTemplate] uses {{secret:$name}} but params.secrets has no '$name'." }
}
# Literal replacement (String.Replace, not -replace): a secret containing '$' or '\' stays as it is.
foreach ($name in @($secrets.Keys)) { $arguments = $arguments.Replace('{{secret:' + $name + '}}', $secrets[$name]) }
# The run records are readable by Administrators and SYSTEM only; a folder someone else created is not trusted.
if (-not (Test-Path -LiteralPath $runDir)) { $null = New-Item -ItemType Directory -Path $runDir -Force }
$sidType = [System.Security.Principal.SecurityIdentifier]
$me = [System.Security.Principal.WindowsIdentity]::GetCurrent().User
$owner = (Get-Acl -LiteralPath $runDir).GetOwner($sidType)
if (@('S-1-5-32-544', 'S-1-5-18', $me.Value) -notcontains $owner.Value) { throw "$runDir is owned by $owner, not by Administrators: remove it and run again." }
$acl = New-Object System.Security.AccessControl.DirectorySecurity
$acl.SetAccessRuleProtection($true, $false)
foreach ($sid in @('S-1-5-32-544', 'S-1-5-18')) {
  $rule = New-Object System.Security.AccessControl.FileSystemAccessRule((New-Object System.Security.Principal.SecurityIdentifier($sid)), 'FullControl', 'ContainerInherit,ObjectInherit', 'None', 'Allow')
  $acl.AddAccessRule($rule)
}
Set-Acl -LiteralPath $runDir -AclObject $acl
$previous = $null
if ($existing.found) { $previous = @{ record = $existing.record; exitCode = $existing.exitCode; endedUtc = $existing.endedUtc } }
$recordPath = Join-Path $runDir ($product + '.json')
$exitPath = Join-Path $runDir ($product + '.exit.json')
if (Test-Path -LiteralPath $exitPath) { Remove-Item -LiteralPath $exitPath -Force }
# A log left by an earlier run would make its tail look like this run's.
if (Test-Path -LiteralPath $logPath) { Remove-Item -LiteralPath $logPath -Force }
# The watcher starts the installer, waits for it and records its exit code. Its data travels base64-encoded inside its
# own command line (in memory only, like the installer's arguments): no file holds the secrets.
$data = ConvertTo-Json -Compress -InputObject @{ path = $path; arguments = $arguments; exitPath = $exitPath }
$watcher = @'
$d = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('@DATA@')) | ConvertFrom-Json
$exit = @{ exitCode = $null; endedUtc = $null; error = $null }
try {
  # One argument string, passed as is: the doubled quotes of /v"..." must reach the bootstrapper intact.
  $proc = Start-Process -FilePath $d.path -ArgumentList $d.arguments -PassThru -WindowStyle Hidden
  # Touch the handle now, or ExitCode reads as empty once the process has exited.
  $null = $proc.Handle
  $proc.WaitForExit()
  $exit.exitCode = [int]$proc.ExitCode
} catch { $exit.error = [string]$_.Exception.Message }
$exit.endedUtc = [DateTime]::UtcNow.ToString('o')
Set-Content -LiteralPath $d.exitPath -Value (ConvertTo-Json -Compress -InputObject $exit) -Encoding UTF8
'@
$watcher = $watcher.Replace('@DATA@', [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($data)))
$commandLine = 'powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -WindowStyle Hidden -EncodedCommand ' +
  [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($watcher))
$created = Invoke-CimMethod -ClassName Win32_Process -MethodName Create -Arguments @{ CommandLine = $commandLine }
if ($created.ReturnValue -ne 0) { throw "Win32_Process.Create could not start the installer's watcher on $env:COMPUTERNAME (return value $($created.ReturnValue))." }
$processId = [int]$created.ProcessId
$started = Get-Process -Id $processId -ErrorAction SilentlyContinue
$processStartUtc = [DateTime]::UtcNow.ToString('o')
if ($null -ne $started) { $processStartUtc = $started.StartTime.ToUniversalTime().ToString('o') }
$record = @{
  product = $product
  target = [string]$p.target
  path = $path
  logPath = $logPath
  pid = [int]$processId
  startedUtc = [DateTime]::UtcNow.ToString('o')
  processStartUtc = $processStartUtc
}
# Written whole then moved into place: a reader never sees half a record.
Set-Content -LiteralPath ($recordPath + '.tmp') -Value (ConvertTo-Json -Compress -InputObject $record) -Encoding UTF8
Move-Item -LiteralPath ($recordPath + '.tmp') -Destination $recordPath -Force
'Started ' + $path + ' as PID ' + $processId + ', outside the SSH session'
$run = Wait-VdiRun (Read-VdiRun $product) ([double]$p.waitSeconds)
$run.started = $true
$run.previous = $previous
Write-VdiResult $run
