/**
 * Operations on a Horizon Connection Server: vdmadmin, the security-server registry, the pairing password, "Prepare
 * for Upgrade or Reinstallation", LDAP replication (docs/wire-protocol.md §5, docs/sources.md#vdmadmin, docs/sources.md#horizon-pairing-and-ipsec, docs/sources.md#horizon-versions).
 */
import { z } from "zod";
import type { RunResult, Session } from "../transport/session";
import { type OperationDefinition, type OperationOptions, runOperation, secretsSchema } from "./operation";

/** vdmadmin.exe on VMware-branded Horizon 7/8 Connection Servers (docs/sources.md#vdmadmin). */
export const VDMADMIN_PATH_VMWARE = "C:\\Program Files\\VMware\\VMware View\\Server\\tools\\bin\\vdmadmin.exe";
/**
 * vdmadmin.exe on Omnissa-branded builds. UNCONFIRMED (docs/sources.md#vdmadmin, docs/sources.md#unconfirmed): the documentation places `vdmutil`
 * in this folder; that vdmadmin sits beside it is an inference. Pass `vdmadminPath` explicitly to be sure.
 */
export const VDMADMIN_PATH_OMNISSA = "C:\\Program Files\\Omnissa\\Horizon\\Server\\tools\\bin\\vdmadmin.exe";

/**
 * Connects to the View API of this Connection Server through PowerCLI (`VMware.VimAutomation.HorizonView`), as
 * `$api` (`VMware.Hv.Services`). With `secrets.viewApiUser`/`viewApiPassword`/`viewApiDomain` it logs in with them;
 * without, it relies on Connect-HVServer using the current Windows identity, which is UNCONFIRMED: if it prompts,
 * the non-interactive session fails with an error that says so.
 */
const CONNECT_VIEW_API = String.raw`Import-Module VMware.VimAutomation.HorizonView -ErrorAction Stop
$fqdn = [System.Net.Dns]::GetHostEntry([string]$env:COMPUTERNAME).HostName
$viewUser = $null
if ($null -ne $p.secrets -and $null -ne $p.secrets.viewApiUser) { $viewUser = [string]$p.secrets.viewApiUser }
if ($viewUser) {
  $hv = Connect-HVServer -Server $fqdn -User $viewUser -Password ([string]$p.secrets.viewApiPassword) -Domain ([string]$p.secrets.viewApiDomain)
} else {
  $hv = Connect-HVServer -Server $fqdn
}
$api = $hv.ExtensionData`;

// ---------------------------------------------------------------------------------------------------------------
// Invoke-Vdmadmin

/** Params of `Invoke-Vdmadmin`. */
export const vdmadminParamsSchema = z
  .object({
    /** Full path of vdmadmin.exe. */
    vdmadminPath: z.string().min(1),
    /** Arguments, one per element (`["-S", "-r", "-s", "SS1"]`); `{{secret:NAME}}` is replaced on the host. */
    arguments: z.array(z.string()),
    secrets: secretsSchema.optional(),
  })
  .strict();
/** Result of `Invoke-Vdmadmin`. */
export const vdmadminResultSchema = z.object({ exitCode: z.number().int(), output: z.array(z.string()) });

/**
 * `Invoke-Vdmadmin`: runs vdmadmin.exe with the call operator and an argument array (each element one argument, no
 * shell parsing), output and exit code returned. Used for `vdmadmin -S -r -s <server>` to remove a stale
 * security-server entry (docs/sources.md#vdmadmin). Windows PowerShell 5.1 passes an argument containing a double quote incorrectly to
 * native programs, so such arguments are refused.
 */
export const INVOKE_VDMADMIN: OperationDefinition<z.infer<typeof vdmadminParamsSchema>, z.infer<typeof vdmadminResultSchema>> = {
  name: "Invoke-Vdmadmin",
  overridable: false,
  params: vdmadminParamsSchema,
  result: vdmadminResultSchema,
  deadlineSeconds: () => 300,
  body: String.raw`$exe = [string]$p.vdmadminPath
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
Write-VdiResult @{ exitCode = $exitCode; output = $output }`,
};

