/**
 * The plain inputs the Horizon providers receive (the engine unwraps secrets before calling a dynamic provider) and
 * their validation. Every failure names the property, the value received (never a secret's) and the fix, so
 * `pulumi preview` stops before anything touches a host. Values the engine does not know yet (another resource's
 * output during preview) are skipped, not refused.
 */
import { z } from "zod";
import { type GuardInputs, guardInputSchema } from "../upgrade/coordination";
import { connectionArgsProblems } from "../transport/connectionArgs";
import { type MaintenanceWindow, parseMaintenanceWindow } from "../schedule/maintenanceWindow";
import { evaluateHorizonTarget, formatHorizonVersion, parseHorizonVersion } from "../versions/horizon";
import {
  type CheckFailure,
  type Validated,
  UNKNOWN,
  dedupe,
  isUnknown,
  safeFailures,
  schemaFailures,
  sha256,
  windowsPath,
} from "../lifecycle/inputSupport";
import { type Props, type ResourceDescriptor, outputKeys } from "../lifecycle/descriptor";
import type { HorizonVersion } from "../versions/horizon";
import { ruleFailure } from "../versions/rules";
import { type CloudPodFederation, REPLICATION_INPUT_FIELDS, REPLICATION_OVERRIDE_FIELDS } from "../upgrade/replication";

export { type CheckFailure, type Validated, UNKNOWN, isUnknown };

/** Which Horizon server a resource manages. */
export type HorizonKind = "connection-server" | "security-server";

/** The connection as the provider receives it (validated by the transport). */
export type ConnectionInputs = Record<string, unknown> & { host: string; user: string };

/** Replacements for vendor facts the reference leaves unconfirmed (docs/horizon.md). */
export interface HorizonOverrideInputs {
  serviceDisplayName?: string;
  productDisplayNames?: string[];
  vdmadminPath?: string;
  securityServerListScript?: string;
  pairingPasswordScript?: string;
  prepareSecurityServerScript?: string;
  startInstallerScript?: string;
  vdmexportPath?: string;
  vdmexportScript?: string;
  pairingPasswordStateScript?: string;
  /** The Cloud Pod global LDAP instance's service. @default ADAM_VMwareVDMDSG (UNCONFIRMED) */
  cloudPodServiceName?: string;
}

/** Inputs both server kinds share. */
export interface HorizonServerInputs {
  /** The Pulumi resource name, added by the resource class: prefixes every progress line. */
  resourceName: string;
  connection: ConnectionInputs;
  targetVersion: string;
  installer: { path: string; sha256: string; arguments?: string };
  maintenanceWindow?: unknown;
  timeBudgetMinutes?: number;
  hooks?: { before?: string; after?: string };
  overrides?: HorizonOverrideInputs;
  upgradeAfter?: unknown[];
  timeScale?: number;
  /** The run lease and the availability guard (upgrade/coordination.ts, docs/concurrent-runs.md). */
  guard?: GuardInputs;
}

/** Inputs of a Connection Server. */
export interface ConnectionServerInputs extends HorizonServerInputs {
  role?: "standard" | "replica";
  checkReplication?: boolean;
  /** Set by HorizonPod on each Connection Server of a parallel upgrade. */
  parallelUpgrade?: boolean;
  /** In a Cloud Pod federation (reads 22389 too): detected from the global instance's service, or declared. */
  cloudPodFederation?: CloudPodFederation;
  /** The first Connection Server of a pod: the configuration backup taken before its installer, or its waiver. */
  configurationBackup?: { path?: string; waive?: { reason: string } };
}

/** Inputs of a Security Server. */
export interface SecurityServerInputs extends HorizonServerInputs {
  connectionServer: { name: string; connection: ConnectionInputs; targetVersion?: string; upgraded?: unknown };
  pairingPassword: string;
  pairingTimeoutMinutes?: number;
  ipsec?: "detect" | "on" | "off";
  registeredName?: string;
}

/** Either kind's inputs. */
export type AnyHorizonInputs = ConnectionServerInputs | SecurityServerInputs;

const hooks = z.object({ before: z.string().max(20_000).optional(), after: z.string().max(20_000).optional() }).strict();

const overrides = z
  .object({
    serviceDisplayName: z.string().min(1).max(256).optional(),
    productDisplayNames: z.array(z.string().min(1).max(256)).min(1).optional(),
    vdmadminPath: windowsPath.optional(),
    securityServerListScript: z.string().min(1).max(50_000).optional(),
    pairingPasswordScript: z.string().min(1).max(50_000).optional(),
    prepareSecurityServerScript: z.string().min(1).max(50_000).optional(),
    startInstallerScript: z.string().min(1).max(50_000).optional(),
    vdmexportPath: windowsPath.optional(),
    vdmexportScript: z.string().min(1).max(50_000).optional(),
    pairingPasswordStateScript: z.string().min(1).max(50_000).optional(),
    ...REPLICATION_OVERRIDE_FIELDS, // parallel upgrades: replication
  })
  .strict();

