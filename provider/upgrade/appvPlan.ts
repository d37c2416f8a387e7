/**
 * Planning an App-V 4.x upgrade ("How to Upgrade the Servers and System Components"): a pure function of what the hosts run now (facts read over
 * SSH) and what the program declares.
 *
 * - The farm plan (`planAppVFarm`): while any server is below the target and the database schema is not upgraded yet,
 *   every App-V service of the farm is stopped ("all those servers must be taken offline while the database is being
 *   upgraded") and a full backup of the database is taken and verified, unless the operator waived it.
 * - The server plan (`planAppVServer`): preflight, the setup, the service, the version. The first server upgraded
 *   upgrades the schema.
 * - The completion plan (`planAppVFarmCompletion`): once every server runs the target, any service still stopped is
 *   started. Each server's own service already started after its own setup ("How to Upgrade the Servers and System Components": "services will be restarted
 *   automatically on each computer after it has been upgraded").
 * Every step is idempotent and the plans are recomputed from live facts each run, so a second `up` finds nothing to
 * do and an `up` after a failure resumes where the hosts really are.
 */
import type { HostFacts } from "./hostFacts";
import { preflightBlock } from "./preflight";
import type { AppVRole } from "../products/appv";
import { compareAppVVersions, formatAppVVersion, parseAppVVersion } from "../versions/appv";
import { evaluateUpgradeRules, ruleBlock } from "../versions/rules";
import type { Blocked, Plan, PlannedStep } from "./steps";
import { type MaintenanceWindow, describeWindow, evaluateWindow } from "../schedule/maintenanceWindow";

/**
 * What was read from one App-V host: the same facts as any product's, and for a Management Web Service the IIS
 * application pool that serves it (`serviceStatus` then says whether IIS runs and the pool is started).
 */
export type AppVHostFacts = HostFacts & { appPool?: string };

/** A farm member's facts with its name in the program and its role. */
export interface AppVMemberFacts extends AppVHostFacts {
  /** The server's name in the farm (the program's name for it). */
  name: string;
  role: AppVRole;
  /** The service pattern, for messages when the service was not found. */
  service: string;
  /** App-V clients connected now (`Get-ClientSessions`), when read; or why they could not be. */
  clientSessions?: { remotes: string[] } | { error: string };
}

/** What was read about the farm's configuration database. */
export interface AppVDatabaseFacts {
  /** `SQL1/APPVIRT`, for messages. */
  label: string;
  reachable: boolean;
  /** The schema version, when it could be read (Get-AppVDatabase; UNCONFIRMED where 4.x records it). */
  schemaVersion?: string;
  /** Why it could not be read. */
  error?: string;
}

/** The declared side of one server's upgrade. */
export interface AppVServerIntent {
  targetVersion: string;
  installerPath: string;
  installerSha256: string;
  /** The service pattern, for messages. */
  service: string;
  /** False for a Management Console host: no service to wait for or start. @default true */
  hasService?: boolean;
}

/** The declared side of the farm's preparation. */
export interface AppVFarmIntent {
  targetVersion: string;
  /** Where the backup goes on the SQL Server; undefined when the operator waived the backup. */
  backupPath?: string;
  /** The operator's reason for going on without a backup. */
  waivedReason?: string;
  /** The SQL Server host, for step lines. */
  sqlHost: string;
  /** Each server's declared setup, by name: a server that could not run it blocks the farm before anything stops. */
  installers?: Readonly<Record<string, { path: string; sha256: string }>>;
  /**
   * Whether the database administrative credentials the schema upgrade needs would be accepted (a read-only login at
   * planning time); undefined when not checked (the SQL Server could not be read).
   */
  adminLogin?: { ok: boolean; property: string; reason?: string };
  /**
   * Who holds sessions on the database besides the declared servers (read live), or why that could not be read;
   * undefined when not read.
   */
  databaseClients?: { undeclared: { hostName: string; programName: string }[] } | { error: string };
  /**
   * What to do about users still connected ("How to Upgrade the Servers and System Components": "User sessions should be shut down before you begin"): wait up
   * to `drainMinutes` for them to end, then refuse, or stop anyway when `proceed`.
   */
  userSessions?: { drainMinutes: number; proceed: boolean };
}

