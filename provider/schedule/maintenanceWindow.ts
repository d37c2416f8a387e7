/**
 * Maintenance windows: when an upgrade may run. A program declares either a weekly window
 * (`{ days: ["Sat"], from: "22:00", to: "04:00", utcOffset: "+01:00" }`) or a one-off window
 * (`{ start: "2026-12-05T22:00:00Z", end: "2026-12-06T04:00:00Z" }`). Windows are judged by the host's clock, which
 * the caller passes in; nothing here reads a clock or touches a host.
 */
import { shorten } from "../errors/shorten";

/** A day of the week as windows are written and described. */
export type Weekday = "Mon" | "Tue" | "Wed" | "Thu" | "Fri" | "Sat" | "Sun";

/** The days in the order descriptions list them. */
const WEEKDAYS: readonly Weekday[] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const FULL_NAMES = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/**
 * A validated window in plain JSON, so it can sit in a resource's inputs or state unchanged.
 *
 * Weekly: opens on each of `days` at `fromMinute` (minutes after midnight, local to `utcOffsetMinutes`) and closes at
 * `toMinute`, on the next day when `toMinute` is earlier than `fromMinute`. One-off: open from `startMs` until `endMs`
 * (milliseconds since the Unix epoch). Either way a window includes its opening instant and excludes its closing one.
 */
export type MaintenanceWindow =
  | {
      kind: "weekly";
      /** Distinct, in Monday-to-Sunday order. */
      days: Weekday[];
      fromMinute: number;
      toMinute: number;
      /** The fixed offset from UTC the times are written in; a fixed offset does not follow daylight saving time. */
      utcOffsetMinutes: number;
    }
  | { kind: "one-off"; startMs: number; endMs: number };

/** One problem with a declared window: the property at fault (`maintenanceWindow.from`) and how to fix it. */
export interface WindowViolation {
  property: string;
  message: string;
}

/** Whether a window is open at some instant, and when that changes. */
export interface WindowState {
  open: boolean;
  /** when open: when it closes */
  closesAt?: Date;
  /** when closed: when it next opens, undefined if never again (one-off in the past) */
  nextOpen?: Date;
}

const ROOT = "maintenanceWindow";
const WEEKLY_FIELDS = ["days", "from", "to", "utcOffset"] as const;
const ONE_OFF_FIELDS = ["start", "end"] as const;
const KNOWN_FIELDS: readonly string[] = [...WEEKLY_FIELDS, ...ONE_OFF_FIELDS];
const SHAPES =
  'a weekly window { days?, from, to, utcOffset? } such as { days: ["Sat"], from: "22:00", to: "04:00" } or a one-off window { start, end }';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const OFFSET = /^([+-])(\d{2}):(\d{2})$/;
// Date and time with seconds optional and a required offset: a local time without one would depend on the host's zone.
const ISO_WITH_OFFSET = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})$/;

/** What was received, as the user would recognise it in a message. */
function received(value: unknown): string {
  if (value === undefined) return "nothing";
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return shorten(text);
}

/** Undefined and null both mean "not set": the engine may hand over either for an omitted optional field. */
function isSet(value: unknown): boolean {
  return value !== undefined && value !== null;
}

function violation(field: string, message: string): WindowViolation {
  const property = field ? `${ROOT}.${field}` : ROOT;
  return { property, message: `[${property}] ${message}` };
}

