/**
 * Simulated operation handlers, keyed by the operation names of docs/wire-protocol.md §5. Each validates its
 * params, takes simulated time, changes the world through `World`, and returns the result object (or throws: the
 * front turns that into `VDIUPGRADE-ERROR` and exit 1).
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import {
  APPV_APP_POOL,
  APPV_DB_ADMIN_PROPERTIES,
  VDMADMIN_PATH,
  VDMEXPORT_PATH,
  companionServices,
  installLocation,
  productDisplayName,
  servicesFor,
} from "./catalog";
import type { FaultKind, FaultSet } from "./faults";
import { newRunLease, readLease, readOwedHooks, setOwedHook, setRunLease } from "./leases";
import { like } from "./likePattern";
import { parseInstallerArguments, substituteSecrets } from "./protocol";
import {
  type Violation,
  checkAppVInstall,
  checkConnectionServerInstall,
  checkInstallerFile,
  checkProductAndVersion,
  checkSecurityServerInstall,
  checkSilentHorizon,
} from "./rules";
import {
  type FileEntry,
  type HostState,
  type InstallerProcess,
  type InstallerRunRecord,
  type ServiceStatus,
  World,
  fileKey,
  isDatabaseMember,
  sha256,
} from "./state";

/** Simulated durations, in seconds. */
export interface Durations {
  /** Connection Server installer. @default 720 (12 min) */
  readonly connectionServerInstall: number;
  /** Security Server installer. @default 480 (8 min) */
  readonly securityServerInstall: number;
  /** App-V setup. @default 360 (6 min) */
  readonly appvInstall: number;
  /** Time before an installer that breaks a rule gives up. @default 45 */
  readonly failedInstall: number;
  /** A quick query. @default 2 */
  readonly quick: number;
  /** Starting a service. @default 20 */
  readonly serviceStart: number;
  /** Stopping a service. @default 8 */
  readonly serviceStop: number;
  /** A SQL backup. @default 60 */
  readonly sqlBackup: number;
}

/** Default simulated durations. */
export const DEFAULT_DURATIONS: Durations = {
  connectionServerInstall: 720,
  securityServerInstall: 480,
  appvInstall: 360,
  failedInstall: 45,
  quick: 2,
  serviceStart: 20,
  serviceStop: 8,
  sqlBackup: 60,
};

/** What a handler gets. */
export interface OperationContext<P> {
  readonly world: World;
  readonly host: HostState;
  readonly user: { readonly user: string; readonly admin: boolean };
  readonly params: P;
  /** Operation-level faults that fired for this call. */
  readonly faults: readonly FaultKind[];
  /** The host's armed faults (for start attempts). */
  readonly hostFaults: FaultSet;
  readonly durations: Durations;
  /** Streams a progress line. */
  progress(line: string): void;
  /** Marks the middle of the operation: a "drop during" fault cuts the connection here; the work goes on. */
  during(): void;
  /** Calls `listener` once when the SSH session's first process ends (exec exit, channel closed, connection dropped). */
  onSessionEnd(listener: () => void): void;
}

/** A simulated operation. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the handler table holds every params type
export interface Handler<P = any> {
  readonly schema: z.ZodType<P>;
  /** Runs only on this kind of host. */
  readonly where?: "connection-server" | "sql";
  /** Needs a local administrator. */
  readonly admin?: boolean;
  run(ctx: OperationContext<P>): Promise<unknown>;
}

const secretsSchema = z.record(z.string()).optional();

/** Sleeps a simulated duration after marking the middle of the operation. */
async function work(ctx: OperationContext<unknown>, simSeconds: number): Promise<void> {
  ctx.during();
  await ctx.world.clock.sleep(simSeconds);
}

function hasFault<K extends FaultKind["kind"]>(ctx: OperationContext<unknown>, kind: K): Extract<FaultKind, { kind: K }> | undefined {
  return ctx.faults.find((f): f is Extract<FaultKind, { kind: K }> => f.kind === kind);
}

/** Starts a service (and its companions), unless a fault keeps it down. Returns whether it runs. */
function startService(ctx: OperationContext<unknown>, svc: ServiceStatus): boolean {
  if (svc.startType === "Disabled") {
    throw new Error(`Service '${svc.displayName} (${svc.name})' cannot be started because it is disabled.`);
  }
  if (ctx.hostFaults.takeServiceWontStart(svc.displayName)) return false;
  ctx.world.setServiceStatus(ctx.host, svc, "Running");
  for (const name of companionServices(ctx.host.role, svc.displayName)) {
    const c = ctx.world.service(ctx.host, name);
    if (c && c.startType !== "Disabled" && !ctx.hostFaults.takeServiceWontStart(c.displayName)) {
      ctx.world.setServiceStatus(ctx.host, c, "Running");
    }
  }
  return true;
}

function stopService(ctx: OperationContext<unknown>, svc: ServiceStatus): void {
  for (const name of companionServices(ctx.host.role, svc.displayName)) {
    const c = ctx.world.service(ctx.host, name);
    if (c) ctx.world.setServiceStatus(ctx.host, c, "Stopped");
  }
  ctx.world.setServiceStatus(ctx.host, svc, "Stopped");
}

// ---------------------------------------------------------------------------------------------------------------
// Queries

const getHostFacts: Handler<Record<string, never>> = {
  schema: z.object({}).passthrough() as unknown as z.ZodType<Record<string, never>>,
  async run(ctx) {
    await work(ctx, ctx.durations.quick);
    return {
      // whoami form, as the real script reports it
      computerName: ctx.host.computerName,
      user: `${ctx.host.computerName.toLowerCase()}\\${ctx.user.user}`,
      isAdmin: ctx.user.admin,
      utcNow: ctx.world.clock.nowIso(),
      psVersion: ctx.host.powershellVersion,
    };
  },
};

const getInstalledProduct: Handler<{ displayNameLike: string[] }> = {
  schema: z.object({ displayNameLike: z.array(z.string()) }),
  async run(ctx) {
    await work(ctx, ctx.durations.quick);
    const all = [...ctx.host.products, ...COMMON_PRODUCTS];
    return {
      products: all
        .filter((p) => ctx.params.displayNameLike.some((pat) => like(p.displayName, pat)))
        .map((p) => ({ displayName: p.displayName, displayVersion: p.displayVersion, installLocation: p.installLocation })),
    };
  },
};

/** Products every simulated Windows host has, so `-like` filters have something to filter out. */
const COMMON_PRODUCTS = [
  { displayName: "VMware Tools", displayVersion: "11.3.5.18557794", installLocation: "C:\\Program Files\\VMware\\VMware Tools\\" },
  {
    displayName: "Microsoft Visual C++ 2015-2019 Redistributable (x64) - 14.29.30133",
    displayVersion: "14.29.30133.0",
    installLocation: "",
  },
];

const getServiceState: Handler<{ displayNames: string[] }> = {
  schema: z.object({ displayNames: z.array(z.string()) }),
  async run(ctx) {
    await work(ctx, ctx.durations.quick);
    return {
      services: ctx.host.services
        .filter((s) => ctx.params.displayNames.some((pat) => like(s.displayName, pat)))
        .map((s) => ({ name: s.name, displayName: s.displayName, status: s.status, startType: s.startType })),
    };
  },
};

const setServiceState: Handler<{ displayName: string; state: "Running" | "Stopped"; timeoutSeconds: number }> = {
  schema: z.object({
    displayName: z.string().min(1),
    state: z.enum(["Running", "Stopped"]),
    timeoutSeconds: z.number().positive(),
  }),
  admin: true,
  async run(ctx) {
    const { displayName, state, timeoutSeconds } = ctx.params;
    const svc = ctx.world.service(ctx.host, displayName);
    if (!svc) throw new Error(`Cannot find any service with display name '${displayName}'.`);
    ctx.during();
    if (svc.status === state) return { displayName: svc.displayName, status: svc.status, waitedSeconds: 0 };
    if (state === "Stopped") {
      await ctx.world.clock.sleep(ctx.durations.serviceStop);
      stopService(ctx, svc);
      return { displayName: svc.displayName, status: svc.status, waitedSeconds: ctx.durations.serviceStop };
    }
    const wait = Math.min(ctx.durations.serviceStart, timeoutSeconds);
    await ctx.world.clock.sleep(wait);
    if (ctx.durations.serviceStart > timeoutSeconds || !startService(ctx, svc)) {
      if (wait < timeoutSeconds) await ctx.world.clock.sleep(timeoutSeconds - wait);
      throw new Error(`Service '${svc.displayName} (${svc.name})' did not reach Running within ${timeoutSeconds} s; it is ${svc.status}.`);
    }
    ctx.progress(`Service '${svc.displayName}' is Running.`);
    return { displayName: svc.displayName, status: svc.status, waitedSeconds: wait };
  },
};

