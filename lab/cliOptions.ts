/**
 * What `npm run lab -- [options]` may ask for: the estate's shape (pods, servers, farms), its versions, the IPsec
 * setting, faults armed at start; and the control commands for a lab already running (`audit`, `set`, `fault`, ...).
 * Pure: parses argv into a command, and turns layout flags into LabOptions.
 */
import { APPV_VERSIONS, HORIZON_VERSIONS } from "./catalog";
import type { Fault } from "./faults";
import type { AppVServerSpec, ConnectionServerSpec, FarmSpec, PodSpec, SecurityServerSpec } from "./state";
import type { LabOptions } from "./index";

/** How the lab is laid out and started. */
export interface StartFlags {
  readonly timeFactor: number;
  readonly out: string;
  /** Pods (1 by default); pod k > 1 names its hosts p<k>cs1, p<k>ss1, ... */
  readonly pods: number;
  /** Connection Servers per pod. */
  readonly connectionServers: number;
  /** Security Servers per pod, each paired with the Connection Server of the same number. */
  readonly securityServers: number;
  /** App-V farms (1 by default); farm k > 1 names its hosts f<k>appv1, ... and its SQL host sql<k>. */
  readonly farms: number;
  /** Servers per farm: management servers, then one streaming server. */
  readonly farmServers: number;
  /** Version the Horizon servers run (a key of HORIZON_VERSIONS). */
  readonly horizonVersion: string;
  /** Version the App-V servers run (a key of APPV_VERSIONS). */
  readonly appvVersion: string;
  /** Global "Use IPsec for Security Server Connections". */
  readonly ipsec: boolean;
  /** Pods belong to a Cloud Pod federation (global LDAP instance on 22389). */
  readonly cloudPod?: boolean;
  /** Faults armed at start, per host. */
  readonly faults: readonly { readonly host: string; readonly fault: Fault }[];
}

/** A command line: start a lab, or a control command for the running lab, or help. */
export type CliCommand =
  | { readonly command: "start"; readonly flags: StartFlags }
  | { readonly command: "help" }
  | { readonly command: "control"; readonly out: string; readonly request: ControlRequest };

/** What a control command asks the running lab. */
export type ControlRequest =
  | { readonly op: "audit" }
  | { readonly op: "timeline" }
  | { readonly op: "status" }
  | { readonly op: "set-version"; readonly host: string; readonly version: string }
  | { readonly op: "set-powershell"; readonly host: string; readonly version: string }
  | { readonly op: "set-service"; readonly host: string; readonly status: "Running" | "Stopped"; readonly displayName?: string }
  | { readonly op: "fault"; readonly host: string; readonly fault: Fault }
  | { readonly op: "clear-faults"; readonly host?: string }
  | { readonly op: "reachable"; readonly host: string; readonly reachable: boolean }
  | { readonly op: "replication"; readonly pod: string; readonly healthy: boolean; readonly instance?: "local" | "global" };

export const DEFAULT_START: StartFlags = {
  timeFactor: 600,
  out: ".lab/lab.json",
  pods: 1,
  connectionServers: 2,
  securityServers: 2,
  farms: 1,
  farmServers: 3,
  horizonVersion: "7.12.0",
  appvVersion: "4.1 SP1",
  ipsec: true,
  faults: [],
};

/**
 * The faults a command line can arm, with the value each takes and the field it fills (see lab/faults.ts for what
 * each does). Keyed by every fault kind, so a kind added to the lab without a line here fails the type check.
 */
const FAULT_VALUES: Record<Fault["kind"], { takes: "none" | "number" | "text" | "phase"; field?: string; example?: string }> = {
  drop: { takes: "phase", field: "phase" },
  hang: { takes: "none" },
  "exit-code": { takes: "number", field: "exitCode", example: "1603" },
  "service-wont-start": { takes: "text", field: "displayName" },
  "installer-no-change": { takes: "none" },
  "slow-installer": { takes: "number", field: "seconds", example: "3600" },
  latency: { takes: "number", field: "ms", example: "500" },
  stall: { takes: "none" },
  "refuse-auth": { takes: "none" },
  "host-key-change": { takes: "none" },
  "backup-invalid": { takes: "none" },
  "pairing-expired": { takes: "none" },
  "pairing-refused": { takes: "none" },
  "hook-fails": { takes: "phase", field: "phase" },
};