/** Runs vdmadmin.exe. */
export function invokeVdmadmin(
  session: Session,
  params: z.infer<typeof vdmadminParamsSchema>,
  options?: OperationOptions,
): Promise<RunResult<z.infer<typeof vdmadminResultSchema>>> {
  return runOperation(session, INVOKE_VDMADMIN, params, options);
}

// ---------------------------------------------------------------------------------------------------------------
// Get-SecurityServerList (overridable)

/** View API credentials, optional for the View API operations. */
const viewApiSecrets = {
  viewApiUser: z.string().min(1).optional(),
  viewApiPassword: z.string().min(1).optional(),
  viewApiDomain: z.string().min(1).optional(),
};

/** Params of `Get-SecurityServerList`. */
export const securityServerListParamsSchema = z.object({ secrets: z.object(viewApiSecrets).strict().optional() }).strict();
/** IPsec state of a security server's pairing. */
export const ipsecStateSchema = z.enum(["active", "prepared", "none"]);
/** Result of `Get-SecurityServerList`. */
export const securityServerListSchema = z.object({
  securityServers: z.array(
    z.object({
      name: z.string(),
      version: z.string(),
      connectionServer: z.string(),
      ipsec: ipsecStateSchema,
      /** `SecurityServerHealthInfo.status` ("OK", "NOT_RESPONDING", "UNKNOWN"): with the version, what tells the live entry. */
      status: z.string().optional(),
    }),
  ),
  useIpsec: z.boolean(),
});
/** The pod's registered security servers and the global IPsec setting. */
export type SecurityServerList = z.infer<typeof securityServerListSchema>;

/**
 * `Get-SecurityServerList` (overridable). Default: the View API through PowerCLI: `SecurityServer_List` (names,
 * `general.version`, `general.connectionServer`), `SecurityServerHealth_List` for each server's `status`, `GlobalSettings_Get().SecurityData.EnableIPSecForSecurityServerPairing`
 * for `useIpsec`, and `SecurityServerHealth_List` for each server's IPsec status.
 * UNCONFIRMED (docs/sources.md#horizon-pairing-and-ipsec, docs/sources.md#unconfirmed): the values of `SecurityServerHealthInfo.ipSecStatus`; the default maps a status
 * mentioning PREPARED/UPGRADE to "prepared", any other status to "active" when IPsec is on, and "none" when it is off.
 * The SecurityServer service is absent from the View API from 2412 on.
 */
export const GET_SECURITY_SERVER_LIST: OperationDefinition<z.infer<typeof securityServerListParamsSchema>, SecurityServerList> = {
  name: "Get-SecurityServerList",
  overridable: true,
  params: securityServerListParamsSchema,
  result: securityServerListSchema,
  deadlineSeconds: () => 180,
  body:
    CONNECT_VIEW_API +
    "\n" +
    String.raw`try {
  $useIpsec = [bool]$api.GlobalSettings.GlobalSettings_Get().SecurityData.EnableIPSecForSecurityServerPairing
  $csNames = @{}
  foreach ($cs in @($api.ConnectionServer.ConnectionServer_List())) { $csNames[[string]$cs.Id.Id] = [string]$cs.General.Name }
  $health = @{}
  foreach ($h in @($api.SecurityServerHealth.SecurityServerHealth_List())) { $health[[string]$h.Name] = $h }
  $list = New-Object System.Collections.ArrayList
  foreach ($ss in @($api.SecurityServer.SecurityServer_List())) {
    $name = [string]$ss.General.Name
    $ipsec = 'none'
    if ($useIpsec) {
      $ipsec = 'active'
      if ($health.ContainsKey($name) -and ([string]$health[$name].IpSecStatus) -match 'PREPARED|UPGRADE') { $ipsec = 'prepared' }
    }
    $csName = [string]$csNames[[string]$ss.General.ConnectionServer.Id]
    $status = 'UNKNOWN'
    if ($health.ContainsKey($name)) { $status = [string]$health[$name].Status }
    [void]$list.Add(@{ name = $name; version = [string]$ss.General.Version; connectionServer = $csName; ipsec = $ipsec; status = $status })
  }
  Write-VdiResult @{ securityServers = @($list.ToArray()); useIpsec = $useIpsec }
} finally {
  Disconnect-HVServer -Server $hv -Force -Confirm:$false
}`,
};