/**
 * `Get-WebApplicationPool`: the IIS applications whose physical path is `-like` the pattern, each with its pool's state
 * (WebAdministration's Get-WebApplication and Get-WebAppPoolState), and whether IIS (W3SVC) runs. A host without IIS
 * has no WebAdministration module: the import fails as it would there.
 */
const getWebApplicationPool: Handler<{ physicalPathLike: string }> = {
  schema: z.object({ physicalPathLike: z.string().min(1) }),
  async run(ctx) {
    await work(ctx, ctx.durations.quick);
    const iis = ctx.host.iis;
    if (!iis)
      throw new Error(
        "Import-Module : The specified module 'WebAdministration' was not loaded because no valid module file was found in any module directory.",
      );
    const w3 = ctx.host.services.find((s) => s.name === "W3SVC");
    return {
      iisRunning: w3?.status === "Running",
      applications: iis.applications
        .filter((a) => like(a.physicalPath, ctx.params.physicalPathLike))
        .map((a) => ({ site: a.site, path: a.path, physicalPath: a.physicalPath, applicationPool: a.pool, poolState: iis.pools[a.pool] })),
    };
  },
};

/** `Set-WebAppPoolState`: Start-WebAppPool / Stop-WebAppPool on one pool; IIS and the other pools are left alone. */
const setWebAppPoolState: Handler<{ name: string; state: "Started" | "Stopped"; timeoutSeconds: number }> = {
  schema: z.object({ name: z.string().min(1), state: z.enum(["Started", "Stopped"]), timeoutSeconds: z.number().positive() }),
  admin: true,
  async run(ctx) {
    const iis = ctx.host.iis;
    if (!iis || !(ctx.params.name in iis.pools))
      throw new Error(`Stop-WebAppPool : Cannot find path 'IIS:\\AppPools\\${ctx.params.name}' because it does not exist.`);
    ctx.during();
    if (iis.pools[ctx.params.name] === ctx.params.state) return { name: ctx.params.name, state: ctx.params.state, waitedSeconds: 0 };
    const w3 = ctx.host.services.find((s) => s.name === "W3SVC");
    if (ctx.params.state === "Started" && w3?.status !== "Running") {
      throw new Error(
        `Start-WebAppPool : The World Wide Web Publishing Service (W3SVC) is stopped; application pool '${ctx.params.name}' cannot start.`,
      );
    }
    await ctx.world.clock.sleep(ctx.durations.quick);
    ctx.world.setAppPoolState(ctx.host, ctx.params.name, ctx.params.state);
    return { name: ctx.params.name, state: ctx.params.state, waitedSeconds: ctx.durations.quick };
  },
};

/**
 * `Get-ClientSessions`: established TCP connections on the given local ports (App-V clients stream over RTSP, port 554,
 * or RTSPS 322: KB 2615139, docs/sources.md#appv-services-and-paths), while the App-V service serves.
 */
const getClientSessions: Handler<{ ports: number[] }> = {
  schema: z.object({ ports: z.array(z.number().int().positive()) }),
  async run(ctx) {
    await work(ctx, ctx.durations.quick);
    const live = ctx.world.isServing(ctx.host) ? ctx.world.liveClientSessions(ctx.host) : [];
    return {
      connections: live
        .filter((s) => ctx.params.ports.includes(s.localPort))
        .map((s) => ({ remoteAddress: s.remoteAddress, localPort: s.localPort })),
    };
  },
};

/**
 * `Get-InstallerVersion`: an installer file's own product version (`VersionInfo.ProductVersion`), the build it
 * installs; files that are not installers have none.
 */
const getInstallerVersion: Handler<{ path: string }> = {
  schema: z.object({ path: z.string().min(1) }),
  async run(ctx) {
    await work(ctx, ctx.durations.quick);
    const f = ctx.host.files[fileKey(ctx.params.path)];
    if (!f) return { exists: false, productVersion: null, fileVersion: null };
    const v = f.installer ? (f.installer.productVersion ?? f.installer.version) : null;
    return { exists: true, productVersion: v, fileVersion: v };
  },
};

const getFileHash: Handler<{ path: string }> = {
  schema: z.object({ path: z.string().min(1) }),
  async run(ctx) {
    await work(ctx, ctx.durations.quick);
    const f = ctx.host.files[fileKey(ctx.params.path)];
    return f ? { exists: true, sha256: f.sha256, sizeBytes: f.sizeBytes } : { exists: false, sha256: null, sizeBytes: null };
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Installer
//
// Installers are processes (HostState.installers). Where a process starts decides how long it lives: Win32-OpenSSH puts
// the session's first process (powershell.exe) in a job object with kill-on-close "so that all the child processes are
// cleaned-up automatically" (PowerShell/Win32-OpenSSH issue 1195, https://github.com/PowerShell/Win32-OpenSSH/issues/1195),
// so an installer started inside the session (`Invoke-Installer`, Start-Process) dies when that process exits: the
// exec ends (a time-out's throw included), the client closes the channel (a cancelled or killed provider), or the
// connection drops. What a lost client does to a running session has varied between Win32-OpenSSH versions
// (issue 1751, https://github.com/PowerShell/Win32-OpenSSH/issues/1751): the lab takes the strict side and ends the
// session. A process started outside the job (`Start-Installer`: WMI `Win32_Process.Create`, a scheduled task, or a
// break-away start, which the job allows since issue 1032, https://github.com/PowerShell/Win32-OpenSSH/issues/1032,
// and PowerShell/openssh-portable PR 267) survives the session. Two installations at once: the second exits 1618,
// ERROR_INSTALL_ALREADY_RUNNING ("Another installation is already in progress", Windows Installer error codes,
// https://learn.microsoft.com/en-us/windows/win32/msi/error-codes).

interface InstallerParams {
  path: string;
  argumentTemplate: string;
  logPath: string;
  secrets?: Record<string, string>;
}

interface InstallOutcome {
  exitCode: number;
  rebootRequired: boolean;
  logTail: string[];
}

/** A started installer: its process entry, how it ends (undefined when killed), and how to kill it. */
interface LiveInstaller {
  readonly proc: InstallerProcess;
  readonly done: Promise<InstallOutcome | undefined>;
  kill(reason: string): void;
}

const liveInstallers = new WeakMap<InstallerProcess, LiveInstaller>();

const ALREADY_RUNNING = "Another installation is already in progress. Complete that installation before proceeding with this install.";

/** Starts an installer process on the host; `detached` when it was started outside the SSH session's job. */
function startInstallerProcess(ctx: OperationContext<InstallerParams>, args: string, detached: boolean): LiveInstaller {
  const { world, host } = ctx;
  const proc: InstallerProcess = {
    pid: world.nextPid(),
    path: ctx.params.path,
    logPath: ctx.params.logPath,
    startedUtc: world.clock.nowIso(),
    detached,
    state: "running",
  };
  host.installers.push(proc);
  let killedBecause: string | undefined;
  let signalKill: () => void = () => undefined;
  const killed = new Promise<"killed">((resolve) => {
    signalKill = () => resolve("killed");
  });
  const kill = (reason: string) => {
    if (proc.state !== "running" || killedBecause !== undefined) return;
    killedBecause = reason;
    signalKill();
  };
  // A detached process has no way to write to the SSH session that started it, nor to be cut by its faults.
  const processCtx = detached ? { ...ctx, progress: () => undefined, during: () => undefined } : ctx;
  const done = runInstallation(processCtx, args, { killed, isKilled: () => killedBecause !== undefined }).then((outcome) => {
    proc.endedUtc = world.clock.nowIso();
    if (outcome === "killed") {
      proc.state = "killed";
      proc.killedBecause = killedBecause;
      return undefined;
    }
    proc.state = "exited";
    proc.exitCode = outcome.exitCode;
    return outcome;
  });
  const live: LiveInstaller = { proc, done, kill };
  liveInstallers.set(proc, live);
  return live;
}

/** Waits until the installer ends or `simSeconds` pass. */
async function waitForInstaller(ctx: OperationContext<unknown>, live: LiveInstaller | undefined, simSeconds: number): Promise<void> {
  if (!live || live.proc.state !== "running" || simSeconds <= 0) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, (simSeconds * 1000) / ctx.world.clock.timeFactor);
  });
  await Promise.race([live.done.then(() => undefined), timeout]);
  clearTimeout(timer);
}