const common = {
  resourceName: z.string().min(1),
  connection: z.unknown(),
  targetVersion: z.string().min(1, "must name a version such as 7.13.2").max(64),
  installer: z.object({ path: windowsPath, sha256, arguments: z.string().min(1).max(4_000).optional() }).strict(),
  maintenanceWindow: z.unknown().optional(),
  timeBudgetMinutes: z
    .number()
    .int("must be whole minutes")
    .min(5, "must be at least 5 minutes")
    .max(1440, "must be at most 1440 minutes (a day)")
    .optional(),
  hooks: hooks.optional(),
  overrides: overrides.optional(),
  upgradeAfter: z.array(z.unknown()).optional(),
  timeScale: z.number().positive("must be a positive number (host-clock seconds per real second)").max(100_000).optional(),
  __provider: z.unknown().optional(),
  // The run lease and the availability guard.
  guard: guardInputSchema.optional(),
};

const HORIZON_COMMON = {
  /** Set by `up` (and refresh), not by planning: read leaves them out of the inputs it returns. */
  runOutputs: ["installedVersion", "serviceStatus", "pairingState", "pairingStateVerified", "configurationBackupFile", "readAt"],
  writeOnlyInputs: [] as string[],
  links: ["upgradeAfter", "connectionServer.upgraded"],
  // The guard carries the connections of the server's availability group (docs/concurrent-runs.md).
  secretValues: ["pairingPassword", "connection", "connectionServer.connection", "guard.group[].connection"],
};
const SERVER_OUTPUTS = ["liveVersion", "installedVersion", "plan", "steps", "status", "blockedReason", "blockedCode", "serviceStatus"];

/** `ConnectionServer`: its outputs, its secret inputs (the connection), nothing write-only. */
export const CONNECTION_SERVER: ResourceDescriptor = {
  ...HORIZON_COMMON,
  kind: "connection-server",
  type: ["horizon", "ConnectionServer"],
  outputs: [...SERVER_OUTPUTS, "configurationBackupFile"],
  internalOutputs: ["plannedAt", "readAt"],
  secretInputs: ["connection", "guard"],
  // The guard's group connections are only needed by a run: not stored twice (docs/concurrent-runs.md).
  writeOnlyInputs: ["guard"],
};

/** `SecurityServer`: the pairing password is a secret and write-only (never in outputs, not needed to read). */
export const SECURITY_SERVER: ResourceDescriptor = {
  ...HORIZON_COMMON,
  kind: "security-server",
  type: ["horizon", "SecurityServer"],
  outputs: [...SERVER_OUTPUTS, "pairingState"],
  internalOutputs: ["pairingStateVerified", "plannedAt", "readAt"],
  secretInputs: ["connection", "connectionServer", "pairingPassword", "guard"],
  writeOnlyInputs: ["pairingPassword", "guard"],
};

/** A pod's readiness gate: its servers' inputs (connections) are secret. */
export const POD_READINESS: ResourceDescriptor = {
  kind: "pod-readiness",
  type: ["horizon", "PodReadiness"],
  outputs: ["ready"],
  internalOutputs: [],
  runOutputs: [],
  secretInputs: ["servers"],
  writeOnlyInputs: [],
  links: [],
  secretValues: ["servers[].inputs.connection", "servers[].inputs.connectionServer.connection"],
};

/** The descriptor of a kind of Horizon server. */
export function horizonDescriptor(kind: HorizonKind): ResourceDescriptor {
  return kind === "connection-server" ? CONNECTION_SERVER : SECURITY_SERVER;
}

/** Output-only properties of either kind; a stored state may carry them back in. */
const OUTPUT_KEYS = outputKeys(CONNECTION_SERVER, SECURITY_SERVER);
const outputs = Object.fromEntries(OUTPUT_KEYS.map((k) => [k, z.unknown().optional()]));

const connectionServerSchema = z
  .object({
    ...common,
    ...outputs,
    role: z.enum(["standard", "replica"]).optional(),
    checkReplication: z.boolean().optional(),
    ...REPLICATION_INPUT_FIELDS, // parallel upgrades: replication
    configurationBackup: z
      .object({
        path: windowsPath.optional(),
        waive: z
          .object({
            reason: z
              .string()
              .trim()
              .min(10, "must say why going on without a configuration backup is acceptable (at least 10 characters)")
              .max(1_000),
          })
          .strict()
          .optional(),
      })
      .strict()
      .refine((b) => !(b.path && b.waive), "sets both a path and a waiver: take the backup (path) or waive it (waive.reason), not both")
      .optional(),
  })
  .strict();

