/**
 * Run leases and owed hooks as a Windows host keeps them: JSON files under %ProgramData%\vdi-upgrade, created
 * atomically. A lease is created with `[IO.File]::Open(path, [IO.FileMode]::CreateNew, ...)`: "CreateNew: Specifies
 * that the operating system should create a new file. ... If the file already exists, an IOException exception is
 * thrown" ("FileMode Enum", https://learn.microsoft.com/dotnet/api/system.io.filemode), so of two runs creating it at
 * once exactly one wins. A lease is replaced or changed only by opening the existing file with `FileShare.None`
 * ("FileShare Enum": "None: Declines sharing of the current file. Any request to open the file ... will fail until the
 * file is closed", https://learn.microsoft.com/dotnet/api/system.io.fileshare), so a read-compare-write on it is one
 * step. Issue 19 ("a run lease on each host", "owed after-hooks") asks for both on the host itself. Pure functions over
 * a host's files; the handlers in handlers.ts call them after the operation's simulated duration, with no await
 * between the check and the write (the host's file system decides, not the caller).
 */
import { type HostState, type World, fileKey } from "./state";

/** Where the lease lives on every host. */
export const LEASE_PATH = "C:\\ProgramData\\vdi-upgrade\\run-lease.json";
/** Where owed hooks are recorded on every host. */
export const OWED_HOOKS_PATH = "C:\\ProgramData\\vdi-upgrade\\owed-hooks.json";

/** A run's lease as the file holds it. */
export interface LeaseFile {
  runId: string;
  stack: string;
  project: string;
  host: string;
  since: string;
  expires: string;
  /** The run has passed its availability guard and is taking this server out of service. */
  out: boolean;
}

/** A hook that failed and must run again, as the file holds it. */
export interface OwedHookFile {
  resource: string;
  phase: string;
  failedAt: string;
  exitCode: number;
  output: string[];
  /** The lease of the run whose hook failed. */
  lease?: Omit<LeaseFile, "out">;
}

function readJson<T>(host: HostState, path: string): T | undefined {
  const f = host.files[fileKey(path)];
  if (!f?.content) return undefined;
  return JSON.parse(f.content) as T;
}

/** The lease on a host, if any. */
export function readLease(host: HostState): LeaseFile | undefined {
  return readJson<LeaseFile>(host, LEASE_PATH);
}

/** The hooks owed on a host. */
export function readOwedHooks(host: HostState): OwedHookFile[] {
  return readJson<OwedHookFile[]>(host, OWED_HOOKS_PATH) ?? [];
}

function writeLease(world: World, host: HostState, lease: LeaseFile): void {
  world.writeTextFile(host, LEASE_PATH, JSON.stringify(lease));
}

/** What `New-RunLease` does: create the file if absent (CreateNew); renew one's own; take over the named run's. */
export function newRunLease(
  world: World,
  host: HostState,
  req: { runId: string; stack: string; project: string; minutes: number; takeOverRunId?: string },
): { taken: boolean; utcNow: string; lease: LeaseFile; previous?: LeaseFile } {
  const now = world.clock.now();
  const utcNow = new Date(now).toISOString();
  const fresh: LeaseFile = {
    runId: req.runId,
    stack: req.stack,
    project: req.project,
    host: host.computerName,
    since: utcNow,
    expires: new Date(now + req.minutes * 60_000).toISOString(),
    out: false,
  };
  const current = readLease(host);
  if (!current) {
    writeLease(world, host, fresh);
    return { taken: true, utcNow, lease: fresh };
  }
  if (current.runId === req.runId) {
    const renewed = { ...fresh, since: current.since, out: current.out };
    writeLease(world, host, renewed);
    return { taken: true, utcNow, lease: renewed };
  }
  if (req.takeOverRunId && current.runId === req.takeOverRunId) {
    writeLease(world, host, fresh);
    return { taken: true, utcNow, lease: fresh, previous: current };
  }
  return { taken: false, utcNow, lease: current };
}

/** What `Set-RunLease` does: mark one's own lease out (or not), or release it. Another run's lease is left alone. */
export function setRunLease(
  world: World,
  host: HostState,
  req: { runId: string; out?: boolean; release?: boolean },
): { ok: boolean; utcNow: string; lease: LeaseFile | null } {
  const utcNow = world.clock.nowIso();
  const current = readLease(host);
  if (!current || current.runId !== req.runId) return { ok: false, utcNow, lease: current ?? null };
  if (req.release) {
    delete host.files[fileKey(LEASE_PATH)];
    return { ok: true, utcNow, lease: null };
  }
  const next = { ...current, out: req.out ?? current.out };
  writeLease(world, host, next);
  return { ok: true, utcNow, lease: next };
}

/** What `Set-OwedHook` does: record a failed hook of a resource (replacing its earlier record) or clear it. */
export function setOwedHook(
  world: World,
  host: HostState,
  req: { resource: string; phase: string; record?: OwedHookFile | null },
): OwedHookFile[] {
  const others = readOwedHooks(host).filter((h) => !(h.resource === req.resource && h.phase === req.phase));
  const next = req.record ? [...others, req.record] : others;
  if (next.length === 0) delete host.files[fileKey(OWED_HOOKS_PATH)];
  else world.writeTextFile(host, OWED_HOOKS_PATH, JSON.stringify(next));
  return next;
}