/**
 * `Invoke-Installer`: Start-Process inside the session, then WaitForExit with a time-out. The installer is in the
 * session's job: when the exec ends (the time-out's throw included) or the client goes away, it is killed.
 */
const invokeInstaller: Handler<InstallerParams & { timeoutSeconds: number }> = {
  schema: z.object({
    path: z.string().min(1),
    argumentTemplate: z.string(),
    logPath: z.string().min(1),
    timeoutSeconds: z.number().positive(),
    secrets: secretsSchema,
  }),
  admin: true,
  async run(ctx) {
    const args = substituteSecrets(ctx.params.argumentTemplate, ctx.params.secrets);
    const live = startInstallerProcess(ctx, args, false);
    ctx.onSessionEnd(() => live.kill("the SSH session's first process (powershell.exe) exited; its job object kills every process in it"));
    await waitForInstaller(ctx, live, ctx.params.timeoutSeconds);
    if (live.proc.state === "running") {
      // What the body says; the exec then ends, and the job takes the installer with it.
      throw new Error(
        `The installer ${ctx.params.path} (PID ${live.proc.pid}) did not finish within ${ctx.params.timeoutSeconds} s; it is still running on ${ctx.host.computerName}.`,
      );
    }
    const outcome = await live.done;
    if (!outcome) throw new Error(`The installer ${ctx.params.path} (PID ${live.proc.pid}) was terminated.`);
    return outcome;
  },
};

const productKey = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/);

/** What `Start-Installer` and `Get-InstallerRun` report about a run record. */
function runStatus(host: HostState, record: InstallerRunRecord | undefined) {
  if (!record) return { found: false, record: null, running: false, exitCode: null, rebootRequired: false, endedUtc: null, logTail: [] };
  const proc = host.installers.find((p) => p.pid === record.pid);
  const log = host.files[fileKey(record.logPath)]?.content;
  const exitCode = proc?.state === "exited" ? (proc.exitCode ?? null) : null;
  return {
    found: true,
    record: { ...record },
    running: proc?.state === "running",
    exitCode,
    rebootRequired: exitCode === 3010,
    endedUtc: proc?.endedUtc ?? null,
    logTail: log ? log.split("\r\n").slice(-20) : [],
  };
}

/**
 * `Start-Installer`: starts the installer outside the SSH session's job, as the same account, and writes its run
 * record; when the record names an installer still running, starts nothing and reports that one. Then waits up to
 * `waitSeconds` for it to end.
 */
const startInstaller: Handler<InstallerParams & { product: string; target: string; waitSeconds: number }> = {
  schema: z.object({
    product: productKey,
    target: z.string().min(1),
    path: z.string().min(1),
    argumentTemplate: z.string(),
    logPath: z.string().min(1),
    waitSeconds: z.number().min(0),
    secrets: secretsSchema,
  }),
  admin: true,
  async run(ctx) {
    const { host, params } = ctx;
    const existing = host.runRecords[params.product];
    const existingProc = existing && host.installers.find((p) => p.pid === existing.pid);
    if (existing && existingProc?.state === "running") {
      ctx.progress(`An installer started at ${existing.startedUtc} (PID ${existing.pid}) is still running; not starting another.`);
      ctx.during();
      await waitForInstaller(ctx, liveInstallers.get(existingProc), params.waitSeconds);
      return { started: false, previous: null, ...runStatus(host, existing) };
    }
    const args = substituteSecrets(params.argumentTemplate, params.secrets);
    if (!host.files[fileKey(params.path)]) throw new Error(`The installer '${params.path}' does not exist on ${host.computerName}.`);
    const previous = existing ? runStatus(host, existing) : undefined;
    const live = startInstallerProcess(ctx, args, true);
    const record: InstallerRunRecord = {
      product: params.product,
      target: params.target,
      path: params.path,
      logPath: params.logPath,
      pid: live.proc.pid,
      startedUtc: live.proc.startedUtc,
    };
    host.runRecords[params.product] = record;
    ctx.progress(`Started ${params.path} as PID ${record.pid}, outside the SSH session`);
    ctx.during();
    await waitForInstaller(ctx, live, params.waitSeconds);
    return {
      started: true,
      previous: previous ? { record: previous.record, exitCode: previous.exitCode, endedUtc: previous.endedUtc } : null,
      ...runStatus(host, record),
    };
  },
};

/** `Get-InstallerRun`: reads the run record of `product` and whether its installer still runs; waits up to `waitSeconds` for it to end. */
const getInstallerRun: Handler<{ product: string; waitSeconds: number }> = {
  schema: z.object({ product: productKey, waitSeconds: z.number().min(0) }),
  // The record lives where only administrators can read it.
  admin: true,
  async run(ctx) {
    const record = ctx.host.runRecords[ctx.params.product];
    const proc = record && ctx.host.installers.find((p) => p.pid === record.pid);
    ctx.during();
    if (proc) await waitForInstaller(ctx, liveInstallers.get(proc), ctx.params.waitSeconds);
    else await ctx.world.clock.sleep(ctx.durations.quick);
    return runStatus(ctx.host, record);
  },
};

/** How a killed installer is told apart from a finished one inside `runInstallation`. */
interface KillSwitch {
  readonly killed: Promise<"killed">;
  isKilled(): boolean;
}

/** Sleeps a simulated duration; true when the installer was killed meanwhile. */
async function installerSleep(ctx: OperationContext<unknown>, kill: KillSwitch, simSeconds: number): Promise<boolean> {
  const r = await Promise.race([ctx.world.clock.sleep(simSeconds).then(() => "slept" as const), kill.killed]);
  return r === "killed";
}

async function runInstallation(ctx: OperationContext<InstallerParams>, args: string, kill: KillSwitch): Promise<InstallOutcome | "killed"> {
  const { world, host } = ctx;
  const path = ctx.params.path;
  const file = host.files[fileKey(path)];
  const log: string[] = [`=== Verbose logging started: ${world.clock.nowIso()}  Build type: SHIP UNICODE 5.00.10011.00 ===`];
  // Like MSI's hidden properties: the log never shows a secret value.
  const shown = Object.values(ctx.params.secrets ?? {}).reduce((acc, v) => (v ? acc.split(v).join("**********") : acc), args);
  log.push(`Command line: "${path}" ${shown}`);
  ctx.progress(`Starting ${path}`);
  if (host.installing) {
    // The Windows Installer mutex is held by another installation: this one gives up at once.
    log.push(
      `MSI (s): ${ALREADY_RUNNING}`,
      "MSI (s): Windows Installer installed the product. Installation success or error status: 1618.",
    );
    await ctx.world.clock.sleep(ctx.durations.quick);
    return finish(ctx, log, 1618);
  }
  host.installing = true;
  try {
    return await installWithMutex(ctx, args, kill, log, file);
  } finally {
    host.installing = false;
  }
}

/** Killed half-way: the log stops where it was, the services the installer stopped stay stopped, the version is unchanged. */
function killedHalfWay(ctx: OperationContext<InstallerParams>, log: string[]): "killed" {
  ctx.world.writeTextFile(ctx.host, ctx.params.logPath, log.join("\r\n"));
  return "killed";
}

