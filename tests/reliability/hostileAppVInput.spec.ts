// Hostile input for the App-V resources (issue 6), the counterpart of hostileInput.spec.ts for Horizon: property-based
// tests of the validation of AppVServer, the farm's preparation and the farm's completion with malformed versions,
// unknown fields (an own "__proto__" among them), wrong types, huge strings and texts carrying quotes, ;, $(),
// backticks, newlines, NUL and Unicode. Each input ends in valid inputs or structured failures that show no secret;
// never a crash. Everything here is pure or stops before a host: no lab is started.
import assert from "node:assert/strict";
import fc from "fast-check";
import { Client } from "ssh2";
import { shorten as quoted } from "../../provider/errors/shorten";
import { check } from "../../provider/resources/appvProvider";
import {
  type AppVKind,
  type CheckFailure,
  type Validated,
  validateAppVFarmInputs,
  validateAppVServerInputs,
} from "../../provider/products/appvInputs";
import { UNKNOWN } from "../../provider/products/horizonInputs";
import { safeFailures } from "../../provider/lifecycle/inputSupport";
import { resolveSecretReferences } from "../../provider/secrets/references";
import {
  APPV_TARGETS,
  type AppVVersion,
  evaluateAppVTarget,
  evaluateAppVUpgradePath,
  formatAppVVersion,
  parseAppVVersion,
} from "../../provider/versions/appv";
import { HUGE_SIZES, hostileString, hostileValue, hugeString, malformedVersion, unknownFieldName, wrongType } from "./arbitraries";
import type { Field as KitField, Inputs, Level as KitLevel } from "./propertyKit";
import {
  CONNECTION_KEYS,
  LONGEST_REASON,
  SHA,
  anyValue,
  assertStructured,
  brief,
  clip,
  connection,
  defineOwn,
  holds,
  markedSecrets,
  oneOff,
  setAt,
  show,
  valueAt,
  weekly,
} from "./propertyKit";

/** Every planted secret carries this mark, so a reason that shows any part of one is caught. */
const MARK = "Zx9-APPV-SECRET-";
const SSH_PASSWORD = `${MARK}ssh-appv1`;
const SSH_PASSWORD_2 = `${MARK}ssh-appv2`;
const SQL_HOST_PASSWORD = `${MARK}ssh-sql1`;
const SQL_USER = `${MARK}sql-user`;
const SQL_PASSWORD = `${MARK}sql-password`;
const INSTALLER = "C:\\Installers\\AppV\\setup.exe";
const SERVER = "server" satisfies AppVKind;
const PREPARATION = "farm-preparation" satisfies AppVKind;
const COMPLETION = "farm-completion" satisfies AppVKind;
const ALL_KINDS = [SERVER, PREPARATION, COMPLETION] as const;
const FARM_KINDS = [PREPARATION, COMPLETION] as const;
const { needles, secretValue } = markedSecrets(MARK);

/** A valid input of `kind`, shaped as AppVFarm (provider/resources/appvFarm.ts) fills it in. */
function validInputs(kind: AppVKind): Inputs {
  if (kind === SERVER) {
    return {
      resourceName: "farm1-APPV1",
      connection: connection("appv1.corp.example", SSH_PASSWORD),
      role: "management",
      targetVersion: "4.5 SP2",
      installer: { path: INSTALLER, sha256: SHA, arguments: '/s /v"/qn"' },
      timeBudgetMinutes: 30,
      upgradeAfter: ["true"],
      farm: {
        name: "farm1",
        database: "SQL1/APPVIRT",
        backupPath: "C:\\Backup\\APPVIRT-before-4.5-SP2.bak",
        self: "APPV1",
        schemaServer: "APPV1",
        later: ["APPV2: Start-Service -DisplayName 'Application Virtualization Streaming Server'"],
      },
      timeScale: 60,
    };
  }
  const farm: Inputs = {
    resourceName: kind === PREPARATION ? "farm1-preparation" : "farm1-completion",
    farmName: "farm1",
    targetVersion: "4.5 SP2",
    servers: [
      {
        name: "APPV1",
        role: "management",
        connection: connection("appv1.corp.example", SSH_PASSWORD),
        installer: { path: INSTALLER, sha256: SHA },
      },
      {
        name: "APPV2",
        role: "streaming",
        connection: connection("appv2.corp.example", SSH_PASSWORD_2),
        targetVersion: "4.5.2.17140",
        installer: { path: INSTALLER, sha256: SHA },
      },
    ],
    timeBudgetMinutes: 30,
    timeScale: 60,
  };
  if (kind === PREPARATION) {
    farm.database = {
      connection: connection("sql1.corp.example", SQL_HOST_PASSWORD),
      sqlServer: "SQL1",
      name: "APPVIRT",
      backupPath: "C:\\Backup\\APPVIRT-before-4.5-SP2.bak",
      sqlUser: SQL_USER,
      sqlPassword: SQL_PASSWORD,
    };
    farm.order = "sequential";
  } else {
    farm.upgradeAfter = ["4.5 SP2", "4.5 SP2"];
  }
  return farm;
}

function validate(kind: AppVKind, news: Inputs): Validated<unknown> {
  return kind === SERVER ? validateAppVServerInputs(news) : validateAppVFarmInputs(kind, news);
}

// ---------------------------------------------------------------------------------------------------------------
// Version-shaped values

