/**
 * The plain inputs the App-V providers receive (the engine unwraps secrets before calling a dynamic provider) and
 * their validation. Every failure names the property, the value received (never a secret's) and the fix, so
 * `pulumi preview` stops before anything touches a host. Values not known yet (another resource's output during
 * preview) are skipped, not refused.
 */
import { shorten, textOf } from "../errors/shorten";
import { z } from "zod";
import { type GuardInputs, guardInputSchema } from "../upgrade/coordination";
import type { AppVRole } from "../products/appv";
import { type MaintenanceWindow, parseMaintenanceWindow } from "../schedule/maintenanceWindow";
import { connectionArgsProblems } from "../transport/connectionArgs";
import { evaluateAppVTarget, evaluateFarmTargets, normaliseAppVVersion, parseAppVVersion } from "../versions/appv";
import { ruleFailure } from "../versions/rules";
import type { ConnectionInputs } from "./horizonInputs";
import {
  type CheckFailure,
  type Validated,
  dedupe,
  isUnknown,
  safeFailures,
  schemaFailures,
  sha256,
  windowsPath,
} from "../lifecycle/inputSupport";
import { type Props, type ResourceDescriptor, outputKeys } from "../lifecycle/descriptor";
import type { AppVVersion } from "../versions/appv";

export { type CheckFailure, type Validated, isUnknown };

/** Which App-V resource a provider call is for. */
export type AppVKind = "server" | "farm-preparation" | "farm-completion";

/** Replacements for unconfirmed vendor facts. */
export interface AppVOverrideInputs {
  serviceDisplayName?: string;
  productDisplayNames?: string[];
  startInstallerScript?: string;
  databaseAdminProperties?: { user: string; password: string };
  webApplicationPath?: string;
}

/** The farm context a server carries for its error messages. */
export interface AppVFarmContextInputs {
  name: string;
  database: string;
  backupPath?: string;
  backupWaived?: string;
  /** This server's name in the farm. */
  self?: string;
  schemaServer?: string;
  /** How to start each server upgraded after this one, e.g. `appv3: Start-Service -DisplayName '...'`. */
  later?: string[];
  /** Every server of the farm, in upgrade order, with its role and its service's display name. */
  members?: { name: string; role: string; service: string }[];
  /** The SQL Server instance (sqlcmd -S), for the restore command. */
  sqlServer?: string;
  /** The servers upgraded before this one, with the version and service state their resources verified. */
  done?: { name: string; version?: string; service?: string }[];
  /** Each server's version when the preparation read it (the preparation's `liveVersions`). */
  before?: Record<string, string>;
}

/** Inputs of an `AppVServer`. */
export interface AppVServerInputs {
  resourceName: string;
  connection: ConnectionInputs;
  role?: AppVRole;
  targetVersion: string;
  installer: { path: string; sha256: string; arguments?: string };
  maintenanceWindow?: unknown;
  timeBudgetMinutes?: number;
  overrides?: AppVOverrideInputs;
  upgradeAfter?: unknown[];
  /** The database administrative credentials, on the server that upgrades the schema. */
  databaseAdmin?: { user: string; password: string };
  farm?: AppVFarmContextInputs;
  timeScale?: number;
  /** The run lease on the host (upgrade/coordination.ts, docs/concurrent-runs.md). */
  guard?: GuardInputs;
}

/** A server as the farm-level resources see it. */
export interface AppVFarmMemberInputs {
  name: string;
  role?: AppVRole;
  connection: ConnectionInputs;
  targetVersion?: string;
  overrides?: AppVOverrideInputs;
  /** The server's setup, checked (present, SHA-256) before the preparation stops anything. */
  installer?: { path: string; sha256: string; arguments?: string };
}

/** The farm's database. */
export interface AppVDatabaseInputs {
  connection: ConnectionInputs;
  sqlServer: string;
  name?: string;
  backupPath?: string;
  sqlUser?: string;
  sqlPassword?: string;
  adminUser?: string;
  adminPassword?: string;
  schemaScript?: string;
  otherClients?: string[];
  sessionsScript?: string;
}

