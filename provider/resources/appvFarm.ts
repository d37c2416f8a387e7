import * as pulumi from "@pulumi/pulumi";
import { APPV_SERVICES, appvServiceCommand } from "../products/appv";
import type {
  AppVUserSessionsArgs,
  AppVBackupArgs,
  AppVDatabaseArgs,
  AppVFarmArgs,
  AppVFarmServer,
  AppVInstallerArgs,
  AppVOverrides,
  AppVRoleArg,
} from "./appvArgs";
import type { MaintenanceWindowArgs } from "./horizonArgs";
import { FARM_COMPLETION, FARM_PREPARATION } from "../products/appvInputs";
import { PlannedResource } from "./planned";
import { AppVServer } from "./appvServer";

/** A farm member as the farm-level resources take it. */
interface FarmMemberArgs {
  name: pulumi.Input<string>;
  role?: pulumi.Input<AppVRoleArg>;
  connection: pulumi.Input<unknown>;
  targetVersion?: pulumi.Input<string>;
  overrides?: pulumi.Input<AppVOverrides>;
  installer?: pulumi.Input<AppVInstallerArgs>;
}

/** What the farm's preparation takes (`AppVFarm` fills it in). */
export interface AppVFarmPreparationArgs {
  farmName: pulumi.Input<string>;
  targetVersion: pulumi.Input<string>;
  servers: FarmMemberArgs[];
  database: AppVDatabaseArgs;
  backup?: AppVBackupArgs;
  order?: pulumi.Input<"sequential" | "parallel-after-first">;
  maintenanceWindow?: pulumi.Input<MaintenanceWindowArgs>;
  timeBudgetMinutes?: pulumi.Input<number>;
  /** Minutes the whole farm may take. @default the servers' budgets added up */
  farmTimeBudgetMinutes?: pulumi.Input<number>;
  /** Users still connected before the farm is stopped. */
  userSessions?: pulumi.Input<AppVUserSessionsArgs>;
  timeScale?: pulumi.Input<number>;
}

/**
 * The farm's preparation ("How to Upgrade the Servers and System Components" (App-V 4.5), notes 1 and 2; docs/sources.md): when any server is below the target and the schema
 * is not upgraded yet, stops the App-V service on every server of the farm, then takes a full backup of the
 * configuration database and verifies it (`RESTORE VERIFYONLY`), unless `backup.waive` gives a reason. Preview shows
 * this plan and the order the servers will follow. Nothing to do once every server runs the target.
 */
export class AppVFarmPreparation extends PlannedResource {
  /** Each server's version when last read, by name. */
  declare readonly liveVersions: pulumi.Output<Record<string, string>>;
  /** The database's schema version when last prepared (when it could be read). */
  declare readonly schemaVersion: pulumi.Output<string | undefined>;
  /** The verified backup's path on the SQL Server; undefined when waived. */
  declare readonly backupPath: pulumi.Output<string | undefined>;
  /** Whether `RESTORE VERIFYONLY` accepted the backup. */
  declare readonly backupVerified: pulumi.Output<boolean | undefined>;
  /** The servers this preparation stopped (or found stopped). */
  declare readonly stoppedServers: pulumi.Output<string[]>;
  /** The target, once the farm is ready for its servers to upgrade: pass it to order them after the preparation. */
  declare readonly ready: pulumi.Output<string>;

  constructor(name: string, args: AppVFarmPreparationArgs, opts?: pulumi.CustomResourceOptions) {
    super(FARM_PREPARATION, name, { ...args }, opts);
  }
}

/** What the farm's completion takes (`AppVFarm` fills it in). */
export interface AppVFarmCompletionArgs {
  farmName: pulumi.Input<string>;
  targetVersion: pulumi.Input<string>;
  servers: FarmMemberArgs[];
  /** Every server's `installedVersion`: the completion runs after all of them. */
  upgradeAfter: pulumi.Input<pulumi.Input<string>[]>;
  /** The farm's window: the completion reports when the rollout ran past it. */
  maintenanceWindow?: pulumi.Input<MaintenanceWindowArgs>;
  timeScale?: pulumi.Input<number>;
}

/**
 * The farm's completion ("How to Upgrade the Servers and System Components" (App-V 4.5): "After upgrading the data store, you can resume normal operation"):
 * once every server runs the target, starts any App-V service still stopped.
 */
export class AppVFarmCompletion extends PlannedResource {
  /** Each server's version when last read, by name. */
  declare readonly liveVersions: pulumi.Output<Record<string, string>>;
  /** Each server's service status after the last `up`, by name. */
  declare readonly serviceStatuses: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: AppVFarmCompletionArgs, opts?: pulumi.CustomResourceOptions) {
    super(FARM_COMPLETION, name, { ...args }, opts);
  }
}