/** Lists the security servers registered in the pod. */
export function getSecurityServerList(
  session: Session,
  params: z.infer<typeof securityServerListParamsSchema> = {},
  options?: OperationOptions,
): Promise<RunResult<SecurityServerList>> {
  return runOperation(session, GET_SECURITY_SERVER_LIST, params, options);
}

// ---------------------------------------------------------------------------------------------------------------
// Set-PairingPassword (overridable)

/** Params of `Set-PairingPassword`. */
export const pairingPasswordParamsSchema = z
  .object({
    /** Name of the Connection Server the security server pairs with (as the View API lists it). */
    connectionServer: z.string().min(1),
    /** How long the one-time password stays valid: 1 to 1440 minutes (View API limit, docs/sources.md#horizon-pairing-and-ipsec). */
    timeoutMinutes: z.number().int().min(1).max(1440),
    secrets: z.object({ pairingPassword: z.string().min(1), ...viewApiSecrets }).strict(),
  })
  .strict();
/** Result of `Set-PairingPassword`. */
export const pairingPasswordResultSchema = z.object({ expiresUtc: z.string() });

/**
 * `Set-PairingPassword` (overridable). Default: the View API, `ConnectionServer_Update(id, MapEntry{key =
 * 'securityServerPairing', value = ConnectionServerSecurityServerPairingData{pairingPassword, timeoutMinutes}})`,
 * the password as a `VMware.Hv.SecureString` built on the host (docs/sources.md#horizon-pairing-and-ipsec, [doc] data object, [code] PowerCLI
 * usage). UNCONFIRMED: that no other field of the pairing data must be sent. Its `expiresUtc` is the host's clock
 * plus the timeout, not what the directory holds: the provider reads the password back with Get-PairingPasswordState
 * (a Connection Server off UTC writes the last-changed time wrongly and the password reads as expired).
 */
export const SET_PAIRING_PASSWORD: OperationDefinition<
  z.infer<typeof pairingPasswordParamsSchema>,
  z.infer<typeof pairingPasswordResultSchema>
> = {
  name: "Set-PairingPassword",
  overridable: true,
  params: pairingPasswordParamsSchema,
  result: pairingPasswordResultSchema,
  deadlineSeconds: () => 180,
  body:
    CONNECT_VIEW_API +
    "\n" +
    String.raw`try {
  if ([System.TimeZoneInfo]::Local.BaseUtcOffset -ne [TimeSpan]::Zero) {
    'WARNING: ' + $env:COMPUTERNAME + ' is not in UTC (' + [System.TimeZoneInfo]::Local.Id + '); the pairing password may be treated as expired.'
  }
  $target = [string]$p.connectionServer
  $cs = @($api.ConnectionServer.ConnectionServer_List() | Where-Object { $_.General.Name -eq $target -or $_.General.Fqhn -eq $target }) | Select-Object -First 1
  if ($null -eq $cs) { throw "[connectionServer] '$target' is not a Connection Server of this pod." }
  $pairing = New-Object VMware.Hv.ConnectionServerSecurityServerPairingData
  $pairing.PairingPassword = New-Object VMware.Hv.SecureString
  $pairing.PairingPassword.Utf8String = [System.Text.Encoding]::UTF8.GetBytes([string]$p.secrets.pairingPassword)
  $pairing.TimeoutMinutes = [int]$p.timeoutMinutes
  $update = New-Object VMware.Hv.MapEntry
  $update.Key = 'securityServerPairing'
  $update.Value = $pairing
  $api.ConnectionServer.ConnectionServer_Update($cs.Id, @($update))
  Write-VdiResult @{ expiresUtc = [DateTime]::UtcNow.AddMinutes([int]$p.timeoutMinutes).ToString('o') }
} finally {
  Disconnect-HVServer -Server $hv -Force -Confirm:$false
}`,
};