/** App-V texts that are versions, nearly versions or releases this package does not upgrade to. */
const APPV_VERSION_TEXTS: readonly string[] = [
  "4.5 SP9",
  "4.0",
  "",
  " ",
  "4",
  "4.",
  "4.5 SP",
  "4.5 SP0",
  "4.5 SP-1",
  "4.5 CU1",
  "4.5 SP2 extra",
  "4.5 SP2; Stop-Computer",
  "4.5 SP2$(Stop-Computer)",
  "4.5 SP2`n",
  "4.5 SP2\n",
  "4.5 SP2\u0000",
  "4.5\r\nSP2",
  "4,5",
  "v4.5",
  "4.5.x",
  "4.5.2.17140.1",
  "4.5.2.2147483648",
  "4.5 SP99999999999",
  "\uff14.\uff15 SP2",
  "\u0664.\u0665",
  "4\u200b.5",
  "4.6",
  "5.0",
  "3.2",
  "4.0 SP1",
  "4.0.1.1850",
  "04.05",
  "4.5 sp 2",
  "  4.5 Sp2 ",
  "4.5SP2",
  "4.5 RTM",
  "4.5.0.1485",
  "4.1.1.1",
  ...APPV_TARGETS,
];

/** A huge (20,000 to 100,000 characters) text that still parses as a version: padded with zeros or whitespace. */
function paddedVersion(sizes: readonly number[] = HUGE_SIZES): fc.Arbitrary<string> {
  return fc
    .record({
      size: fc.constantFrom(...sizes),
      version: fc.constantFrom("4.0", "4.1", "4.1 SP1", "4.5", "4.5 SP2", "4.5 SP9", "4.6", "3.2"),
      how: fc.constantFrom("zeros", "spaces", "service-pack", "build"),
    })
    .map(({ size, version, how }) => {
      if (how === "zeros") return "0".repeat(size) + version;
      if (how === "spaces") return " ".repeat(size) + version + " ".repeat(size);
      if (how === "service-pack") return version.split(" ")[0] + " SP" + "0".repeat(size) + "9";
      return version.split(" ")[0] + ".0." + "0".repeat(size) + "1485";
    });
}

const versionValue = (huge: boolean): fc.Arbitrary<unknown> =>
  huge
    ? fc.oneof(hugeString(), paddedVersion())
    : fc.oneof(
        { arbitrary: fc.constantFrom(...APPV_VERSION_TEXTS), weight: 4 },
        { arbitrary: malformedVersion(), weight: 2 },
        { arbitrary: paddedVersion([8, 100]), weight: 1 },
        { arbitrary: anyValue(false), weight: 2 },
      );
/** An object with an own "__proto__" field, as JSON.parse makes it, carrying valid-looking contents. */
const protoObject = (contents: Inputs): fc.Arbitrary<unknown> =>
  fc.constant(contents).map((c) => JSON.parse(`{"__proto__":${JSON.stringify(c)}}`) as unknown);
const objectValue =
  (contents: Inputs) =>
  (huge: boolean): fc.Arbitrary<unknown> =>
    huge ? anyValue(true) : fc.oneof({ arbitrary: anyValue(false), weight: 6 }, { arbitrary: protoObject(contents), weight: 1 });

// ---------------------------------------------------------------------------------------------------------------
// The fields that get hostile values

type Field = KitField<AppVKind>;
type Level = KitLevel<AppVKind>;

const waived = (i: Inputs) => (i.backup = { waive: { reason: "restore tested from the nightly backup taken at 02:00" } });
const withOverrides = (at: readonly string[]) => (i: Inputs) =>
  setAt(i, [...at, "overrides"], { serviceDisplayName: "Application Virtualization Management Server" });
const withProxy = (at: readonly string[]) => (i: Inputs) => setAt(i, [...at, "proxy"], connection("bastion.corp.example", `${MARK}proxy`));

/** The fields of a connection at `at`, for `kinds`; `full` adds the less common ones. */
function connectionFields(at: readonly string[], kinds: readonly AppVKind[], full: boolean): Field[] {
  const f = (name: string, values = anyValue, extra: Partial<Field> = {}): Field => ({ path: [...at, name], kinds, values, ...extra });
  const fields: Field[] = [
    { path: at, kinds, values: objectValue(connection("h.corp.example", `${MARK}in-proto`)) },
    f("host"),
    f("port"),
    f("user"),
    f("password", secretValue, { secret: true }),
    f("hostKey"),
  ];
  if (!full) return fields;
  return [
    ...fields,
    f("privateKey", secretValue, { secret: true }),
    f("privateKeyPassword", secretValue, { secret: true }),
    f("dialErrorLimit"),
    f("perDialTimeout"),
    f("insecureSkipHostKeyCheck"),
    f("agentSocketPath"),
    f("proxy"),
    f("password", secretValue, { secret: true, setup: withProxy(at) }),
    { path: [...at, "proxy", "password"], kinds, values: secretValue, secret: true, setup: withProxy(at) },
    { path: [...at, "proxy", "host"], kinds, values: anyValue, setup: withProxy(at) },
  ];
}

/** The fields of an installer at `at`. */
function installerFields(at: readonly string[], kinds: readonly AppVKind[]): Field[] {
  return [
    { path: at, kinds, values: objectValue({ path: INSTALLER, sha256: SHA }) },
    { path: [...at, "path"], kinds, values: anyValue },
    { path: [...at, "sha256"], kinds, values: anyValue },
    { path: [...at, "arguments"], kinds, values: anyValue },
  ];
}