function parseHhMm(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const m = HH_MM.exec(value);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

/** Minutes east of UTC, or undefined. Real offsets run from -12:00 to +14:00. */
function parseOffset(value: unknown): number | undefined {
  if (value === "Z") return 0;
  if (typeof value !== "string") return undefined;
  const m = OFFSET.exec(value);
  if (!m) return undefined;
  const hours = Number(m[2]);
  const minutes = Number(m[3]);
  if (minutes > 59) return undefined;
  const total = (m[1] === "-" ? -1 : 1) * (hours * 60 + minutes);
  return total < -12 * 60 || total > 14 * 60 ? undefined : total;
}

function parseDay(value: unknown): Weekday | undefined {
  if (typeof value !== "string") return undefined;
  const lower = value.trim().toLowerCase();
  const index = FULL_NAMES.findIndex((full) => full === lower || full.slice(0, 3) === lower);
  return index < 0 ? undefined : WEEKDAYS[index];
}

/** Milliseconds since the epoch of an ISO 8601 date-time with an offset, or undefined (impossible dates included). */
function parseInstant(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const m = ISO_WITH_OFFSET.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute] = [1, 2, 3, 4, 5].map((i) => Number(m[i]));
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const ms = m[7] === undefined ? 0 : Number(m[7].padEnd(3, "0").slice(0, 3));
  const offset = m[8] === "Z" ? 0 : parseOffset(m[8]);
  if (offset === undefined || month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  // setUTCFullYear, unlike Date.UTC, does not read years 0 to 99 as 1900 to 1999.
  const local = new Date(0);
  local.setUTCFullYear(year, month - 1, day);
  local.setUTCHours(hour, minute, second, ms);
  // 30 February rolls over into March; a date that does not survive the round trip does not exist.
  if (local.getUTCFullYear() !== year || local.getUTCMonth() !== month - 1 || local.getUTCDate() !== day) return undefined;
  return local.getTime() - offset * MINUTE_MS;
}

/**
 * Validates a declared window and normalises it, or returns every violation at once.
 *
 * Weekly `{ days?, from, to, utcOffset? }`: `days` are "Mon" to "Sun" or full names in any case, every day when
 * omitted; `from` and `to` are 24-hour "HH:MM" and must differ; `to` earlier than `from` closes the next day;
 * `utcOffset` is "Z" (the default) or "+HH:MM"/"-HH:MM". One-off `{ start, end }`: ISO 8601 date-times with an offset,
 * `end` after `start`. Unknown fields and a mix of both shapes are violations.
 */
export function parseMaintenanceWindow(input: unknown): { window: MaintenanceWindow } | { violations: WindowViolation[] } {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return { violations: [violation("", `received ${received(input)}: use ${SHAPES}.`)] };
  }
  const fields = input as Record<string, unknown>;
  const present = Object.keys(fields).filter((k) => isSet(fields[k]));
  const violations: WindowViolation[] = [];

  for (const key of present.filter((k) => !KNOWN_FIELDS.includes(k))) {
    violations.push(
      violation(
        shorten(key),
        `received ${received(fields[key])} in an unknown field: the known fields are ${WEEKLY_FIELDS.join(", ")} (weekly) and ${ONE_OFF_FIELDS.join(", ")} (one-off); remove it or correct its name.`,
      ),
    );
  }

  const weekly = present.filter((k) => (WEEKLY_FIELDS as readonly string[]).includes(k));
  const oneOff = present.filter((k) => (ONE_OFF_FIELDS as readonly string[]).includes(k));
  if (weekly.length && oneOff.length) {
    violations.push(
      violation(
        "",
        `received weekly fields (${weekly.join(", ")}) and one-off fields (${oneOff.join(", ")}) together: a window is either weekly or one-off; keep one set and remove the other.`,
      ),
    );
    // Still check each field that is there, so the next preview does not reveal another mistake.
    validateWeekly(fields, violations, false);
    validateOneOff(fields, violations, false);
    return { violations };
  }
  if (!weekly.length && !oneOff.length) {
    violations.push(violation("", `received no schedule fields: use ${SHAPES}.`));
    return { violations };
  }
  const window = weekly.length ? validateWeekly(fields, violations, true) : validateOneOff(fields, violations, true);
  return violations.length || !window ? { violations } : { window };
}

function validateWeekly(
  fields: Record<string, unknown>,
  violations: WindowViolation[],
  requireAll: boolean,
): MaintenanceWindow | undefined {
  const from = checkTime(fields, "from", "22:00", "when the window opens", violations, requireAll);
  const to = checkTime(fields, "to", "04:00", "when the window closes; earlier than from means the next day", violations, requireAll);
  if (from !== undefined && to !== undefined && from === to) {
    violations.push(
      violation(
        "to",
        `received ${received(fields.to)}, the same as from: a window must have a length; set to to when the window closes, e.g. "04:00" to close at 04:00 the next day.`,
      ),
    );
  }

  let days: Weekday[] = [...WEEKDAYS];
  if (isSet(fields.days)) {
    if (!Array.isArray(fields.days)) {
      violations.push(
        violation(
          "days",
          `received ${received(fields.days)}: use a list of days such as ["Sat"] or ["Mon", "Wednesday"], or omit days for every day.`,
        ),
      );
    } else if (fields.days.length === 0) {
      violations.push(
        violation("days", `received []: a window needs at least one day; list the days it opens on, or omit days for every day.`),
      );
    } else {
      const chosen = new Set<Weekday>();
      fields.days.forEach((value, i) => {
        const day = parseDay(value);
        if (day) chosen.add(day);
        else
          violations.push(
            violation(`days[${i}]`, `received ${received(value)}: use a day name such as "Sat" or "Saturday" (Mon to Sun, any case).`),
          );
      });
      days = WEEKDAYS.filter((d) => chosen.has(d));
    }
  }

  let utcOffsetMinutes = 0;
  if (isSet(fields.utcOffset)) {
    const offset = parseOffset(fields.utcOffset);
    if (offset === undefined) {
      violations.push(
        violation(
          "utcOffset",
          `received ${received(fields.utcOffset)}: use "Z" for UTC or an offset from -12:00 to +14:00 written "+01:00" or "-05:30".`,
        ),
      );
    } else {
      utcOffsetMinutes = offset;
    }
  }
  if (from === undefined || to === undefined || from === to) return undefined;
  return { kind: "weekly", days, fromMinute: from, toMinute: to, utcOffsetMinutes };
}

