/**
 * The lab's simulated clock: `now() = simEpoch + realElapsed × timeFactor (+ any manual advance)`. Every duration in
 * the lab (installers, service starts, pairing-password expiry) is in simulated seconds.
 */
export class SimClock {
  private readonly realStart = performance.now();
  private offsetMs = 0;

  /**
   * @param timeFactor simulated seconds per real second (600: a 12-minute installer takes 1.2 s).
   * @param simEpochMs simulated time at lab start, ms since 1970 (default 2024-01-08T08:00:00Z).
   */
  constructor(
    readonly timeFactor: number,
    readonly simEpochMs: number = Date.UTC(2024, 0, 8, 8, 0, 0),
  ) {
    if (!(timeFactor > 0)) throw new Error(`[timeFactor] must be a positive number; got ${timeFactor}.`);
  }

  /** Simulated now, ms since 1970. */
  now(): number {
    return this.simEpochMs + (performance.now() - this.realStart) * this.timeFactor + this.offsetMs;
  }

  /** Simulated now as ISO 8601. */
  nowIso(): string {
    return new Date(this.now()).toISOString();
  }

  /** Waits for a simulated duration. */
  sleep(simSeconds: number): Promise<void> {
    const ms = Math.max(0, (simSeconds * 1000) / this.timeFactor);
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  /** Jumps the simulated clock forward (e.g. to expire a pairing password) without waiting. */
  advance(simSeconds: number): void {
    this.offsetMs += simSeconds * 1000;
  }
}
