$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
[Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false
try {
  $raw = [Console]::In.ReadToEnd()
  $json = [System.Text.Encoding]::UTF8.GetString([System.Convert]::FromBase64String($raw.Trim()))
  $req = ConvertFrom-Json -InputObject $json
  $sb = [ScriptBlock]::Create([string]$req.script)
  & $sb $req.params | ForEach-Object { [Console]::Out.WriteLine([string]$_) }
  exit 0
} catch {
  $msg = [string]$_.Exception.Message
  [Console]::Out.WriteLine('VDIUPGRADE-ERROR ' + (ConvertTo-Json -Compress -InputObject @{ message = $msg }))
  exit 1
}