async function installWithMutex(
  ctx: OperationContext<InstallerParams>,
  args: string,
  kill: KillSwitch,
  log: string[],
  file: FileEntry | undefined,
): Promise<InstallOutcome | "killed"> {
  const { world, host } = ctx;
  const path = ctx.params.path;

  const fileViolations = checkInstallerFile(path, file);
  if (fileViolations.length > 0) return fail(ctx, log, fileViolations, undefined);
  const info = file!.installer!;
  const installed = world.installedVersion(host);
  const violations: Violation[] = [...checkProductAndVersion(host.role, info.product, installed, info.version)];
  let upgradesSchema = false;
  const parsed = parseInstallerArguments(args);
  if (violations.length === 0) {
    if (info.product === "horizon-connection-server") violations.push(...checkSilentHorizon(parsed.silent, parsed.switches));
    // Windows Installer logs every public property's value except those listed in MsiHiddenProperties
    // (https://learn.microsoft.com/en-us/windows/win32/msi/msihiddenproperties); the lab also hides names that look
    // like passwords, as a product's own MsiHiddenProperties usually does. The parser upper-cases property names.
    const hidden = new Set(
      (parsed.properties.MSIHIDDENPROPERTIES ?? "")
        .split(";")
        .map((n) => n.trim())
        .filter(Boolean),
    );
    for (const [name, value] of Object.entries(parsed.properties)) {
      log.push(
        `PROPERTY CHANGE: Adding ${name} property. Its value is '${/PWD|PASSWORD/.test(name) || hidden.has(name) ? "**********" : value}'.`,
      );
    }
    if (host.role === "security-server") {
      const pod = world.podOf(host);
      const link = pod.securityServers[host.name];
      const cs = world.hosts.get(link.pairedWith);
      violations.push(
        ...checkSecurityServerInstall({
          target: info.version,
          remainingIpsecRules: cs ? world.pairingRules(host, cs).map((r) => r.displayName) : [],
          passwordGiven: parsed.properties.VDM_SERVER_SS_PWD,
          pairing: pod.pairing[link.pairedWith],
          nowMs: world.clock.now(),
          pairedWith: cs?.computerName ?? link.pairedWith,
          connectionServerVersion: cs ? world.installedVersion(cs) : undefined,
        }),
      );
    } else if (host.role === "connection-server") {
      const pod = world.podOf(host);
      violations.push(...checkConnectionServerInstall(info.version, pod.replicationHealthy, !pod.cloudPod || pod.globalReplicationHealthy));
    } else if (info.product === "appv-server") {
      const db = host.database && isDatabaseMember(host) ? world.database(host.database.sql, host.database.name) : undefined;
      const runningPeers = db
        ? db.members
            .filter((m) => m !== host.name)
            .map((m) => world.host(m))
            .filter((peer) => world.isServing(peer))
            .map((peer) => peer.computerName)
        : [];
      const adminUser = parsed.properties[APPV_DB_ADMIN_PROPERTIES.user];
      const adminLogin = (() => {
        if (!db || !adminUser) return { state: "missing" as const };
        const r = world.sqlLogin(db.sql, adminUser, parsed.properties[APPV_DB_ADMIN_PROPERTIES.password] ?? "");
        if (!r.ok) return { state: "refused" as const, user: adminUser, message: r.message };
        return { state: r.sysadmin ? ("ok" as const) : ("not-admin" as const), user: adminUser };
      })();
      const verdict = checkAppVInstall({ installed, target: info.version, schemaVersion: db?.schemaVersion, runningPeers, adminLogin });
      violations.push(...verdict.violations);
      upgradesSchema = verdict.upgradesSchema;
    }
  }
  if (violations.length > 0) {
    if (await installerSleep(ctx, kill, ctx.durations.failedInstall)) return killedHalfWay(ctx, log);
    return fail(ctx, log, violations, productDisplayName(host.role, info.version));
  }

  // The installer stops the product's services ("Upgrade View Security Server" step 1, "How to Upgrade the Servers and System Components" note), installs, then starts them. The
  // Management Web Service's are its IIS application pool, not IIS, which serves other sites (lab convention).
  const web = host.iis ? APPV_APP_POOL : undefined;
  const poolBefore = web ? host.iis!.pools[web] : undefined;
  const before = web ? [] : host.services.map((s) => ({ svc: s, status: s.status }));
  if (web) world.setAppPoolState(host, web, "Stopped");
  else for (const s of host.services) world.setServiceStatus(host, s, "Stopped");
  log.push("Action start: StopServices. The product's services were stopped.");
  world.writeTextFile(host, ctx.params.logPath, log.join("\r\n"));
  ctx.progress("Services stopped; installing");
  ctx.during();
  const duration =
    hasFault(ctx, "slow-installer")?.seconds ??
    (host.role === "connection-server"
      ? ctx.durations.connectionServerInstall
      : host.role === "security-server"
        ? ctx.durations.securityServerInstall
        : ctx.durations.appvInstall);
  if (kill.isKilled() || (await installerSleep(ctx, kill, duration))) return killedHalfWay(ctx, log);

  const forced = hasFault(ctx, "exit-code")?.exitCode;
  const exitCode = forced ?? 0;
  const productName = productDisplayName(host.role, info.version) ?? info.product;
  if (exitCode !== 0 && exitCode !== 3010) {
    // Rollback: the host is left as it was.
    for (const b of before) {
      if (b.status === "Running") startService(ctx, b.svc);
    }
    if (web && poolBefore === "Started") world.setAppPoolState(host, web, "Started");
    log.push("Action ended: INSTALL. Return value 3.", `MSI (s): Product: ${productName} -- Installation operation failed.`);
    log.push(`MSI (s): Windows Installer installed the product. Installation success or error status: ${exitCode}.`);
    return finish(ctx, log, exitCode);
  }

  if (!hasFault(ctx, "installer-no-change")) {
    if (upgradesSchema && host.database) {
      world.database(host.database.sql, host.database.name)!.schemaVersion = info.version;
      log.push(`Database upgraded: schema of ${host.database.name} is now ${info.version}.`);
    }
    host.products = [{ displayName: productName, displayVersion: info.version, installLocation: installLocation(host.role) }];
    if (!web)
      world.replaceServices(
        host,
        servicesFor(host.role, info.version, { cloudPod: host.pod !== undefined && world.podOf(host).cloudPod }).map((d) => ({
          name: d.name,
          displayName: d.displayName,
          status: "Stopped" as const,
          startType: d.startType,
          primary: d.primary === true,
        })),
      );
    if (host.role === "security-server") repair(ctx, info.version);
  }
  if (web) world.setAppPoolState(host, web, "Started");
  else
    for (const d of servicesFor(host.role, world.installedVersion(host))) {
      const svc = world.service(host, d.displayName);
      if (svc && d.runningWhenHealthy && svc.status !== "Running") startService(ctx, svc);
    }
  log.push(`MSI (s): Product: ${productName} -- Installation operation completed successfully.`);
  log.push(`MSI (s): Windows Installer installed the product. Installation success or error status: ${exitCode}.`);
  ctx.progress("Installation finished");
  return finish(ctx, log, exitCode);
}

/** A security server that installed successfully pairs again with its Connection Server ("Upgrade View Security Server", "Prepare to Upgrade or Reinstall a Security Server"). */
function repair(ctx: OperationContext<InstallerParams>, version: string): void {
  const { world, host } = ctx;
  const pod = world.podOf(host);
  const link = pod.securityServers[host.name];
  delete pod.pairing[link.pairedWith]; // the pairing password is one-time
  const paired = world.hosts.get(link.pairedWith);
  // A pairing made while the global setting is on creates the rules on both hosts (docs/sources.md#horizon-pairing-and-ipsec; "Prepare to Upgrade or Reinstall a Security Server").
  if (pod.useIpsec && paired) world.createPairingRules(host, paired);
  world.setIpsec(link, pod.useIpsec ? "active" : "none");
  // Pairing registers the server under its full system name; an entry under the name it was originally created under
  // stays behind when the two differ ("Upgrade View Security Server", step 5: "duplicate entries ... if the full system name does not match
  // the name that was assigned when the security server was originally created"). With a domain, that is the FQDN.
  link.registeredAs = host.fqdn;
  const entry = pod.registry.find((e) => e.name.toLowerCase() === host.fqdn.toLowerCase());
  const cs = world.hosts.get(link.pairedWith);
  if (entry) entry.version = version;
  else pod.registry.push({ name: host.fqdn, host: host.name, connectionServer: cs?.computerName ?? link.pairedWith, version });
}

function fail(
  ctx: OperationContext<InstallerParams>,
  log: string[],
  violations: Violation[],
  productName: string | undefined,
): InstallOutcome {
  const v = violations[0];
  log.push(`Error: ${v.message}`, `Reason code: ${v.code}`);
  if (productName) log.push(`MSI (s): Product: ${productName} -- Installation operation failed.`);
  log.push(`MSI (s): Windows Installer installed the product. Installation success or error status: ${v.exitCode}.`);
  return finish(ctx, log, v.exitCode);
}

function finish(ctx: OperationContext<InstallerParams>, log: string[], exitCode: number): InstallOutcome {
  log.push(`=== Logging stopped: ${ctx.world.clock.nowIso()} ===`);
  ctx.world.writeTextFile(ctx.host, ctx.params.logPath, log.join("\r\n"));
  return { exitCode, rebootRequired: exitCode === 3010, logTail: log.slice(-20) };
}

// ---------------------------------------------------------------------------------------------------------------
// Horizon pod

const VDMADMIN_USAGE = [
  "Usage: vdmadmin -S [-b authentication_arguments] -r -s server",
  "  -S  Removes the entry for a Connection Server instance or security server from the configuration.",
];