/** Sets the one-time security server pairing password on a Connection Server. */
export function setPairingPassword(
  session: Session,
  params: z.infer<typeof pairingPasswordParamsSchema>,
  options?: OperationOptions,
): Promise<RunResult<z.infer<typeof pairingPasswordResultSchema>>> {
  return runOperation(session, SET_PAIRING_PASSWORD, params, options);
}

// ---------------------------------------------------------------------------------------------------------------
// Get-IpsecRules

/** One connection security rule. */
export const ipsecRuleSchema = z.object({
  displayName: z.string(),
  remoteAddresses: z.array(z.string()),
  /** `PolicyStoreSourceType` as `Get-NetIPsecRule -PolicyStore ActiveStore` reports it ("Local"/"PersistentStore" can be deleted here). */
  store: z.string(),
});
/** A connection security rule. */
export type IpsecRule = z.infer<typeof ipsecRuleSchema>;

/** Result of `Get-IpsecRules`. */
export const ipsecRulesSchema = z.object({
  computerName: z.string(),
  /** The full system name (DNS host name). */
  fqdn: z.string(),
  /** The host's unicast addresses, loopback excluded. */
  addresses: z.array(z.string()),
  rules: z.array(ipsecRuleSchema).max(500),
});
/** What `Get-IpsecRules` reads. */
export type IpsecRules = z.infer<typeof ipsecRulesSchema>;

/**
 * `Get-IpsecRules`: the names the host answers to (computer name, full system name), its addresses and every connection
 * security rule in effect (`Get-NetIPsecRule -PolicyStore ActiveStore` with `Get-NetIPsecAddressFilter`), from the
 * NetSecurity module (Windows Server 2012 and later). Read-only: preview runs it on a security server and on its
 * Connection Server.
 */
export const GET_IPSEC_RULES: OperationDefinition<Record<string, never>, IpsecRules> = {
  name: "Get-IpsecRules",
  overridable: false,
  params: z.object({}).strict() as unknown as z.ZodType<Record<string, never>>,
  result: ipsecRulesSchema,
  deadlineSeconds: () => 120,
  body: String.raw`if ($null -eq (Get-Command Get-NetIPsecRule -ErrorAction SilentlyContinue)) {
  throw "The NetSecurity module (Get-NetIPsecRule) is not available on $env:COMPUTERNAME; it comes with Windows Server 2012 and later."
}
$fqdn = [System.Net.Dns]::GetHostEntry([string]$env:COMPUTERNAME).HostName
$addresses = @(Get-NetIPAddress -ErrorAction Stop | Where-Object { $_.IPAddress -notmatch '^(127\.|::1$|fe80:)' } | ForEach-Object { [string]$_.IPAddress })
$rules = New-Object System.Collections.ArrayList
foreach ($r in @(Get-NetIPsecRule -PolicyStore ActiveStore -ErrorAction Stop)) {
  $remote = @(($r | Get-NetIPsecAddressFilter -ErrorAction Stop).RemoteAddress | ForEach-Object { [string]$_ })
  [void]$rules.Add(@{ displayName = [string]$r.DisplayName; remoteAddresses = $remote; store = [string]$r.PolicyStoreSourceType })
}
Write-VdiResult @{ computerName = [string]$env:COMPUTERNAME; fqdn = [string]$fqdn; addresses = $addresses; rules = @($rules.ToArray()) }`,
};

