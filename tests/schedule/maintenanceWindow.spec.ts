import * as assert from "node:assert/strict";
import {
  MaintenanceWindow,
  WindowState,
  WindowViolation,
  describeWindow,
  evaluateWindow,
  parseMaintenanceWindow,
} from "../../provider/schedule/maintenanceWindow";

const at = (iso: string): Date => new Date(iso);

function parsed(input: unknown): MaintenanceWindow {
  const result = parseMaintenanceWindow(input);
  assert.ok("window" in result, `test setup: ${JSON.stringify(input)} should parse, got ${JSON.stringify(result)}`);
  return result.window;
}

function violationsOf(input: unknown): WindowViolation[] {
  const result = parseMaintenanceWindow(input);
  assert.ok("violations" in result, `expected violations for ${JSON.stringify(input)}, got ${JSON.stringify(result)}`);
  return result.violations;
}

/** Dates as ISO strings so a failure shows readable instants. */
function readable(state: WindowState): Record<string, unknown> {
  return {
    open: state.open,
    closesAt: state.closesAt?.toISOString(),
    nextOpen: state.nextOpen?.toISOString(),
  };
}

// 2026-12-05 is a Saturday; 2026-12-06 a Sunday; 2027-01-01 a Friday.
describe("parseMaintenanceWindow", () => {
  before(() => {
    assert.equal(at("2026-12-05T00:00:00Z").getUTCDay(), 6);
    assert.equal(at("2027-01-01T00:00:00Z").getUTCDay(), 5);
  });

  const accepted: Array<[string, unknown, MaintenanceWindow]> = [
    [
      "a weekly window crossing midnight with an offset",
      { days: ["Sat"], from: "22:00", to: "04:00", utcOffset: "+01:00" },
      { kind: "weekly", days: ["Sat"], fromMinute: 22 * 60, toMinute: 4 * 60, utcOffsetMinutes: 60 },
    ],
    [
      "a weekly window with no days as every day in UTC",
      { from: "01:00", to: "05:00" },
      { kind: "weekly", days: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], fromMinute: 60, toMinute: 300, utcOffsetMinutes: 0 },
    ],
    [
      "day names in any case, full or short, once each in week order",
      { days: ["saturday", "MON", "Sun", "sat", " Wednesday "], from: "22:00", to: "04:00" },
      { kind: "weekly", days: ["Mon", "Wed", "Sat", "Sun"], fromMinute: 1320, toMinute: 240, utcOffsetMinutes: 0 },
    ],
    ["a negative half-hour offset", { from: "09:00", to: "17:00", utcOffset: "-05:30" }, weekly(540, 1020, -330)],
    ["Z as UTC", { from: "09:00", to: "17:00", utcOffset: "Z" }, weekly(540, 1020, 0)],
    ["the easternmost offset", { from: "09:00", to: "17:00", utcOffset: "+14:00" }, weekly(540, 1020, 840)],
    ["the westernmost offset", { from: "09:00", to: "17:00", utcOffset: "-12:00" }, weekly(540, 1020, -720)],
    ["the first and last minutes of the day", { from: "00:00", to: "23:59" }, weekly(0, 1439, 0)],
    ["a window closing at midnight", { from: "22:00", to: "00:00" }, weekly(1320, 0, 0)],
    [
      "optional fields the engine passes as undefined or null",
      { days: undefined, from: "09:00", to: "17:00", utcOffset: null, start: undefined },
      weekly(540, 1020, 0),
    ],
    [
      "a one-off window in UTC",
      { start: "2026-12-05T22:00:00Z", end: "2026-12-06T04:00:00Z" },
      { kind: "one-off", startMs: Date.UTC(2026, 11, 5, 22), endMs: Date.UTC(2026, 11, 6, 4) },
    ],
    [
      "a one-off window with offsets, seconds omitted and fractions",
      { start: "2026-12-05T23:00+01:00", end: "2026-12-05T23:30:00.5-05:30" },
      { kind: "one-off", startMs: Date.UTC(2026, 11, 5, 22), endMs: Date.UTC(2026, 11, 6, 5, 0, 0, 500) },
    ],
    [
      "a one-off window on a leap day",
      { start: "2028-02-29T01:00:00Z", end: "2028-02-29T02:00:00Z" },
      { kind: "one-off", startMs: Date.UTC(2028, 1, 29, 1), endMs: Date.UTC(2028, 1, 29, 2) },
    ],
  ];
  for (const [what, input, expected] of accepted) {
    it(`accepts ${what}`, () => {
      assert.deepEqual(parseMaintenanceWindow(input), { window: expected });
    });
  }

  // [title, input, expected [property, message pattern] pairs, in order]
  const rejected: Array<[string, unknown, Array<[string, RegExp]>]> = [
    [
      "refuses an hour past 23",
      { from: "25:00", to: "04:00" },
      [["maintenanceWindow.from", /^\[maintenanceWindow\.from\] received "25:00": use 24-hour HH:MM such as "22:00"\.$/]],
    ],
    [
      "refuses 24:00",
      { from: "22:00", to: "24:00" },
      [["maintenanceWindow.to", /^\[maintenanceWindow\.to\] received "24:00": use 24-hour HH:MM such as "04:00"\.$/]],
    ],
    ["refuses a single-digit hour", { from: "9:00", to: "17:00" }, [["maintenanceWindow.from", /received "9:00"/]]],
    ["refuses minute 60", { from: "22:60", to: "04:00" }, [["maintenanceWindow.from", /received "22:60"/]]],
    ["refuses seconds", { from: "22:00:00", to: "04:00" }, [["maintenanceWindow.from", /received "22:00:00"/]]],
    ["refuses a 12-hour time", { from: "10pm", to: "04:00" }, [["maintenanceWindow.from", /received "10pm"/]]],
    ["refuses a number for a time", { from: 2200, to: "04:00" }, [["maintenanceWindow.from", /received 2200: /]]],
    [
      "requires to in a weekly window",
      { days: ["Sat"], from: "22:00" },
      [["maintenanceWindow.to", /^\[maintenanceWindow\.to\] received nothing: .*HH:MM such as "04:00"/]],
    ],
    [
      "requires from in a weekly window",
      { to: "04:00", utcOffset: "Z" },
      [["maintenanceWindow.from", /^\[maintenanceWindow\.from\] received nothing: /]],
    ],
    [
      "refuses a window whose from equals its to",
      { from: "22:00", to: "22:00" },
      [["maintenanceWindow.to", /^\[maintenanceWindow\.to\] received "22:00", the same as from: a window must have a length; /]],
    ],
    [
      "refuses days that are not a list",
      { days: "Sat", from: "22:00", to: "04:00" },
      [["maintenanceWindow.days", /received "Sat": use a list of days such as \["Sat"\]/]],
    ],
    ["refuses an empty list of days", { days: [], from: "22:00", to: "04:00" }, [["maintenanceWindow.days", /received \[\]: /]]],
    [
      "names the position of an unknown day",
      { days: ["Sat", "Funday", 6], from: "22:00", to: "04:00" },
      [
        ["maintenanceWindow.days[1]", /^\[maintenanceWindow\.days\[1\]\] received "Funday": use a day name such as "Sat" or "Saturday"/],
        ["maintenanceWindow.days[2]", /received 6: /],
      ],
    ],
    [
      "refuses an abbreviation that is not three letters",
      { days: ["Sa"], from: "22:00", to: "04:00" },
      [["maintenanceWindow.days[0]", /received "Sa"/]],
    ],
    [
      "refuses an offset without minutes",
      { from: "22:00", to: "04:00", utcOffset: "+1" },
      [["maintenanceWindow.utcOffset", /received "\+1": use "Z" for UTC or an offset/]],
    ],
    [
      "refuses an offset past +14:00",
      { from: "22:00", to: "04:00", utcOffset: "+14:01" },
      [["maintenanceWindow.utcOffset", /received "\+14:01"/]],
    ],
    [
      "refuses an offset past -12:00",
      { from: "22:00", to: "04:00", utcOffset: "-12:30" },
      [["maintenanceWindow.utcOffset", /received "-12:30"/]],
    ],
    [
      "refuses offset minutes past 59",
      { from: "22:00", to: "04:00", utcOffset: "+01:60" },
      [["maintenanceWindow.utcOffset", /received "\+01:60"/]],
    ],
    [
      "refuses a time zone name as an offset",
      { from: "22:00", to: "04:00", utcOffset: "CET" },
      [["maintenanceWindow.utcOffset", /received "CET"/]],
    ],
    [
      "refuses a one-off start without an offset",
      { start: "2026-12-05T22:00:00", end: "2026-12-06T04:00:00Z" },
      [
        [
          "maintenanceWindow.start",
          /^\[maintenanceWindow\.start\] received "2026-12-05T22:00:00": use an existing ISO 8601 date-time with an offset/,
        ],
      ],
    ],
    [
      "refuses a date that does not exist",
      { start: "2026-02-30T22:00:00Z", end: "2026-03-01T04:00:00Z" },
      [["maintenanceWindow.start", /received "2026-02-30T22:00:00Z"/]],
    ],
    [
      "refuses 29 February outside a leap year",
      { start: "2026-02-28T22:00:00Z", end: "2027-02-29T04:00:00Z" },
      [["maintenanceWindow.end", /received "2027-02-29T04:00:00Z"/]],
    ],
    [
      "refuses hour 24 in a date-time",
      { start: "2026-12-05T24:00:00Z", end: "2026-12-06T04:00:00Z" },
      [["maintenanceWindow.start", /received "2026-12-05T24:00:00Z"/]],
    ],
    [
      "refuses a date without a time",
      { start: "2026-12-05", end: "2026-12-06T04:00:00Z" },
      [["maintenanceWindow.start", /received "2026-12-05"/]],
    ],
    [
      "refuses words for an instant",
      { start: "tomorrow", end: "2026-12-06T04:00:00Z" },
      [["maintenanceWindow.start", /received "tomorrow"/]],
    ],
    [
      "requires an end in a one-off window",
      { start: "2026-12-05T22:00:00Z" },
      [["maintenanceWindow.end", /^\[maintenanceWindow\.end\] received nothing: /]],
    ],
    [
      "refuses an end before the start",
      { start: "2026-12-06T04:00:00Z", end: "2026-12-05T22:00:00Z" },
      [
        [
          "maintenanceWindow.end",
          /^\[maintenanceWindow\.end\] received "2026-12-05T22:00:00Z", which is not after start "2026-12-06T04:00:00Z": .*; set end later than start\.$/,
        ],
      ],
    ],
    [
      "refuses an end equal to the start written with another offset",
      { start: "2026-12-05T22:00:00Z", end: "2026-12-05T23:00:00+01:00" },
      [["maintenanceWindow.end", /which is not after start/]],
    ],
    [
      "refuses an unknown field, naming it and the known ones",
      { days: ["Sat"], from: "22:00", to: "04:00", timezone: "Europe/Berlin" },
      [
        [
          "maintenanceWindow.timezone",
          /^\[maintenanceWindow\.timezone\] received "Europe\/Berlin" in an unknown field: the known fields are days, from, to, utcOffset \(weekly\) and start, end \(one-off\); /,
        ],
      ],
    ],
    [
      "refuses both shapes mixed",
      { from: "22:00", to: "04:00", start: "2026-12-05T22:00:00Z" },
      [
        [
          "maintenanceWindow",
          /^\[maintenanceWindow\] received weekly fields \(from, to\) and one-off fields \(start\) together: a window is either weekly or one-off; /,
        ],
      ],
    ],
    ["refuses an empty object", {}, [["maintenanceWindow", /^\[maintenanceWindow\] received no schedule fields: use a weekly window/]]],
    [
      "refuses a string",
      "Sat 22:00-04:00",
      [
        [
          "maintenanceWindow",
          /^\[maintenanceWindow\] received "Sat 22:00-04:00": use a weekly window .* or a one-off window \{ start, end \}\.$/,
        ],
      ],
    ],
    ["refuses null", null, [["maintenanceWindow", /received null: /]]],
    ["refuses a list", [{ from: "22:00", to: "04:00" }], [["maintenanceWindow", /received \[\{"from":"22:00","to":"04:00"\}\]: /]]],
  ];
  for (const [title, input, expected] of rejected) {
    it(title, () => {
      const violations = violationsOf(input);
      assert.deepEqual(
        violations.map((x) => x.property),
        expected.map(([property]) => property),
        JSON.stringify(violations),
      );
      violations.forEach((x, i) => {
        assert.match(x.message, expected[i][1]);
        assert.ok(x.message.startsWith(`[${x.property}] `), x.message);
        assert.match(x.message.slice(`[${x.property}] `.length), /^received .+: .+\.$/);
      });
    });
  }

  it("reports every violation of a weekly window at once", () => {
    const violations = violationsOf({ days: ["Sat", "Funday"], from: "25:00", to: "4am", utcOffset: "CET", colour: "blue", owner: "ops" });
    assert.deepEqual(violations.map((x) => x.property).sort(), [
      "maintenanceWindow.colour",
      "maintenanceWindow.days[1]",
      "maintenanceWindow.from",
      "maintenanceWindow.owner",
      "maintenanceWindow.to",
      "maintenanceWindow.utcOffset",
    ]);
  });

  it("reports every violation of a one-off window at once", () => {
    const violations = violationsOf({ start: "2026-12-05 22:00", extra: 1 });
    assert.deepEqual(violations.map((x) => x.property).sort(), [
      "maintenanceWindow.end",
      "maintenanceWindow.extra",
      "maintenanceWindow.start",
    ]);
  });

  it("still checks each field's form when both shapes are mixed, without asking for the missing ones", () => {
    const violations = violationsOf({ from: "25:00", start: "tomorrow", end: "2026-12-06T04:00:00Z" });
    assert.deepEqual(violations.map((x) => x.property).sort(), ["maintenanceWindow", "maintenanceWindow.from", "maintenanceWindow.start"]);
  });

  it("reports an unknown field alongside no schedule fields", () => {
    const violations = violationsOf({ form: "22:00" });
    assert.deepEqual(
      violations.map((x) => x.property),
      ["maintenanceWindow.form", "maintenanceWindow"],
    );
  });
});

