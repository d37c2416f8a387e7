/**
 * Operations on the SQL Server that holds the App-V 4.x database: a full backup before the schema upgrade, its
 * verification, and the schema version (docs/sources.md#appv-upgrade-and-database). T-SQL is built on the host from params with identifier
 * (`[...]`, `]` doubled) and literal (`N'...'`, `'` doubled) escaping; sqlcmd runs with `-b` (non-zero exit on error)
 * and `-x` (no `$(var)` substitution inside the query text).
 */
import { z } from "zod";
import type { RunResult, Session } from "../transport/session";
import { type OperationDefinition, type OperationOptions, runOperation } from "./operation";

/** SQL login, optional: without it sqlcmd uses Windows authentication (`-E`). */
const sqlSecrets = z
  .object({ sqlUser: z.string().min(1), sqlPassword: z.string().min(1) })
  .strict()
  .optional();

/**
 * Helpers every SQL body shares. The password reaches sqlcmd through `SQLCMDPASSWORD` (environment of this process
 * only), never on a command line.
 */
const SQL_HELPERS = String.raw`function ConvertTo-SqlIdentifier([string]$Name) { '[' + $Name.Replace(']', ']]') + ']' }
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
}`;

// ---------------------------------------------------------------------------------------------------------------
// Invoke-SqlBackup

/** Params of `Invoke-SqlBackup`. */
export const sqlBackupParamsSchema = z
  .object({
    /** SQL Server instance (`SQL1`, `SQL1\APPV`). */
    sqlServer: z.string().min(1),
    /** App-V database (default name APPVIRT, docs/sources.md#appv-upgrade-and-database). */
    database: z.string().min(1),
    /** Backup file, a path on the SQL Server. */
    backupPath: z.string().min(1),
    secrets: sqlSecrets,
  })
  .strict();
/** Result of `Invoke-SqlBackup`. */
export const sqlBackupResultSchema = z.object({
  backupPath: z.string(),
  sizeBytes: z.number().nonnegative(),
  finishedUtc: z.string(),
});

/**
 * `Invoke-SqlBackup`: `BACKUP DATABASE [db] TO DISK = N'path' WITH INIT, NAME = N'...'` (a full backup; INIT
 * overwrites an earlier set at the same path, docs/sources.md#appv-upgrade-and-database), then the file's size.
 */
export const INVOKE_SQL_BACKUP: OperationDefinition<z.infer<typeof sqlBackupParamsSchema>, z.infer<typeof sqlBackupResultSchema>> = {
  name: "Invoke-SqlBackup",
  overridable: false,
  params: sqlBackupParamsSchema,
  result: sqlBackupResultSchema,
  deadlineSeconds: () => 3600,
  body:
    SQL_HELPERS +
    "\n" +
    String.raw`$database = [string]$p.database
$backupPath = [string]$p.backupPath
$query = 'BACKUP DATABASE ' + (ConvertTo-SqlIdentifier $database) + ' TO DISK = ' + (ConvertTo-SqlLiteral $backupPath) +
  ' WITH INIT, NAME = ' + (ConvertTo-SqlLiteral ($database + ' before vdi-upgrade'))
$run = Invoke-VdiSqlcmd $query
foreach ($line in $run.output) { $line }
if ($run.exitCode -ne 0) { throw "BACKUP DATABASE of '$database' failed (sqlcmd exit $($run.exitCode)): $($run.output -join ' ')" }
$item = Get-Item -LiteralPath $backupPath
Write-VdiResult @{ backupPath = $backupPath; sizeBytes = [long]$item.Length; finishedUtc = [DateTime]::UtcNow.ToString('o') }`,
};

/** Takes a full backup of a database. */
export function invokeSqlBackup(
  session: Session,
  params: z.infer<typeof sqlBackupParamsSchema>,
  options?: OperationOptions,
): Promise<RunResult<z.infer<typeof sqlBackupResultSchema>>> {
  return runOperation(session, INVOKE_SQL_BACKUP, params, options);
}

// ---------------------------------------------------------------------------------------------------------------
// Test-SqlBackup

/** Params of `Test-SqlBackup`. */
export const testSqlBackupParamsSchema = z
  .object({ sqlServer: z.string().min(1), backupPath: z.string().min(1), secrets: sqlSecrets })
  .strict();
/** Result of `Test-SqlBackup`. */
export const testSqlBackupResultSchema = z.object({ valid: z.boolean(), message: z.string() });

