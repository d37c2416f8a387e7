/**
 * The step actions of the Horizon procedure, next to their planner (horizonPlan.ts): each step of a Connection or
 * Security Server's plan as it runs on the hosts. Every action verifies what it did and throws naming the host, what
 * was found and the fix; the step engine (runner.ts) adds the resource, the step and the next move.
 */
import {
  getFileHash,
  getPairingPasswordState,
  getSecurityServerList,
  invokeHook,
  invokePrepareSecurityServer,
  invokeVdmadmin,
  invokeVdmexport,
  setPairingPassword,
  VDMADMIN_PATH_VMWARE,
  VDMEXPORT_PATH_VMWARE,
} from "../operations";
import {
  CONNECTION_SERVER_ARGUMENTS,
  DEFAULT_TIME_BUDGET_MINUTES,
  DEFAULT_PAIRING_TIMEOUT_MINUTES,
  HORIZON_PRODUCT_PATTERNS,
  IPSEC_RULE_PREFIX,
  SECURITY_SERVER_ARGUMENTS,
  SERVICE_START_TIMEOUT_MINUTES,
  installerLogPath,
} from "../products/horizon";
import type { AnyHorizonInputs, ConnectionServerInputs, HorizonKind, SecurityServerInputs } from "../products/horizonInputs";
import { windowVerdict } from "../lifecycle/support";
import type { MaintenanceWindow } from "../schedule/maintenanceWindow";
import type { Session } from "../transport/session";
import { ensureServiceRunning, runInstaller, verifyInstalledVersion } from "./commonSteps";
import { requireHealthyReplication } from "./replication";
import { HORIZON_VERSIONS, readHostIpsec } from "./horizonFacts";
import {
  type HostFacts,
  NOT_UTC_WORKAROUND,
  type PairingFacts,
  describeEntry,
  hostNames,
  pairRules,
  pairingPasswordProblem,
  staleEntries,
} from "./horizonPlan";
import type { Plan, PlannedStep } from "./steps";

/** The sessions a Horizon server's lifecycle works through. */
export interface HorizonContext {
  kind: HorizonKind;
  inputs: AnyHorizonInputs;
  session: Session;
  /** A security server's paired Connection Server. */
  csSession?: Session;
  servicePattern: string;
}

/** What `observe` read and planned. */
export interface HorizonObserved {
  facts: HostFacts;
  pairing?: PairingFacts;
  plan: Plan;
}

/** What the steps verified as they ran: the host's facts, and the configuration backup taken. */
export interface HorizonRunState {
  facts: HostFacts;
  backup?: { path: string; sizeBytes: number; sha256?: string };
}

/** Key of the host's installer run record for this kind of server. */
export function installerProductOf(kind: HorizonKind): string {
  return kind === "connection-server" ? "horizon-connection-server" : "horizon-security-server";
}

/** Where the pod's configuration backup goes unless the program says: one file per resource and target. */
function defaultBackupPath(inputs: AnyHorizonInputs): string {
  return `C:\\ProgramData\\vdi-upgrade\\${inputs.resourceName.replace(/[^A-Za-z0-9_.-]/g, "_")}-before-${inputs.targetVersion}.LDF`;
}

/** The configuration backup this server takes before its installer (the first Connection Server of a pod), or its waiver. */
export function backupIntent(kind: HorizonKind, inputs: AnyHorizonInputs): { path: string } | { waived: string } | undefined {
  const b = kind === "connection-server" ? (inputs as ConnectionServerInputs).configurationBackup : undefined;
  if (!b) return undefined;
  return b.waive ? { waived: b.waive.reason } : { path: b.path ?? defaultBackupPath(inputs) };
}

