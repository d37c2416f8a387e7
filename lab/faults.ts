/**
 * Faults tests inject into a host. A fault fires on the calls it matches: an operation name (or any operation),
 * optionally only on the Nth matching call and/or at most N times. Pure bookkeeping; the SSH front and the
 * handlers act on what `take` returns.
 */

/** What goes wrong. */
export type FaultKind =
  /** The SSH connection drops: before the operation runs, while it runs (it completes on the host), or after it ran but before the result line. */
  | { readonly kind: "drop"; readonly phase: "before" | "during" | "after" }
  /** The host reads the request and never answers (the operation does not run). */
  | { readonly kind: "hang" }
  /** `Invoke-Installer`, `Invoke-Hook` or `Invoke-Vdmadmin` returns this exit code (an installer rolls back). */
  | { readonly kind: "exit-code"; readonly exitCode: number }
  /** Starting this service (by display name) leaves it Stopped. Matches start attempts, not operations. */
  | { readonly kind: "service-wont-start"; readonly displayName: string }
  /** The installer exits 0 but leaves the old version in place. */
  | { readonly kind: "installer-no-change" }
  /** The installer started by this call takes this many simulated seconds instead of its usual duration. */
  | { readonly kind: "slow-installer"; readonly seconds: number }
  /** The operation answers this many real milliseconds later. */
  | { readonly kind: "latency"; readonly ms: number }
  /**
   * The SSH server stops answering channel opens on the connection where a session channel is being opened, as a
   * hung sshd does: that open and every later one on the connection get no reply; channels already open go on, new
   * connections are served. Matches session channel opens.
   */
  | { readonly kind: "stall" }
  /** Every authentication attempt is refused. Matches connections. */
  | { readonly kind: "refuse-auth" }
  /** The host switches to a new host key at once (clearing the fault restores the original key). */
  | { readonly kind: "host-key-change" }
  /** `Invoke-SqlBackup` writes a backup that `RESTORE VERIFYONLY` rejects. */
  | { readonly kind: "backup-invalid" }
  /**
   * `Set-PairingPassword` records the password as already expired, as a Connection Server not in UTC does
   * (docs/sources.md#horizon-pairing-and-ipsec: pae-SecurityServerPairingPasswordLastChangedTime written wrongly).
   */
  | { readonly kind: "pairing-expired" }
  /** `Set-PairingPassword` is refused by the Connection Server (the password is rejected). */
  | { readonly kind: "pairing-refused" }
  /**
   * The operator's hook of this phase ("before" or "after") exits with `exitCode` (default 1): a load balancer that
   * refuses to take the server back, a smoke test that fails. With `times`, it fails that many runs and then succeeds
   * (issue 19, "hooks whose success or failure is scripted"). Matches `Invoke-Hook` calls of that phase only.
   */
  | { readonly kind: "hook-fails"; readonly phase: string; readonly exitCode?: number };

/** A fault and when it fires. */
export type Fault = FaultKind & {
  /** Operation name it applies to (e.g. "Invoke-Installer"); default: every operation. */
  readonly operation?: string;
  /** Fire only on the Nth matching call (1-based); default: every matching call. */
  readonly nth?: number;
  /** Fire at most this many times; default: unlimited. */
  readonly times?: number;
};

/** The kinds that are consulted per operation call. */
const OPERATION_KINDS = new Set([
  "drop",
  "hang",
  "exit-code",
  "installer-no-change",
  "slow-installer",
  "latency",
  "backup-invalid",
  "pairing-expired",
  "pairing-refused",
]);

interface ArmedFault {
  readonly fault: Fault;
  seen: number;
  fired: number;
}

/** The faults armed on one host. */
export class FaultSet {
  private armed: ArmedFault[] = [];

  /** Arms a fault. */
  add(fault: Fault): void {
    if (fault.nth !== undefined && !(Number.isInteger(fault.nth) && fault.nth >= 1)) {
      throw new Error(`[nth] must be a whole number from 1; got ${fault.nth}.`);
    }
    if (fault.times !== undefined && !(Number.isInteger(fault.times) && fault.times >= 1)) {
      throw new Error(`[times] must be a whole number from 1; got ${fault.times}.`);
    }
    this.armed.push({ fault, seen: 0, fired: 0 });
  }

  /** Disarms every fault. */
  clear(): void {
    this.armed = [];
  }

  /** Faults currently armed. */
  list(): Fault[] {
    return this.armed.map((a) => a.fault);
  }

  /** Whether any armed fault has this kind (no counting). */
  has(kind: FaultKind["kind"]): boolean {
    return this.armed.some((a) => a.fault.kind === kind);
  }

  /** Counts one operation call and returns the operation-level faults that fire on it. */
  takeForOperation(operation: string): FaultKind[] {
    return this.take((f) => OPERATION_KINDS.has(f.kind) && (f.operation === undefined || f.operation === operation));
  }

  /** Counts one connection and returns whether authentication must be refused. */
  takeRefuseAuth(): boolean {
    return this.take((f) => f.kind === "refuse-auth").length > 0;
  }

  /** Counts one session channel open and returns whether the connection must stall. */
  takeStall(): boolean {
    return this.take((f) => f.kind === "stall").length > 0;
  }

  /** Counts one attempt to start a service; true when it must stay stopped. */
  takeServiceWontStart(displayName: string): boolean {
    return this.take((f) => f.kind === "service-wont-start" && f.displayName.toLowerCase() === displayName.toLowerCase()).length > 0;
  }

  /** Counts one hook run of `phase`; the exit code it must return, or undefined when it succeeds. */
  takeHookFails(phase: string): number | undefined {
    const fired = this.take((f) => f.kind === "hook-fails" && f.phase.toLowerCase() === phase.toLowerCase());
    const f = fired[0] as Extract<FaultKind, { kind: "hook-fails" }> | undefined;
    return f ? (f.exitCode ?? 1) : undefined;
  }

  private take(match: (f: Fault) => boolean): FaultKind[] {
    const fired: FaultKind[] = [];
    for (const a of this.armed) {
      if (!match(a.fault)) continue;
      a.seen++;
      if (a.fault.nth !== undefined && a.seen !== a.fault.nth) continue;
      if (a.fault.times !== undefined && a.fired >= a.fault.times) continue;
      a.fired++;
      fired.push(a.fault);
    }
    return fired;
  }
}
