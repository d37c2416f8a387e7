// The serial alternative the fleet benchmark measures (issue 16): the same pods and farms of the lab's inventory, through
// the same components (HorizonPod, AppVFarm) and targets as examples/estate, but each pod or farm starts only once the
// previous one is done (its target version is an output of the previous one's last server), so exactly one server
// upgrades at a time, as Ansible's `serial: 1` or a hand-chained program of remote commands would do it.
// Config: inventory (path of the JSON `stageAndDescribe` writes).
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { AppVFarm, type AppVFarmServer, HorizonPod, type HorizonPodConnectionServer } from "vdi-upgrade";

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
  farm?: string;
  sql?: string;
  database?: string;
  sqlServer?: string;
  /** SQL hosts: the sysadmin login the lab created (the schema upgrade needs database administrative credentials). */
  sqlUser?: string;
  sqlPassword?: string;
  installers: { path: string; sha256: string }[];
}

const config = new pulumi.Config();
const inventory = JSON.parse(fs.readFileSync(config.require("inventory"), "utf8")) as {
  timeFactor?: number;
  pairingPassword?: string;
  hosts: Record<string, InventoryHost>;
};
const hosts = Object.entries(inventory.hosts).sort(([a], [b]) => a.localeCompare(b));
const timeScale = inventory.timeFactor;
const connection = (h: InventoryHost) => ({
  host: h.host,
  port: h.port,
  user: h.user,
  password: pulumi.secret(h.password ?? ""),
  hostKey: h.hostKey,
});
const installer = (h: InventoryHost) => ({ path: h.installers[0].path, sha256: h.installers[0].sha256 });

/** What the next pod or farm waits for: the previous one's last server (or the farm's completion). */
let previous: pulumi.Output<unknown> = pulumi.output("start");
const after = (target: string): pulumi.Output<string> => previous.apply(() => target);

for (const podName of [...new Set(hosts.filter(([, h]) => h.role === "connection-server").map(([, h]) => h.pod ?? "pod"))]) {
  const connectionServers: HorizonPodConnectionServer[] = hosts
    .filter(([, h]) => h.role === "connection-server" && (h.pod ?? "pod") === podName)
    .map(([name, h]) => ({
      name,
      netbiosName: h.computerName,
      connection: connection(h),
      installer: installer(h),
      timeScale,
      securityServers: hosts
        .filter(([, s]) => s.role === "security-server" && s.pairedWith === name)
        .map(([ssName, s]) => ({
          name: ssName,
          connection: connection(s),
          installer: installer(s),
          pairingPassword: pulumi.secret(inventory.pairingPassword ?? ""),
          timeScale,
        })),
    }));
  const pod = new HorizonPod(podName, { targetVersion: after("7.13.2"), connectionServers });
  previous = pulumi.all([...pod.connectionServers, ...pod.securityServers].map((s) => s.installedVersion));
}

const ROLES: Record<string, AppVFarmServer["role"]> = {
  "appv-management": "management",
  "appv-streaming": "streaming",
  "appv-management-service": "management-service",
};
const appvHosts = hosts.filter(([, h]) => h.role in ROLES);
for (const farmName of [...new Set(appvHosts.map(([, h]) => h.farm ?? "farm1"))]) {
  const members = appvHosts.filter(([, h]) => (h.farm ?? "farm1") === farmName);
  const sql = inventory.hosts[members[0][1].sql!];
  const farm = new AppVFarm(farmName, {
    targetVersion: after("4.5 SP2"),
    servers: members.map(([name, h]) => ({ name, role: ROLES[h.role], connection: connection(h), installer: installer(h) })),
    database: {
      connection: connection(sql),
      sqlServer: sql.sqlServer ?? sql.computerName,
      name: members[0][1].database,
      ...(sql.sqlUser && sql.sqlPassword ? { sqlUser: pulumi.secret(sql.sqlUser), sqlPassword: pulumi.secret(sql.sqlPassword) } : {}),
    },
    timeScale,
  });
  previous = farm.completion.serviceStatuses;
}

export const done = previous.apply(() => true);