/** Runs one step of a Horizon server's plan; `onLine` prints a progress line (redacted) for the resource. */
export async function runHorizonStep(
  ctx: HorizonContext,
  window: MaintenanceWindow | undefined,
  observed: HorizonObserved,
  step: PlannedStep,
  remainingMs: () => number,
  state: HorizonRunState,
  onLine: (line: string) => void,
): Promise<void> {
  const { inputs } = ctx;
  const scale = inputs.timeScale ?? 1;
  const ss = ctx.kind === "security-server" ? (inputs as SecurityServerInputs) : undefined;
  switch (step.name) {
    case "preflight": {
      const f = observed.facts;
      if (f.isAdmin === false) throw new Error(`${f.user} is not an elevated administrator on ${f.host}`);
      const closed = windowVerdict(window, f.hostNow, inputs.timeBudgetMinutes ?? DEFAULT_TIME_BUDGET_MINUTES);
      if (closed) throw new Error(closed);
      // Both LDAP instances (389 and, in a Cloud Pod federation, 22389) again, right before anything changes.
      if ((inputs as ConnectionServerInputs).checkReplication)
        await requireHealthyReplication(ctx.session, f.host, inputs as ConnectionServerInputs, onLine);
      return;
    }
    case "backup-configuration": {
      // The vendor's preparation, on one Connection Server of the group: "use vdmexport.exe to back up the LDAP
      // database" (VMware Horizon 7 Upgrades, "Preparing View Connection Server for an Upgrade"; docs/sources.md). Verified before the installer may run: the file exists and is not empty.
      const intent = backupIntent(ctx.kind, inputs);
      if (!intent || !("path" in intent)) throw new Error("no configuration backup path was planned");
      const r = (
        await invokeVdmexport(
          ctx.session,
          { vdmexportPath: inputs.overrides?.vdmexportPath ?? VDMEXPORT_PATH_VMWARE, path: intent.path },
          { body: inputs.overrides?.vdmexportScript, onLine },
        )
      ).result;
      if (r.exitCode !== 0)
        throw new Error(`vdmexport -f ${intent.path} exited with ${r.exitCode}: ${r.output.slice(-3).join(" | ")}; nothing was upgraded`);
      const file = (await getFileHash(ctx.session, { path: intent.path })).result;
      if (!file.exists || !file.sizeBytes) {
        throw new Error(
          `the configuration backup ${intent.path} on ${step.host} ${file.exists ? "is empty" : "was not written"}; nothing was upgraded`,
        );
      }
      onLine(`configuration backup ${intent.path}: ${file.sizeBytes} bytes, verified`);
      state.backup = { path: intent.path, sizeBytes: file.sizeBytes, sha256: file.sha256 ?? undefined };
      return;
    }
    case "hook-before":
    case "hook-after": {
      const phase = step.name === "hook-before" ? "before" : "after";
      const hook = phase === "before" ? inputs.hooks?.before : inputs.hooks?.after;
      const r = (await invokeHook(ctx.session, { hook: hook!, phase }, { onLine })).result;
      if (r.exitCode !== 0) throw new Error(`the ${phase} hook exited with ${r.exitCode}: ${r.output.slice(-5).join(" | ")}`);
      return;
    }
    case "set-pairing-password": {
      const minutes = ss!.pairingTimeoutMinutes ?? DEFAULT_PAIRING_TIMEOUT_MINUTES;
      const r = (
        await setPairingPassword(
          ctx.csSession!,
          { connectionServer: ss!.connectionServer.name, timeoutMinutes: minutes, secrets: { pairingPassword: ss!.pairingPassword } },
          { body: inputs.overrides?.pairingPasswordScript, onLine },
        )
      ).result;
      // The installer needs the password still valid when it pairs. What the View API call reports proves nothing
      // (it is the host's clock plus the timeout): read the directory back, by the Connection Server's UTC clock
      // (VMware Horizon 7 Installation, "Prepare for Upgrade or Reinstallation"; docs/sources.md). Stop here, before any IPsec rule is touched.
      if (!Number.isFinite(Date.parse(r.expiresUtc)))
        throw new Error(`Set-PairingPassword returned an expiry that is not a time: ${JSON.stringify(r.expiresUtc)}`);
      const state = (
        await getPairingPasswordState(
          ctx.csSession!,
          { connectionServer: ss!.connectionServer.name },
          { body: inputs.overrides?.pairingPasswordStateScript, onLine },
        )
      ).result;
      const problem = pairingPasswordProblem(state, ss!.connectionServer.name);
      if (problem) {
        const zone =
          state.utcOffsetMinutes !== 0
            ? `${ss!.connectionServer.name} runs in ${state.timeZoneId}, not UTC: ${NOT_UTC_WORKAROUND}`
            : `check that ${ss!.connectionServer.name} runs in UTC with a correct clock`;
        throw new Error(`${problem}; ${zone}; no IPsec rule was removed`);
      }
      onLine(
        `the pairing password on ${ss!.connectionServer.name} is valid for ${state.timeoutSeconds} s from ${state.lastChangedTime} (Connection Server UTC ${state.utcNow})`,
      );
      return;
    }
    case "prepare-ipsec": {
      // Prepare for Upgrade without the console ("Prepare for Upgrade or Reinstallation", docs/sources.md): on the security server, then on its Connection
      // Server, delete the pair's "VMware View Security Server QM Pairing with <IP address>" rules whose remote address
      // is the other host's; then read both hosts again and stop unless none remain.
      const ipsec = observed.pairing?.ipsec;
      const ssHost = ipsec?.securityServer;
      const csHost = ipsec?.connectionServer;
      if (!ssHost || !csHost)
        throw new Error(
          `the IPsec rules of this pair were not read${ipsec?.readError ? ` (${ipsec.readError})` : ""}; nothing was removed`,
        );
      const securityServer = ss!.registeredName ?? observed.facts.host;
      for (const [session, partner] of [
        [ctx.session, csHost],
        [ctx.csSession!, ssHost],
      ] as const) {
        await invokePrepareSecurityServer(
          session,
          { securityServer, ruleNamePrefix: IPSEC_RULE_PREFIX, partnerAddresses: partner.addresses },
          { body: inputs.overrides?.prepareSecurityServerScript, onLine },
        );
      }
      // Both hosts read back at once.
      const [ssRules, csRules] = await Promise.all([readHostIpsec(ctx.session), readHostIpsec(ctx.csSession!)]);
      const after = pairRules({ securityServer: ssRules, connectionServer: csRules }, IPSEC_RULE_PREFIX);
      if (after.rules.length > 0 || after.ambiguous.length > 0) {
        const left = [...after.rules.map((r) => `"${r.displayName}" on ${r.host}`), ...after.ambiguous];
        throw new Error(
          `IPsec rules of this pair remain after Prepare for Upgrade: ${left.join(", ")}; the installer would fail to pair. Remove them (Windows Firewall with Advanced Security > Connection Security Rules)`,
        );
      }
      onLine(`no IPsec rule of this pair remains on ${ssHost.computerName} or ${csHost.computerName}`);
      return;
    }
    case "install": {
      const log = installerLogPath(inputs.resourceName);
      const template = (inputs.installer.arguments ?? (ss ? SECURITY_SERVER_ARGUMENTS : CONNECTION_SERVER_ARGUMENTS))
        .split("{{log}}")
        .join(log);
      const secrets = ss && template.includes("{{secret:pairingPassword}}") ? { pairingPassword: ss.pairingPassword } : undefined;
      await runInstaller(
        ctx.session,
        step.host,
        {
          path: inputs.installer.path,
          argumentTemplate: template,
          logPath: log,
          secrets,
          product: installerProductOf(ctx.kind),
          target: inputs.targetVersion,
          scale,
          remainingMs,
          startScript: inputs.overrides?.startInstallerScript,
          noun: "installer",
        },
        onLine,
      );
      return;
    }
    case "wait-service":
    case "start-service": {
      const r = await ensureServiceRunning(ctx.session, step.host, ctx.servicePattern, SERVICE_START_TIMEOUT_MINUTES * 60, scale, onLine);
      state.facts = { ...state.facts, serviceStatus: r.status, serviceDisplayName: r.displayName };
      return;
    }
    case "verify-version": {
      const version = await verifyInstalledVersion(ctx.session, step.host, {
        patterns: inputs.overrides?.productDisplayNames ?? HORIZON_PRODUCT_PATTERNS,
        target: inputs.targetVersion,
        scheme: HORIZON_VERSIONS,
        product: "Horizon",
        noun: "installer",
        logPath: installerLogPath(inputs.resourceName),
      });
      state.facts = { ...state.facts, liveVersion: version };
      return;
    }
    case "remove-duplicates": {
      // Decided from the live pairing after the upgrade (the entry at the verified version with status OK, under a
      // name this host answers to), never from the form of a name: removing the live entry cuts the server off.
      const list = (await getSecurityServerList(ctx.csSession!, {}, { body: inputs.overrides?.securityServerListScript })).result;
      const names = hostNames(observed.facts.host, observed.pairing?.ipsec?.securityServer?.fqdn, ss!.registeredName);
      const verdict = staleEntries(list.securityServers, { names, installedVersion: state.facts.liveVersion ?? inputs.targetVersion });
      if (verdict.ambiguous) {
        onLine(`left alone: ${verdict.ambiguous}`);
        return;
      }
      if (verdict.stale.length === 0) {
        onLine("no stale entry to remove");
        return;
      }
      for (const e of verdict.stale) {
        onLine(`removing the stale entry ${describeEntry(e)}; the live entry is ${describeEntry(verdict.live!)}`);
        const r = (
          await invokeVdmadmin(
            ctx.csSession!,
            { vdmadminPath: inputs.overrides?.vdmadminPath ?? VDMADMIN_PATH_VMWARE, arguments: ["-S", "-r", "-s", e.name] },
            { onLine },
          )
        ).result;
        if (r.exitCode !== 0) throw new Error(`vdmadmin -S -r -s ${e.name} exited with ${r.exitCode}: ${r.output.slice(-3).join(" | ")}`);
      }
      return;
    }
    default:
      throw new Error(`step ${step.name} is not part of the Horizon procedure`);
  }
}
