/** Shared lab layouts and request builders for the lab tests. */
import type { Lab, LabOptions } from "../../lab";
import { type ExecResult, runOnce } from "./labClient";

export const V712 = "7.12.0.15770369";
export const V7132 = "7.13.2.21000000";
export const V85 = "8.5.0.19586897";
export const APPV_41SP1 = "4.1.1.1";
export const APPV_45SP2 = "4.5.2.17140";

/** Fast enough that a 12-minute installer takes 100 ms, slow enough that a 24-hour pairing password outlives a test. */
export const FAST = 7_200;

export const CS_INSTALLER = "C:\\Installers\\VMware-Horizon-Connection-Server-x86_64-7.13.2-21000000.exe";
export const APPV_INSTALLER = "C:\\Installers\\AppV45SP2\\Setup.exe";
export const PAIRING = "Pair ing-Pa55";

/** A pod of two CS and two SS on 7.12 (ss2 was registered as "SS2-OLD") and an App-V farm on 4.1 SP1. */
export function standardLab(overrides: Partial<LabOptions> = {}): LabOptions {
  return {
    timeFactor: FAST,
    pods: [
      {
        name: "pod1",
        useIpsec: true,
        connectionServers: [
          { name: "cs1", version: V712 },
          { name: "cs2", version: V712 },
        ],
        securityServers: [
          { name: "ss1", version: V712, pairedWith: "cs1" },
          { name: "ss2", version: V712, pairedWith: "cs2", registeredAs: "SS2-OLD" },
        ],
      },
    ],
    farms: [
      {
        name: "farm1",
        sql: "sql1",
        servers: [
          { name: "appv1", role: "management", version: APPV_41SP1 },
          { name: "appv2", role: "management", version: APPV_41SP1 },
          { name: "appv3", role: "streaming", version: APPV_41SP1 },
        ],
      },
    ],
    hosts: [{ name: "plain1" }],
    ...overrides,
  };
}

/** Runs one operation on a lab host as administrator. */
export function op(lab: Lab, host: string, operation: string, params: unknown = {}): Promise<ExecResult> {
  return runOnce(lab.endpoint(host), operation, params);
}

/** Installer params for the Horizon installer; the SS form carries the pairing password as a secret placeholder. */
export function horizonInstall(path: string, opts: { ss?: boolean; password?: string; template?: string } = {}) {
  const ssProps = opts.ss ? ' VDM_SERVER_INSTANCE_TYPE=3 VDM_SERVER_SS_PWD=""{{secret:pairingPassword}}""' : "";
  return {
    path,
    argumentTemplate: opts.template ?? `/s /v"/qn /l*v ""C:\\Temp\\vmmsi.log""${ssProps}"`,
    logPath: "C:\\Temp\\vmmsi.log",
    timeoutSeconds: 3600,
    ...(opts.ss ? { secrets: { pairingPassword: opts.password ?? PAIRING } } : {}),
  };
}

/** Stages the 7.13.2 installer on hosts. */
export function stageHorizon(lab: Lab, hosts: string[], version = V7132, path = CS_INSTALLER): void {
  for (const h of hosts) lab.addInstaller(h, { path, product: "horizon-connection-server", version });
}

/** Upgrades cs1 to 7.13.2 and prepares ss1 with a valid pairing password: the state right before the SS upgrade. */
export async function readyForSecurityServer(lab: Lab, ss = "ss1", cs = "cs1"): Promise<void> {
  stageHorizon(lab, [cs, ss]);
  const up = await op(lab, cs, "Invoke-Installer", horizonInstall(CS_INSTALLER));
  if (up.result?.exitCode !== 0) throw new Error(`CS upgrade failed: ${JSON.stringify(up)}`);
  await op(lab, cs, "Set-PairingPassword", { connectionServer: cs, timeoutMinutes: 1440, secrets: { pairingPassword: PAIRING } });
  await prepareIpsec(lab, ss, cs);
}

/** The documented name of a pairing's connection security rule, up to the partner's address. */
export const RULE_PREFIX = "VMware View Security Server QM Pairing with ";

/** Removes a pair's connection security rules on both hosts, as Prepare for Upgrade does. */
export async function prepareIpsec(lab: Lab, ss = "ss1", cs = "cs1"): Promise<void> {
  const securityServer = lab.host(ss).state.computerName;
  for (const [host, partner] of [
    [ss, cs],
    [cs, ss],
  ]) {
    const r = await op(lab, host, "Invoke-PrepareSecurityServer", {
      securityServer,
      ruleNamePrefix: RULE_PREFIX,
      partnerAddresses: [lab.host(partner).state.address],
    });
    if (r.exitCode !== 0) throw new Error(`prepare on ${host} failed: ${JSON.stringify(r)}`);
  }
}

/** Installed version of the product on a host. */
export function versionOf(lab: Lab, host: string): string | undefined {
  return lab.host(host).state.products[0]?.displayVersion;
}