function parsed(text: string) {
  return parseAppVVersion(text);
}

/** Whether `live` is below `target` (both parseable). */
export function isBelow(live: string | undefined, target: string): boolean {
  const l = live ? parsed(live) : undefined;
  const t = parsed(target);
  return !!l && !!t && compareAppVVersions(l, t) < 0;
}

/** Facts that stop any work on a host. */
function hostBlock(facts: AppVHostFacts): Blocked | undefined {
  if (!facts.reachable)
    return { code: "host-unreachable", reason: `${facts.host} could not be reached: ${facts.unreachableReason ?? "no answer"}` };
  if (!facts.liveVersion) {
    return {
      code: "not-installed",
      reason:
        `no App-V server product is installed on ${facts.host}; this resource upgrades an existing installation and never installs ` +
        "from scratch (if the product is installed under another DisplayName, set overrides.productDisplayNames)",
    };
  }
  if (!parsed(facts.liveVersion)) {
    return {
      code: "live-version-unparseable",
      reason: `${facts.host} reports App-V version "${facts.liveVersion}", which is not an App-V version`,
    };
  }
  return undefined;
}

/**
 * The first upgrade-path rule (provider/versions/rules.ts) the server's live version breaks, as a refusal with the
 * rule's code: a downgrade (of a release or a service pack), or a source the vendor does not upgrade from.
 */
function downgradeOrPath(facts: AppVHostFacts, target: string): Blocked | undefined {
  const [first] = evaluateUpgradeRules({ product: "appv", target, live: facts.liveVersion }, ["live"]);
  return first ? ruleBlock(first, facts.host) : undefined;
}

/** One server's procedure: preflight, the setup (which stops and restarts its services), the service, the version. */
export function planAppVServer(facts: AppVHostFacts, intent: AppVServerIntent): Plan {
  const block = hostBlock(facts) ?? downgradeOrPath(facts, intent.targetVersion);
  if (block) return { steps: [], blocked: block };
  const host = facts.host;
  const service = facts.serviceDisplayName ?? intent.service;
  if (!isBelow(facts.liveVersion, intent.targetVersion)) {
    return facts.serviceStatus === "Running" || intent.hasService === false
      ? { steps: [] }
      : { steps: [{ name: "start-service", host, detail: `start "${service}" (it is ${facts.serviceStatus ?? "not running"})` }] };
  }
  const steps: PlannedStep[] = [
    { name: "preflight", host, detail: "check administrator rights, the setup's SHA-256, the maintenance window and the time budget" },
    {
      name: "install",
      host,
      detail: `run ${intent.installerPath} silently: ${formatAppVVersion(parsed(facts.liveVersion!)!)} -> ${intent.targetVersion}`,
    },
    ...(intent.hasService === false ? [] : [{ name: "wait-service" as const, host, detail: `wait for "${service}" to run` }]),
    { name: "verify-version", host, detail: `verify the installed version is ${intent.targetVersion}` },
  ];
  const pre = preflightBlock(facts, intent, "setup");
  return pre ? { steps, blocked: pre } : { steps };
}

/**
 * Whether the farm's schema is upgraded to the target: from the schema version when it could be read, otherwise from
 * the servers (a database member already at the target means its setup upgraded the schema; streaming servers do not
 * use the database).
 */
export function schemaUpgraded(members: readonly AppVMemberFacts[], database: AppVDatabaseFacts, target: string): boolean {
  if (database.schemaVersion && parsed(database.schemaVersion)) return !isBelow(database.schemaVersion, target);
  return members.some(
    (m) =>
      m.role !== "streaming" &&
      m.reachable &&
      m.liveVersion !== undefined &&
      parsed(m.liveVersion) !== undefined &&
      !isBelow(m.liveVersion, target),
  );
}

/**
 * The farm's preparation ("How to Upgrade the Servers and System Components", notes 1 and 2): nothing when every server runs the target. Otherwise, while the
 * schema is not upgraded: stop every running App-V service of the farm, then back up the database and verify the
 * backup (unless waived). Once the schema is upgraded (an earlier run upgraded the first server): stop only the
 * services of servers still below the target, which cannot serve the upgraded schema; no new backup.
 */
