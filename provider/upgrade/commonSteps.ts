/**
 * The steps every product's procedure ends with, done the same way for Horizon and App-V: run the installer and judge
 * its exit code, get the product's service running, and verify the Uninstall registry shows the target.
 */
import { getInstalledProduct, getServiceState, invokeInstaller, setServiceState } from "../operations";
import type { Session } from "../transport/session";
import type { VersionScheme } from "./hostFacts";

/** Receives the host's output lines. */
export type LineSink = (line: string) => void;

/** How one product's installer is run. */
export interface InstallRequest {
  readonly path: string;
  /** Arguments; `{{secret:NAME}}` is filled in on the host. */
  readonly argumentTemplate: string;
  readonly logPath: string;
  /** Host-clock seconds the installer may take (what is left of the time budget). */
  readonly timeoutSeconds: number;
  readonly secrets?: Record<string, string>;
  /** How messages name the file ("installer", "setup"). */
  readonly noun: string;
}

/** Runs the installer; exit 0 and 3010 succeed (3010 is reported: nothing here reboots), anything else throws with the log's tail. */
export async function runInstaller(session: Session, host: string, req: InstallRequest, onLine: LineSink): Promise<void> {
  const { noun, ...params } = req;
  const r = (await invokeInstaller(session, params, { onLine })).result;
  if (r.exitCode !== 0 && r.exitCode !== 3010) {
    throw new Error(`the ${noun} exited with ${r.exitCode}; the log ${req.logPath} on ${host} ends: ${r.logTail.slice(-4).join(" | ")}`);
  }
  if (r.rebootRequired) onLine(`the ${noun} asks for a reboot (exit 3010); vdi-upgrade does not reboot: schedule one`);
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
  const r = (await setServiceState(session, { displayName: found.displayName, state: "Running", timeoutSeconds }, { onLine, deadlineSeconds: timeoutSeconds / scale + 60 }))
    .result;
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
  const version = products.map((p) => p.displayVersion).find((v) => {
    const parsed = opts.scheme.parse(v);
    return parsed !== undefined && opts.scheme.compare(parsed, target) === 0;
  });
  if (!version) {
    const runs = products.map((p) => p.displayVersion).join(", ") || `no ${opts.product} version`;
    throw new Error(`the ${opts.noun} reported success but ${host} runs ${runs}, not ${opts.target}; read ${opts.logPath} on the host`);
  }
  return version;
}