function overrideFields(at: readonly string[], kinds: readonly AppVKind[]): Field[] {
  return [
    { path: [...at, "overrides"], kinds, values: anyValue },
    { path: [...at, "overrides", "serviceDisplayName"], kinds, values: anyValue, setup: withOverrides(at) },
    { path: [...at, "overrides", "productDisplayNames"], kinds, values: anyValue, setup: withOverrides(at) },
  ];
}

function memberFields(i: number): Field[] {
  const at = ["servers", String(i)];
  return [
    {
      path: at,
      kinds: FARM_KINDS,
      values: objectValue({ name: `APPV${i + 1}`, connection: connection("x.corp.example", `${MARK}in-proto`) }),
    },
    { path: [...at, "name"], kinds: FARM_KINDS, values: anyValue },
    { path: [...at, "role"], kinds: FARM_KINDS, values: anyValue },
    { path: [...at, "targetVersion"], kinds: FARM_KINDS, values: versionValue },
    ...overrideFields(at, FARM_KINDS),
    ...installerFields([...at, "installer"], FARM_KINDS),
    ...connectionFields([...at, "connection"], FARM_KINDS, false),
  ];
}

const FIELDS: readonly Field[] = [
  { path: ["resourceName"], kinds: ALL_KINDS, values: anyValue },
  { path: ["targetVersion"], kinds: ALL_KINDS, values: versionValue },
  { path: ["maintenanceWindow"], kinds: ALL_KINDS, values: anyValue },
  { path: ["maintenanceWindow", "days"], kinds: ALL_KINDS, values: anyValue, setup: weekly },
  { path: ["maintenanceWindow", "from"], kinds: ALL_KINDS, values: anyValue, setup: weekly },
  { path: ["maintenanceWindow", "to"], kinds: ALL_KINDS, values: anyValue, setup: weekly },
  { path: ["maintenanceWindow", "utcOffset"], kinds: ALL_KINDS, values: anyValue, setup: weekly },
  { path: ["maintenanceWindow", "start"], kinds: ALL_KINDS, values: anyValue, setup: oneOff },
  { path: ["maintenanceWindow", "end"], kinds: ALL_KINDS, values: anyValue, setup: oneOff },
  { path: ["timeBudgetMinutes"], kinds: ALL_KINDS, values: anyValue },
  { path: ["timeScale"], kinds: ALL_KINDS, values: anyValue },
  { path: ["upgradeAfter"], kinds: ALL_KINDS, values: anyValue },
  { path: ["__provider"], kinds: ALL_KINDS, values: anyValue },
  // AppVServer
  { path: ["role"], kinds: [SERVER], values: anyValue },
  ...installerFields(["installer"], [SERVER]),
  ...connectionFields(["connection"], [SERVER], true),
  ...overrideFields([], [SERVER]),
  { path: ["farm"], kinds: [SERVER], values: anyValue },
  ...["name", "database", "backupPath", "backupWaived", "self", "schemaServer", "later"].map((k): Field => ({
    path: ["farm", k],
    kinds: [SERVER],
    values: anyValue,
  })),
  // The farm's preparation and completion
  { path: ["farmName"], kinds: FARM_KINDS, values: anyValue },
  { path: ["servers"], kinds: FARM_KINDS, values: anyValue },
  ...memberFields(0),
  ...memberFields(1),
  { path: ["servers", "2"], kinds: FARM_KINDS, values: anyValue },
  { path: ["order"], kinds: FARM_KINDS, values: anyValue },
  { path: ["backup"], kinds: FARM_KINDS, values: anyValue },
  { path: ["backup", "waive"], kinds: FARM_KINDS, values: anyValue },
  { path: ["backup", "waive", "reason"], kinds: FARM_KINDS, values: anyValue, setup: waived },
  {
    path: ["database"],
    kinds: FARM_KINDS,
    values: objectValue({ sqlServer: "SQL1", connection: connection("sql1.corp.example", `${MARK}in-proto`) }),
  },
  ...connectionFields(["database", "connection"], [PREPARATION], true),
  { path: ["database", "sqlServer"], kinds: [PREPARATION], values: anyValue },
  { path: ["database", "name"], kinds: [PREPARATION], values: anyValue },
  { path: ["database", "backupPath"], kinds: [PREPARATION], values: anyValue },
  { path: ["database", "schemaScript"], kinds: [PREPARATION], values: anyValue },
  { path: ["database", "sqlUser"], kinds: [PREPARATION], values: secretValue, secret: true },
  { path: ["database", "sqlPassword"], kinds: [PREPARATION], values: secretValue, secret: true },
];

/** Fields the version rules normalise: a legal value comes back in canonical form, not as given. */
const NORMALISED = new Set(["targetVersion"]);

// Fields are drawn by name ("+" marks one that sets up its surroundings first), so a counterexample shows the path.
const FIELD_BY_NAME = new Map(FIELDS.map((f) => [`${f.path.join(".")}${f.setup ? "+" : ""}`, f]));