/** A member's service display name; the Management Web Service's is its IIS application pool, found live. */
function memberService(role: AppVRoleArg | undefined, override: string | undefined): string {
  return role === "management-service" ? APPV_SERVICES[role] : (override ?? APPV_SERVICES[role ?? "management"]);
}

/** A member as each server's farm context names it: its name, role and service. */
function memberOf(s: AppVFarmServer) {
  return pulumi.all([s.name, s.role, s.overrides]).apply(([name, role, o]) => {
    return { name, role: role ?? "management", service: memberService(role, o?.serviceDisplayName) };
  });
}

function secretIfSet<T>(value: pulumi.Input<T> | undefined): pulumi.Input<T> | undefined {
  return value === undefined ? undefined : (pulumi.secret(value) as pulumi.Input<T>);
}

/**
 * An App-V 4.x farm (the servers sharing one configuration database) upgraded by the vendor's procedure
 * ("How to Upgrade the Servers and System Components" (App-V 4.5), docs/sources.md):
 * 1. `<farm>-preparation`: the App-V services stopped on every server, then a full backup of the database taken and
 *    verified (required unless `backup.waive` gives a reason);
 * 2. the servers: the first database member (a management server or web service, never a streaming server) goes first
 *    and upgrades the schema; the others follow one at a time in the order given, or all at once after the first with
 *    `order: "parallel-after-first"`. Each reads its live facts only after the previous one is done (order through
 *    outputs);
 * 3. `<farm>-completion`: once every server runs the target, any service still stopped is started. Each server's own
 *    service already started right after its own setup ("How to Upgrade the Servers and System Components" (App-V 4.5): "services will be restarted automatically on each
 *    computer after it has been upgraded"); the servers not yet upgraded stay stopped until their turn.
 * A failure stops the run with the farm's exact state (backup and where, schema upgraded or not, servers stopped, the
 * command that brings service back); the next `up` resumes from live facts. Database credentials and SSH passwords are
 * secrets: they never appear in logs, errors, outputs or plaintext state.
 */
export class AppVFarm extends pulumi.ComponentResource {
  readonly preparation: AppVFarmPreparation;
  /** The servers, in upgrade order. */
  readonly servers: AppVServer[] = [];
  /** The Management Console hosts, upgraded after the servers. */
  readonly consoles: AppVServer[];
  readonly completion: AppVFarmCompletion;

