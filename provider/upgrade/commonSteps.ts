/**
 * The steps every product's procedure ends with, done the same way for Horizon and App-V: run the installer (outside
 * the SSH session, re-attaching to one still running) and judge its exit code, get the product's service running, and
 * verify the Uninstall registry shows the target.
 */
import {
  type InstallerRun,
  type InstallerRunRecord,
  getInstalledProduct,
  getInstallerRun,
  getServiceState,
  setServiceState,
  startInstaller,
} from "../operations";
import type { Session } from "../transport/session";
import type { HostFacts, VersionScheme } from "./hostFacts";
import type { Plan, StepName } from "./steps";

/** Receives the host's output lines. */
export type LineSink = (line: string) => void;

/** How one product's installer is run. */
export interface InstallRequest {
  readonly path: string;
  /** Arguments; `{{secret:NAME}}` is filled in on the host. */
  readonly argumentTemplate: string;
  readonly logPath: string;
  readonly secrets?: Record<string, string>;
  /** Key of the host's run record, one per product ("horizon-connection-server", "appv-server"). */
  readonly product: string;
  /** Version the installer installs (kept in the run record). */
  readonly target: string;
  /** Host-clock seconds per real second. */
  readonly scale: number;
  /** Real milliseconds left of the time budget. */
  readonly remainingMs: () => number;
  /** Operator replacement of the Start-Installer body (`overrides.startInstallerScript`). */
  readonly startScript?: string;
  /** How messages name the file ("installer", "setup"). */
  readonly noun: string;
}

/** Longest real time one call waits on the host before answering, so a dead connection is noticed within it. */
const MAX_WAIT_REAL_SECONDS = 120;

/**
 * Runs the installer outside the SSH session and waits for it within the time budget: `Start-Installer` starts it (or
 * finds the one its run record says still runs, and starts nothing), then `Get-InstallerRun` waits until it ends. Exit 0
 * and 3010 succeed (3010 is reported: nothing here reboots); anything else throws with the log's tail. When the budget
 * runs out first, waiting stops and the installer keeps running: the error names its PID and log and what the next
 * `up` does (it finds the run record and waits again, never starting a second one).
 */
export async function runInstaller(session: Session, host: string, req: InstallRequest, onLine: LineSink): Promise<void> {
  const waitSeconds = () =>
    Math.max(0, Math.min(Math.floor((req.remainingMs() / 1000) * req.scale), MAX_WAIT_REAL_SECONDS * req.scale, 86_400));
  const deadlineSeconds = (wait: number) => wait / req.scale + 60;
  const first = waitSeconds();
  const start = await startInstaller(
    session,
    {
      product: req.product,
      target: req.target,
      path: req.path,
      argumentTemplate: req.argumentTemplate,
      logPath: req.logPath,
      waitSeconds: first,
      secrets: req.secrets,
    },
    { onLine, body: req.startScript, deadlineSeconds: deadlineSeconds(first) },
  );
  const { started, previous } = start.result;
  let run: InstallerRun = start.result;
  const record = run.record;
  if (!record)
    throw new Error(
      `Start-Installer on ${host} returned no run record for ${req.product}; an override of its body must return the record it wrote`,
    );
  if (!started) {
    onLine(
      `an installer started at ${record.startedUtc} (PID ${record.pid}) was still running: waiting for it instead of starting a second one`,
    );
  } else if (previous?.record && previous.exitCode !== 0 && previous.exitCode !== 3010) {
    const how = previous.exitCode === null ? "without recording an exit code" : `with exit code ${previous.exitCode}`;
    onLine(
      `the previous run, started at ${previous.record.startedUtc} (PID ${previous.record.pid}), ended ${how}; started the ${req.noun} again`,
    );
  }
  while (run.running) {
    const wait = waitSeconds();
    if (wait <= 0) {
      throw new Error(
        `the time budget ran out while the ${req.noun} was still running on ${host} (PID ${record.pid}, started at ${record.startedUtc} by the host's clock, ` +
          `log ${record.logPath}); it was left running, since stopping an installer half-way leaves the product broken. ` +
          `The next \`pulumi up\` finds its run record and waits for it while it runs, never starting a second one, or reads how it ended`,
      );
    }
    run = (await getInstallerRun(session, { product: req.product, waitSeconds: wait }, { onLine, deadlineSeconds: deadlineSeconds(wait) }))
      .result;
  }
  judgeInstallerRun(host, { ...run, record }, req.noun, onLine);
}

