// Upgrades the App-V 4.x farm of an inventory by the vendor's procedure ("How to Upgrade the Servers and System Components"): every App-V service
// of the farm stopped, a full verified backup of the configuration database, the first management server (which
// upgrades the schema), the other servers, then every service running again.
//
// The inventory is the JSON `npm run lab` writes (.lab/lab.json) or one you write for real hosts (README.md). An App-V
// host names its `farm`, the inventory name of its `sql` host and its `database`; without them, every App-V host is in
// one farm, "farm1", whose database is on the only host with role "sql". A `sql` host may carry `sqlServer` (the
// instance name for sqlcmd -S, default its computer name).
// Config (all optional):
//   inventory          path of the inventory                               default: .lab/lab.json, searched upwards
//   targetVersion      the version every server must run                   default: 4.5 SP2
//   password           (secret) SSH password for hosts whose inventory entry has none
//   secretReferences   "env": give every secret by reference, resolved by the provider process, so no value enters
//                      the engine (docs/security.md): host X's SSH password { fromEnv: "VDI_SSH_PASSWORD_X" }, or "VDI_SSH_PASSWORD" when only that is set (X the
//                      inventory name upper-cased, e.g. APPV1), the SQL login of SQL host X { fromEnv: "VDI_SQL_USER_X" }
//                      and { fromEnv: "VDI_SQL_PASSWORD_X" }; the inventory's secrets are then never read
//   database           the App-V database name                             default: APPVIRT
//   backupPath         backup file on the SQL Server                       default: C:\Backup\<db>-before-<target>.bak
//   sqlUser, sqlPassword (secrets) SQL login for the backup                default: the SQL host's inventory login, else
//                      Windows authentication
//   dbAdminUser, dbAdminPassword (secrets) the database administrative credentials the schema upgrade needs
//                                                                          default: sqlUser and sqlPassword
//   backupWaiveReason  go on without a backup, and why (not recommended)
//   order              "sequential" or "parallel-after-first"             default: sequential
//   maintenanceWindow  e.g. {"days":["Sat"],"from":"22:00","to":"04:00","utcOffset":"+01:00"}   default: always open
//   appvMaintenanceWindow  the farm's own window, when it differs from the pod's  default: maintenanceWindow
//   timeBudgetMinutes  minutes each server's upgrade may take              default: 30
//   farmTimeBudgetMinutes  minutes the whole farm may take                 default: the servers' budgets added up
//   userSessionsDrainMinutes  minutes to wait for App-V clients to disconnect before stopping  default: 15
//   userSessionsProceed  "true": stop the farm anyway once that wait is over (users lose their sessions)
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { AppVFarm, type AppVFarmServer, type SecretInput } from "vdi-upgrade";

interface InventoryHost {
  host: string;
  port?: number;
  user: string;
  password?: string;
  hostKey: string;
  role: string;
  computerName: string;
  /** App-V hosts: the farm, the inventory name of the SQL host holding its database, and the database. */
  farm?: string;
  sql?: string;
  database?: string;
  /** SQL hosts: the instance name sqlcmd takes; default the computer name. */
  sqlServer?: string;
  /** SQL hosts: a SQL login (the lab writes a sysadmin login here). */
  sqlUser?: string;
  sqlPassword?: string;
  installers: { path: string; sha256: string; version: string }[];
}

interface Inventory {
  /** Lab only: simulated seconds per real second, so time budgets follow the lab's clock. */
  timeFactor?: number;
  hosts: Record<string, InventoryHost>;
}

function findUp(relative: string, from = process.cwd()): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, relative);
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir)
      throw new Error(`[inventory] not set and no ${relative} found above ${from}: run \`npm run lab\`, or set inventory`);
  }
}

const ROLES: Record<string, AppVFarmServer["role"]> = {
  "appv-management": "management",
  "appv-streaming": "streaming",
  "appv-management-service": "management-service",
  "appv-console": "console",
};

const config = new pulumi.Config();
const inventoryPath = path.resolve(config.get("inventory") ?? findUp(path.join(".lab", "lab.json")));
const inventory = JSON.parse(fs.readFileSync(inventoryPath, "utf8")) as Inventory;
const targetVersion = config.get("targetVersion") ?? "4.5 SP2";
const sharedPassword = config.getSecret("password");
const waiveReason = config.get("backupWaiveReason");
// Secrets by reference: the program passes where the value is, the provider process reads it (docs/security.md).
const byReference = config.get("secretReferences") === "env";
if (config.get("secretReferences") !== undefined && !byReference)
  throw new Error(`[secretReferences] must be "env"; got "${config.get("secretReferences")}"`);
/** Host X's SSH password variable: VDI_SSH_PASSWORD_X, or the shared VDI_SSH_PASSWORD when only that one is set (only
 * whether they are set is looked at here: the provider process reads the value). */
