# vdi-upgrade operation: Get-InstalledProduct
param($p)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
function Write-VdiResult($Value) {
  'VDIUPGRADE-RESULT ' + (ConvertTo-Json -Compress -Depth 5 -InputObject $Value)
}
$patterns = @($p.displayNameLike | ForEach-Object { [string]$_ })
$products = New-Object System.Collections.ArrayList
$seen = @{}
$views = @([Microsoft.Win32.RegistryView]::Registry64, [Microsoft.Win32.RegistryView]::Registry32)
foreach ($view in $views) {
  $base = [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive]::LocalMachine, $view)
  try {
    $uninstall = $base.OpenSubKey('SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall')
    if ($null -eq $uninstall) { continue }
    foreach ($subName in $uninstall.GetSubKeyNames()) {
      $key = $uninstall.OpenSubKey($subName)
      if ($null -eq $key) { continue }
      try {
        $displayName = [string]$key.GetValue('DisplayName')
        if ([string]::IsNullOrEmpty($displayName)) { continue }
        $matched = $false
        foreach ($pattern in $patterns) { if ($displayName -like $pattern) { $matched = $true; break } }
        if (-not $matched) { continue }
        $displayVersion = [string]$key.GetValue('DisplayVersion')
        # On a 32-bit Windows both views are the same key: report each entry once.
        $id = $displayName + '|' + $displayVersion + '|' + $subName
        if ($seen.ContainsKey($id)) { continue }
        $seen[$id] = $true
        [void]$products.Add(@{
          displayName = $displayName
          displayVersion = $displayVersion
          installLocation = [string]$key.GetValue('InstallLocation')
        })
      } finally { $key.Close() }
    }
    $uninstall.Close()
  } finally { $base.Close() }
}
Write-VdiResult @{ products = @($products.ToArray()) }
