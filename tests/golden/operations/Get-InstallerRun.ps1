# vdi-upgrade operation: Get-InstallerRun
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
Write-VdiResult (Wait-VdiRun (Read-VdiRun ([string]$p.product)) ([double]$p.waitSeconds))
