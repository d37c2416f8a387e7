/**
 * What the provider implementations of both products share: progress lines, results the engine can encode, the
 * secrets of a connection, planning sessions, the plan as text, stable comparison, and the maintenance-window verdict.
 */
import { type MaintenanceWindow, describeWindow, evaluateWindow } from "../schedule/maintenanceWindow";
import { redactText } from "../transport/redact";
import { type Session, openSession } from "../transport/session";
import { cachingSession, writingSession } from "../upgrade/factsCache";
import type { Plan } from "../upgrade/steps";
import type { ConnectionInputs } from "./horizonInputs";

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

/** A connection's password, private key and passphrase (and its jump host's), for redaction. */
export function connectionSecretValues(c: unknown): string[] {
  const out: string[] = [];
  for (const x of [c, (c as { proxy?: unknown } | undefined)?.proxy]) {
    for (const k of ["password", "privateKey", "privateKeyPassword"]) {
      const v = (x as Record<string, unknown> | undefined)?.[k];
      if (typeof v === "string" && v.length > 0) out.push(v);
    }
  }
  return out;
}

/**
 * A session for planning (check, read): fewer and shorter connection attempts than an upgrade makes, and each fact
 * read once per run (upgrade/factsCache.ts).
 */
export function planningSession(connection: ConnectionInputs): Session {
  const limit = typeof connection.dialErrorLimit === "number" ? connection.dialErrorLimit : 10;
  const perDial = typeof connection.perDialTimeout === "number" && connection.perDialTimeout > 0 ? connection.perDialTimeout : 15;
  return cachingSession(openSession({ ...connection, dialErrorLimit: Math.min(limit, 2), perDialTimeout: Math.min(perDial, 10) }));
}

/** A planning session or a full one (which never reads remembered facts and forgets its host's). */
export function sessionFor(connection: ConnectionInputs, planning: boolean): Session {
  return planning ? planningSession(connection) : writingSession(openSession(connection));
}

/** The plan's steps as the lines preview shows: `2. install on CS1: run ...`. */
export function planLines(plan: Plan): string[] {
  return plan.steps.map((s, i) => `${i + 1}. ${s.name} on ${s.host}: ${s.detail}`);
}

/** Why the plan cannot run now, as one line, or undefined. */
export function blockedText(plan: Plan): string | undefined {
  if (!plan.blocked) return undefined;
  return plan.after ? `after ${plan.after}: ${plan.blocked.reason}` : `${plan.blocked.code}: ${plan.blocked.reason}`;
}

/** Serialises with sorted keys and without undefined values (upgrade/stable.ts). */
export { stable } from "../upgrade/stable";

/** Whether the window lets work of `budgetMinutes` start now (by the host's clock); the reason when it does not. */
export function windowVerdict(window: MaintenanceWindow | undefined, hostNow: string | undefined, budgetMinutes: number): string | undefined {
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