/** `Test-SqlBackup`: `RESTORE VERIFYONLY FROM DISK = N'path'`; a failure is a result (`valid: false`), not an error. */
export const TEST_SQL_BACKUP: OperationDefinition<z.infer<typeof testSqlBackupParamsSchema>, z.infer<typeof testSqlBackupResultSchema>> = {
  name: "Test-SqlBackup",
  overridable: false,
  params: testSqlBackupParamsSchema,
  result: testSqlBackupResultSchema,
  deadlineSeconds: () => 1800,
  body:
    SQL_HELPERS +
    "\n" +
    String.raw`$query = 'RESTORE VERIFYONLY FROM DISK = ' + (ConvertTo-SqlLiteral ([string]$p.backupPath))
$run = Invoke-VdiSqlcmd $query
$message = (@($run.output | Where-Object { $_ -ne '' }) -join ' ').Trim()
Write-VdiResult @{ valid = ($run.exitCode -eq 0); message = $message }`,
};

/** Verifies a backup file. */
export function testSqlBackup(
  session: Session,
  params: z.infer<typeof testSqlBackupParamsSchema>,
  options?: OperationOptions,
): Promise<RunResult<z.infer<typeof testSqlBackupResultSchema>>> {
  return runOperation(session, TEST_SQL_BACKUP, params, options);
}

// ---------------------------------------------------------------------------------------------------------------
// Get-AppVDatabase (overridable)

/** Params of `Get-AppVDatabase`. */
export const appVDatabaseParamsSchema = z
  .object({ sqlServer: z.string().min(1), database: z.string().min(1), secrets: sqlSecrets })
  .strict();
/** Result of `Get-AppVDatabase`. */
export const appVDatabaseResultSchema = z.object({ schemaVersion: z.string().min(1) });

/**
 * `Get-AppVDatabase` (overridable): the App-V data store's schema version, which the first upgraded server raises
 * (docs/sources.md#appv-upgrade-and-database). UNCONFIRMED: where App-V 4.x records it is not documented (docs/sources.md#unconfirmed covers the server side only);
 * the default reads the newest row of `dbo.SCHEMA_VERSION` and fails with the table's absence spelled out, so a site
 * that knows its schema replaces the body.
 */
export const GET_APPV_DATABASE: OperationDefinition<z.infer<typeof appVDatabaseParamsSchema>, z.infer<typeof appVDatabaseResultSchema>> = {
  name: "Get-AppVDatabase",
  overridable: true,
  params: appVDatabaseParamsSchema,
  result: appVDatabaseResultSchema,
  deadlineSeconds: () => 180,
  body:
    SQL_HELPERS +
    "\n" +
    String.raw`$db = ConvertTo-SqlIdentifier ([string]$p.database)
$query = 'SET NOCOUNT ON; SELECT TOP (1) CAST([version] AS nvarchar(64)) FROM ' + $db + '.[dbo].[SCHEMA_VERSION] ORDER BY 1 DESC'
$run = Invoke-VdiSqlcmd $query
if ($run.exitCode -ne 0) { throw "Could not read the schema version of '$($p.database)' (sqlcmd exit $($run.exitCode)): $($run.output -join ' ')" }
$version = @($run.output | Where-Object { $_ -match '^\d+(\.\d+)+$' }) | Select-Object -First 1
if (-not $version) { throw "No schema version found in $db.dbo.SCHEMA_VERSION: $($run.output -join ' ')" }
Write-VdiResult @{ schemaVersion = [string]$version }`,
};

/** Reads the App-V database's schema version. */
export function getAppVDatabase(
  session: Session,
  params: z.infer<typeof appVDatabaseParamsSchema>,
  options?: OperationOptions,
): Promise<RunResult<z.infer<typeof appVDatabaseResultSchema>>> {
  return runOperation(session, GET_APPV_DATABASE, params, options);
}

// ---------------------------------------------------------------------------------------------------------------
// Test-SqlLogin

/** Params of `Test-SqlLogin`. */
export const testSqlLoginParamsSchema = z
  .object({ sqlServer: z.string().min(1), database: z.string().min(1), secrets: sqlSecrets })
  .strict();
/** Result of `Test-SqlLogin`. */
export const testSqlLoginResultSchema = z.object({ canLogIn: z.boolean(), sysadmin: z.boolean(), message: z.string() });

/**
 * `Test-SqlLogin`: logs in with the given login (or Windows authentication) and asks `IS_SRVROLEMEMBER('sysadmin')`,
 * read-only. The App-V setup asks for "the database administrative credentials" when it upgrades the schema ("How to Upgrade the Servers and System Components"
 * step 7); this tells at preview, before any service is stopped, whether they would be accepted. A refused login is a
 * result (`canLogIn: false` with sqlcmd's message), not an error.
 */