const invokeVdmadmin: Handler<{ vdmadminPath: string; arguments: string[] }> = {
  schema: z.object({ vdmadminPath: z.string().min(1), arguments: z.array(z.string()) }),
  where: "connection-server",
  admin: true,
  async run(ctx) {
    if (ctx.params.vdmadminPath.toLowerCase() !== VDMADMIN_PATH.toLowerCase()) {
      throw new Error(
        `The term '${ctx.params.vdmadminPath}' is not recognized as the name of a cmdlet, function, script file, or operable program.`,
      );
    }
    await work(ctx, ctx.durations.quick);
    const forced = hasFault(ctx, "exit-code");
    if (forced) return { exitCode: forced.exitCode, output: ["vdmadmin failed (injected fault)."] };
    const parsed = parseVdmadmin(ctx.params.arguments);
    if (!parsed) return { exitCode: 1, output: VDMADMIN_USAGE };
    const pod = ctx.world.podOf(ctx.host);
    const idx = pod.registry.findIndex((e) => e.name.toLowerCase() === parsed.server.toLowerCase());
    if (idx < 0) return { exitCode: 1, output: [`Server ${parsed.server} was not found in the configuration.`] };
    const target = pod.registry[idx];
    const targetLink = pod.securityServers[target.host];
    const targetHost = ctx.world.hosts.get(target.host);
    // The entry of a running, paired server is its live registration: removing it is for a server removed for good
    // ("Prepare to Upgrade or Reinstall a Security Server", Note: "Remove a security server ... only if you intend to remove the security server permanently").
    // The lab refuses it, so a removal that would cut a working server off shows as a failure.
    if (
      targetLink &&
      targetLink.registeredAs.toLowerCase() === target.name.toLowerCase() &&
      targetHost?.services.some((x) => x.primary && x.status === "Running")
    ) {
      return {
        exitCode: 1,
        output: [
          `Server ${target.name} is a running security server paired with ${target.connectionServer}; stop it or uninstall it before removing its entry.`,
        ],
      };
    }
    const [entry] = pod.registry.splice(idx, 1);
    const link = pod.securityServers[entry.host];
    const live = !!link && link.registeredAs.toLowerCase() === entry.name.toLowerCase();
    pod.removals.push({ name: entry.name, host: entry.host, live, at: ctx.world.clock.nowIso() });
    return { exitCode: 0, output: [`Server entry ${entry.name} removed.`] };
  },
};

/**
 * `vdmexport -f <file>`: writes the View LDAP configuration of the pod as (encrypted) LDIF, as the vendor's
 * preparation on one Connection Server of a replicated group does (Horizon 7.0 Upgrades, "Preparing View
 * Connection Server for an Upgrade", docs/sources.md#vdmadmin). Replicas hold the same data, so any member's export covers the group.
 */
const invokeVdmexport: Handler<{ vdmexportPath: string; path: string }> = {
  schema: z.object({ vdmexportPath: z.string().min(1), path: z.string().min(1) }),
  where: "connection-server",
  admin: true,
  async run(ctx) {
    if (ctx.params.vdmexportPath.toLowerCase() !== VDMEXPORT_PATH.toLowerCase()) {
      throw new Error(
        `The term '${ctx.params.vdmexportPath}' is not recognized as the name of a cmdlet, function, script file, or operable program.`,
      );
    }
    await work(ctx, ctx.durations.quick * 5);
    const forced = hasFault(ctx, "exit-code");
    if (forced) return { exitCode: forced.exitCode, output: ["vdmexport failed (injected fault)."] };
    const pod = ctx.world.podOf(ctx.host);
    const entries = [
      `# View LDAP export of pod ${pod.name} from ${ctx.host.computerName} at ${ctx.world.clock.nowIso()} (encrypted LDIF)`,
      ...pod.connectionServers.map((c) => `dn: CN=${ctx.world.host(c).computerName},OU=Server,OU=Properties,DC=vdi,DC=vmware,DC=int`),
      ...pod.registry.map((e) => `dn: CN=${e.name},OU=Security Servers,OU=Properties,DC=vdi,DC=vmware,DC=int`),
    ];
    ctx.world.writeTextFile(ctx.host, ctx.params.path, entries.join("\r\n"));
    return { exitCode: 0, output: [`Exported the View configuration to ${ctx.params.path}.`] };
  },
};

/**
 * `Get-HorizonPrerequisites`: a Connection Server has vdmadmin.exe and vdmexport.exe (docs/sources.md#vdmadmin, docs/sources.md#horizon-order-and-replication),
 * repadmin.exe (the AD LDS tools, docs/sources.md#horizon-order-and-replication) and PowerCLI's HorizonView module (docs/sources.md#horizon-pairing-and-ipsec); a security server has none of them.
 * A host lacks what its spec says it lacks.
 */
const testHorizonPrerequisites: Handler<{ files: string[]; commands: string[]; modules: string[] }> = {
  schema: z.object({ files: z.array(z.string()), commands: z.array(z.string()), modules: z.array(z.string()) }),
  async run(ctx) {
    await work(ctx, ctx.durations.quick);
    const isCs = ctx.host.role === "connection-server";
    const present = (item: string, onCs: boolean) => onCs && isCs && !ctx.host.absent.some((a) => a.toLowerCase() === item.toLowerCase());
    const missing = [
      ...ctx.params.files.filter(
        (f) =>
          !present(
            f,
            [VDMADMIN_PATH, VDMEXPORT_PATH].some((k) => k.toLowerCase() === f.toLowerCase()),
          ) && !ctx.host.files[fileKey(f)],
      ),
      ...ctx.params.commands.filter((c) => !present(c, c.toLowerCase() === "repadmin.exe")),
      ...ctx.params.modules.filter((m) => !present(m, m.toLowerCase() === "vmware.vimautomation.horizonview")),
    ];
    return { missing };
  },
};

/** Accepts `-S [-b <auth...>] -r -s <server>` in any order; undefined for anything else. */
function parseVdmadmin(args: readonly string[]): { server: string } | undefined {
  let S = false;
  let r = false;
  let server: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "-S") S = true;
    else if (a === "-r") r = true;
    else if (a === "-s" && i + 1 < args.length && !args[i + 1].startsWith("-")) server = args[++i];
    else if (a === "-b") {
      // Authentication arguments (exact form UNCONFIRMED, docs/sources.md#vdmadmin): take everything up to the next option.
      while (i + 1 < args.length && !args[i + 1].startsWith("-")) i++;
    } else return undefined;
  }
  return S && r && server ? { server } : undefined;
}

const getSecurityServerList: Handler<Record<string, never>> = {
  schema: z.object({}).passthrough() as unknown as z.ZodType<Record<string, never>>,
  where: "connection-server",
  async run(ctx) {
    await work(ctx, ctx.durations.quick);
    const pod = ctx.world.podOf(ctx.host);
    return {
      securityServers: pod.registry.map((e) => {
        const link = pod.securityServers[e.host];
        const live = !!link && link.registeredAs.toLowerCase() === e.name.toLowerCase();
        const host = ctx.world.hosts.get(e.host);
        // SecurityServerHealth_List status (docs/sources.md#horizon-pairing-and-ipsec): OK for the live registration of a running server; an
        // entry left behind by a re-pairing answers for no server.
        const running = !!host && host.services.some((x) => x.primary && x.status === "Running");
        return {
          name: e.name,
          version: live && host ? (ctx.world.installedVersion(host) ?? e.version) : e.version,
          connectionServer: e.connectionServer,
          ipsec: live ? link.ipsec : "none",
          status: live && running ? "OK" : "NOT_RESPONDING",
        };
      }),
      useIpsec: pod.useIpsec,
    };
  },
};