  constructor(name: string, args: AppVFarmArgs, opts?: pulumi.ComponentResourceOptions) {
    super("vdi-upgrade:appv:AppVFarm", name, {}, opts);
    if (!args.servers?.length)
      throw new Error(`[servers] AppVFarm ${name} needs at least one server (received none); list every server sharing the database.`);
    const names = args.servers.map((s) => s.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) throw new Error(`[servers] AppVFarm ${name} lists "${dup}" twice; give each server its own name.`);
    if (!args.database) throw new Error(`[database] AppVFarm ${name} needs its database: the SQL Server's connection and sqlServer.`);
    if (args.order !== undefined && args.order !== "sequential" && args.order !== "parallel-after-first") {
      throw new Error(`[order] AppVFarm ${name}: "${String(args.order)}" is not an order; use "sequential" or "parallel-after-first".`);
    }

    // "How to Upgrade the Servers and System Components" (App-V 4.5), step 13: the Management Console hosts are upgraded after the servers and are not servers: they are never
    // stopped with them and never upgrade the schema.
    const consoles = args.servers.filter((s) => s.role === "console");
    const servers = args.servers.filter((s) => s.role !== "console");
    if (servers.length === 0)
      throw new Error(`[servers] AppVFarm ${name} lists only Management Console hosts; list the servers sharing the database too.`);
    // "How to Upgrade the Servers and System Components" (App-V 4.5): one server upgrades the schema first; a streaming server does not use the database, so it cannot. Any
    // database member can: "The data store is upgraded when you upgrade any server or the App-V Management Web Service".
    const firstMember = servers.findIndex((s) => (s.role ?? "management") !== "streaming");
    const ordered: AppVFarmServer[] =
      firstMember > 0 ? [servers[firstMember], ...servers.filter((_, i) => i !== firstMember)] : [...servers];
    const schemaServer = firstMember >= 0 ? servers[firstMember].name : undefined;

    const members: FarmMemberArgs[] = ordered.map((s) => ({
      name: s.name,
      role: s.role,
      connection: pulumi.secret(s.connection),
      targetVersion: s.targetVersion,
      overrides: s.overrides,
      installer: s.installer,
    }));
    const database: AppVDatabaseArgs = {
      ...args.database,
      connection: pulumi.secret(args.database.connection),
      sqlUser: secretIfSet(args.database.sqlUser),
      sqlPassword: secretIfSet(args.database.sqlPassword),
      adminUser: secretIfSet(args.database.adminUser),
      adminPassword: secretIfSet(args.database.adminPassword),
    };
    // "How to Upgrade the Servers and System Components" (App-V 4.5), step 7: the setup that upgrades the schema asks for the database administrative credentials.
    const adminUser = args.database.adminUser ?? args.database.sqlUser;
    const adminPassword = args.database.adminPassword ?? args.database.sqlPassword;
    const databaseAdmin =
      adminUser !== undefined && adminPassword !== undefined
        ? pulumi.secret(pulumi.all([adminUser, adminPassword]).apply(([user, password]) => ({ user, password })))
        : undefined;
    const common = { maintenanceWindow: args.maintenanceWindow, timeBudgetMinutes: args.timeBudgetMinutes, timeScale: args.timeScale };

    this.preparation = new AppVFarmPreparation(
      `${name}-preparation`,
      {
        farmName: name,
        targetVersion: args.targetVersion,
        servers: members,
        database,
        backup: args.backup,
        order: args.order,
        farmTimeBudgetMinutes: args.farmTimeBudgetMinutes,
        userSessions: args.userSessions,
        ...common,
      },
      { parent: this },
    );

    const startCommand = (s: AppVFarmServer): pulumi.Output<string> =>
      pulumi
        .all([s.role, s.overrides])
        .apply(
          ([role, o]) =>
            `${s.name}: ${appvServiceCommand("Start", role, memberService(role, o?.serviceDisplayName), undefined, o?.webApplicationPath)}`,
        );
    const parallel = args.order === "parallel-after-first";
    const waiver = args.backup?.waive ? pulumi.output(args.backup.waive).apply((w) => w.reason) : undefined;
    let previous: pulumi.Output<string> = this.preparation.ready;
    let first: pulumi.Output<string> | undefined;
    const verified: pulumi.Output<{ name: string; version?: string; service?: string }>[] = [];
    for (const [i, entry] of ordered.entries()) {
      const { name: serverName, targetVersion, ...serverArgs } = entry;
      const later = parallel ? (i === 0 ? ordered.slice(1) : []) : ordered.slice(i + 1);
      const after = parallel && first ? first : previous;
      const done = parallel ? verified.slice(0, 1) : [...verified];
      const server = new AppVServer(
        `${name}-${serverName}`,
        {
          ...serverArgs,
          targetVersion: targetVersion ?? args.targetVersion,
          ...common,
          ...(serverName === schemaServer && databaseAdmin ? { databaseAdmin } : {}),
          upgradeAfter: [after],
          farm: {
            name,
            database: pulumi.all([args.database.sqlServer, args.database.name]).apply(([sql, db]) => `${sql}/${db ?? "APPVIRT"}`),
            backupPath: this.preparation.backupPath as pulumi.Output<string>,
            backupWaived: waiver,
            self: serverName,
            schemaServer,
            later: pulumi.all(later.map(startCommand)),
            members: ordered.map(memberOf),
            sqlServer: args.database.sqlServer,
            done: pulumi.all(done),
            before: this.preparation.liveVersions,
          },
        },
        { parent: this },
      );
      this.servers.push(server);
      verified.push(
        pulumi.all([server.installedVersion, server.serviceStatus]).apply(([v, st]) => ({ name: serverName, version: v, service: st })),
      );
      first ??= server.installedVersion;
      previous = server.installedVersion;
    }

    /** The Management Console hosts, each once every server runs its target (in parallel with one another). */
    this.consoles = consoles.map(
      ({ name: consoleName, targetVersion, ...consoleArgs }) =>
        new AppVServer(
          `${name}-${consoleName}`,
          {
            ...consoleArgs,
            targetVersion: targetVersion ?? args.targetVersion,
            ...common,
            upgradeAfter: this.servers.map((s) => s.installedVersion),
          },
          { parent: this },
        ),
    );

    this.completion = new AppVFarmCompletion(
      `${name}-completion`,
      {
        farmName: name,
        targetVersion: args.targetVersion,
        servers: members,
        upgradeAfter: [...this.servers, ...this.consoles].map((s) => s.installedVersion),
        maintenanceWindow: args.maintenanceWindow,
        timeScale: args.timeScale,
      },
      { parent: this },
    );
    this.registerOutputs({});
  }
}
