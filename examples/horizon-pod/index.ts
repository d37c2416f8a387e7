// Upgrades every Horizon pod of an inventory in the documented zero-downtime order: the first Connection Server, the
// security servers paired with it one at a time, the next Connection Server, and so on.
//
// The inventory is the JSON `npm run lab` writes (.lab/lab.json) or one you write for real hosts (README.md).
// Config (all optional):
//   inventory        path of the inventory                 default: .lab/lab.json, searched upwards from here
//   targetVersion    the version every server must run     default: 7.13.2
//   pairingPassword  (secret) security server pairing password; default: the inventory's
//   password         (secret) SSH password for hosts whose inventory entry has none
//   secretReferences "env": give every secret by reference, resolved by the provider process, so no value enters the
//                    engine (docs/security.md): host X's SSH password { fromEnv: "VDI_SSH_PASSWORD_X" }, or "VDI_SSH_PASSWORD" when only that is set (X the
//                    inventory name upper-cased, e.g. CS1), the pairing password { fromEnv: "VDI_PAIRING_PASSWORD" };
//                    the inventory's passwords are then never read
//   parallelConnectionServers  Horizon 2203+: upgrade the other Connection Servers together after the first; preview
//                              then reads LDAP replication on every Connection Server (389, and 22389 in a Cloud Pod)
//   cloudPodFederation         "detect" (default), true or false: whether the pod is in a Cloud Pod federation
//   maintenanceWindow          e.g. {"days":["Sat"],"from":"22:00","to":"04:00","utcOffset":"+01:00"}  default: always open
//   timeBudgetMinutes          minutes one server's upgrade may take                                  default: 30
//   hooks                      {"before": "<PowerShell>", "after": "<PowerShell>"} run on each server
//   overrides                  e.g. {"prepareSecurityServerScript": "<PowerShell>"} for every server (docs/horizon.md)
//   pairingTimeoutMinutes      minutes the pairing password set on a Connection Server stays valid      default: 30
//   dialErrorLimit             SSH connection attempts before a host counts as unreachable             default: 10
//   connectionServerOrder      e.g. ["cs2","cs1"]: the order the Connection Servers are upgraded in    default: by name
//   configurationBackup        {"path": "C:\\Backup\\pod.LDF"} or {"waive": {"reason": "..."}}: the vdmexport backup taken
//                              on each pod's first Connection Server before its installer      default: taken
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { HorizonPod, type HorizonPodConnectionServer, type SecretInput } from "vdi-upgrade";

interface InventoryHost {
  host: string;
  port?: number;
  user: string;
  password?: string;
  hostKey: string;
  role: string;
  computerName: string;
  pod?: string;
  pairedWith?: string;
  registeredAs?: string;
  installers: { path: string; sha256: string; version: string }[];
}

interface Inventory {
  /** Lab only: simulated seconds per real second, so time budgets follow the lab's clock. */
  timeFactor?: number;
  pairingPassword?: string;
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

const config = new pulumi.Config();
const inventoryPath = path.resolve(config.get("inventory") ?? findUp(path.join(".lab", "lab.json")));
const inventory = JSON.parse(fs.readFileSync(inventoryPath, "utf8")) as Inventory;
const targetVersion = config.get("targetVersion") ?? "7.13.2";
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
const pairingPassword: SecretInput | undefined = byReference
  ? { fromEnv: "VDI_PAIRING_PASSWORD" }
  : (config.getSecret("pairingPassword") ?? (inventory.pairingPassword ? pulumi.secret(inventory.pairingPassword) : undefined));
const sharedPassword = config.getSecret("password");
const timeScale = inventory.timeFactor;
const common = {
  maintenanceWindow: config.getObject<Record<string, unknown>>("maintenanceWindow") as never,
  timeBudgetMinutes: config.getNumber("timeBudgetMinutes"),
  hooks: config.getObject<{ before?: string; after?: string }>("hooks"),
  overrides: config.getObject<Record<string, unknown>>("overrides") as never,
  timeScale,
};

function connection(name: string, h: InventoryHost) {
  return {
    host: h.host,
    port: h.port,
    user: h.user,
    password: byReference ? { fromEnv: sshPasswordVariable(name) } : h.password !== undefined ? pulumi.secret(h.password) : sharedPassword,
    hostKey: h.hostKey,
    dialErrorLimit: config.getNumber("dialErrorLimit"),
  };
}

function installer(name: string, h: InventoryHost) {
  const i = h.installers[0];
  if (!i)
    throw new Error(`[inventory.hosts.${name}.installers] is empty: stage the Horizon installer on ${name} and list its path and SHA-256`);
  return { path: i.path, sha256: i.sha256 };
}

const hosts = Object.entries(inventory.hosts);
// The order the Connection Servers are upgraded in (first = first); the others follow by name.
const declaredOrder = config.getObject<string[]>("connectionServerOrder") ?? [];
const order = (name: string) => (declaredOrder.includes(name) ? declaredOrder.indexOf(name) : declaredOrder.length);
const podNames = [...new Set(hosts.filter(([, h]) => h.role === "connection-server").map(([, h]) => h.pod ?? "pod"))];
const summary: Record<string, pulumi.Output<unknown>> = {};

for (const podName of podNames) {
  const connectionServers: HorizonPodConnectionServer[] = hosts
    .filter(([, h]) => h.role === "connection-server" && (h.pod ?? "pod") === podName)
    .sort(([a], [b]) => order(a) - order(b) || a.localeCompare(b))
    .map(([name, h]) => ({
      name,
      netbiosName: h.computerName,
      connection: connection(name, h),
      installer: installer(name, h),
      ...common,
      securityServers: hosts
        .filter(([, s]) => s.role === "security-server" && s.pairedWith === name)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([ssName, s]) => {
          if (!pairingPassword)
            throw new Error("[pairingPassword] is required for security servers: pulumi config set --secret pairingPassword <value>");
          return {
            name: ssName,
            connection: connection(ssName, s),
            installer: installer(ssName, s),
            pairingPassword,
            registeredName: s.registeredAs && s.registeredAs !== s.computerName ? s.registeredAs : undefined,
            pairingTimeoutMinutes: config.getNumber("pairingTimeoutMinutes"),
            ...common,
          };
        }),
    }));
  const pod = new HorizonPod(podName, {
    targetVersion,
    connectionServers,
    parallelConnectionServers: config.getBoolean("parallelConnectionServers") ?? false,
    cloudPodFederation: config.getObject<"detect" | boolean>("cloudPodFederation"),
    configurationBackup: config.getObject<{ path?: string; waive?: { reason: string } }>("configurationBackup"),
  });
  summary[podName] = pulumi
    .all([...pod.connectionServers, ...pod.securityServers].map((s) => pulumi.all([s.urn, s.installedVersion])))
    .apply((pairs) => Object.fromEntries(pairs.map(([urn, v]) => [urn.split("::").pop()!, v])));
}

/** Each server's verified version, by resource name, per pod. */
export const versions = pulumi.all(summary);