export function planAppVFarm(members: readonly AppVMemberFacts[], database: AppVDatabaseFacts, intent: AppVFarmIntent): Plan {
  const unreachable = members.filter((m) => !m.reachable);
  if (unreachable.length > 0) {
    return {
      steps: [],
      blocked: {
        code: "host-unreachable",
        reason: `${unreachable.map((m) => `${m.name} (${m.unreachableReason ?? "no answer"})`).join(", ")} could not be reached; every server sharing the database must be stopped before the schema upgrade`,
      },
    };
  }
  const missing = members.filter((m) => !m.liveVersion || !parsed(m.liveVersion));
  if (missing.length > 0) {
    return {
      steps: [],
      blocked: {
        code: "not-installed",
        reason: `no App-V server version could be read on ${missing.map((m) => m.name).join(", ")}; set overrides.productDisplayNames if the product is installed under another DisplayName`,
      },
    };
  }
  const below = members.filter((m) => isBelow(m.liveVersion, intent.targetVersion));
  if (below.length === 0) return { steps: [] };
  // A server sharing the database whose App-V service cannot be found cannot be taken offline ("How to Upgrade the Servers and System Components").
  const noService = members.filter((m) => m.role !== "streaming" && m.serviceStatus === "missing");
  if (noService.length > 0) {
    return {
      steps: [],
      blocked: {
        code: "service-not-found",
        reason: `no App-V service was found on ${noService.map((m) => `${m.name} (${m.serviceDisplayName ?? m.service})`).join(", ")}, so it cannot be taken offline for the schema upgrade; set overrides.serviceDisplayName (or overrides.webApplicationPath for a Management Web Service)`,
      },
    };
  }

  // Every server below the target must be able to run its setup before any service is stopped: a farm left offline
  // because the third server's setup is missing is worse than a farm not started.
  const notReady = below.flatMap((m) => {
    const installer = intent.installers?.[m.name];
    if (!installer) return [];
    const block = preflightBlock(m, { installerPath: installer.path, installerSha256: installer.sha256 }, "setup");
    return block ? [`${m.name}: ${block.reason}`] : [];
  });

  const upgraded = schemaUpgraded(members, database, intent.targetVersion);
  const toStop = members.filter(
    (m) =>
      (upgraded ? isBelow(m.liveVersion, intent.targetVersion) : true) && m.serviceStatus !== "Stopped" && m.serviceStatus !== "missing",
  );
  // Users first ("How to Upgrade the Servers and System Components" note 1): every server about to be stopped waits for its clients before any service stops.
  const drains: PlannedStep[] = toStop.flatMap((m): PlannedStep[] => {
    const c = m.clientSessions;
    if (!c || !("remotes" in c) || c.remotes.length === 0) return [];
    const u = intent.userSessions ?? { drainMinutes: 15, proceed: false };
    return [
      {
        name: "drain-sessions",
        host: m.host,
        detail:
          `wait up to ${u.drainMinutes} min for ${c.remotes.length} client connection(s) on ${m.name} to end (${c.remotes.slice(0, 5).join(", ")}${c.remotes.length > 5 ? ", ..." : ""}); ` +
          (u.proceed ? "then stop anyway (userSessions.proceed)" : "then refuse, stopping nothing"),
      },
    ];
  });
  const steps: PlannedStep[] = [
    ...drains,
    ...toStop.map((m): PlannedStep => ({
      name: "stop-services",
      host: m.host,
      detail: `stop "${m.serviceDisplayName ?? m.service}" on ${m.name} (it is ${m.serviceStatus ?? "unknown"}): ${upgraded ? "it cannot serve the upgraded schema" : "every server sharing the database goes offline before the schema upgrade"}`,
    })),
  ];
  if (!upgraded && intent.backupPath) {
    steps.push({
      name: "backup-database",
      host: intent.sqlHost,
      detail: `full backup of ${database.label} to ${intent.backupPath} on ${intent.sqlHost} (BACKUP DATABASE ... WITH INIT)`,
    });
    steps.push({
      name: "verify-backup",
      host: intent.sqlHost,
      detail: `verify ${intent.backupPath} (RESTORE VERIFYONLY) before any server is upgraded`,
    });
  }
  if (notReady.length > 0) {
    return {
      steps,
      blocked: { code: "server-not-ready", reason: `not every server can be upgraded, so no service is stopped: ${notReady.join("; ")}` },
    };
  }
  // "How to Upgrade the Servers and System Components" step 7: the schema upgrade needs the database administrative credentials; credentials SQL refuses would
  // fail the first setup after every service is stopped.
  if (!upgraded && intent.adminLogin && !intent.adminLogin.ok) {
    return {
      steps,
      blocked: {
        code: "database-credentials",
        reason: `[${intent.adminLogin.property}] ${intent.adminLogin.reason}; no service is stopped`,
      },
    };
  }
  // Without a backup nothing is done on the database, so an unreachable SQL Server blocks only a run that backs up.
  if (!upgraded && intent.backupPath && !database.reachable) {
    return {
      steps,
      blocked: {
        code: "database-unreachable",
        reason: `the database ${database.label} could not be read: ${database.error ?? "no answer"}; the backup cannot be taken`,
      },
    };
  }
  // "How to Upgrade the Servers and System Components": "all those servers must be taken offline while the database is being upgraded": a server on the database
  // that the program does not declare would stay online through the schema upgrade.
  const clients = intent.databaseClients;
  if (!upgraded && clients && "error" in clients) {
    return {
      steps,
      blocked: {
        code: "database-sessions-unreadable",
        reason: `[database] the sessions on ${database.label} could not be read, so servers sharing it that are not declared cannot be ruled out: ${clients.error}; no service is stopped`,
      },
    };
  }
  if (!upgraded && clients && "undeclared" in clients && clients.undeclared.length > 0) {
    const hosts = clients.undeclared.map((c) => `${c.hostName} (${c.programName || "unknown program"})`).join(", ");
    return {
      steps,
      blocked: {
        code: "undeclared-server",
        reason:
          `[servers] ${hosts} ${clients.undeclared.length === 1 ? "holds a session" : "hold sessions"} on ${database.label} but ${clients.undeclared.length === 1 ? "is" : "are"} not a server of this farm: ` +
          "every server sharing the database must be taken offline before the schema upgrade; add it to servers, or list it in database.otherClients if it is not an App-V server; no service is stopped",
      },
    };
  }
  return { steps };
}