const securityServerSchema = z
  .object({
    ...common,
    ...outputs,
    connectionServer: z
      .object({
        name: z.string().min(1).max(255),
        connection: z.unknown(),
        targetVersion: z
          .string()
          .refine((v) => parseHorizonVersion(v) !== undefined, "must be a Horizon version such as 7.13.2 or a release name such as 2312")
          .optional(),
        upgraded: z.unknown().optional(),
      })
      .strict(),
    pairingPassword: z
      .string()
      .min(1, "must not be empty: set the pairing password as a Pulumi secret")
      .max(256)
      // The installer takes it inside /v"...", where a double quote ends the argument (VMware Horizon 7 Installation, silent installation properties; docs/sources.md).
      .refine(
        (p) => !p.includes('"'),
        'must not contain a double quote, which the installer\'s /v"..." argument cannot carry; choose another password',
      ),
    pairingTimeoutMinutes: z.number().int().min(1).max(1440, "must be 1 to 1440 minutes (the View API's range)").optional(),
    ipsec: z.enum(["detect", "on", "off"]).optional(),
    registeredName: z.string().min(1).max(255).optional(),
  })
  .strict();

/**
 * Validates a Horizon server's inputs and normalises `targetVersion` (a release name such as 2312 becomes 8.12.0).
 * Returns every failure at once. Values not known yet are skipped.
 */
export function validateHorizonInputs<T extends AnyHorizonInputs>(
  kind: HorizonKind,
  news: Props,
  purpose: "check" | "converge" | "read" = "check",
): Validated<T, HorizonVersion> {
  const full = kind === "connection-server" ? connectionServerSchema : securityServerSchema;
  // Reading needs no write-only input (the stored outputs never hold one): the descriptor says which are optional.
  const optional = purpose === "read" ? horizonDescriptor(kind).writeOnlyInputs : [];
  const schema = optional.length > 0 ? (full as z.AnyZodObject).partial(Object.fromEntries(optional.map((k) => [k, true]))).strict() : full;
  const failures: CheckFailure[] = schemaFailures(schema, news);

  const connections: [string, unknown][] = [["connection", news.connection]];
  if (kind === "security-server" && news.connectionServer && typeof news.connectionServer === "object") {
    connections.push(["connectionServer.connection", news.connectionServer.connection]);
  }
  for (const [prefix, value] of connections) {
    if (value === undefined) {
      failures.push({ property: prefix, reason: `[${prefix}] is required: give host, user, hostKey and a password or private key.` });
    } else if (!isUnknown(value)) {
      failures.push(...connectionArgsProblems(value, prefix));
    }
  }

  let window: MaintenanceWindow | undefined;
  if (news.maintenanceWindow !== undefined && !isUnknown(news.maintenanceWindow)) {
    const w = parseMaintenanceWindow(news.maintenanceWindow);
    if ("violations" in w) failures.push(...w.violations.map((v) => ({ property: v.property, reason: v.message })));
    else window = w.window;
  }

  if (typeof news.targetVersion === "string" && !isUnknown(news.targetVersion)) {
    const csTarget =
      kind === "security-server" &&
      typeof news.connectionServer?.targetVersion === "string" &&
      !isUnknown(news.connectionServer.targetVersion)
        ? (news.connectionServer.targetVersion as string)
        : undefined;
    for (const v of evaluateHorizonTarget({ role: kind, target: news.targetVersion, pairedConnectionServerTarget: csTarget })) {
      failures.push(ruleFailure(v)); // rules call site: the rule's code ends the reason (provider/versions/rules.ts)
    }
  }
  if (failures.length > 0) return { failures: safeFailures(dedupe(failures), news) };

  const inputs = { ...news } as T;
  const target = parseHorizonVersion(news.targetVersion);
  if (target) inputs.targetVersion = formatHorizonVersion(target);
  if (kind === "security-server") {
    const ss = inputs as SecurityServerInputs;
    const csTarget = ss.connectionServer?.targetVersion;
    const parsedCs = typeof csTarget === "string" && !isUnknown(csTarget) ? parseHorizonVersion(csTarget) : undefined;
    if (parsedCs) ss.connectionServer = { ...ss.connectionServer, targetVersion: formatHorizonVersion(parsedCs) };
  }
  return { inputs, failures: [], window, target };
}

/** Keys that are results, not desired state. */
export const COMPUTED_KEYS: readonly string[] = OUTPUT_KEYS;