/** Reads a Horizon host's names, addresses and connection security rules. */
export function getIpsecRules(session: Session, options?: OperationOptions): Promise<RunResult<IpsecRules>> {
  return runOperation(session, GET_IPSEC_RULES, {}, options);
}

// ---------------------------------------------------------------------------------------------------------------
// Invoke-PrepareSecurityServer (overridable)

/** Params of `Invoke-PrepareSecurityServer`. */
export const prepareSecurityServerParamsSchema = z
  .object({
    /** Name of the security server as the pod registered it (for messages). */
    securityServer: z.string().min(1),
    /** The documented rule name up to the address ("VMware View Security Server QM Pairing with "). */
    ruleNamePrefix: z.string().min(1),
    /** The other host of the pair: only rules whose remote address is one of these are deleted. */
    partnerAddresses: z.array(z.string().min(1)).min(1),
  })
  .strict();
/** Result of `Invoke-PrepareSecurityServer`. */
export const prepareSecurityServerResultSchema = z.object({
  ipsec: z.enum(["prepared", "none"]),
  removed: z.array(ipsecRuleSchema).optional(),
  /** Rules of the pair still in effect after the deletion (read again). */
  remaining: z.array(ipsecRuleSchema).optional(),
});

/**
 * `Invoke-PrepareSecurityServer` (overridable): "Prepare for Upgrade or Reinstallation" without the console, run on
 * each host of the pair (the security server, then its Connection Server). It deletes the connection security rules
 * named "VMware View Security Server QM Pairing with <IP address>" whose remote address is the partner's, from the
 * local persistent store, then reads the rules in effect again and returns those that remain (docs/sources.md#horizon-pairing-and-ipsec,
 * the horizon-security-server-management README). UNCONFIRMED: the store the rules live in; a rule that a Group
 * Policy put there is not deleted and is returned as remaining, which fails the step. An override must print the same
 * shape (`{ "ipsec": "prepared" }` at least); the provider reads the rules again after it either way.
 */
export const INVOKE_PREPARE_SECURITY_SERVER: OperationDefinition<
  z.infer<typeof prepareSecurityServerParamsSchema>,
  z.infer<typeof prepareSecurityServerResultSchema>
> = {
  name: "Invoke-PrepareSecurityServer",
  overridable: true,
  params: prepareSecurityServerParamsSchema,
  result: prepareSecurityServerResultSchema,
  deadlineSeconds: () => 180,
  body: String.raw`$prefix = [string]$p.ruleNamePrefix
$pairOf = [string]$p.securityServer
$partners = @($p.partnerAddresses | ForEach-Object { [string]$_ })
function Get-PairRules([string]$Store) {
  foreach ($r in @(Get-NetIPsecRule -PolicyStore $Store -ErrorAction Stop)) {
    if (-not ([string]$r.DisplayName).StartsWith($prefix)) { continue }
    $remote = @(($r | Get-NetIPsecAddressFilter -ErrorAction Stop).RemoteAddress | ForEach-Object { [string]$_ })
    if (@($remote | Where-Object { $partners -contains $_ }).Count -eq 0) { continue }
    @{ name = [string]$r.Name; displayName = [string]$r.DisplayName; remoteAddresses = $remote; store = [string]$r.PolicyStoreSourceType }
  }
}
$removed = @()
foreach ($rule in @(Get-PairRules 'PersistentStore')) {
  Remove-NetIPsecRule -PolicyStore PersistentStore -Name $rule.name -ErrorAction Stop
  "Removed connection security rule '$($rule.displayName)' (remote $($rule.remoteAddresses -join ', ')) on $env:COMPUTERNAME, for the pairing of $pairOf."
  $removed += @{ displayName = $rule.displayName; remoteAddresses = $rule.remoteAddresses; store = $rule.store }
}
$remaining = @(Get-PairRules 'ActiveStore' | ForEach-Object { @{ displayName = $_.displayName; remoteAddresses = $_.remoteAddresses; store = $_.store } })
$state = 'none'
if ($removed.Count -gt 0) { $state = 'prepared' }
Write-VdiResult @{ ipsec = $state; removed = $removed; remaining = $remaining }`,
};