/** Output-only properties (appvInputs.ts OUTPUT_KEYS): a stored state may carry them back, so they are not unknown. */
const OUTPUT_KEYS = [
  "liveVersion",
  "installedVersion",
  "plan",
  "blockedReason",
  "serviceStatus",
  "liveVersions",
  "serviceStatuses",
  "schemaVersion",
  "backupPath",
  "backupVerified",
  "stoppedServers",
  "ready",
  "__provider",
];
const COMMON_KEYS = [
  "resourceName",
  "targetVersion",
  "maintenanceWindow",
  "timeBudgetMinutes",
  "upgradeAfter",
  "timeScale",
  ...OUTPUT_KEYS,
];

const LEVELS: readonly Level[] = [
  { path: [], kinds: [SERVER], known: [...COMMON_KEYS, "connection", "role", "installer", "overrides", "farm"] },
  { path: [], kinds: FARM_KINDS, known: [...COMMON_KEYS, "farmName", "servers", "database", "backup", "order"] },
  { path: ["installer"], kinds: [SERVER], known: ["path", "sha256", "arguments"] },
  { path: ["connection"], kinds: [SERVER], known: CONNECTION_KEYS },
  { path: ["overrides"], kinds: [SERVER], known: ["serviceDisplayName", "productDisplayNames"], setup: withOverrides([]) },
  { path: ["farm"], kinds: [SERVER], known: ["name", "database", "backupPath", "backupWaived", "self", "schemaServer", "later"] },
  { path: ["maintenanceWindow"], kinds: ALL_KINDS, known: ["days", "from", "to", "utcOffset", "start", "end"], setup: weekly },
  { path: ["servers", "0"], kinds: FARM_KINDS, known: ["name", "role", "connection", "targetVersion", "overrides", "installer"] },
  { path: ["servers", "1", "installer"], kinds: FARM_KINDS, known: ["path", "sha256", "arguments"] },
  { path: ["servers", "1", "connection"], kinds: FARM_KINDS, known: CONNECTION_KEYS },
  {
    path: ["database"],
    kinds: [PREPARATION],
    known: ["connection", "sqlServer", "name", "backupPath", "sqlUser", "sqlPassword", "schemaScript"],
  },
  { path: ["database", "connection"], kinds: [PREPARATION], known: CONNECTION_KEYS },
  { path: ["backup"], kinds: FARM_KINDS, known: ["waive"], setup: waived },
  { path: ["backup", "waive"], kinds: FARM_KINDS, known: ["reason"], setup: waived },
];

interface Extra {
  /** The dotted path of the object the field is added to ("" for the inputs). */
  at: string;
  key: string;
  value: unknown;
}

interface Replacements {
  kind: AppVKind;
  /** The field (by name in FIELD_BY_NAME) and the value it gets. */
  changes: { field: string; value: unknown }[];
  /** Unknown fields added beside, "__proto__" among them. */
  extra: Extra[];
}

/** An unknown field for one level of one kind: hostile names, near misses, Object.prototype names and "__proto__". */
function extraField(level: Level): fc.Arbitrary<Extra> {
  const key = fc.oneof(
    { arbitrary: unknownFieldName().filter((k) => !level.known.includes(k) && k !== "__proto__"), weight: 4 },
    { arbitrary: fc.constant("__proto__"), weight: 1 },
  );
  // A window's field set to null counts as not given (maintenanceWindow.ts isSet), so it is not an unknown field.
  const value = hostileValue({ huge: false }).filter((v) => v !== null);
  return fc.record({ at: fc.constant(level.path.join(".")), key, value });
}

/** One to three hostile replacements in an input of one kind, sometimes with unknown fields beside. */
function replacements(huge: boolean, kinds: readonly AppVKind[] = ALL_KINDS): fc.Arbitrary<Replacements> {
  return fc.constantFrom(...kinds).chain((kind) => {
    const names = [...FIELD_BY_NAME.entries()].filter(([, f]) => f.kinds.includes(kind)).map(([n]) => n);
    const change = fc.constantFrom(...names).chain((field) =>
      FIELD_BY_NAME.get(field)!
        .values(huge)
        .map((value) => ({ field, value })),
    );
    const levels = LEVELS.filter((l) => l.kinds.includes(kind));
    const extra = fc.array(fc.constantFrom(...levels).chain(extraField), { maxLength: 2 });
    return fc.record({
      kind: fc.constant(kind),
      changes: fc.array(change, { minLength: 1, maxLength: 3 }),
      extra: fc.oneof({ arbitrary: fc.constant<Extra[]>([]), weight: 2 }, { arbitrary: extra, weight: 1 }),
    });
  });
}

/** The input a replacement describes, the secrets it plants and the unknown fields that made it in. */
function build({ kind, changes, extra }: Replacements): { news: Inputs; planted: string[]; added: Extra[] } {
  const fields = changes.map(({ field, value }) => ({ field: FIELD_BY_NAME.get(field)!, value }));
  const news = validInputs(kind);
  for (const { field } of fields) field.setup?.(news);
  for (const e of extra) LEVELS.find((l) => l.path.join(".") === e.at)?.setup?.(news);
  for (const { field, value } of fields) setAt(news, field.path, value);
  const added: Extra[] = [];
  for (const e of extra) {
    const target = e.at ? valueAt(news, e.at.split(".")) : news;
    // Only where the object is still an object (a change may have replaced it) and the name is not taken.
    if (!target || typeof target !== "object" || Array.isArray(target) || Object.hasOwn(target, e.key)) continue;
    defineOwn(target as Inputs, e.key, e.value);
    added.push(e);
  }
  const planted = [MARK, ...fields.filter((c) => c.field.secret).flatMap((c) => needles(c.value))];
  return { news, planted, added };
}

