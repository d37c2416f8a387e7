/**
 * The runs the fast tier replays, and how their transcripts are recorded from the lab (UPDATE_GOLDEN=1): the same
 * function drives the runtime entry in both, so a transcript is exactly what the provider sent and received in that
 * run. Each run is check (preview), create with check's inputs (up), then read with create's outputs (refresh).
 */
import { type Lab, startLab } from "../../lab";
import { cliLabOptions, stageAndDescribe } from "../../lab/cli";
import * as runtime from "../../provider/lifecycle/runtime";
import type { RuntimeKind } from "../../provider/lifecycle/descriptor";
import { closeAllConnections } from "../../provider/transport/pool";
import { resetFactsCache } from "../../provider/upgrade/factsCache";
import { RUN_ID } from "../../provider/upgrade/lease";
import { RUN_ID_PLACEHOLDER, type Transcript, record, saveTranscript } from "./fakeSessions";

/** The fixed credentials and host key the transcripts and the replaying tests use. */
export const PASSWORD = "S3cret-pw!";
export const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGZha2VrZXlmb3J0ZXN0c29ubHkxMjM0NTY3ODkwYWJjZGVm";

/** A connection to a host of the transcripts. */
export function fixedConnection(host: string): Record<string, unknown> {
  return { host, user: "svc", password: PASSWORD, hostKey: HOST_KEY };
}

/** A recorded run: its resource kind, its host and its inputs without the connection. */
interface GoldenRun {
  name: string;
  about: string;
  kind: Exclude<RuntimeKind, "pod-readiness">;
  host: string;
  inputs(lab: ReturnType<typeof stageAndDescribe>): Record<string, unknown>;
}

export const GOLDEN_RUNS: readonly GoldenRun[] = [
  {
    name: "cs-upgrade",
    about:
      "The first Connection Server of the lab's pod, 7.12.0 to 7.13.2 with the configuration backup: check, create (the upgrade), read.",
    kind: "connection-server",
    host: "cs1",
    inputs: (d) => ({
      resourceName: "pod1-cs1",
      role: "standard",
      targetVersion: "7.13.2",
      installer: { path: d.hosts.cs1.installers[0].path, sha256: d.hosts.cs1.installers[0].sha256 },
      configurationBackup: {},
      // The run lease names this stack and project (the resource class fills them in from the program).
      guard: { stack: "golden", project: "vdi-upgrade" },
      // A budget long enough that the installer's wait is the fixed cap, not what is left of the budget: the recorded
      // params then do not depend on how long the run took.
      timeBudgetMinutes: 1440,
      timeScale: 100,
    }),
  },
  {
    name: "appv-server-upgrade",
    about: "The lab's App-V streaming server, 4.1 SP1 to 4.5 SP2: check, create (the upgrade), read.",
    kind: "appv-server",
    host: "appv3",
    inputs: (d) => ({
      resourceName: "farm1-appv3",
      role: "streaming",
      targetVersion: "4.5 SP2",
      installer: { path: d.hosts.appv3.installers[0].path, sha256: d.hosts.appv3.installers[0].sha256 },
      // A budget long enough that the installer's wait is the fixed cap, not what is left of the budget: the recorded
      // params then do not depend on how long the run took.
      timeBudgetMinutes: 1440,
      timeScale: 100,
    }),
  },
];

/** What a run returned at each stage. */
export interface RunOutcome {
  checked: { inputs?: unknown; failures?: { property: string; reason: string }[] };
  created?: { id: string; outs: Record<string, unknown> };
  read?: { id: string; props: Record<string, unknown>; inputs?: Record<string, unknown> };
}

/** Drives one run through the runtime entry: check, create with its inputs, read with create's outputs. */
export async function drive(kind: GoldenRun["kind"], inputs: Record<string, unknown>): Promise<RunOutcome> {
  resetFactsCache();
  const checked = await runtime.check(kind, {}, inputs);
  if (checked.failures) return { checked };
  // A new provider process for up, and another for refresh: nothing read before is remembered.
  resetFactsCache();
  const created = await runtime.create(kind, checked.inputs as Record<string, unknown>);
  resetFactsCache();
  const read = await runtime.read(kind, created.id, created.outs);
  return { checked, created, read };
}

/** Records every golden run against a fresh lab and writes its transcript. */
export async function recordGoldenRuns(): Promise<void> {
  for (const run of GOLDEN_RUNS) {
    let lab: Lab | undefined;
    const log = console.log;
    try {
      lab = await startLab(cliLabOptions(1200));
      const d = stageAndDescribe(lab);
      const endpoint = d.hosts[run.host];
      const byPort = new Map(Object.entries(d.hosts).map(([name, h]) => [String(h.port), name]));
      const replace = new Map<string, string>([
        [endpoint.password ?? "", PASSWORD],
        [String(endpoint.hostKey), HOST_KEY],
        [RUN_ID, RUN_ID_PLACEHOLDER],
      ]);
      const recorder = record((c) => byPort.get(String(c.port)) ?? String(c.host), replace);
      const inputs = run.inputs(d);
      console.log = () => undefined;
      try {
        const outcome = await drive(run.kind, {
          ...inputs,
          connection: {
            host: endpoint.host,
            port: endpoint.port,
            user: endpoint.user,
            password: endpoint.password,
            hostKey: endpoint.hostKey,
          },
        });
        if (!outcome.read) throw new Error(`recording ${run.name}: check failed: ${JSON.stringify(outcome.checked.failures)}`);
      } finally {
        console.log = log;
        recorder.restore();
      }
      const t: Transcript = { about: run.about, inputs: { ...inputs, connection: fixedConnection(run.host) }, hosts: recorder.hosts };
      saveTranscript(run.name, t);
    } finally {
      console.log = log;
      closeAllConnections();
      await lab?.stop();
    }
  }
}