/** Removes a pair's IPsec rules on the host of `session`. */
export function invokePrepareSecurityServer(
  session: Session,
  params: z.infer<typeof prepareSecurityServerParamsSchema>,
  options?: OperationOptions,
): Promise<RunResult<z.infer<typeof prepareSecurityServerResultSchema>>> {
  return runOperation(session, INVOKE_PREPARE_SECURITY_SERVER, params, options);
}

// ---------------------------------------------------------------------------------------------------------------
// Get-InstallerVersion

/** Params of `Get-InstallerVersion`. */
export const installerVersionParamsSchema = z.object({ path: z.string().min(1) }).strict();
/** Result of `Get-InstallerVersion`. */
export const installerVersionSchema = z.object({
  exists: z.boolean(),
  /** The file's `VersionInfo.ProductVersion`, null when it has none. */
  productVersion: z.string().nullable(),
  /** The file's `VersionInfo.FileVersion`, null when it has none. */
  fileVersion: z.string().nullable(),
});

/**
 * `Get-InstallerVersion`: the installer file's own product and file version (`(Get-Item <path>).VersionInfo`), read
 * before anything runs so preview can compare it with the target. Read-only.
 */
export const GET_INSTALLER_VERSION: OperationDefinition<
  z.infer<typeof installerVersionParamsSchema>,
  z.infer<typeof installerVersionSchema>
> = {
  name: "Get-InstallerVersion",
  overridable: false,
  params: installerVersionParamsSchema,
  result: installerVersionSchema,
  deadlineSeconds: () => 60,
  body: String.raw`$path = [string]$p.path
if (-not (Test-Path -LiteralPath $path -PathType Leaf)) {
  Write-VdiResult @{ exists = $false; productVersion = $null; fileVersion = $null }
} else {
  $info = (Get-Item -LiteralPath $path).VersionInfo
  $product = $null
  if ($info.ProductVersion) { $product = ([string]$info.ProductVersion).Trim() }
  $file = $null
  if ($info.FileVersion) { $file = ([string]$info.FileVersion).Trim() }
  Write-VdiResult @{ exists = $true; productVersion = $product; fileVersion = $file }
}`,
};

/** Reads an installer file's product version. */
export function getInstallerVersion(
  session: Session,
  params: z.infer<typeof installerVersionParamsSchema>,
  options?: OperationOptions,
): Promise<RunResult<z.infer<typeof installerVersionSchema>>> {
  return runOperation(session, GET_INSTALLER_VERSION, params, options);
}

// ---------------------------------------------------------------------------------------------------------------
// Invoke-Vdmexport (overridable)

/** vdmexport.exe beside vdmadmin.exe on VMware-branded Connection Servers (docs/sources.md#vdmadmin, docs/sources.md#horizon-order-and-replication). */
export const VDMEXPORT_PATH_VMWARE = "C:\\Program Files\\VMware\\VMware View\\Server\\tools\\bin\\vdmexport.exe";

/** Params of `Invoke-Vdmexport`. */
export const vdmexportParamsSchema = z
  .object({
    vdmexportPath: z.string().min(1),
    /** Where the export is written on the Connection Server. */
    path: z.string().min(1),
  })
  .strict();
/** Result of `Invoke-Vdmexport`. */
export const vdmexportResultSchema = z.object({ exitCode: z.number().int(), output: z.array(z.string()) });