export const USAGE = `usage: npm run lab -- [options]            start a lab and keep it running (Ctrl+C stops it)
       npm run lab -- <command> [args]     control the lab that is running (it reads --out for where)

Start options:
  --time-factor N          simulated seconds per real second (default 600)
  --out PATH               where to write the lab's description, endpoints and secrets (default .lab/lab.json)
  --pods N                 Horizon pods (default 1; 0 for none)
  --connection-servers N   Connection Servers per pod (default 2)
  --security-servers N     Security Servers per pod, paired 1:1 with the Connection Servers (default 2)
  --farms N                App-V farms (default 1; 0 for none)
  --farm-servers N         servers per farm: management servers, then one streaming server (default 3)
  --horizon-version V      ${Object.keys(HORIZON_VERSIONS).join(" | ")} (default 7.12.0)
  --appv-version V         ${Object.keys(APPV_VERSIONS).join(" | ")} (default "4.1 SP1")
  --ipsec on|off           "Use IPsec for Security Server Connections" (default on)
  --cloud-pod              the pods belong to a Cloud Pod federation: each Connection Server runs the
                           global LDAP instance (service ADAM_VMwareVDMDSG, localhost:22389)
  --fault HOST:KIND[=VALUE][@OPERATION][#N]
                           arm a fault at start (repeatable); KIND is one of
                           ${Object.keys(FAULT_VALUES).join(", ")};
                           e.g. --fault ss1:exit-code=1603@Start-Installer#1 (the first installer run exits 1603)

Commands (for a running lab):
  audit                    every operation the hosts ran, oldest first
  timeline                 service and IPsec changes, in order
  status                   each host's version and primary service
  set HOST version V       the product on HOST now reports version V (e.g. a snapshot restored by hand)
  set HOST powershell V     HOST reports Windows PowerShell V (e.g. 4.0: no WMF 5.1 installed)
  set HOST service Running|Stopped [DISPLAY NAME]
                           start or stop a service by hand (default: the product's own service)
  fault HOST KIND[=VALUE][@OPERATION][#N]   arm a fault
  clear-faults [HOST]      disarm faults on HOST, or on every host
  down HOST | up HOST      take HOST off the network, or bring it back
  replication POD healthy|broken [local|global]
                           LDAP replication health of a pod: the local instance (389, default) or the
                           Cloud Pod global instance (22389; a pod started in a federation)
  help                     this text`;

const fail = (msg: string): never => {
  throw new Error(`${msg}\n\n${USAGE}`);
};

function count(flag: string, value: string | undefined, min: number): number {
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n) || n < min || n > 50)
    fail(`[${flag}] must be a whole number from ${min} to 50; got "${value ?? ""}".`);
  return n;
}

