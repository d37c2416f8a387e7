/**
 * One simulated host put together: its state in the world, its SSH front, its faults and its audit log. Runs each
 * request: applies connection faults (drop before/during/after, hang, latency), runs the handler, answers with the
 * result or error line, and audits the call with secrets redacted.
 */
import { type AuditEntry, collectSecrets, redact } from "./audit";
import { type Fault, FaultSet } from "./faults";
import { type Durations, runOperation } from "./handlers";
import { loadScriptParser } from "./powershell";
import { type Request, errorLine, resultLine, scriptParseError } from "./protocol";
import { type ExecIO, type SshAccount, SshFront, publicKeyInfo } from "./sshServer";
import type { HostState, World } from "./state";

/** Shared between hosts: the lab-wide audit sequence. */
export interface LabShared {
  readonly world: World;
  readonly durations: Durations;
  nextSeq(): number;
  isLabPort(port: number): boolean;
}

/** A running simulated host. */
export class LabHost {
  readonly faults = new FaultSet();
  readonly audit: AuditEntry[] = [];
  readonly front: SshFront;
  /** Operations running now, and the most that ever ran at once (each exec from its request to its answer). */
  operationsInFlight = 0;
  peakOperationsInFlight = 0;
  private readonly originalKeys: readonly string[];
  private currentKeys: readonly string[];

  constructor(
    readonly state: HostState,
    readonly accounts: SshAccount[],
    hostKeys: readonly string[],
    private readonly shared: LabShared,
    private readonly newHostKeys: () => string[],
    maxSessions?: number,
  ) {
    this.originalKeys = hostKeys;
    this.currentKeys = hostKeys;
    this.front = new SshFront({
      hostName: state.name,
      hostKeys,
      maxSessions,
      accounts: () => this.accounts,
      refuseAuth: () => this.faults.takeRefuseAuth(),
      stall: () => this.faults.takeStall(),
      isLabPort: (p) => shared.isLabPort(p),
      onRequest: (account, request, io) => void this.track(this.handle(account, request, io)),
    });
  }

  /** Public host key line and fingerprint currently served: the ed25519 key, and every key with its type. */
  hostKeyInfo(): { hostKey: string; fingerprint: string; hostKeys: { type: string; hostKey: string; fingerprint: string }[] } {
    const all = this.currentKeys.map((k) => {
      const info = publicKeyInfo(k);
      return { type: info.hostKey.split(" ")[0], ...info };
    });
    return { hostKey: all[0].hostKey, fingerprint: all[0].fingerprint, hostKeys: all };
  }

  /** Arms a fault (a host-key change takes effect at once: the host was re-keyed, every key type is new). */
  inject(fault: Fault): void {
    this.faults.add(fault);
    if (fault.kind === "host-key-change") {
      this.currentKeys = this.newHostKeys();
      this.front.setHostKeys(this.currentKeys);
    }
  }

  /** Disarms every fault and restores the original host keys. */
  clearFaults(): void {
    this.faults.clear();
    if (this.currentKeys !== this.originalKeys) {
      this.currentKeys = this.originalKeys;
      this.front.setHostKeys(this.originalKeys);
    }
  }

  /** Counts an operation in flight until its handler is done (a hung operation, which never answers, stops counting at once). */
  private track(running: Promise<void>): void {
    this.operationsInFlight++;
    this.peakOperationsInFlight = Math.max(this.peakOperationsInFlight, this.operationsInFlight);
    const done = () => {
      this.operationsInFlight--;
    };
    running.then(done, done);
  }

  private async handle(account: SshAccount, request: Request, io: ExecIO): Promise<void> {
    const { world } = this.shared;
    const fired = this.faults.takeForOperation(request.operation);
    const has = (kind: string, phase?: string) =>
      fired.some((f) => f.kind === kind && (phase === undefined || (f as { phase?: string }).phase === phase));
    const secrets = collectSecrets(request.params);
    const entry: AuditEntry = {
      seq: this.shared.nextSeq(),
      host: this.state.name,
      operation: request.operation,
      user: account.user,
      simTime: world.clock.nowIso(),
      realTime: new Date().toISOString(),
      params: redact(request.params, secrets),
      outcome: "running",
    };
    this.audit.push(entry);
    const end = (patch: Partial<AuditEntry>) => {
      Object.assign(entry, redact(patch, secrets), { simEndTime: world.clock.nowIso(), realEndTime: new Date().toISOString() });
    };

    if (has("drop", "before")) {
      end({ outcome: "not-run", fault: "drop-before" });
      io.drop();
      return;
    }
    if (has("hang")) {
      // Never answers; the operation does not run.
      end({ outcome: "not-run", fault: "hang" });
      return;
    }
    for (const f of fired) {
      if (f.kind === "latency") await new Promise((r) => setTimeout(r, f.ms));
    }
    // The bootstrap turns the script into a script block before anything of the operation runs (issue 15).
    const refused = await bootstrapRefusal(this.state.powershellVersion, request.script);
    if (refused) {
      end({ outcome: "not-run", error: refused });
      io.line(errorLine(refused));
      io.exit(1);
      return;
    }
    const dropAfter = has("drop", "after");
    let dropDuring = has("drop", "during");
    try {
      const result = await runOperation(request.operation, {
        world,
        host: this.state,
        user: { user: account.user, admin: account.admin },
        params: request.params,
        faults: fired,
        hostFaults: this.faults,
        durations: this.shared.durations,
        progress: (line) => io.line(line),
        onSessionEnd: (listener) => io.onClose(listener),
        during: () => {
          if (!dropDuring) return;
          dropDuring = false;
          entry.fault = "drop-during";
          io.drop();
        },
      });
      end({ outcome: "ok", result });
      if (dropAfter) {
        entry.fault = "drop-after";
        io.drop();
        return;
      }
      io.line(resultLine(result));
      io.exit(0);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      end({ outcome: "error", error: message });
      if (dropAfter) {
        entry.fault = "drop-after";
        io.drop();
        return;
      }
      io.line(errorLine(message));
      io.exit(1);
    }
  }
}

/**
 * Why the bootstrap fails on this host before the operation runs, or undefined. Below PowerShell 3.0 there is no
 * ConvertFrom-Json ("ConvertFrom-Json", Microsoft.PowerShell.Utility, introduced in Windows PowerShell 3.0:
 * https://learn.microsoft.com/powershell/module/microsoft.powershell.utility/convertfrom-json); otherwise a script
 * Windows PowerShell 5.1 cannot parse is refused with the parser's location (lab/protocol.ts).
 */
async function bootstrapRefusal(powershellVersion: string, script: string): Promise<string | undefined> {
  const major = Number(/^(\d+)\./.exec(powershellVersion)?.[1] ?? "5");
  if (major < 3) {
    return "The term 'ConvertFrom-Json' is not recognized as the name of a cmdlet, function, script file, or operable program.";
  }
  if (parseVerdicts.has(script)) return parseVerdicts.get(script);
  const verdict = scriptParseError(script, await loadScriptParser());
  // The same few scripts arrive again and again: parse each once (a bounded cache, the verdict is the same).
  if (parseVerdicts.size >= 512) parseVerdicts.delete(parseVerdicts.keys().next().value as string);
  parseVerdicts.set(script, verdict);
  return verdict;
}

const parseVerdicts = new Map<string, string | undefined>();