/** Inputs of the farm's preparation and completion resources. */
export interface AppVFarmInputs {
  resourceName: string;
  farmName: string;
  targetVersion: string;
  servers: AppVFarmMemberInputs[];
  /** Required for the preparation. */
  database?: AppVDatabaseInputs;
  backup?: { waive?: { reason: string } };
  order?: "sequential" | "parallel-after-first";
  maintenanceWindow?: unknown;
  timeBudgetMinutes?: number;
  /** Minutes the whole farm may take (preparation to last server). @default the servers' budgets added up */
  farmTimeBudgetMinutes?: number;
  /** Users still connected before the farm is stopped. */
  userSessions?: { drainMinutes?: number; proceed?: boolean; ports?: number[]; script?: string };
  upgradeAfter?: unknown[];
  timeScale?: number;
}

const installer = z.object({ path: windowsPath, sha256, arguments: z.string().min(1).max(4_000).optional() }).strict();
const role = z.enum(["management", "streaming", "management-service", "console"]);
/** The farm-level resources take the servers only: `AppVFarm` upgrades the console hosts after them. */
const farmRole = z.enum(["management", "streaming", "management-service"]);
const overrides = z
  .object({
    serviceDisplayName: z.string().min(1).max(256).optional(),
    productDisplayNames: z.array(z.string().min(1).max(256)).min(1).optional(),
    startInstallerScript: z.string().min(1).max(50_000).optional(),
    webApplicationPath: z.string().min(1).max(512).optional(),
    databaseAdminProperties: z
      .object({
        user: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]*$/, "must be an MSI property name"),
        password: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]*$/, "must be an MSI property name"),
      })
      .strict()
      .optional(),
  })
  .strict();
const timeBudgetMinutes = z
  .number()
  .int("must be whole minutes")
  .min(5, "must be at least 5 minutes")
  .max(1440, "must be at most 1440 minutes (a day)");
const timeScale = z.number().positive("must be a positive number (host-clock seconds per real second)").max(100_000);
const targetVersion = z.string().min(1, "must name a version such as 4.5 SP2").max(64);

const APPV_COMMON = {
  internalOutputs: [] as string[],
  writeOnlyInputs: [] as string[],
  links: ["upgradeAfter", "farm"],
  secretValues: [
    "connection",
    "servers[].connection",
    "database.connection",
    "database.sqlPassword",
    "database.adminPassword",
    "login:database.sqlUser",
    "login:database.adminUser",
    "databaseAdmin.password",
    "login:databaseAdmin.user",
  ],
};
const FARM_OUTPUTS = [
  "liveVersions",
  "plan",
  "steps",
  "status",
  "blockedReason",
  "blockedCode",
  "schemaVersion",
  "backupPath",
  "backupVerified",
  "stoppedServers",
  "ready",
  "serviceStatuses",
];
const FARM_RUN_OUTPUTS = ["schemaVersion", "backupPath", "backupVerified", "stoppedServers", "ready", "serviceStatuses"];

/** `AppVServer`: its connection and the database administrative credentials are secret. */
export const APPV_SERVER: ResourceDescriptor = {
  ...APPV_COMMON,
  kind: "appv-server",
  type: ["appv", "AppVServer"],
  outputs: ["liveVersion", "installedVersion", "plan", "steps", "status", "blockedReason", "blockedCode", "serviceStatus"],
  runOutputs: ["installedVersion", "serviceStatus"],
  secretInputs: ["connection", "databaseAdmin", "guard"],
  writeOnlyInputs: ["guard"],
};

/** `AppVFarmPreparation`: the servers' connections and the database's credentials are secret. */
export const FARM_PREPARATION: ResourceDescriptor = {
  ...APPV_COMMON,
  kind: "farm-preparation",
  type: ["appv", "AppVFarmPreparation"],
  outputs: FARM_OUTPUTS,
  runOutputs: FARM_RUN_OUTPUTS,
  secretInputs: ["servers", "database"],
};

/** `AppVFarmCompletion`: the servers' connections are secret. */
export const FARM_COMPLETION: ResourceDescriptor = {
  ...APPV_COMMON,
  kind: "farm-completion",
  type: ["appv", "AppVFarmCompletion"],
  outputs: FARM_OUTPUTS,
  runOutputs: FARM_RUN_OUTPUTS,
  secretInputs: ["servers"],
};