/** Parses `KIND[=VALUE][@OPERATION][#N]` into a fault; throws naming the part that is wrong. */
export function parseFault(spec: string): Fault {
  const m = /^([a-z-]+)(?:=([^@#]*))?(?:@([A-Za-z-]+))?(?:#(\d+))?$/.exec(spec);
  if (!m) return fail(`[fault] "${spec}" is not KIND[=VALUE][@OPERATION][#N].`);
  const [, kind, value, operation, nth] = m;
  const spec_ = (FAULT_VALUES as Record<string, (typeof FAULT_VALUES)[Fault["kind"]] | undefined>)[kind];
  if (!spec_) return fail(`[fault] unknown kind "${kind}"; one of ${Object.keys(FAULT_VALUES).join(", ")}.`);
  const extra = { ...(operation ? { operation } : {}), ...(nth ? { nth: Number(nth) } : {}) };
  switch (spec_.takes) {
    case "none":
      if (value !== undefined) fail(`[fault] ${kind} takes no value; got "${value}".`);
      return { kind, ...extra } as Fault;
    case "number": {
      const n = Number(value);
      if (value === undefined || value === "" || !Number.isInteger(n))
        fail(`[fault] ${kind} needs a whole number, e.g. ${kind}=${spec_.example}.`);
      return { kind, [spec_.field!]: n, ...extra } as Fault;
    }
    case "text":
      if (!value) fail(`[fault] ${kind} needs a service display name, e.g. ${kind}=Application Virtualization Management Server.`);
      return { kind, [spec_.field!]: value, ...extra } as Fault;
    case "phase":
      if (value !== "before" && value !== "during" && value !== "after")
        fail(`[fault] ${kind} needs before, during or after; got "${value ?? ""}".`);
      return { kind, [spec_.field!]: value, ...extra } as Fault;
  }
}

function hostFault(arg: string | undefined): { host: string; fault: Fault } {
  const i = arg?.indexOf(":") ?? -1;
  if (!arg || i <= 0) return fail(`[--fault] "${arg ?? ""}" is not HOST:KIND[=VALUE][@OPERATION][#N].`);
  return { host: arg.slice(0, i), fault: parseFault(arg.slice(i + 1)) };
}

/** Parses the whole command line. Throws an Error whose message names the argument and ends with the usage. */
export function parseCommandLine(argv: readonly string[]): CliCommand {
  const args = [...argv];
  // --out may come before a control command too.
  let out = DEFAULT_START.out;
  const outAt = args.findIndex((a) => a === "--out" || a.startsWith("--out="));
  if (outAt >= 0 && args[0] !== undefined && !args[0].startsWith("-")) {
    const [flag, inline] = args[outAt].split(/=(.*)/s, 2);
    out = inline ?? args[outAt + 1] ?? fail(`[${flag}] needs a path.`);
    args.splice(outAt, inline === undefined ? 2 : 1);
  }
  const first = args[0];
  if (first === "help" || first === "--help" || first === "-h") return { command: "help" };
  if (first !== undefined && !first.startsWith("-")) return { command: "control", out, request: parseControl(args) };

  let flags: StartFlags = DEFAULT_START;
  const faults: { host: string; fault: Fault }[] = [];
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split(/=(.*)/s, 2);
    const takeValue = (): string | undefined => (inline !== undefined ? inline : args[++i]);
    switch (flag) {
      case "--help":
      case "-h":
        return { command: "help" };
      case "--time-factor": {
        const value = takeValue();
        const n = Number(value);
        if (!(n > 0)) fail(`[--time-factor] must be a positive number; got "${value ?? ""}".`);
        flags = { ...flags, timeFactor: n };
        break;
      }
      case "--out": {
        const value = takeValue();
        if (!value) fail(`[--out] needs a path.`);
        flags = { ...flags, out: value! };
        break;
      }
      case "--pods":
        flags = { ...flags, pods: count(flag, takeValue(), 0) };
        break;
      case "--connection-servers":
        flags = { ...flags, connectionServers: count(flag, takeValue(), 1) };
        break;
      case "--security-servers":
        flags = { ...flags, securityServers: count(flag, takeValue(), 0) };
        break;
      case "--farms":
        flags = { ...flags, farms: count(flag, takeValue(), 0) };
        break;
      case "--farm-servers":
        flags = { ...flags, farmServers: count(flag, takeValue(), 1) };
        break;
      case "--horizon-version": {
        const value = takeValue();
        if (!value || !(value in HORIZON_VERSIONS))
          fail(`[--horizon-version] "${value ?? ""}" is not one of ${Object.keys(HORIZON_VERSIONS).join(", ")}.`);
        flags = { ...flags, horizonVersion: value! };
        break;
      }
      case "--appv-version": {
        const value = takeValue();
        if (!value || !(value in APPV_VERSIONS))
          fail(`[--appv-version] "${value ?? ""}" is not one of ${Object.keys(APPV_VERSIONS).join(", ")}.`);
        flags = { ...flags, appvVersion: value! };
        break;
      }
      case "--ipsec": {
        const value = takeValue();
        if (value !== "on" && value !== "off") fail(`[--ipsec] must be on or off; got "${value ?? ""}".`);
        flags = { ...flags, ipsec: value === "on" };
        break;
      }
      case "--cloud-pod":
        flags = { ...flags, cloudPod: true };
        break;
      case "--fault":
        faults.push(hostFault(takeValue()));
        break;
      default:
        fail(`unknown option "${args[i]}".`);
    }
  }
  if (flags.securityServers > flags.connectionServers) {
    fail(
      `[--security-servers] ${flags.securityServers} is more than --connection-servers ${flags.connectionServers}: each is paired with its own Connection Server.`,
    );
  }
  return { command: "start", flags: { ...flags, faults } };
}

function parseControl(args: readonly string[]): ControlRequest {
  const [cmd, ...rest] = args;
  const need = (n: number, shape: string) => {
    if (rest.length < n) fail(`[${cmd}] needs ${shape}.`);
  };
  switch (cmd) {
    case "audit":
    case "timeline":
    case "status":
      if (rest.length > 0) fail(`[${cmd}] takes no arguments; got "${rest.join(" ")}".`);
      return { op: cmd };
    case "set": {
      need(3, "HOST version V, or HOST service Running|Stopped [DISPLAY NAME]");
      const [host, what, value, ...name] = rest;
      if (what === "version") return { op: "set-version", host, version: value };
      if (what === "powershell") return { op: "set-powershell", host, version: value };
      if (what === "service") {
        if (value !== "Running" && value !== "Stopped") fail(`[set ${host} service] must be Running or Stopped; got "${value}".`);
        return {
          op: "set-service",
          host,
          status: value as "Running" | "Stopped",
          ...(name.length > 0 ? { displayName: name.join(" ") } : {}),
        };
      }
      return fail(`[set] "${what}" is not version, powershell or service.`);
    }
    case "fault":
      need(2, "HOST KIND[=VALUE][@OPERATION][#N]");
      return { op: "fault", host: rest[0], fault: parseFault(rest.slice(1).join(" ")) };
    case "clear-faults":
      return { op: "clear-faults", ...(rest[0] ? { host: rest[0] } : {}) };
    case "down":
    case "up":
      need(1, "HOST");
      return { op: "reachable", host: rest[0], reachable: cmd === "up" };
    case "replication":
      need(2, "POD healthy|broken [local|global]");
      if (rest[1] !== "healthy" && rest[1] !== "broken") fail(`[replication ${rest[0]}] must be healthy or broken; got "${rest[1]}".`);
      if (rest[2] !== undefined && rest[2] !== "local" && rest[2] !== "global")
        fail(`[replication ${rest[0]} ${rest[1]}] the instance must be local or global; got "${rest[2]}".`);
      return {
        op: "replication",
        pod: rest[0],
        healthy: rest[1] === "healthy",
        ...(rest[2] ? { instance: rest[2] as "local" | "global" } : {}),
      };
    default:
      return fail(`unknown command "${cmd}".`);
  }
}

const prefixed = (k: number, letter: string, name: string): string => (k === 1 ? name : `${letter}${k}${name}`);

/**
 * LabOptions for the flags, shaped like `base` (the CLI's default layout, lab/cli.ts): its first pod and first farm
 * are the pattern every pod and farm follows, so the default flags give `base` itself.
 */
export function layoutOptions(flags: StartFlags, base: LabOptions): LabOptions {
  const horizon = HORIZON_VERSIONS[flags.horizonVersion as keyof typeof HORIZON_VERSIONS];
  const appv = APPV_VERSIONS[flags.appvVersion as keyof typeof APPV_VERSIONS];
  const podPattern = base.pods?.[0];
  const farmPattern = base.farms?.[0];
  const pods: PodSpec[] = [];
  for (let k = 1; podPattern && k <= flags.pods; k++) {
    const cs: ConnectionServerSpec[] = [];
    for (let i = 1; i <= flags.connectionServers; i++) {
      const like = podPattern.connectionServers[Math.min(i, podPattern.connectionServers.length) - 1];
      cs.push({ ...like, name: prefixed(k, "p", `cs${i}`), version: horizon, role: i === 1 ? "standard" : "replica" });
    }
    const ss: SecurityServerSpec[] = [];
    const ssPattern = podPattern.securityServers ?? [];
    for (let i = 1; i <= flags.securityServers; i++) {
      const like = ssPattern[i - 1];
      const name = prefixed(k, "p", `ss${i}`);
      ss.push({
        ...(like ?? {}),
        name,
        version: horizon,
        pairedWith: prefixed(k, "p", `cs${i}`),
        // Keep the pattern's "registered under another name" quirk (a duplicate entry to remove), renamed per pod.
        ...(like?.registeredAs ? { registeredAs: k === 1 ? like.registeredAs : `${like.registeredAs}-P${k}` } : {}),
      });
    }
    pods.push({
      ...podPattern,
      name: k === 1 ? podPattern.name : `pod${k}`,
      useIpsec: flags.ipsec,
      ...(flags.cloudPod ? { cloudPod: true } : {}),
      connectionServers: cs,
      securityServers: ss,
    });
  }
  const farms: FarmSpec[] = [];
  for (let k = 1; farmPattern && k <= flags.farms; k++) {
    const servers: AppVServerSpec[] = [];
    for (let i = 1; i <= flags.farmServers; i++) {
      const streaming = flags.farmServers > 1 && i === flags.farmServers;
      servers.push({ name: prefixed(k, "f", `appv${i}`), role: streaming ? "streaming" : "management", version: appv });
    }
    farms.push({ ...farmPattern, name: k === 1 ? farmPattern.name : `farm${k}`, sql: k === 1 ? farmPattern.sql : `sql${k}`, servers });
  }
  return { ...base, timeFactor: flags.timeFactor, pods, farms };
}