const setPairingPassword: Handler<{ connectionServer: string; timeoutMinutes: number; secrets: { pairingPassword: string } }> = {
  schema: z.object({
    connectionServer: z.string().min(1),
    // View API ConnectionServerSecurityServerPairingData.timeoutMinutes: 1..1440 (docs/sources.md#horizon-pairing-and-ipsec)
    timeoutMinutes: z.number().int().min(1).max(1440),
    secrets: z.object({ pairingPassword: z.string().min(1) }),
  }),
  where: "connection-server",
  admin: true,
  async run(ctx) {
    const pod = ctx.world.podOf(ctx.host);
    const cs = ctx.world.findHost(ctx.params.connectionServer);
    if (!cs || cs.role !== "connection-server" || cs.pod !== pod.name) {
      throw new Error(`[connectionServer] "${ctx.params.connectionServer}" is not a Connection Server of this pod.`);
    }
    await work(ctx, ctx.durations.quick);
    if (hasFault(ctx, "pairing-refused")) {
      throw new Error(
        `The security server pairing password was rejected by ${cs.computerName}: it does not meet the password requirements.`,
      );
    }
    // A Connection Server off UTC writes pae-SecurityServerPairingPasswordLastChangedTime in local time as if it were
    // UTC (docs/sources.md#horizon-pairing-and-ipsec): west of Greenwich the password is born expired. The fault does the same on any host.
    const offsetMs = ctx.host.utcOffsetMinutes * 60_000;
    const skewMs = hasFault(ctx, "pairing-expired") ? -(ctx.params.timeoutMinutes + 60) * 60_000 : 0;
    const lastChangedMs = ctx.world.clock.now() + offsetMs + skewMs;
    const timeoutSeconds = ctx.params.timeoutMinutes * 60;
    const expiresMs = lastChangedMs + timeoutSeconds * 1000;
    pod.pairing[cs.name] = { password: ctx.params.secrets.pairingPassword, expiresMs, lastChangedMs, timeoutSeconds };
    // What the default body reports: the host's own UtcNow plus the timeout, whatever the directory holds.
    return { expiresUtc: new Date(ctx.world.clock.now() + timeoutSeconds * 1000).toISOString() };
  },
};

/** The pair a Horizon host belongs to, with the partner whose address is given, if any. */
function pairOf(ctx: OperationContext<unknown>, partnerAddresses: readonly string[]) {
  const { world, host } = ctx;
  const pod = host.pod ? world.pods.get(host.pod) : undefined;
  if (!pod) return undefined;
  for (const link of Object.values(pod.securityServers)) {
    const ss = world.host(link.host);
    const cs = world.host(link.pairedWith);
    if (host === ss && partnerAddresses.includes(cs.address)) return { pod, link, ss, cs };
    if (host === cs && partnerAddresses.includes(ss.address)) return { pod, link, ss, cs };
  }
  return undefined;
}

const rulesView = (rules: readonly { displayName: string; remoteAddress: string; store: string }[]) =>
  rules.map((r) => ({ displayName: r.displayName, remoteAddresses: [r.remoteAddress], store: r.store }));

/**
 * `Get-IpsecRules`: the host's names and addresses and its connection security rules, as `Get-NetIPsecRule` and
 * `Get-NetIPsecAddressFilter` list them (docs/sources.md#horizon-pairing-and-ipsec, the horizon-security-server-management README).
 */
const getIpsecRules: Handler<Record<string, never>> = {
  schema: z.object({}).passthrough() as unknown as z.ZodType<Record<string, never>>,
  async run(ctx) {
    if (ctx.host.role !== "connection-server" && ctx.host.role !== "security-server") {
      throw new Error(`Get-IpsecRules reads a Horizon server; ${ctx.host.computerName} is a ${ctx.host.role} host.`);
    }
    await work(ctx, ctx.durations.quick);
    return {
      computerName: ctx.host.computerName,
      fqdn: ctx.host.fqdn,
      addresses: [ctx.host.address],
      rules: rulesView(ctx.host.ipsecRules),
    };
  },
};

/**
 * `Invoke-PrepareSecurityServer` without the console (docs/sources.md#horizon-pairing-and-ipsec,
 * the chrisdhalstead/horizon-security-server-management README: delete "VMware View Security Server QM Pairing with <IP address>" on the security server and on its
 * Connection Server). Run on each host of the pair: deletes the rules of that name whose remote address is the
 * partner's, from the local store only (a Group Policy rule cannot be deleted here and stays), then re-reads.
 */
/** Generalized time as AD LDS writes it: `20240108080000.0Z`. */
function generalizedTime(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:T]/g, "")
    .replace(/\.\d+Z$/, ".0Z");
}

/**
 * `Get-PairingPasswordState`: the pairing password's ADAM attributes on the Connection Server
 * (`pae-SecurityServerPairingPasswordLastChangedTime`, `pae-SecurityServerPairingPasswordTimeout`, docs/sources.md#horizon-pairing-and-ipsec)
 * with the host's UTC clock and time zone.
 */
const getPairingPasswordState: Handler<{ connectionServer: string }> = {
  schema: z.object({ connectionServer: z.string().min(1) }),
  where: "connection-server",
  async run(ctx) {
    const pod = ctx.world.podOf(ctx.host);
    const cs = ctx.world.findHost(ctx.params.connectionServer);
    if (!cs || cs.role !== "connection-server" || cs.pod !== pod.name) {
      throw new Error(`[connectionServer] "${ctx.params.connectionServer}" is not a Connection Server of this pod.`);
    }
    await work(ctx, ctx.durations.quick);
    const set = pod.pairing[cs.name];
    const offset = ctx.host.utcOffsetMinutes;
    return {
      passwordSet: !!set,
      lastChangedTime: set?.lastChangedMs !== undefined ? generalizedTime(set.lastChangedMs) : null,
      timeoutSeconds: set?.timeoutSeconds ?? null,
      utcNow: ctx.world.clock.nowIso(),
      timeZoneId:
        offset === 0
          ? "UTC"
          : `UTC${offset < 0 ? "-" : "+"}${String(Math.floor(Math.abs(offset) / 60)).padStart(2, "0")}:${String(Math.abs(offset) % 60).padStart(2, "0")}`,
      utcOffsetMinutes: offset,
    };
  },
};

const invokePrepareSecurityServer: Handler<{ securityServer: string; ruleNamePrefix: string; partnerAddresses: string[] }> = {
  schema: z.object({
    securityServer: z.string().min(1),
    ruleNamePrefix: z.string().min(1),
    partnerAddresses: z.array(z.string().min(1)).min(1),
  }),
  admin: true,
  async run(ctx) {
    if (ctx.host.role !== "connection-server" && ctx.host.role !== "security-server") {
      throw new Error(`Invoke-PrepareSecurityServer runs on a Horizon server; ${ctx.host.computerName} is a ${ctx.host.role} host.`);
    }
    await work(ctx, ctx.durations.quick);
    const { ruleNamePrefix, partnerAddresses } = ctx.params;
    const matches = (r: { displayName: string; remoteAddress: string }) =>
      r.displayName.startsWith(ruleNamePrefix) && partnerAddresses.includes(r.remoteAddress);
    const removed = ctx.host.ipsecRules.filter((r) => matches(r) && r.store === "Local");
    ctx.host.ipsecRules = ctx.host.ipsecRules.filter((r) => !removed.includes(r));
    for (const r of removed) ctx.progress(`Removed connection security rule '${r.displayName}' (remote ${r.remoteAddress}).`);
    const remaining = ctx.host.ipsecRules.filter(matches);
    // Communication with the security server is lost as soon as a rule of its pair is gone ("Prepare to Upgrade or Reinstall a Security Server", Caution).
    const pair = pairOf(ctx, partnerAddresses);
    if (pair && removed.length > 0) ctx.world.setIpsec(pair.link, "prepared");
    return { ipsec: removed.length > 0 ? "prepared" : "none", removed: rulesView(removed), remaining: rulesView(remaining) };
  },
};

/** Params of Get-ReplicationHealth: which instances to read, and the Cloud Pod global instance's service name. */
interface ReplicationParams {
  cloudPodService: string;
  global: "detect" | "always" | "never";
}

/** repadmin's timestamps: `2024-01-08 08:00:00`, the host's local time. */
function repadminTime(iso: string): string {
  return iso
    .replace("T", " ")
    .replace(/\.\d+Z$/, "")
    .replace(/Z$/, "");
}

/**
 * `repadmin /showrepl localhost:PORT` against a Connection Server's AD LDS instance, printed as the real tool prints
 * it: the header, the DSA, then INBOUND NEIGHBORS per naming context, each partner with its last attempt, and on
 * failure the Win32 error, the consecutive failures and the last success (repadmin /showrepl, Microsoft Learn
 * learn.microsoft.com/en-us/previous-versions/windows/it-pro/windows-server-2012-r2-and-2012/cc770963(v=ws.11)).
 * The naming contexts are the View LDAP's (`DC=vdi,DC=vmware,DC=int`) and, on 22389, the Cloud Pod global data's
 * (`DC=vdiglobal,DC=vmware,DC=int`): the lab's reading, not in the vendor sources. An instance that is not there
 * answers as repadmin does for a DSA that does not listen: an LDAP error and a non-zero exit.
 */