function sshPasswordVariable(name: string): string {
  const own = `VDI_SSH_PASSWORD_${name.toUpperCase()}`;
  return process.env[own] === undefined && process.env.VDI_SSH_PASSWORD !== undefined ? "VDI_SSH_PASSWORD" : own;
}
const nameOf = (h: InventoryHost) =>
  Object.entries(inventory.hosts)
    .find(([, x]) => x === h)![0]
    .toUpperCase();

function connection(h: InventoryHost) {
  return {
    host: h.host,
    port: h.port,
    user: h.user,
    password: byReference
      ? { fromEnv: sshPasswordVariable(nameOf(h)) }
      : h.password !== undefined
        ? pulumi.secret(h.password)
        : sharedPassword,
    hostKey: h.hostKey,
  };
}

const hosts = Object.entries(inventory.hosts);
const sqlHosts = hosts.filter(([, h]) => h.role === "sql");
const appvHosts = hosts.filter(([, h]) => h.role in ROLES).sort(([a], [b]) => a.localeCompare(b));
const farmNames = [...new Set(appvHosts.map(([, h]) => h.farm ?? "farm1"))];
function sqlHostOf(farmName: string, members: [string, InventoryHost][]): InventoryHost {
  const named = members.map(([, h]) => h.sql).find((s) => s !== undefined);
  if (named !== undefined) {
    const host = inventory.hosts[named];
    if (!host) throw new Error(`[inventory.hosts.*.sql] farm ${farmName} names the SQL host "${named}", which is not in the inventory`);
    return host;
  }
  if (sqlHosts.length !== 1) {
    throw new Error(
      `[inventory] farm ${farmName} names no sql host and the inventory lists ${sqlHosts.length} hosts with role "sql": set "sql" on its App-V hosts`,
    );
  }
  return sqlHosts[0][1];
}
/** The SQL login from config, or else the SQL host's inventory login. */
function sqlLogin(sql: InventoryHost): { sqlUser?: SecretInput; sqlPassword?: SecretInput } {
  if (byReference)
    return { sqlUser: { fromEnv: `VDI_SQL_USER_${nameOf(sql)}` }, sqlPassword: { fromEnv: `VDI_SQL_PASSWORD_${nameOf(sql)}` } };
  const user = config.getSecret("sqlUser");
  const password = config.getSecret("sqlPassword");
  if (user !== undefined || password !== undefined || sql.sqlUser === undefined || sql.sqlPassword === undefined)
    return { sqlUser: user, sqlPassword: password };
  return { sqlUser: pulumi.secret(sql.sqlUser), sqlPassword: pulumi.secret(sql.sqlPassword) };
}
const summary: Record<string, pulumi.Output<unknown>> = {};

for (const farmName of farmNames) {
  const members = appvHosts.filter(([, h]) => (h.farm ?? "farm1") === farmName);
  const sql = sqlHostOf(farmName, members);
  const servers: AppVFarmServer[] = members.map(([name, h]) => {
    const setup = h.installers[0];
    if (!setup)
      throw new Error(`[inventory.hosts.${name}.installers] is empty: stage the App-V 4.5 setup on ${name} and list its path and SHA-256`);
    return { name, role: ROLES[h.role], connection: connection(h), installer: { path: setup.path, sha256: setup.sha256 } };
  });
  const farm = new AppVFarm(farmName, {
    targetVersion,
    servers,
    database: {
      connection: connection(sql),
      sqlServer: sql.sqlServer ?? sql.computerName,
      name: config.get("database") ?? members.map(([, h]) => h.database).find((d) => d !== undefined),
      backupPath: config.get("backupPath"),
      ...sqlLogin(sql),
      adminUser: config.getSecret("dbAdminUser"),
      adminPassword: config.getSecret("dbAdminPassword"),
    },
    backup: waiveReason ? { waive: { reason: waiveReason } } : undefined,
    order: config.get("order") as "sequential" | "parallel-after-first" | undefined,
    maintenanceWindow: (config.getObject<Record<string, unknown>>("appvMaintenanceWindow") ??
      config.getObject<Record<string, unknown>>("maintenanceWindow")) as never,
    timeBudgetMinutes: config.getNumber("timeBudgetMinutes"),
    farmTimeBudgetMinutes: config.getNumber("farmTimeBudgetMinutes"),
    userSessions: { drainMinutes: config.getNumber("userSessionsDrainMinutes"), proceed: config.getBoolean("userSessionsProceed") },
    timeScale: inventory.timeFactor,
  });
  summary[farmName] = pulumi.output({
    versions: pulumi
      .all([...farm.servers, ...farm.consoles].map((s) => pulumi.all([s.urn, s.installedVersion])))
      .apply((pairs) => Object.fromEntries(pairs.map(([urn, v]) => [urn.split("::").pop()!, v]))),
    backupPath: farm.preparation.backupPath,
  });
}

/** Each farm's verified server versions and the backup taken before the schema upgrade. */
export const farms = pulumi.all(summary);