/** Points every connection of accepted inputs at a host not known yet, so `check` plans without dialing. */
function unknownHosts(kind: AppVKind, news: Inputs): void {
  const connections = kind === SERVER ? [news.connection] : [...news.servers.map((s: Inputs) => s.connection), news.database?.connection];
  for (const c of connections) if (c && typeof c === "object") c.host = UNKNOWN;
}

describe("hostile App-V input", function () {
  this.timeout(120_000);

  describe("validateAppVServerInputs and validateAppVFarmInputs (pure)", () => {
    it("accepts the valid inputs every property starts from", () => {
      for (const kind of ALL_KINDS) {
        const result = validate(kind, validInputs(kind));
        assert.deepEqual(result.failures, [], `${kind}: ${show(result.failures)}`);
        assert.ok(result.inputs, `${kind}: valid inputs are returned`);
      }
    });

    /** Replaces fields with hostile values and checks the answer. */
    const answersStructurally = (huge: boolean) =>
      fc.property(replacements(huge), (r) => {
        const { news, planted, added } = build(r);
        let result: Validated<unknown>;
        try {
          result = validate(r.kind, news);
        } catch (e) {
          assert.fail(`${r.kind}: validation threw ${(e as Error)?.stack ?? String(e)}`);
        }
        assert.ok(Array.isArray(result.failures), "failures is a list");
        if (result.inputs) {
          assert.deepEqual(result.failures, [], "valid inputs come without failures");
          assert.deepEqual(added, [], "inputs with unknown fields are refused");
          // A legal value is kept exactly as given (targetVersion is normalised on purpose).
          for (const { field } of r.changes) {
            const path = FIELD_BY_NAME.get(field)!.path;
            if (NORMALISED.has(path.join("."))) continue;
            assert.deepEqual(valueAt(result.inputs, path), valueAt(news, path), `[${path.join(".")}] is kept as given`);
          }
          const target = parseAppVVersion((result.inputs as Inputs).targetVersion);
          assert.ok(target && APPV_TARGETS.includes(formatAppVVersion(target)), "an accepted target is a supported release");
        } else {
          assertStructured(result.failures, planted);
        }
      });

    // Until the bugs documented below are fixed, these two fail too: the huge one on almost every run, the other on
    // the runs that draw a null database, an object as a server name or a secret inside a value of the wrong shape.
    it("answers any field replaced by a hostile value with valid inputs or structured failures that show no secret", async () => {
      await holds(answersStructurally(false), { numRuns: 200 });
    });

    it("answers any field replaced by a huge string (20,000 to 100,000 characters) without echoing it whole", async () => {
      await holds(answersStructurally(true), { numRuns: 100 });
    });

    it("refuses every unknown field, an own __proto__ included, wherever it is", async () => {
      const arb = fc
        .constantFrom(...LEVELS)
        .chain((level) =>
          fc.record({ kind: fc.constantFrom(...level.kinds), extra: fc.array(extraField(level), { minLength: 1, maxLength: 3 }) }),
        );
      await holds(
        fc.property(arb, ({ kind, extra }) => {
          const { news, added } = build({ kind, changes: [], extra });
          assert.ok(added.length > 0, "test setup: a field was added");
          const result = validate(kind, news);
          assert.equal(result.inputs, undefined, "no inputs with an unknown field");
          assertStructured(result.failures, [MARK]);
          for (const { at, key } of added) {
            // Named as given, shortened past 80 characters (a huge name is never echoed whole).
            const named = result.failures.some(
              (f) => (f.property === "" || f.property.startsWith(at.replace(/\.(\d+)/g, "[$1]"))) && f.reason.includes(quoted(key)),
            );
            assert.ok(named, `no failure names the unknown field ${JSON.stringify(key)} of ${at || "(inputs)"}:\n${show(result.failures)}`);
          }
        }),
        { numRuns: 150 },
      );
    });

    // Documents a bug: validateAppVFarmInputs (provider/resources/appvInputs.ts) reads `news.database.connection`
    // after checking only `news.database === undefined` and isUnknown, so `database: null` (a JSON null, or an
    // unset optional config value) throws "TypeError: Cannot read properties of null (reading 'connection')"
    // instead of returning "[database] Expected object, received null".
    it("refuses a database that is null or not an object with failures, never a TypeError", async () => {
      const arb = fc.record({ kind: fc.constantFrom(...FARM_KINDS), database: fc.oneof(fc.constant(null), wrongType()) });
      await holds(
        fc.property(arb, ({ kind, database }) => {
          const news = validInputs(kind);
          news.database = database;
          let result: Validated<unknown>;
          try {
            result = validate(kind, news);
          } catch (e) {
            assert.fail(`${kind} with database ${fc.stringify(database)}: validation threw ${(e as Error)?.message ?? String(e)}`);
          }
          // Not an object, or an object without sqlServer: refused either way.
          assert.equal(result.inputs, undefined, `database ${fc.stringify(database)} was accepted`);
          assertStructured(result.failures, [MARK]);
          assert.ok(
            result.failures.some((f) => f.property.startsWith("database")),
            show(result.failures),
          );
        }),
        { numRuns: 100 },
      );
    });

    // Documents a bug: these messages quote a received value whole, so a 20,000 to 100,000-character value makes a
    // reason as long:
    // - provider/versions/appv.ts evaluateAppVTarget, version-unsupported (`target.trim()`): a version may be padded to
    //   any length and still parse ("000...04.0", "4.5 SP000...09");
    // - provider/versions/appv.ts evaluateFarmTargets, farm-versions-differ (`s.name`, `s.targetVersion.trim()`,
    //   `farmTarget.trim()`);
    // - provider/resources/appvInputs.ts validateAppVFarmInputs, duplicate names (`the name "${dup}" appears twice`);
    // - provider/resources/appvInputs.ts zodFailures passes zod's enum message on ("Invalid enum value. Expected ...,
    //   received '<the whole value>'") for role, servers[i].role and order (horizonInputs.ts fixFor rewrites it).
    it("does not echo a huge version, server name or enum value whole", async () => {
      const arb = fc.record({
        kind: fc.constantFrom(...ALL_KINDS),
        version: paddedVersion(),
        huge: hugeString(),
        where: fc.constantFrom("targetVersion", "servers.1.targetVersion", "duplicate-name", "role", "order"),
      });
      await holds(
        fc.property(arb, ({ kind, version, huge, where }) => {
          const news = validInputs(kind);
          if (where === "targetVersion" || (kind === SERVER && where !== "role")) news.targetVersion = version;
          else if (where === "role") (kind === SERVER ? news : news.servers[0]).role = huge;
          else if (where === "order") news.order = huge;
          else if (where === "servers.1.targetVersion") Object.assign(news.servers[1], { name: huge, targetVersion: version });
          else for (const server of news.servers) server.name = huge;
          const result = validate(kind, news);
          if (result.inputs) return;
          assertStructured(result.failures, [MARK]);
        }),
        { numRuns: 100 },
      );
    });

    // Documents a bug: validateAppVFarmInputs (provider/resources/appvInputs.ts) calls String(t?.name ?? "?") on each
    // server's name before the farm-versions rule; a name that is an object JSON can give, such as {"toString":1},
    // throws "TypeError: Cannot convert object to primitive value" instead of "[servers[0].name] Expected string".
    it("refuses a server name that is an object, as JSON can give it, with failures, never a TypeError", async () => {
      const objectName = fc.oneof(
        fc
          .constantFrom('{"toString":1}', '{"toString":{},"valueOf":{}}', '{"valueOf":null,"toString":"x"}', "{}", "[]", '{"name":"APPV1"}')
          .map((t) => JSON.parse(t) as unknown),
        wrongType().filter((v) => typeof v === "object" && v !== null),
      );
      await holds(
        fc.property(fc.constantFrom(...FARM_KINDS), fc.integer({ min: 0, max: 1 }), objectName, (kind, i, name) => {
          const news = validInputs(kind);
          news.servers[i].name = name;
          let result: Validated<unknown>;
          try {
            result = validate(kind, news);
          } catch (e) {
            assert.fail(`${kind} with servers[${i}].name ${fc.stringify(name)}: validation threw ${(e as Error)?.message ?? String(e)}`);
          }
          assert.equal(result.inputs, undefined, "a server name that is not a text was accepted");
          assertStructured(result.failures, [MARK]);
        }),
        { numRuns: 100 },
      );
    });

    // Documents two bugs: a value of the wrong shape is quoted (its first 80 characters) with the secrets inside it.
    // - describeValue (provider/resources/appvInputs.ts) hides a value only when its own path names a secret field:
    //   servers given as an object keyed by name, {"APPV1":{"connection":{"host":"a","user":"u","password":"S3cret!"}}},
    //   gives "[servers] Expected array, received object (received {"APPV1":{"connection":{"host":"a","user":"u",
    //   "password":"S3cret!",...)"; a database given as a list shows its sqlPassword the same way.
    // - validateConnectionArgs (provider/transport/connectionArgs.ts, "give an object with host, user and
    //   credentials") quotes a connection given as a list whole: "[connection] got [{"host":"a","user":"u",
    //   "password":"S3cret!",...]".
    it("shows no secret held inside a value of the wrong shape", async () => {
      const shapes = [
        "servers-as-object",
        "servers-nested",
        "server-as-list",
        "database-as-list",
        "connection-as-list",
        "database-connection-as-list",
      ] as const;
      const arb = fc
        .record({ kind: fc.constantFrom(...ALL_KINDS), shape: fc.constantFrom(...shapes), secret: secretValue(false) })
        // The completion does not use the database's connection, so it does not check it.
        .filter(({ kind, shape }) => !(kind === COMPLETION && shape === "database-connection-as-list"));
      await holds(
        fc.property(arb, ({ kind, shape, secret }) => {
          const news = validInputs(kind);
          // Short host and user, so the secret falls within the 80 characters a quoted value keeps.
          for (const c of kind === SERVER ? [news.connection] : news.servers.map((s: Inputs) => s.connection))
            Object.assign(c, { host: "a", user: "u" });
          if (kind === SERVER || shape === "connection-as-list") {
            const at = kind === SERVER ? news : news.servers[0];
            at.connection.password = secret;
            at.connection = [at.connection];
          } else if (shape === "servers-as-object" || shape === "servers-nested" || shape === "server-as-list") {
            news.servers[0].connection.password = secret;
            if (shape === "servers-as-object") news.servers = Object.fromEntries(news.servers.map((s: Inputs) => [s.name, s]));
            else if (shape === "servers-nested") news.servers = [news.servers];
            else news.servers[0] = [news.servers[0]];
          } else {
            news.database ??= { sqlServer: "SQL1", connection: connection("sql1.corp.example", SQL_HOST_PASSWORD) };
            news.database = { sqlPassword: undefined, ...news.database };
            Object.assign(news.database.connection, { host: "a", user: "u" });
            news.database.sqlPassword = secret;
            if (shape === "database-as-list") news.database = [news.database];
            else news.database.connection = [news.database.connection];
          }
          const result = validate(kind, news);
          assert.equal(result.inputs, undefined, `${shape} was accepted`);
          assertStructured(result.failures, [MARK, ...needles(secret)]);
        }),
        { numRuns: 100 },
      );
    });
  });

  // -------------------------------------------------------------------------------------------------------------
  // 2. Version rules

  describe("App-V version rules (pure)", () => {
    /** Versions the rules know, sourced (4.5 RTM build, lab builds) or not (3.2, 4.6, 5.0), written every way. */
    const KNOWN = [
      "3.2",
      "4.0",
      "4.0 SP1",
      "4.0.1.1850",
      "4.1",
      "4.1 RTM",
      "4.1 SP1",
      "4.1.1.1",
      "4.5",
      "4.5 RTM",
      "4.5.0.1485",
      "4.5 SP1",
      "4.5.1",
      "4.5 SP2",
      "4.5 sp 2",
      "4.5SP2",
      "4.5.2.17140",
      "4.5.2.17141",
      "4.5 SP9",
      "4.6",
      "5.0",
    ];
    const structured = fc
      .record({
        major: fc.integer({ min: 0, max: 6 }),
        minor: fc.integer({ min: 0, max: 9 }),
        sp: fc.integer({ min: 0, max: 4 }),
        build: fc.option(fc.integer({ min: 0, max: 99_999 }), { nil: undefined }),
        named: fc.boolean(),
      })
      .map(({ major, minor, sp, build, named }) =>
        named || build === undefined ? `${major}.${minor}${sp > 0 ? ` SP${sp}` : ""}` : `${major}.${minor}.${sp}.${build}`,
      );
    const versionText: fc.Arbitrary<unknown> = fc.oneof(
      { arbitrary: fc.constantFrom(...KNOWN), weight: 6 },
      { arbitrary: structured, weight: 4 },
      { arbitrary: fc.constantFrom(...APPV_VERSION_TEXTS), weight: 2 },
      { arbitrary: malformedVersion(), weight: 2 },
      { arbitrary: hostileString(), weight: 1 },
      { arbitrary: wrongType(), weight: 1 },
      { arbitrary: paddedVersion(), weight: 1 },
    );

    /** The order of two parsed versions, written here apart from compareAppVVersions. */
    function order(a: AppVVersion, b: AppVVersion): number {
      const pairs = [
        [a.major, b.major],
        [a.minor, b.minor],
        [a.servicePack, b.servicePack],
      ];
      if (a.build !== undefined && b.build !== undefined) pairs.push([a.build, b.build]);
      for (const [x, y] of pairs) if (x !== y) return x < y ? -1 : 1;
      return 0;
    }
    const FOUR_ONE: AppVVersion = { major: 4, minor: 1, servicePack: 0 };
    const FOUR_FIVE: AppVVersion = { major: 4, minor: 5, servicePack: 0 };

    it("refuses 4.5 and later from anything below 4.1 naming 4.1 or 4.1 SP1, refuses every downgrade, and allows the rest", async () => {
      await holds(
        fc.property(versionText, versionText, (liveText, targetText) => {
          let live: AppVVersion | undefined;
          let target: AppVVersion | undefined;
          try {
            live = parseAppVVersion(liveText as string);
            target = parseAppVVersion(targetText as string);
          } catch (e) {
            assert.fail(`parseAppVVersion threw ${(e as Error)?.stack ?? String(e)}`);
          }
          if (typeof targetText === "string") {
            let violations: ReturnType<typeof evaluateAppVTarget>;
            try {
              violations = evaluateAppVTarget(targetText);
            } catch (e) {
              assert.fail(`evaluateAppVTarget threw ${(e as Error)?.stack ?? String(e)}`);
            }
            const supported = target !== undefined && APPV_TARGETS.includes(formatAppVVersion(target));
            assert.equal(
              violations.length === 0,
              supported,
              `target ${clip(JSON.stringify(targetText), 80)}: ${violations.map((v) => v.message).join(" ")}`,
            );
            // Their length is the business of the validation properties (a padded version is echoed there).
            for (const v of violations)
              assert.ok(v.property === "targetVersion" && v.message.startsWith("[targetVersion] "), v.message.slice(0, 300));
          }
          if (!live || !target) return;
          let violations: ReturnType<typeof evaluateAppVUpgradePath>;
          try {
            violations = evaluateAppVUpgradePath(live, target);
          } catch (e) {
            assert.fail(`evaluateAppVUpgradePath threw ${(e as Error)?.stack ?? String(e)}`);
          }
          const what = `${formatAppVVersion(live)} -> ${formatAppVVersion(target)}: ${violations.map((v) => `${v.code}: ${v.message}`).join(" | ")}`;
          const skipsFourOne = order(target, FOUR_FIVE) >= 0 && order(live, FOUR_ONE) < 0;
          const downgrade = order(target, live) < 0;
          if (skipsFourOne) {
            const refusal = violations.find((v) => v.code === "upgrade-path-unsupported");
            assert.ok(refusal, `4.5 or later from below 4.1 is allowed: ${what}`);
            assert.match(refusal.message, /\b4\.1 or 4\.1 SP1\b/, what);
          }
          if (downgrade)
            assert.ok(
              violations.some((v) => v.code === "downgrade" || v.code === "service-pack-downgrade"),
              `a downgrade is allowed: ${what}`,
            );
          if (!skipsFourOne && !downgrade) assert.deepEqual(violations, [], `a legal path is refused: ${what}`);
          for (const v of violations) {
            assert.equal(v.property, "targetVersion");
            assert.ok(v.message.startsWith("[targetVersion] ") && v.message.length <= LONGEST_REASON, what);
          }
        }),
        { numRuns: 200 },
      );
    });

    it("accepts a target in validation only when it is a supported release, and returns it normalised", async () => {
      await holds(
        fc.property(fc.constantFrom(...ALL_KINDS), versionText, (kind, targetText) => {
          const news = validInputs(kind);
          news.targetVersion = targetText;
          const result = validate(kind, news);
          const parsed = parseAppVVersion(targetText as string);
          if (!result.inputs) {
            assertStructured(result.failures, [MARK]);
            return;
          }
          assert.ok(
            typeof targetText === "string" && parsed && APPV_TARGETS.includes(formatAppVVersion(parsed)),
            `${fc.stringify(targetText)} was accepted`,
          );
          const normal = parseAppVVersion((result.inputs as Inputs).targetVersion);
          assert.ok(normal && order(normal, parsed) === 0, "the normalised target is the same version");
        }),
        { numRuns: 150 },
      );
    });
  });

  // -------------------------------------------------------------------------------------------------------------
  // 3. check without a host: validation failures come back before any SSH

  describe("check (no host)", () => {
    const originalConnect = Client.prototype.connect;
    const dials: unknown[] = [];

    before(() => {
      // Any dial is a defect here: refused inputs must be answered before a host is reached.
      Client.prototype.connect = function (this: Client, config: unknown) {
        dials.push(config);
        throw new Error("test: check dialed a host");
      } as typeof Client.prototype.connect;
    });
    after(() => {
      Client.prototype.connect = originalConnect;
    });

    it("answers hostile inputs with the validation failures, never a throw, and plans accepted ones without dialing", async () => {
      await holds(
        fc.asyncProperty(
          fc.oneof({ arbitrary: replacements(false), weight: 4 }, { arbitrary: replacements(true), weight: 1 }),
          async (r) => {
            const { news, planted } = build(r);
            let validated: Validated<unknown> | undefined;
            try {
              validated = validate(r.kind, news);
            } catch {
              // Reported by the pure properties; check must still answer.
            }
            if (validated?.inputs) unknownHosts(r.kind, news);
            const dialsBefore = dials.length;
            const printed: string[] = [];
            const log = console.log;
            console.log = (...args: unknown[]) => void printed.push(args.map(String).join(" "));
            let result: { inputs?: unknown; failures?: CheckFailure[] };
            try {
              result = await check(r.kind, undefined, news);
            } catch (e) {
              assert.fail(`${r.kind}: check threw ${(e as Error)?.stack ?? String(e)}`);
            } finally {
              console.log = log;
            }
            assert.equal(dials.length, dialsBefore, "check dialed a host");
            // A schema script PowerShell 5.1 cannot parse is refused in check too (issue 15), after the validation.
            const scripts = (result.failures ?? []).filter(
              (f) =>
                f.property === "database.schemaScript" && /^\[database\.schemaScript\] (line \d+, column \d+:|and \d+ more)/.test(f.reason),
            );
            if (scripts.length > 0) {
              assert.equal(result.inputs, undefined, "a script that does not parse comes back as inputs");
              assertStructured(scripts, planted);
              if (validated)
                assert.deepEqual(
                  result.failures!.slice(0, validated.failures.length),
                  validated.failures,
                  "check returns the validation failures first",
                );
            } else if (validated?.inputs) {
              assert.deepEqual(result.failures ?? [], [], show(result.failures ?? []));
              const plan = (result.inputs as Inputs | undefined)?.plan;
              assert.ok(
                Array.isArray(plan) && plan.length === 1 && /computed once/.test(plan[0]),
                `accepted inputs come back with the placeholder plan: ${fc.stringify(brief(plan))}`,
              );
            } else {
              assert.equal(result.inputs, undefined, "refused inputs come back as inputs");
              assertStructured(result.failures ?? [], planted);
              // An object at a secret field that is not a reference ({ fromEnv } / { fromFile }) is refused as such first.
              const references = resolveSecretReferences(news).failures;
              if (references.length > 0)
                assert.deepEqual(result.failures, safeFailures(references, news), "check returns the reference failures");
              else if (validated) assert.deepEqual(result.failures, validated.failures, "check returns the validation failures");
            }
            for (const line of printed) assert.ok(!line.includes(MARK), `check printed a secret: ${clip(line, 300)}`);
          },
        ),
        { numRuns: 150 },
      );
    });
  });
});