/**
 * `Invoke-Vdmexport` (overridable): backs up the View LDAP configuration of the pod before its first Connection Server
 * is upgraded, with `vdmexport.exe -f <path>` (encrypted LDIF, the default), as the vendor's preparation says: "use
 * vdmexport.exe to back up the LDAP database" on one instance of the replicated group (Horizon 7.0 Upgrades,
 * "Preparing View Connection Server for an Upgrade", docs/sources.md#vdmadmin). UNCONFIRMED: the exact switches per version (read `vdmexport -?` on the host); the override
 * replaces the body. The provider verifies the file afterwards (exists, not empty).
 */
export const INVOKE_VDMEXPORT: OperationDefinition<z.infer<typeof vdmexportParamsSchema>, z.infer<typeof vdmexportResultSchema>> = {
  name: "Invoke-Vdmexport",
  overridable: true,
  params: vdmexportParamsSchema,
  result: vdmexportResultSchema,
  deadlineSeconds: () => 600,
  body: String.raw`$exe = [string]$p.vdmexportPath
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
Write-VdiResult @{ exitCode = $exitCode; output = $output }`,
};

/** Exports the pod's View LDAP configuration on a Connection Server. */
export function invokeVdmexport(
  session: Session,
  params: z.infer<typeof vdmexportParamsSchema>,
  options?: OperationOptions,
): Promise<RunResult<z.infer<typeof vdmexportResultSchema>>> {
  return runOperation(session, INVOKE_VDMEXPORT, params, options);
}

// ---------------------------------------------------------------------------------------------------------------
// Get-PairingPasswordState (overridable)

/** Params of `Get-PairingPasswordState`. */
export const pairingPasswordStateParamsSchema = z.object({ connectionServer: z.string().min(1) }).strict();
/** Result of `Get-PairingPasswordState`. */
export const pairingPasswordStateSchema = z.object({
  passwordSet: z.boolean(),
  /** `pae-SecurityServerPairingPasswordLastChangedTime` as stored (generalized time, e.g. `20240108080000.0Z`). */
  lastChangedTime: z.string().nullable(),
  /** `pae-SecurityServerPairingPasswordTimeout`, seconds. */
  timeoutSeconds: z.number().nullable(),
  /** The Connection Server's own UTC clock. */
  utcNow: z.string(),
  timeZoneId: z.string(),
  /** The Connection Server's offset from UTC now, minutes. */
  utcOffsetMinutes: z.number(),
});
/** What `Get-PairingPasswordState` reads. */
export type PairingPasswordState = z.infer<typeof pairingPasswordStateSchema>;

/**
 * `Get-PairingPasswordState` (overridable): reads back the pairing password's ADAM attributes on the Connection Server,
 * `OU=Properties,OU=Server,CN=<server>`: `pae-SecurityServerPairingPasswordLastChangedTime` and
 * `pae-SecurityServerPairingPasswordTimeout` (seconds), with the host's UTC clock and time zone (docs/sources.md#horizon-pairing-and-ipsec,
 * the horizon-security-server-management README: a VMware staff architect's README). The password is valid while
 * last-changed plus timeout is after the UTC clock. UNCONFIRMED: the naming context (`DC=vdi,DC=vmware,DC=int`, or
 * `DC=vdi,DC=horizon,DC=internal` on Omnissa builds): both are tried. Read-only.
 */