/** The farm's time budget: what the whole rollout, from the preparation to the last server, is allowed to take. */
export interface FarmBudget {
  minutes: number;
  /** How it was reached, for messages: "3 servers below the target, 240 minutes each". */
  basis: string;
}

/**
 * The farm's budget (issue 14): the declared `farmTimeBudgetMinutes`, or the sum of the budgets of the servers still
 * below the target. Once the preparation stops the farm, stopping half-way leaves it down ("How to Upgrade the Servers and System Components": "all those servers
 * must be taken offline while the database is being upgraded"), so the window must hold all of it, not one server.
 */
export function farmBudget(
  members: readonly AppVMemberFacts[],
  target: string,
  perServerMinutes: number,
  declaredMinutes?: number,
): FarmBudget {
  if (declaredMinutes !== undefined) return { minutes: declaredMinutes, basis: "farmTimeBudgetMinutes" };
  const below = members.filter((m) => isBelow(m.liveVersion, target)).length;
  return {
    minutes: below * perServerMinutes,
    basis: `${below} server${below === 1 ? "" : "s"} below the target, ${perServerMinutes} minutes each`,
  };
}

/** The server whose setup upgrades the schema: the first database member (not a streaming server) below the target. */
export function schemaServerOf(members: readonly AppVMemberFacts[], target: string): AppVMemberFacts | undefined {
  return members.find((m) => m.role !== "streaming" && isBelow(m.liveVersion, target));
}

/**
 * Whether the window holds the whole farm from `hostNow` (the host's clock): `refusal` when it is closed or closes before
 * the farm's budget is spent, otherwise `fits` (a line for preview), or neither when no window is declared.
 */
