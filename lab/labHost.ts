/**
 * One simulated host put together: its state in the world, its SSH front, its faults and its audit log. Runs each
 * request: applies connection faults (drop before/during/after, hang, latency), runs the handler, answers with the
 * result or error line, and audits the call with secrets redacted.
 */
import { type AuditEntry, collectSecrets, redact } from "./audit";
import { type Fault, FaultSet } from "./faults";
import { type Durations, runOperation } from "./handlers";
import { type Request, errorLine, resultLine } from "./protocol";
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
  private readonly originalKey: string;
  private currentKey: string;

  constructor(
    readonly state: HostState,
    readonly accounts: SshAccount[],
    hostKey: string,
    private readonly shared: LabShared,
    private readonly newHostKey: () => string,
  ) {
    this.originalKey = hostKey;
    this.currentKey = hostKey;
    this.front = new SshFront({
      hostName: state.name,
      hostKey,
      accounts: () => this.accounts,
      refuseAuth: () => this.faults.takeRefuseAuth(),
      isLabPort: (p) => shared.isLabPort(p),
      onRequest: (account, request, io) => void this.handle(account, request, io),
    });
  }

  /** Public host key line and fingerprint currently served. */
  hostKeyInfo(): { hostKey: string; fingerprint: string } {
    return publicKeyInfo(this.currentKey);
  }

  /** Arms a fault (a host-key change takes effect at once). */
  inject(fault: Fault): void {
    this.faults.add(fault);
    if (fault.kind === "host-key-change") {
      this.currentKey = this.newHostKey();
      this.front.setHostKey(this.currentKey);
    }
  }

  /** Disarms every fault and restores the original host key. */
  clearFaults(): void {
    this.faults.clear();
    if (this.currentKey !== this.originalKey) {
      this.currentKey = this.originalKey;
      this.front.setHostKey(this.originalKey);
    }
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