/** Output-only properties of every App-V kind; a stored state may carry them back in. */
const OUTPUT_KEYS = outputKeys(APPV_SERVER, FARM_PREPARATION, FARM_COMPLETION);
const outputs = Object.fromEntries(OUTPUT_KEYS.map((k) => [k, z.unknown().optional()]));

const serverSchema = z
  .object({
    resourceName: z.string().min(1),
    connection: z.unknown(),
    role: role.optional(),
    targetVersion,
    installer,
    maintenanceWindow: z.unknown().optional(),
    timeBudgetMinutes: timeBudgetMinutes.optional(),
    overrides: overrides.optional(),
    upgradeAfter: z.array(z.unknown()).optional(),
    databaseAdmin: z
      .object({ user: z.string().min(1).max(128), password: z.string().min(1).max(256) })
      .strict()
      .optional(),
    farm: z
      .object({
        name: z.string(),
        database: z.string(),
        backupPath: z.string().optional(),
        backupWaived: z.string().optional(),
        self: z.string().optional(),
        schemaServer: z.string().optional(),
        later: z.array(z.string()).optional(),
        members: z.array(z.object({ name: z.string(), role: z.string(), service: z.string() }).strict()).optional(),
        sqlServer: z.string().optional(),
        done: z.array(z.object({ name: z.string(), version: z.string().optional(), service: z.string().optional() }).strict()).optional(),
        before: z.record(z.string()).optional(),
      })
      .strict()
      .optional(),
    timeScale: timeScale.optional(),
    guard: guardInputSchema.optional(),
    __provider: z.unknown().optional(),
    ...outputs,
  })
  .strict();