export const GET_PAIRING_PASSWORD_STATE: OperationDefinition<z.infer<typeof pairingPasswordStateParamsSchema>, PairingPasswordState> = {
  name: "Get-PairingPasswordState",
  overridable: true,
  params: pairingPasswordStateParamsSchema,
  result: pairingPasswordStateSchema,
  deadlineSeconds: () => 60,
  body: String.raw`$cn = [string]$p.connectionServer
$entry = $null
foreach ($nc in @('DC=vdi,DC=vmware,DC=int', 'DC=vdi,DC=horizon,DC=internal')) {
  $candidate = New-Object System.DirectoryServices.DirectoryEntry ('LDAP://localhost:389/CN=' + $cn + ',OU=Server,OU=Properties,' + $nc)
  try { $candidate.RefreshCache(); $entry = $candidate; break } catch { }
}
if ($null -eq $entry) { throw "The View LDAP entry CN=$cn,OU=Server,OU=Properties was not found on $env:COMPUTERNAME (localhost:389)." }
$last = $entry.Properties['pae-SecurityServerPairingPasswordLastChangedTime'].Value
$timeout = $entry.Properties['pae-SecurityServerPairingPasswordTimeout'].Value
$set = $null -ne $entry.Properties['pae-SecurityServerPairingPassword'].Value
$tz = [System.TimeZoneInfo]::Local
$lastText = $null
if ($null -ne $last) { $lastText = [string]$last }
$timeoutValue = $null
if ($null -ne $timeout) { $timeoutValue = [long]$timeout }
Write-VdiResult @{
  passwordSet = $set
  lastChangedTime = $lastText
  timeoutSeconds = $timeoutValue
  utcNow = [DateTime]::UtcNow.ToString('o')
  timeZoneId = [string]$tz.Id
  utcOffsetMinutes = [int]$tz.GetUtcOffset([DateTime]::UtcNow).TotalMinutes
}`,
};

/** Reads the pairing password's state on a Connection Server. */
export function getPairingPasswordState(
  session: Session,
  params: z.infer<typeof pairingPasswordStateParamsSchema>,
  options?: OperationOptions,
): Promise<RunResult<PairingPasswordState>> {
  return runOperation(session, GET_PAIRING_PASSWORD_STATE, params, options);
}

// ---------------------------------------------------------------------------------------------------------------
// Get-HorizonPrerequisites

/** Params of `Get-HorizonPrerequisites`. */
export const prerequisitesParamsSchema = z
  .object({
    /** Files that must exist (vdmadmin.exe, vdmexport.exe). */
    files: z.array(z.string().min(1)),
    /** Commands that must resolve (repadmin.exe). */
    commands: z.array(z.string().min(1)),
    /** Modules that must be installed (PowerCLI's VMware.VimAutomation.HorizonView). */
    modules: z.array(z.string().min(1)),
  })
  .strict();
/** Result of `Get-HorizonPrerequisites`. */
export const prerequisitesResultSchema = z.object({ missing: z.array(z.string()) });

/**
 * `Get-HorizonPrerequisites`: which of the tools a step will need are missing on the host, read in preview so an
 * operator installs them before `up` starts rather than when the step runs. Read-only.
 */
export const TEST_HORIZON_PREREQUISITES: OperationDefinition<
  z.infer<typeof prerequisitesParamsSchema>,
  z.infer<typeof prerequisitesResultSchema>
> = {
  name: "Get-HorizonPrerequisites",
  overridable: false,
  params: prerequisitesParamsSchema,
  result: prerequisitesResultSchema,
  deadlineSeconds: () => 60,
  body: String.raw`$missing = @()
foreach ($f in @($p.files)) { if (-not (Test-Path -LiteralPath ([string]$f) -PathType Leaf)) { $missing += [string]$f } }
foreach ($c in @($p.commands)) { if ($null -eq (Get-Command ([string]$c) -ErrorAction SilentlyContinue)) { $missing += [string]$c } }
foreach ($m in @($p.modules)) { if ($null -eq (Get-Module -ListAvailable -Name ([string]$m))) { $missing += [string]$m } }
Write-VdiResult @{ missing = @($missing) }`,
};

/** Lists the prerequisites missing on a host. */
export function testHorizonPrerequisites(
  session: Session,
  params: z.infer<typeof prerequisitesParamsSchema>,
  options?: OperationOptions,
): Promise<RunResult<z.infer<typeof prerequisitesResultSchema>>> {
  return runOperation(session, TEST_HORIZON_PREREQUISITES, params, options);
}

// Get-ReplicationHealth: provider/operations/replicationOperations.ts (both LDAP instances, 389 and 22389).