export const TEST_SQL_LOGIN: OperationDefinition<z.infer<typeof testSqlLoginParamsSchema>, z.infer<typeof testSqlLoginResultSchema>> = {
  name: "Test-SqlLogin",
  overridable: false,
  params: testSqlLoginParamsSchema,
  result: testSqlLoginResultSchema,
  deadlineSeconds: () => 120,
  body:
    SQL_HELPERS +
    "\n" +
    String.raw`$db = ConvertTo-SqlIdentifier ([string]$p.database)
$run = Invoke-VdiSqlcmd ('SET NOCOUNT ON; USE ' + $db + '; SELECT IS_SRVROLEMEMBER(''sysadmin'')')
if ($run.exitCode -ne 0) {
  Write-VdiResult @{ canLogIn = $false; sysadmin = $false; message = (($run.output | Where-Object { $_ -ne '' }) -join ' ').Trim() }
  return
}
$flag = @($run.output | Where-Object { $_ -match '^\s*[01]\s*$' }) | Select-Object -First 1
Write-VdiResult @{ canLogIn = $true; sysadmin = (([string]$flag).Trim() -eq '1'); message = 'logged in' }`,
};

/** Tests a SQL login (read-only). */
export function testSqlLogin(
  session: Session,
  params: z.infer<typeof testSqlLoginParamsSchema>,
  options?: OperationOptions,
): Promise<RunResult<z.infer<typeof testSqlLoginResultSchema>>> {
  return runOperation(session, TEST_SQL_LOGIN, params, options);
}

// ---------------------------------------------------------------------------------------------------------------
// Get-DatabaseSessions (overridable)

/** Params of `Get-DatabaseSessions`. */
export const databaseSessionsParamsSchema = z
  .object({ sqlServer: z.string().min(1), database: z.string().min(1), secrets: sqlSecrets })
  .strict();
/** Result of `Get-DatabaseSessions`. */
export const databaseSessionsResultSchema = z.object({
  /** The SQL host's computer name (its own jobs' sessions come from it). */
  sqlHost: z.string(),
  sessions: z.array(z.object({ hostName: z.string(), programName: z.string(), loginName: z.string() })),
});

/**
 * `Get-DatabaseSessions` (overridable): which hosts hold sessions on the App-V database, so a server sharing it that
 * the program does not declare is found before the farm is taken offline ("How to Upgrade the Servers and System Components": "If you have more than one server
 * that is sharing access to the Application Virtualization database, all those servers must be taken offline").
 * `sys.sysprocesses` filtered to the database's id (it has `dbid` on every SQL Server version App-V 4.5 supports,
 * unlike `sys.dm_exec_sessions.database_id`, SQL Server 2012+), without this query's own session. Read-only.
 */
export const GET_DATABASE_SESSIONS: OperationDefinition<
  z.infer<typeof databaseSessionsParamsSchema>,
  z.infer<typeof databaseSessionsResultSchema>
> = {
  name: "Get-DatabaseSessions",
  overridable: true,
  params: databaseSessionsParamsSchema,
  result: databaseSessionsResultSchema,
  deadlineSeconds: () => 120,
  body:
    SQL_HELPERS +
    "\n" +
    String.raw`$name = ConvertTo-SqlLiteral ([string]$p.database)
$query = 'SET NOCOUNT ON; SELECT DISTINCT ''VDI|'' + RTRIM(hostname) + ''|'' + RTRIM(program_name) + ''|'' + RTRIM(loginame) FROM master.sys.sysprocesses WHERE dbid = DB_ID(' + $name + ') AND spid <> @@SPID'
$run = Invoke-VdiSqlcmd $query
if ($run.exitCode -ne 0) { throw "Could not read the sessions on '$($p.database)' (sqlcmd exit $($run.exitCode)): $($run.output -join ' ')" }
$sessions = New-Object System.Collections.ArrayList
foreach ($line in $run.output) {
  if (-not $line.StartsWith('VDI|')) { continue }
  $f = $line.Substring(4).Split('|')
  [void]$sessions.Add(@{ hostName = [string]$f[0]; programName = [string]$f[1]; loginName = [string]$f[2] })
}
Write-VdiResult @{ sqlHost = [string]$env:COMPUTERNAME; sessions = @($sessions.ToArray()) }`,
};

/** Reads who holds sessions on a database (read-only). */
export function getDatabaseSessions(
  session: Session,
  params: z.infer<typeof databaseSessionsParamsSchema>,
  options?: OperationOptions,
): Promise<RunResult<z.infer<typeof databaseSessionsResultSchema>>> {
  return runOperation(session, GET_DATABASE_SESSIONS, params, options);
}