const farmSchema = z
  .object({
    resourceName: z.string().min(1),
    farmName: z.string().min(1),
    targetVersion,
    servers: z
      .array(
        z
          .object({
            name: z.string().min(1).max(255),
            role: farmRole.optional(),
            connection: z.unknown(),
            targetVersion: z.string().optional(),
            overrides: overrides.optional(),
            installer: installer.optional(),
          })
          .strict(),
      )
      .min(1, "must list at least one server"),
    database: z
      .object({
        connection: z.unknown(),
        sqlServer: z.string().min(1, "must name the SQL Server instance, e.g. SQL1 or SQL1\\APPV").max(255),
        name: z.string().min(1).max(128).optional(),
        backupPath: windowsPath.optional(),
        sqlUser: z.string().min(1).max(128).optional(),
        sqlPassword: z.string().min(1).max(256).optional(),
        adminUser: z.string().min(1).max(128).optional(),
        adminPassword: z.string().min(1).max(256).optional(),
        schemaScript: z.string().min(1).max(50_000).optional(),
        otherClients: z.array(z.string().min(1).max(255)).max(100).optional(),
        sessionsScript: z.string().min(1).max(50_000).optional(),
      })
      .strict()
      .optional(),
    backup: z
      .object({
        waive: z
          .object({ reason: z.string().trim().min(10, "must say why going on without a backup is acceptable (at least 10 characters)") })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    order: z.enum(["sequential", "parallel-after-first"]).optional(),
    maintenanceWindow: z.unknown().optional(),
    timeBudgetMinutes: timeBudgetMinutes.optional(),
    userSessions: z
      .object({
        drainMinutes: z.number().int("must be whole minutes").min(0).max(1440, "must be at most 1440 minutes (a day)").optional(),
        proceed: z.boolean().optional(),
        ports: z.array(z.number().int().min(1).max(65_535)).min(1).max(16).optional(),
        script: z.string().min(1).max(50_000).optional(),
      })
      .strict()
      .optional(),
    farmTimeBudgetMinutes: z
      .number()
      .int("must be whole minutes")
      .min(5, "must be at least 5 minutes")
      .max(10_080, "must be at most 10080 minutes (a week)")
      .optional(),
    upgradeAfter: z.array(z.unknown()).optional(),
    timeScale: timeScale.optional(),
    __provider: z.unknown().optional(),
    ...outputs,
  })
  .strict();

function propertyOf(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("") || "(inputs)";
}

function commonChecks(news: Props, connections: [string, unknown][], failures: CheckFailure[]): MaintenanceWindow | undefined {
  for (const [prefix, value] of connections) {
    if (value === undefined)
      failures.push({ property: prefix, reason: `[${prefix}] is required: give host, user, hostKey and a password or private key.` });
    else if (!isUnknown(value)) failures.push(...connectionArgsProblems(value, prefix));
  }
  if (news.maintenanceWindow !== undefined && !isUnknown(news.maintenanceWindow)) {
    const w = parseMaintenanceWindow(news.maintenanceWindow);
    if ("violations" in w) failures.push(...w.violations.map((v) => ({ property: v.property, reason: v.message })));
    else return w.window;
  }
  return undefined;
}

/** The target parsed once, and its normal text ("4.5 sp 2" becomes "4.5 SP2"). */
function parseTarget(text: string): { target?: AppVVersion; targetVersion: string } {
  const target = parseAppVVersion(text);
  return { target, targetVersion: target ? normaliseAppVVersion(target) : text };
}

/** Validates an `AppVServer`'s inputs and normalises `targetVersion` ("4.5 sp 2" becomes "4.5 SP2"). */
export function validateAppVServerInputs(news: Props): Validated<AppVServerInputs, AppVVersion> {
  const failures = schemaFailures(serverSchema, news, propertyOf);
  const window = commonChecks(news, [["connection", news.connection]], failures);
  if (typeof news.targetVersion === "string" && !isUnknown(news.targetVersion)) {
    for (const v of evaluateAppVTarget(news.targetVersion)) failures.push(ruleFailure(v)); // rules call site
  }
  if (failures.length > 0) return { failures: safeFailures(dedupe(failures), news) };
  const { target, targetVersion } = parseTarget(news.targetVersion);
  return { inputs: { ...(news as AppVServerInputs), targetVersion }, failures: [], window, target };
}

/** Validates the inputs of the farm's preparation or completion; every server must target the farm's version. */
export function validateAppVFarmInputs(kind: "farm-preparation" | "farm-completion", news: Props): Validated<AppVFarmInputs, AppVVersion> {
  const failures = schemaFailures(farmSchema, news, propertyOf);
  const servers: unknown[] = Array.isArray(news.servers) ? news.servers : [];
  const connections: [string, unknown][] = servers.map((s, i) => [
    `servers[${i}].connection`,
    (s as Record<string, unknown> | undefined)?.connection,
  ]);
  if (kind === "farm-preparation") {
    if (news.database === undefined || news.database === null)
      failures.push({
        property: "database",
        reason: "[database] is required: give the SQL Server's connection and instance name (sqlServer).",
      });
    else if (!isUnknown(news.database) && typeof news.database === "object")
      connections.push(["database.connection", news.database.connection]);
  }
  const window = commonChecks(news, connections, failures);
  const names = servers.map((s) => (s as { name?: unknown })?.name).filter((n): n is string => typeof n === "string");
  const dup = names.find((n, i) => names.findIndex((m) => m.toLowerCase() === n.toLowerCase()) !== i);
  if (dup)
    failures.push({
      property: "servers",
      reason: `[servers] the name "${shorten(dup)}" appears twice: give each server of the farm its own name.`,
    });
  if (typeof news.targetVersion === "string" && !isUnknown(news.targetVersion)) {
    for (const v of evaluateAppVTarget(news.targetVersion)) failures.push(ruleFailure(v)); // rules call site
    const declared = servers.map((s) => {
      const t = s as { targetVersion?: unknown; name?: unknown } | undefined;
      return {
        name: typeof t?.name === "string" ? t.name : textOf(t?.name ?? "?"),
        targetVersion: typeof t?.targetVersion === "string" && !isUnknown(t.targetVersion) ? t.targetVersion : undefined,
      };
    });
    for (const v of evaluateFarmTargets(news.targetVersion, declared)) failures.push(ruleFailure(v)); // rules call site
    declared.forEach((s, i) => {
      if (s.targetVersion !== undefined)
        for (const v of evaluateAppVTarget(s.targetVersion, `servers[${i}].targetVersion`)) failures.push(ruleFailure(v)); // rules call site
    });
  }
  if (failures.length > 0) return { failures: safeFailures(dedupe(failures), news) };
  const { target, targetVersion } = parseTarget(news.targetVersion);
  return { inputs: { ...(news as AppVFarmInputs), targetVersion }, failures: [], window, target };
}

/** Keys that are results, not desired state. */
export const COMPUTED_KEYS: readonly string[] = OUTPUT_KEYS;