function showrepl(
  ctx: { host: HostState; world: World },
  port: number,
  healthy: boolean,
  present: boolean,
): { port: number; exitCode: number; output: string[] } {
  const output = [`Repadmin: running command /showrepl against full DC localhost:${port}`];
  if (!present) {
    output.push("LDAP error 81 (Server Down) Win32 Err 58.");
    return { port, exitCode: 58, output };
  }
  const pod = ctx.world.podOf(ctx.host);
  const now = repadminTime(ctx.world.clock.nowIso());
  const lastSuccess = repadminTime(new Date(ctx.world.clock.now() - 3 * 3600_000).toISOString());
  const site = "Default-First-Site-Name";
  output.push(
    `${site}\\${ctx.host.computerName}`,
    "DSA Options: IS_GC",
    "Site Options: (none)",
    `DSA object GUID: ${guidOf(`${ctx.host.name}:${port}`)}`,
    `DSA invocationID: ${guidOf(`${ctx.host.name}:${port}:invocation`)}`,
    "",
    "==== INBOUND NEIGHBORS ======================================",
    "",
  );
  const contexts =
    port === 22389
      ? ["DC=vdiglobal,DC=vmware,DC=int"]
      : ["DC=vdi,DC=vmware,DC=int", "CN=Configuration,CN={7AA0B2A5-4F4B-4F6B-8C5B-1F7D9C0E2A11}"];
  const peers = pod.connectionServers.filter((c) => c !== ctx.host.name).map((c) => ctx.world.host(c).computerName);
  for (const nc of contexts) {
    output.push(nc);
    for (const p of peers) {
      output.push(`    ${site}\\${p} via RPC`, `        DSA object GUID: ${guidOf(`${p}:${port}`)}`);
      if (healthy) output.push(`        Last attempt @ ${now} was successful.`);
      else {
        output.push(
          `        Last attempt @ ${now} failed, result 1722 (0x6ba):`,
          "            The RPC server is unavailable.",
          "        3 consecutive failure(s).",
          `        Last success @ ${lastSuccess}.`,
        );
      }
    }
    output.push("");
  }
  if (!healthy)
    output.push(
      "Source: " + `${site}\\${peers[0] ?? ctx.host.computerName}`,
      "******* 3 CONSECUTIVE FAILURES since " + lastSuccess,
      "Last error: 1722 (0x6ba):",
      "            The RPC server is unavailable.",
    );
  return { port, exitCode: 0, output };
}