/** Judges a finished run: exit 0 and 3010 succeed, anything else throws naming the exit code and the log's tail. */
export function judgeInstallerRun(host: string, run: InstallerRun & { record: InstallerRunRecord }, noun: string, onLine: LineSink): void {
  const { exitCode, record } = run;
  if (exitCode === null) {
    throw new Error(
      `the ${noun} started at ${record.startedUtc} (PID ${record.pid}) on ${host} ended without recording an exit code (was the host restarted?); ` +
        `read ${record.logPath} on the host`,
    );
  }
  if (exitCode === 1618) {
    throw new Error(
      `the ${noun} exited with 1618 (ERROR_INSTALL_ALREADY_RUNNING): another installation is in progress on ${host}; ` +
        `let it finish, then run \`pulumi up\` again; the log ${record.logPath} ends: ${run.logTail.slice(-2).join(" | ")}`,
    );
  }
  if (exitCode !== 0 && exitCode !== 3010) {
    throw new Error(`the ${noun} exited with ${exitCode}; the log ${record.logPath} on ${host} ends: ${run.logTail.slice(-4).join(" | ")}`);
  }
  if (exitCode === 3010) onLine(`the ${noun} asks for a reboot (exit 3010); vdi-upgrade does not reboot: schedule one`);
}

/** Steps that change the host before the installer; skipped while an installer started earlier still runs. */
const BEFORE_INSTALL: ReadonlySet<StepName> = new Set([
  "hook-before",
  "set-pairing-password",
  "prepare-ipsec",
  "stop-services",
  "backup-database",
  "verify-backup",
]);

/**
 * The plan while the host's run record names an installer still running (a connection lost, an `up` cancelled or a
 * provider killed while it ran): the steps that prepare an install already ran for it and are skipped, and the
 * install step waits for that installer instead of starting one. Any other plan is returned as it is.
 */
export function whileInstallerRuns(plan: Plan, facts: HostFacts): Plan {
  const run = facts.installerRun;
  const installAt = plan.steps.findIndex((s) => s.name === "install");
  if (!run || installAt < 0) return plan;
  const steps = plan.steps
    .filter((s, i) => i > installAt || !BEFORE_INSTALL.has(s.name))
    .map((s) =>
      s.name === "install"
        ? {
            ...s,
            detail: `an installer started at ${run.startedUtc} is still running on ${s.host} (PID ${run.pid}, log ${run.logPath}): wait for it; no second one is started`,
          }
        : s,
    );
  return { ...plan, steps };
}

/**
 * Starts the service matching `pattern` (resolved on the host: display names differ between versions) and waits for it.
 * `scale` is host-clock seconds per real second, for the deadline.
 */
export async function ensureServiceRunning(
  session: Session,
  host: string,
  pattern: string,
  timeoutSeconds: number,
  scale: number,
  onLine: LineSink,
): Promise<{ status: string; displayName: string }> {
  const found = (await getServiceState(session, { displayNames: [pattern] })).result.services[0];
  if (!found) throw new Error(`no service matching "${pattern}" exists on ${host}; set overrides.serviceDisplayName`);
  const r = (
    await setServiceState(
      session,
      { displayName: found.displayName, state: "Running", timeoutSeconds },
      { onLine, deadlineSeconds: timeoutSeconds / scale + 60 },
    )
  ).result;
  return { status: r.status, displayName: r.displayName };
}

/** Verifies the Uninstall registry shows `target`; returns the version found, or throws naming what the host runs. */
export async function verifyInstalledVersion<V>(
  session: Session,
  host: string,
  opts: { patterns: readonly string[]; target: string; scheme: VersionScheme<V>; product: string; noun: string; logPath: string },
): Promise<string> {
  const products = (await getInstalledProduct(session, { displayNameLike: [...opts.patterns] })).result.products;
  const target = opts.scheme.parse(opts.target)!;
  const version = products
    .map((p) => p.displayVersion)
    .find((v) => {
      const parsed = opts.scheme.parse(v);
      return parsed !== undefined && opts.scheme.compare(parsed, target) === 0;
    });
  if (!version) {
    const runs = products.map((p) => p.displayVersion).join(", ") || `no ${opts.product} version`;
    throw new Error(`the ${opts.noun} reported success but ${host} runs ${runs}, not ${opts.target}; read ${opts.logPath} on the host`);
  }
  return version;
}