describe("evaluateWindow", () => {
  type Case = [title: string, now: string, expected: { open: boolean; closesAt?: string; nextOpen?: string }];

  const weeklyCases: Array<[string, unknown, Case[]]> = [
    [
      "Sat 22:00-04:00 UTC",
      { days: ["Sat"], from: "22:00", to: "04:00" },
      [
        [
          "is closed a minute before it opens and opens the same evening",
          "2026-12-05T21:59:00Z",
          { open: false, nextOpen: "2026-12-05T22:00:00.000Z" },
        ],
        ["is open at the instant it opens", "2026-12-05T22:00:00Z", { open: true, closesAt: "2026-12-06T04:00:00.000Z" }],
        ["is open at 23:00 Saturday until 04:00 Sunday", "2026-12-05T23:00:00Z", { open: true, closesAt: "2026-12-06T04:00:00.000Z" }],
        ["is still open at 03:59 Sunday", "2026-12-06T03:59:00Z", { open: true, closesAt: "2026-12-06T04:00:00.000Z" }],
        [
          "is still open a millisecond before 04:00 Sunday",
          "2026-12-06T03:59:59.999Z",
          { open: true, closesAt: "2026-12-06T04:00:00.000Z" },
        ],
        [
          "is closed at 04:00 Sunday and next opens the following Saturday",
          "2026-12-06T04:00:00Z",
          { open: false, nextOpen: "2026-12-12T22:00:00.000Z" },
        ],
        [
          "is closed early Saturday, which is not after a Friday opening",
          "2026-12-05T00:30:00Z",
          { open: false, nextOpen: "2026-12-05T22:00:00.000Z" },
        ],
        ["is closed on Friday and next opens on Saturday", "2026-12-04T12:00:00Z", { open: false, nextOpen: "2026-12-05T22:00:00.000Z" }],
        ["next opens across the year boundary", "2026-12-31T12:00:00Z", { open: false, nextOpen: "2027-01-02T22:00:00.000Z" }],
      ],
    ],
    [
      "Sun 22:00-04:00 UTC",
      { days: ["Sunday"], from: "22:00", to: "04:00" },
      [
        ["stays open into Monday across the week boundary", "2026-12-28T03:00:00Z", { open: true, closesAt: "2026-12-28T04:00:00.000Z" }],
        ["opens on Sunday evening", "2026-12-27T22:30:00Z", { open: true, closesAt: "2026-12-28T04:00:00.000Z" }],
        [
          "is closed on Monday after it closes and next opens six days later",
          "2026-12-28T04:00:00Z",
          { open: false, nextOpen: "2027-01-03T22:00:00.000Z" },
        ],
      ],
    ],
    [
      "Sat 10:00-11:00 UTC",
      { days: ["Sat"], from: "10:00", to: "11:00" },
      [
        [
          "next opens a full week later once today's opening has passed",
          "2026-12-05T12:00:00Z",
          { open: false, nextOpen: "2026-12-12T10:00:00.000Z" },
        ],
        ["is closed at its closing minute", "2026-12-05T11:00:00Z", { open: false, nextOpen: "2026-12-12T10:00:00.000Z" }],
      ],
    ],
    [
      "every day 01:00-05:00 UTC",
      { from: "01:00", to: "05:00" },
      [
        ["next opens tomorrow after today's window", "2026-12-09T06:00:00Z", { open: false, nextOpen: "2026-12-10T01:00:00.000Z" }],
        ["is open on any day", "2026-12-09T04:00:00Z", { open: true, closesAt: "2026-12-09T05:00:00.000Z" }],
      ],
    ],
    [
      "Mon,Wed 09:00-17:00 UTC",
      { days: ["Mon", "Wed"], from: "09:00", to: "17:00" },
      [
        [
          "next opens on Monday after Wednesday's window, across the week",
          "2026-12-09T18:00:00Z",
          { open: false, nextOpen: "2026-12-14T09:00:00.000Z" },
        ],
        ["next opens on Wednesday after Monday's window", "2026-12-07T17:00:00Z", { open: false, nextOpen: "2026-12-09T09:00:00.000Z" }],
      ],
    ],
    [
      "Sat 22:00-04:00 at +01:00",
      { days: ["Sat"], from: "22:00", to: "04:00", utcOffset: "+01:00" },
      [
        ["opens at 21:00 UTC", "2026-12-05T21:00:00Z", { open: true, closesAt: "2026-12-06T03:00:00.000Z" }],
        ["is closed at 20:59 UTC and opens at 21:00 UTC", "2026-12-05T20:59:00Z", { open: false, nextOpen: "2026-12-05T21:00:00.000Z" }],
        ["closes at 03:00 UTC on Sunday", "2026-12-06T03:00:00Z", { open: false, nextOpen: "2026-12-12T21:00:00.000Z" }],
      ],
    ],
    [
      "Mon 00:30-02:00 at +01:00",
      { days: ["Mon"], from: "00:30", to: "02:00", utcOffset: "+01:00" },
      [
        [
          "is open late on Sunday in UTC, which is already Monday at the offset",
          "2026-12-27T23:45:00Z",
          { open: true, closesAt: "2026-12-28T01:00:00.000Z" },
        ],
        [
          "is closed on Monday evening in UTC, which is Tuesday at the offset",
          "2026-12-28T23:45:00Z",
          { open: false, nextOpen: "2027-01-03T23:30:00.000Z" },
        ],
      ],
    ],
    [
      "Fri 22:00-23:00 at -05:30",
      { days: ["Fri"], from: "22:00", to: "23:00", utcOffset: "-05:30" },
      [
        [
          "is open early on Saturday in UTC, which is still Friday at the offset",
          "2026-12-05T04:00:00Z",
          { open: true, closesAt: "2026-12-05T04:30:00.000Z" },
        ],
        [
          "is closed on Friday evening in UTC, before it opens at the offset",
          "2026-12-04T22:30:00Z",
          { open: false, nextOpen: "2026-12-05T03:30:00.000Z" },
        ],
      ],
    ],
  ];
  for (const [name, input, cases] of weeklyCases) {
    describe(`a weekly window ${name}`, () => {
      let window: MaintenanceWindow;
      before(() => {
        window = parsed(input);
      });
      for (const [title, now, expected] of cases) {
        it(`${title} (${now})`, () => {
          assert.deepEqual(readable(evaluateWindow(window, at(now))), { closesAt: undefined, nextOpen: undefined, ...expected });
        });
      }
    });
  }

  describe("a one-off window 2026-12-05T23:00+01:00 to 2026-12-06T04:00Z", () => {
    let window: MaintenanceWindow;
    before(() => {
      window = parsed({ start: "2026-12-05T23:00:00+01:00", end: "2026-12-06T04:00:00Z" });
    });
    const cases: Case[] = [
      ["is closed before it starts and says when it opens", "2026-12-01T00:00:00Z", { open: false, nextOpen: "2026-12-05T22:00:00.000Z" }],
      ["is closed a millisecond before it starts", "2026-12-05T21:59:59.999Z", { open: false, nextOpen: "2026-12-05T22:00:00.000Z" }],
      ["is open at the instant it starts", "2026-12-05T22:00:00Z", { open: true, closesAt: "2026-12-06T04:00:00.000Z" }],
      ["is open a millisecond before it ends", "2026-12-06T03:59:59.999Z", { open: true, closesAt: "2026-12-06T04:00:00.000Z" }],
      ["is closed for good at the instant it ends", "2026-12-06T04:00:00Z", { open: false }],
      ["is closed for good a year later", "2027-12-06T04:00:00Z", { open: false }],
    ];
    for (const [title, now, expected] of cases) {
      it(`${title} (${now})`, () => {
        assert.deepEqual(readable(evaluateWindow(window, at(now))), { closesAt: undefined, nextOpen: undefined, ...expected });
      });
    }

    it("has no next opening once it has passed", () => {
      const state = evaluateWindow(window, at("2026-12-07T00:00:00Z"));
      assert.equal(state.open, false);
      assert.equal(state.nextOpen, undefined);
      assert.equal(state.closesAt, undefined);
    });
  });
});