export function farmWindowVerdict(
  window: MaintenanceWindow | undefined,
  hostNow: string | undefined,
  budget: FarmBudget,
): { refusal?: string; fits?: string } {
  if (!window || !hostNow) return {};
  const now = new Date(hostNow);
  const state = evaluateWindow(window, now);
  const desc = `the maintenance window (${describeWindow(window)})`;
  const budgetText = `the ${budget.minutes}-minute time budget of the farm (${budget.basis})`;
  if (!state.open) {
    const next = state.nextOpen
      ? `; it next opens at ${state.nextOpen.toISOString()}`
      : "; it does not open again: change maintenanceWindow";
    return { refusal: `${desc} is closed at ${now.toISOString()} by the host's clock${next}` };
  }
  if (state.closesAt && state.closesAt.getTime() - now.getTime() < budget.minutes * 60_000) {
    return {
      refusal:
        `${desc} closes at ${state.closesAt.toISOString()}, less than ${budgetText} after ${now.toISOString()} (host clock): the farm would not fit, ` +
        "and once the schema is upgraded stopping half-way leaves the farm down; start in a longer window, or lower timeBudgetMinutes or set farmTimeBudgetMinutes if the farm is faster",
    };
  }
  return {
    fits: `${desc} closes at ${state.closesAt ? state.closesAt.toISOString() : "never"}: the farm's ${budget.minutes}-minute budget fits (${budget.basis})`,
  };
}

/** The lines preview shows for the farm's order of servers: who upgrades the schema and who follows. */
export function describeFarmOrder(
  members: readonly AppVMemberFacts[],
  database: AppVDatabaseFacts,
  target: string,
  parallelAfterFirst: boolean,
): string[] {
  const below = members.filter((m) => isBelow(m.liveVersion, target));
  if (below.length === 0) return [];
  const upgraded = schemaUpgraded(members, database, target);
  const firstMember = below.find((m) => m.role !== "streaming");
  return below.map((m, i) => {
    const from = formatAppVVersion(parsed(m.liveVersion!)!);
    const note = !upgraded && m === firstMember ? " (upgrades the database schema)" : "";
    const when = i === 0 ? "first" : parallelAfterFirst ? `after ${below[0].name}, in parallel` : `after ${below[i - 1].name}`;
    return `${m.name} ${m.role}: ${from} -> ${target}${note}, ${when}`;
  });
}

/**
 * The farm's completion ("How to Upgrade the Servers and System Components", last note: "After upgrading the data store, you can resume normal operation"): once
 * every server runs the target, any service still stopped is started (each started after its own setup already).
 */
export function planAppVFarmCompletion(members: readonly AppVMemberFacts[], target: string): Plan {
  const steps: PlannedStep[] = members
    .filter((m) => m.reachable && m.serviceStatus !== "Running")
    .map((m) => ({
      name: "start-service",
      host: m.host,
      detail: `start "${m.serviceDisplayName ?? m.service}" on ${m.name} (it is ${m.serviceStatus ?? "unknown"})`,
    }));
  const unreachable = members.filter((m) => !m.reachable);
  if (unreachable.length > 0) {
    return { steps, blocked: { code: "host-unreachable", reason: `${unreachable.map((m) => m.name).join(", ")} could not be reached` } };
  }
  const behind = members.filter((m) => !m.liveVersion || isBelow(m.liveVersion, target));
  if (behind.length > 0) {
    const waiting: Blocked = {
      code: "servers-behind",
      reason: `${behind.map((m) => `${m.name} (${m.liveVersion ?? "unknown"})`).join(", ")} ${behind.length === 1 ? "does" : "do"} not run ${target} yet; each server's service starts after its own setup, and the completion checks every one once all are done`,
    };
    const all = members.map((m) => ({
      name: "start-service" as const,
      host: m.host,
      detail: `make sure "${m.serviceDisplayName ?? m.service}" runs on ${m.name}`,
    }));
    return { steps: all, blocked: waiting, after: `every server of the farm reaches ${target}` };
  }
  return { steps };
}
