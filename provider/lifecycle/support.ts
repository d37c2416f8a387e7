/**
 * What the lifecycle and the product specs share: progress lines, results the engine can encode, the secrets of a
 * connection, sessions from the transport's factory, the plan as text, stable comparison, and the maintenance-window
 * verdict.
 */
import { type MaintenanceWindow, describeWindow, evaluateWindow } from "../schedule/maintenanceWindow";
import { redactText } from "../transport/redact";
import type { Session } from "../transport/session";
import { sessionFactory } from "../transport/sessions";
import { cachingSession, writingSession } from "../upgrade/factsCache";
import type { ConnectionArgs } from "../transport/connectionArgs";

/** Prints progress lines for a resource as one diagnostic (the engine shows each provider print as its own). */
export function say(resource: string, lines: string | readonly string[], secrets: readonly string[] = []): void {
  const all = typeof lines === "string" ? [lines] : lines;
  console.log(all.map((line) => `[${resource}] ${redactText(line, secrets)}`).join("\n"));
}

/** A copy without `undefined` values: the engine's protobuf encoding refuses them ("Unexpected struct type"). */
export function clean<T>(value: T): T {
  if (Array.isArray(value)) return value.map(clean) as T;
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = clean(v);
    return out as T;
  }
  return value;
}

export { connectionSecretValues } from "./descriptor";

/**
 * A session from the transport's factory (transport/sessions.ts): for planning (check, read) one that makes fewer and
 * shorter connection attempts and reads each fact once per run (upgrade/factsCache.ts); for an upgrade one that never
 * reads remembered facts and forgets its host's.
 */
export function sessionFor(connection: ConnectionArgs, planning: boolean): Session {
  const factory = sessionFactory();
  return planning ? cachingSession(factory.open(connection, "planning")) : writingSession(factory.open(connection, "changing"));
}

/** The plan as text (upgrade/steps.ts). */
export { blockedText, planLines } from "../upgrade/steps";

/** Serialises with sorted keys and without undefined values (upgrade/stable.ts). */
export { stable } from "../upgrade/stable";

/** Whether the window lets work of `budgetMinutes` start now (by the host's clock); the reason when it does not. */
export function windowVerdict(
  window: MaintenanceWindow | undefined,
  hostNow: string | undefined,
  budgetMinutes: number,
): string | undefined {
  if (!window || !hostNow) return undefined;
  const now = new Date(hostNow);
  const state = evaluateWindow(window, now);
  const next = state.nextOpen ? `; it next opens at ${state.nextOpen.toISOString()}` : "; it does not open again: change maintenanceWindow";
  if (!state.open) return `the maintenance window (${describeWindow(window)}) is closed at ${now.toISOString()} by the host's clock${next}`;
  if (state.closesAt && state.closesAt.getTime() - now.getTime() < budgetMinutes * 60_000) {
    return (
      `the maintenance window (${describeWindow(window)}) closes at ${state.closesAt.toISOString()}, less than the ` +
      `${budgetMinutes}-minute time budget after ${now.toISOString()} (host clock); the work would not fit`
    );
  }
  return undefined;
}