describe("describeWindow", () => {
  const cases: Array<[string, unknown, string]> = [
    [
      "a single day crossing midnight with its offset",
      { days: ["Sat"], from: "22:00", to: "04:00", utcOffset: "+01:00" },
      "Sat 22:00-04:00 (UTC+01:00)",
    ],
    ["every day in UTC", { from: "01:00", to: "05:00" }, "Every day 01:00-05:00 (UTC)"],
    [
      "several days in week order with a negative offset",
      { days: ["fri", "Monday", "Wed"], from: "09:05", to: "17:30", utcOffset: "-05:30" },
      "Mon,Wed,Fri 09:05-17:30 (UTC-05:30)",
    ],
    ["+00:00 as UTC", { days: ["Sun"], from: "00:00", to: "23:59", utcOffset: "+00:00" }, "Sun 00:00-23:59 (UTC)"],
    [
      "a one-off window in UTC",
      { start: "2026-12-05T23:00:00+01:00", end: "2026-12-06T04:00:00Z" },
      "2026-12-05T22:00:00Z to 2026-12-06T04:00:00Z",
    ],
    [
      "a one-off window keeping milliseconds",
      { start: "2026-12-05T22:00:00.5Z", end: "2026-12-06T04:00:00Z" },
      "2026-12-05T22:00:00.500Z to 2026-12-06T04:00:00Z",
    ],
  ];
  for (const [what, input, expected] of cases) {
    it(`describes ${what} as "${expected}"`, () => {
      assert.equal(describeWindow(parsed(input)), expected);
    });
  }
});

function weekly(fromMinute: number, toMinute: number, utcOffsetMinutes: number): MaintenanceWindow {
  return { kind: "weekly", days: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], fromMinute, toMinute, utcOffsetMinutes };
}