function checkTime(
  fields: Record<string, unknown>,
  name: "from" | "to",
  example: string,
  meaning: string,
  violations: WindowViolation[],
  required: boolean,
): number | undefined {
  if (!isSet(fields[name])) {
    if (required)
      violations.push(
        violation(name, `received nothing: a weekly window needs ${name} in 24-hour HH:MM such as "${example}"; set it to ${meaning}.`),
      );
    return undefined;
  }
  const minute = parseHhMm(fields[name]);
  if (minute === undefined) violations.push(violation(name, `received ${received(fields[name])}: use 24-hour HH:MM such as "${example}".`));
  return minute;
}

function validateOneOff(
  fields: Record<string, unknown>,
  violations: WindowViolation[],
  requireAll: boolean,
): MaintenanceWindow | undefined {
  const startMs = checkInstant(fields, "start", "2026-12-05T22:00:00Z", violations, requireAll);
  const endMs = checkInstant(fields, "end", "2026-12-06T04:00:00+01:00", violations, requireAll);
  if (startMs === undefined || endMs === undefined) return undefined;
  if (endMs <= startMs) {
    violations.push(
      violation(
        "end",
        `received ${received(fields.end)}, which is not after start ${received(fields.start)}: a one-off window must end after it starts; set end later than start.`,
      ),
    );
    return undefined;
  }
  return { kind: "one-off", startMs, endMs };
}

function checkInstant(
  fields: Record<string, unknown>,
  name: "start" | "end",
  example: string,
  violations: WindowViolation[],
  required: boolean,
): number | undefined {
  if (!isSet(fields[name])) {
    if (required)
      violations.push(
        violation(
          name,
          `received nothing: a one-off window needs ${name} as an ISO 8601 date-time with an offset such as "${example}"; set it.`,
        ),
      );
    return undefined;
  }
  const ms = parseInstant(fields[name]);
  if (ms === undefined) {
    violations.push(
      violation(name, `received ${received(fields[name])}: use an existing ISO 8601 date-time with an offset such as "${example}".`),
    );
  }
  return ms;
}

/**
 * Says whether the window is open at `now` (the host's clock) and when that changes. Open includes the opening instant
 * and excludes the closing one: a window from 22:00 to 04:00 is closed at 04:00.
 */
export function evaluateWindow(window: MaintenanceWindow, now: Date): WindowState {
  const t = now.getTime();
  if (window.kind === "one-off") {
    if (t < window.startMs) return { open: false, nextOpen: new Date(window.startMs) };
    if (t < window.endMs) return { open: true, closesAt: new Date(window.endMs) };
    return { open: false };
  }
  const offsetMs = window.utcOffsetMinutes * MINUTE_MS;
  // Midnight of today in the window's offset, as a UTC instant.
  const localMidnight = Math.floor((t + offsetMs) / DAY_MS) * DAY_MS - offsetMs;
  // A "to" earlier than "from" closes the next day; parsing refuses from == to, so every window is shorter than a day.
  const lengthMs = ((window.toMinute - window.fromMinute + 24 * 60) % (24 * 60)) * MINUTE_MS;
  let nextOpen: number | undefined;
  // Yesterday's opening may still be open after midnight; the opening a week from today covers a single-day window
  // that has already closed today.
  for (let d = -1; d <= 7; d++) {
    const dayStart = localMidnight + d * DAY_MS;
    if (!window.days.includes(weekdayAt(dayStart + offsetMs))) continue;
    const opens = dayStart + window.fromMinute * MINUTE_MS;
    const closes = opens + lengthMs;
    // Openings are at least a day apart and shorter than a day, so two never overlap.
    if (opens <= t && t < closes) return { open: true, closesAt: new Date(closes) };
    if (opens > t && (nextOpen === undefined || opens < nextOpen)) nextOpen = opens;
  }
  return { open: false, nextOpen: nextOpen === undefined ? undefined : new Date(nextOpen) };
}

/** The weekday of a local midnight expressed as if it were UTC. */
function weekdayAt(localMs: number): Weekday {
  // getUTCDay counts from Sunday; WEEKDAYS starts on Monday.
  return WEEKDAYS[(new Date(localMs).getUTCDay() + 6) % 7];
}

const pad = (n: number): string => String(n).padStart(2, "0");
const clock = (minute: number): string => `${pad(Math.floor(minute / 60))}:${pad(minute % 60)}`;

function offsetText(minutes: number): string {
  if (minutes === 0) return "UTC";
  const abs = Math.abs(minutes);
  return `UTC${minutes < 0 ? "-" : "+"}${clock(abs)}`;
}

function instantText(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}

/**
 * Describes a window for messages and outputs: `Sat 22:00-04:00 (UTC+01:00)`, `Every day 01:00-05:00 (UTC)`, or
 * `2026-12-05T22:00:00Z to 2026-12-06T04:00:00Z` (one-off windows in UTC).
 */
export function describeWindow(window: MaintenanceWindow): string {
  if (window.kind === "one-off") return `${instantText(window.startMs)} to ${instantText(window.endMs)}`;
  const days = window.days.length === WEEKDAYS.length ? "Every day" : window.days.join(",");
  return `${days} ${clock(window.fromMinute)}-${clock(window.toMinute)} (${offsetText(window.utcOffsetMinutes)})`;
}