/** A stable GUID-shaped text for a DSA (repadmin prints one per server). */
function guidOf(seed: string): string {
  const h = createHash("sha256").update(seed).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * Get-ReplicationHealth: the documented check before a parallel upgrade (Horizon 2203 upgrades, "Parallel upgrades",
 * docs.vmware.com/en/VMware-Horizon/2203/horizon-upgrades/GUID-1B7271A5-3312-49DF-97CF-53FEC8C4AED8.html):
 * `repadmin /showrepl localhost:389` and, for a pod in a Cloud Pod federation, `localhost:22389`. Whether the global
 * instance is there is read from its service (`detect`), which the host runs only in a federated pod.
 */
const getReplicationHealth: Handler<ReplicationParams> = {
  schema: z.object({ cloudPodService: z.string().min(1), global: z.enum(["detect", "always", "never"]) }).strict(),
  where: "connection-server",
  async run(ctx) {
    await work(ctx, ctx.durations.quick);
    const pod = ctx.world.podOf(ctx.host);
    const name = ctx.params.cloudPodService.toLowerCase();
    const present = ctx.host.services.some((s) => s.name.toLowerCase() === name);
    const instances = [showrepl(ctx, 389, pod.replicationHealthy, true)];
    if (ctx.params.global === "always" || (ctx.params.global === "detect" && present)) {
      instances.push(showrepl(ctx, 22389, pod.globalReplicationHealthy, pod.cloudPod));
    }
    return { cloudPodService: { name: ctx.params.cloudPodService, present }, instances };
  },
};

// ---------------------------------------------------------------------------------------------------------------
// SQL

function databaseFor(ctx: OperationContext<{ sqlServer: string; database: string }>) {
  const target = ctx.world.findHost(ctx.params.sqlServer);
  if (target !== ctx.host) {
    throw new Error(`[sqlServer] "${ctx.params.sqlServer}" is not this SQL Server (${ctx.host.computerName}).`);
  }
  const db = ctx.world.database(ctx.host.name, ctx.params.database);
  if (!db) throw new Error(`Database '${ctx.params.database}' does not exist on ${ctx.host.computerName}.`);
  return db;
}

/**
 * Logs in as sqlcmd would: `-U` with the password in SQLCMDPASSWORD when the params carry a login, otherwise Windows
 * authentication (-E) as the SSH account, accepted for a local administrator (see SqlLoginSpec). A refused login is
 * what sqlcmd prints, and exits 1.
 */
function authenticate(ctx: OperationContext<{ secrets?: Record<string, string> }>): { user: string; sysadmin: boolean } {
  const user = ctx.params.secrets?.sqlUser;
  if (user === undefined) {
    if (!ctx.user.admin)
      throw new Error(
        `Sqlcmd: Error: Microsoft SQL Server Native Client 10.0 : Login failed for user '${ctx.host.computerName}\\${ctx.user.user}'..`,
      );
    return { user: `${ctx.host.computerName}\\${ctx.user.user}`, sysadmin: true };
  }
  const r = ctx.world.sqlLogin(ctx.host.name, user, ctx.params.secrets?.sqlPassword ?? "");
  if (!r.ok) throw new Error(`Sqlcmd: Error: Microsoft SQL Server Native Client 10.0 : ${r.message}.`);
  return { user, sysadmin: r.sysadmin };
}

const invokeSqlBackup: Handler<{ sqlServer: string; database: string; backupPath: string; secrets?: Record<string, string> }> = {
  schema: z.object({ sqlServer: z.string(), database: z.string(), backupPath: z.string().min(1), secrets: secretsSchema }),
  where: "sql",
  admin: true,
  async run(ctx) {
    const db = databaseFor(ctx);
    const login = authenticate(ctx);
    if (!login.sysadmin) throw new Error(`Msg 262, Level 14: BACKUP DATABASE permission denied in database '${db.name}'.`);
    await work(ctx, ctx.durations.sqlBackup);
    const valid = !hasFault(ctx, "backup-invalid");
    const finishedUtc = ctx.world.clock.nowIso();
    const sizeBytes = db.sizeBytes;
    const content = `backup:${db.name}:${db.schemaVersion}:${finishedUtc}:${valid}`;
    ctx.world.writeFile(ctx.host, { path: ctx.params.backupPath, sha256: sha256(content), sizeBytes });
    // WITH INIT overwrites an existing backup set at the same path.
    db.backups[fileKey(ctx.params.backupPath)] = {
      path: ctx.params.backupPath,
      sizeBytes,
      valid,
      schemaVersion: db.schemaVersion,
      finishedUtc,
    };
    ctx.progress(`Processed ${Math.round(sizeBytes / 8192)} pages for database '${db.name}'.`);
    return { backupPath: ctx.params.backupPath, sizeBytes, finishedUtc };
  },
};

const testSqlBackup: Handler<{ sqlServer: string; backupPath: string; secrets?: Record<string, string> }> = {
  schema: z.object({ sqlServer: z.string(), backupPath: z.string().min(1), secrets: secretsSchema }),
  where: "sql",
  async run(ctx) {
    if (ctx.world.findHost(ctx.params.sqlServer) !== ctx.host) {
      throw new Error(`[sqlServer] "${ctx.params.sqlServer}" is not this SQL Server (${ctx.host.computerName}).`);
    }
    authenticate(ctx);
    await work(ctx, ctx.durations.quick * 5);
    const key = fileKey(ctx.params.backupPath);
    const backup = [...ctx.world.databases.values()]
      .filter((d) => d.sql === ctx.host.name)
      .map((d) => d.backups[key])
      .find(Boolean);
    if (!backup || !ctx.host.files[key]) {
      return {
        valid: false,
        message: `Cannot open backup device '${ctx.params.backupPath}'. Operating system error 2(The system cannot find the file specified.).`,
      };
    }
    return backup.valid
      ? { valid: true, message: `The backup set on file 1 is valid.` }
      : { valid: false, message: `The media family on device '${ctx.params.backupPath}' is incorrectly formed.` };
  },
};

const getAppVDatabase: Handler<{ sqlServer: string; database: string; secrets?: Record<string, string> }> = {
  schema: z.object({ sqlServer: z.string(), database: z.string(), secrets: secretsSchema }),
  where: "sql",
  async run(ctx) {
    const db = databaseFor(ctx);
    authenticate(ctx);
    await work(ctx, ctx.durations.quick);
    return { schemaVersion: db.schemaVersion };
  },
};

/**
 * `Get-DatabaseSessions`: who holds sessions on the database (sys.sysprocesses filtered to its dbid, the caller's own
 * session left out), and the SQL host's computer name.
 */
const getDatabaseSessions: Handler<{ sqlServer: string; database: string; secrets?: Record<string, string> }> = {
  schema: z.object({ sqlServer: z.string(), database: z.string(), secrets: secretsSchema }),
  where: "sql",
  async run(ctx) {
    const db = databaseFor(ctx);
    authenticate(ctx);
    await work(ctx, ctx.durations.quick);
    return { sqlHost: ctx.host.computerName, sessions: ctx.world.databaseSessions(db) };
  },
};

/** `Test-SqlLogin`: a read-only login (`SELECT IS_SRVROLEMEMBER('sysadmin')`); a refused login is a result, not an error. */
const testSqlLogin: Handler<{ sqlServer: string; database: string; secrets?: Record<string, string> }> = {
  schema: z.object({ sqlServer: z.string(), database: z.string(), secrets: secretsSchema }),
  where: "sql",
  async run(ctx) {
    databaseFor(ctx);
    await work(ctx, ctx.durations.quick);
    try {
      const login = authenticate(ctx);
      return { canLogIn: true, sysadmin: login.sysadmin, message: `logged in as ${login.user}` };
    } catch (e) {
      return { canLogIn: false, sysadmin: false, message: (e as Error).message };
    }
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Hooks

const invokeHook: Handler<{ hook: string; phase: string }> = {
  schema: z.object({ hook: z.string(), phase: z.string() }),
  async run(ctx) {
    await work(ctx, ctx.durations.quick);
    ctx.host.hooks.push({ phase: ctx.params.phase, hook: ctx.params.hook, at: ctx.world.clock.nowIso() });
    const forced = hasFault(ctx, "exit-code")?.exitCode ?? ctx.hostFaults.takeHookFails(ctx.params.phase);
    return forced !== undefined ? { exitCode: forced, output: [`hook failed with exit code ${forced}`] } : { exitCode: 0, output: [] };
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Run leases and owed hooks (issue 19; semantics and sources in leases.ts)

const leaseSchema = z.object({
  runId: z.string().min(1),
  stack: z.string().min(1),
  project: z.string().min(1),
  host: z.string(),
  since: z.string(),
  expires: z.string(),
});

const getRunLease: Handler<Record<string, never>> = {
  schema: z.object({}).strict() as unknown as z.ZodType<Record<string, never>>,
  async run(ctx) {
    await work(ctx, ctx.durations.quick);
    return { utcNow: ctx.world.clock.nowIso(), lease: readLease(ctx.host) ?? null, owedHooks: readOwedHooks(ctx.host) };
  },
};

const newRunLeaseHandler: Handler<{ runId: string; stack: string; project: string; minutes: number; takeOverRunId?: string }> = {
  schema: z
    .object({
      runId: z.string().min(1),
      stack: z.string().min(1),
      project: z.string().min(1),
      minutes: z.number().positive(),
      takeOverRunId: z.string().min(1).optional(),
    })
    .strict(),
  // %ProgramData%\vdi-upgrade is writable by administrators only.
  admin: true,
  async run(ctx) {
    await work(ctx, ctx.durations.quick);
    // No await from here on: CreateNew is one file-system call.
    return newRunLease(ctx.world, ctx.host, ctx.params);
  },
};

const setRunLeaseHandler: Handler<{ runId: string; out?: boolean; release?: boolean }> = {
  schema: z.object({ runId: z.string().min(1), out: z.boolean().optional(), release: z.boolean().optional() }).strict(),
  admin: true,
  async run(ctx) {
    await work(ctx, ctx.durations.quick);
    return setRunLease(ctx.world, ctx.host, ctx.params);
  },
};

const owedHookParams = z
  .object({
    resource: z.string().min(1),
    phase: z.string().min(1),
    clear: z.boolean().optional(),
    failedAt: z.string().optional(),
    exitCode: z.number().int().optional(),
    output: z.array(z.string()).optional(),
    lease: leaseSchema.strict().optional(),
  })
  .strict();

const setOwedHookHandler: Handler<z.infer<typeof owedHookParams>> = {
  schema: owedHookParams,
  admin: true,
  async run(ctx) {
    await work(ctx, ctx.durations.quick);
    const { resource, phase, clear, failedAt, exitCode, output, lease } = ctx.params;
    // As the script does: the fields given become the record ([string]/[int] casts of absent values).
    const record = clear
      ? null
      : { resource, phase, failedAt: failedAt ?? "", exitCode: exitCode ?? 0, output: output ?? [], ...(lease ? { lease } : {}) };
    return { owedHooks: setOwedHook(ctx.world, ctx.host, { resource, phase, record }) };
  },
};

/** What another run's guard reads on a member of the availability group: its service and its lease. */
const getMemberState: Handler<{ displayNameLike: string[] }> = {
  schema: z.object({ displayNameLike: z.array(z.string().min(1)).min(1) }).strict(),
  async run(ctx) {
    await work(ctx, ctx.durations.quick);
    const svc = ctx.host.services.find((s) => ctx.params.displayNameLike.some((pat) => like(s.displayName, pat)));
    return {
      computerName: ctx.host.computerName,
      utcNow: ctx.world.clock.nowIso(),
      service: svc ? { displayName: svc.displayName, status: svc.status } : null,
      lease: readLease(ctx.host) ?? null,
    };
  },
};

/** Every operation of docs/wire-protocol.md §5. */
export const HANDLERS: Readonly<Record<string, Handler>> = {
  "Get-HostFacts": getHostFacts,
  "Get-InstalledProduct": getInstalledProduct,
  "Get-ServiceState": getServiceState,
  "Set-ServiceState": setServiceState,
  "Get-FileHash": getFileHash,
  "Get-ClientSessions": getClientSessions,
  "Get-WebApplicationPool": getWebApplicationPool,
  "Set-WebAppPoolState": setWebAppPoolState,
  "Get-InstallerVersion": getInstallerVersion,
  "Invoke-Installer": invokeInstaller,
  "Start-Installer": startInstaller,
  "Get-InstallerRun": getInstallerRun,
  "Invoke-Vdmadmin": invokeVdmadmin,
  "Invoke-Vdmexport": invokeVdmexport,
  "Get-HorizonPrerequisites": testHorizonPrerequisites,
  "Get-SecurityServerList": getSecurityServerList,
  "Set-PairingPassword": setPairingPassword,
  "Get-PairingPasswordState": getPairingPasswordState,
  "Invoke-PrepareSecurityServer": invokePrepareSecurityServer,
  "Get-IpsecRules": getIpsecRules,
  "Get-ReplicationHealth": getReplicationHealth,
  "Invoke-SqlBackup": invokeSqlBackup,
  "Test-SqlBackup": testSqlBackup,
  "Get-AppVDatabase": getAppVDatabase,
  "Test-SqlLogin": testSqlLogin,
  "Get-DatabaseSessions": getDatabaseSessions,
  "Invoke-Hook": invokeHook,
  "Get-RunLease": getRunLease,
  "New-RunLease": newRunLeaseHandler,
  "Set-RunLease": setRunLeaseHandler,
  "Set-OwedHook": setOwedHookHandler,
  "Get-MemberState": getMemberState,
};

/** Runs a handler after the checks every operation shares (params, host kind, admin). */
export async function runOperation(name: string, ctx: Omit<OperationContext<unknown>, "params"> & { params: unknown }): Promise<unknown> {
  const handler = HANDLERS[name];
  if (!handler) {
    throw new Error(`Unknown operation '${name}'. Known operations: ${Object.keys(HANDLERS).join(", ")}.`);
  }
  const parsed = handler.schema.safeParse(ctx.params);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `[${i.path.join(".") || "params"}] ${i.message}`).join("; ");
    throw new Error(`${name}: invalid params: ${issues}`);
  }
  if (handler.where === "connection-server" && ctx.host.role !== "connection-server") {
    throw new Error(`${name} runs on a Connection Server; ${ctx.host.computerName} is a ${ctx.host.role} host.`);
  }
  if (handler.where === "sql" && ctx.host.role !== "sql") {
    throw new Error(`${name} runs on the SQL Server; ${ctx.host.computerName} is a ${ctx.host.role} host.`);
  }
  if (handler.admin && !ctx.user.admin) {
    throw new Error(`${name}: Access is denied. ${ctx.user.user} is not a member of the local Administrators group.`);
  }
  return handler.run({ ...ctx, params: parsed.data });
}
