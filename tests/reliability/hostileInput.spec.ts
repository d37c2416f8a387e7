// Hostile input (issue 6): property-based tests of every Horizon resource's `check` with malformed versions, unknown
// fields, wrong types, huge strings and names carrying quotes, ;, $(), backticks, newlines and Unicode. Each input
// ends in a structured failure or, when it is legal, reaches the lab byte for byte; never a crash, never a command
// line that carries input.
import { shorten as quoted } from "../../provider/errors/shorten";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Client } from "ssh2";
import { type Lab, startLab } from "../../lab";
import { cliLabOptions, stageAndDescribe, type LabDescription } from "../../lab/cli";
import { checkCommandLine } from "../../lab/protocol";
import {
  getFileHash,
  getInstalledProduct,
  getServiceState,
  invokeHook,
  startInstaller,
  invokeVdmadmin,
  setPairingPassword,
  setServiceState,
} from "../../provider/operations";
import { check } from "../../provider/resources/horizonProvider";
import { type CheckFailure, type HorizonKind, validateHorizonInputs } from "../../provider/products/horizonInputs";
import {
  BOOTSTRAP,
  COMMAND_LINE,
  buildCommandLine,
  closeAllConnections,
  isTransportError,
  openSession,
  type Session,
} from "../../provider/transport";
import { resetFactsCache } from "../../provider/upgrade/factsCache";
import { FAST, argsFor } from "../transport/labFixture";
import { NASTY_STRINGS, hostileString, hostileValue, hugeString, malformedVersion, unknownFieldName, wrongType } from "./arbitraries";
import type { Field as KitField, Inputs, Level as KitLevel } from "./propertyKit";
import {
  CONNECTION_KEYS,
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

/** The exec command line as it was before any generated input existed. */
const COMMAND_LINE_AT_LOAD = COMMAND_LINE;

/** Every planted secret carries this mark, so a reason that shows any part of one is caught. */
const MARK = "Zx9-SECRET-";
const CS_PASSWORD = `${MARK}cs-password`;
const SS_PASSWORD = `${MARK}ss-password`;
const CS_OF_SS_PASSWORD = `${MARK}paired-cs-password`;
const PAIRING = `${MARK}pairing`;
const INSTALLER = "C:\\Installers\\setup.exe";
const CS: HorizonKind = "connection-server";
const SS: HorizonKind = "security-server";
const { needles, secretValue } = markedSecrets(MARK);

/** A valid input of `kind`. */
function validInputs(kind: HorizonKind): Inputs {
  const common = {
    connection: connection("h.corp.example", kind === CS ? CS_PASSWORD : SS_PASSWORD),
    targetVersion: "7.13.2",
    installer: { path: INSTALLER, sha256: SHA },
  };
  if (kind === CS) return { resourceName: "cs1", ...common };
  return {
    resourceName: "ss1",
    ...common,
    connectionServer: { name: "CS1", connection: connection("cs1.corp.example", CS_OF_SS_PASSWORD), targetVersion: "7.13.2" },
    pairingPassword: PAIRING,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// 1. validateHorizonInputs

type Field = KitField<HorizonKind>;
type Level = KitLevel<HorizonKind>;

const BOTH = [CS, SS] as const;
const versionValue = (huge: boolean): fc.Arbitrary<unknown> =>
  huge ? hugeString() : fc.oneof({ arbitrary: malformedVersion(), weight: 3 }, { arbitrary: anyValue(false), weight: 1 });

const FIELDS: readonly Field[] = [
  { path: ["resourceName"], kinds: BOTH, values: anyValue },
  { path: ["targetVersion"], kinds: BOTH, values: versionValue },
  { path: ["installer"], kinds: BOTH, values: anyValue },
  { path: ["installer", "path"], kinds: BOTH, values: anyValue },
  { path: ["installer", "sha256"], kinds: BOTH, values: anyValue },
  { path: ["installer", "arguments"], kinds: BOTH, values: anyValue },
  { path: ["hooks"], kinds: BOTH, values: anyValue },
  { path: ["hooks", "before"], kinds: BOTH, values: anyValue },
  { path: ["hooks", "after"], kinds: BOTH, values: anyValue },
  { path: ["maintenanceWindow"], kinds: BOTH, values: anyValue },
  { path: ["maintenanceWindow", "days"], kinds: BOTH, values: anyValue, setup: weekly },
  { path: ["maintenanceWindow", "from"], kinds: BOTH, values: anyValue, setup: weekly },
  { path: ["maintenanceWindow", "to"], kinds: BOTH, values: anyValue, setup: weekly },
  { path: ["maintenanceWindow", "utcOffset"], kinds: BOTH, values: anyValue, setup: weekly },
  { path: ["maintenanceWindow", "start"], kinds: BOTH, values: anyValue, setup: oneOff },
  { path: ["maintenanceWindow", "end"], kinds: BOTH, values: anyValue, setup: oneOff },
  { path: ["timeBudgetMinutes"], kinds: BOTH, values: anyValue },
  { path: ["timeScale"], kinds: BOTH, values: anyValue },
  { path: ["upgradeAfter"], kinds: BOTH, values: anyValue },
  { path: ["plan"], kinds: BOTH, values: anyValue },
  { path: ["connection"], kinds: BOTH, values: anyValue },
  { path: ["connection", "host"], kinds: BOTH, values: anyValue },
  { path: ["connection", "port"], kinds: BOTH, values: anyValue },
  { path: ["connection", "user"], kinds: BOTH, values: anyValue },
  { path: ["connection", "password"], kinds: BOTH, values: secretValue, secret: true },
  { path: ["connection", "privateKey"], kinds: BOTH, values: secretValue, secret: true },
  { path: ["connection", "privateKeyPassword"], kinds: BOTH, values: secretValue, secret: true },
  { path: ["connection", "hostKey"], kinds: BOTH, values: anyValue },
  { path: ["connection", "dialErrorLimit"], kinds: BOTH, values: anyValue },
  { path: ["connection", "perDialTimeout"], kinds: BOTH, values: anyValue },
  { path: ["connection", "insecureSkipHostKeyCheck"], kinds: BOTH, values: anyValue },
  { path: ["connection", "agentSocketPath"], kinds: BOTH, values: anyValue },
  { path: ["connection", "proxy"], kinds: BOTH, values: anyValue },
  { path: ["connection", "proxy", "password"], kinds: BOTH, values: secretValue, secret: true },
  { path: ["overrides"], kinds: BOTH, values: anyValue },
  { path: ["overrides", "serviceDisplayName"], kinds: BOTH, values: anyValue },
  { path: ["overrides", "productDisplayNames"], kinds: BOTH, values: anyValue },
  { path: ["overrides", "vdmadminPath"], kinds: BOTH, values: anyValue },
  { path: ["overrides", "securityServerListScript"], kinds: BOTH, values: anyValue },
  { path: ["overrides", "pairingPasswordScript"], kinds: BOTH, values: anyValue },
  { path: ["overrides", "prepareSecurityServerScript"], kinds: BOTH, values: anyValue },
  { path: ["role"], kinds: [CS], values: anyValue },
  { path: ["checkReplication"], kinds: [CS], values: anyValue },
  { path: ["connectionServer"], kinds: [SS], values: anyValue },
  { path: ["connectionServer", "name"], kinds: [SS], values: anyValue },
  { path: ["connectionServer", "targetVersion"], kinds: [SS], values: versionValue },
  { path: ["connectionServer", "upgraded"], kinds: [SS], values: anyValue },
  { path: ["connectionServer", "connection"], kinds: [SS], values: anyValue },
  { path: ["connectionServer", "connection", "host"], kinds: [SS], values: anyValue },
  { path: ["connectionServer", "connection", "hostKey"], kinds: [SS], values: anyValue },
  { path: ["connectionServer", "connection", "password"], kinds: [SS], values: secretValue, secret: true },
  { path: ["pairingPassword"], kinds: [SS], values: secretValue, secret: true },
  { path: ["pairingTimeoutMinutes"], kinds: [SS], values: anyValue },
  { path: ["ipsec"], kinds: [SS], values: anyValue },
  { path: ["registeredName"], kinds: [SS], values: anyValue },
];

/** Fields the version rules normalise: a legal value comes back in canonical form, not as given. */
const NORMALISED = new Set(["targetVersion", "connectionServer.targetVersion"]);

const FIELD_BY_NAME = new Map(FIELDS.map((f) => [f.path.join("."), f]));

/** Fields each object accepts, so a generated unknown field is really unknown. */
const COMMON_KEYS = [
  "resourceName",
  "connection",
  "targetVersion",
  "installer",
  "maintenanceWindow",
  "timeBudgetMinutes",
  "hooks",
  "overrides",
  "upgradeAfter",
  "timeScale",
  "__provider",
  "liveVersion",
  "installedVersion",
  "plan",
  "blockedReason",
  "serviceStatus",
  "pairingState",
];

const LEVELS: readonly Level[] = [
  { path: [], kinds: [CS], known: [...COMMON_KEYS, "role", "checkReplication"] },
  {
    path: [],
    kinds: [SS],
    known: [...COMMON_KEYS, "connectionServer", "pairingPassword", "pairingTimeoutMinutes", "ipsec", "registeredName"],
  },
  { path: ["installer"], kinds: BOTH, known: ["path", "sha256", "arguments"] },
  { path: ["hooks"], kinds: BOTH, known: ["before", "after"], setup: (i) => (i.hooks = { before: "Write-Host before" }) },
  {
    path: ["overrides"],
    kinds: BOTH,
    known: [
      "serviceDisplayName",
      "productDisplayNames",
      "vdmadminPath",
      "securityServerListScript",
      "pairingPasswordScript",
      "prepareSecurityServerScript",
    ],
    setup: (i) => (i.overrides = {}),
  },
  { path: ["maintenanceWindow"], kinds: BOTH, known: ["days", "from", "to", "utcOffset", "start", "end"], setup: weekly },
  { path: ["connection"], kinds: BOTH, known: CONNECTION_KEYS },
  { path: ["connectionServer"], kinds: [SS], known: ["name", "connection", "targetVersion", "upgraded"] },
  { path: ["connectionServer", "connection"], kinds: [SS], known: CONNECTION_KEYS },
];

interface Replacements {
  kind: HorizonKind;
  /** The dotted field name and the value it gets. */
  changes: { field: string; value: unknown }[];
  /** Unknown top-level fields added beside. */
  extra: [string, unknown][];
}

/** One to three hostile replacements in an input of one kind, sometimes with unknown fields beside. */
function replacements(huge: boolean): fc.Arbitrary<Replacements> {
  return fc.constantFrom(CS, SS).chain((kind) => {
    const fields = FIELDS.filter((f) => f.kinds.includes(kind));
    const known = new Set(LEVELS.filter((l) => l.path.length === 0 && l.kinds.includes(kind)).flatMap((l) => l.known));
    const change = fc.constantFrom(...fields).chain((f) => f.values(huge).map((value) => ({ field: f.path.join("."), value })));
    const extra = fc.uniqueArray(
      fc.tuple(
        unknownFieldName().filter((k) => !known.has(k) && k !== "__proto__"),
        hostileValue({ huge: false }),
      ),
      {
        maxLength: 2,
        selector: ([k]) => k,
      },
    );
    return fc.record({
      kind: fc.constant(kind),
      changes: fc.array(change, { minLength: 1, maxLength: 3 }),
      extra: fc.oneof(fc.constant<[string, unknown][]>([]), extra),
    });
  });
}

describe("hostile input", function () {
  this.timeout(120_000);

  describe("validateHorizonInputs (pure)", () => {
    /** Replaces fields with hostile values and checks the answer. */
    const answersStructurally = (huge: boolean) =>
      fc.property(replacements(huge), ({ kind, changes: named, extra }) => {
        const changes = named.map(({ field, value }) => ({ field: FIELD_BY_NAME.get(field)!, value }));
        const news = validInputs(kind);
        for (const { field } of changes) field.setup?.(news);
        for (const { field, value } of changes) setAt(news, field.path, value, { keepArrays: false });
        for (const [k, v] of extra) defineOwn(news, k, v);
        const planted = [MARK, ...changes.filter((c) => c.field.secret).flatMap((c) => needles(c.value))];
        let result: ReturnType<typeof validateHorizonInputs>;
        try {
          result = validateHorizonInputs(kind, news);
        } catch (e) {
          assert.fail(`validateHorizonInputs threw ${(e as Error)?.stack ?? String(e)}`);
        }
        assert.ok(Array.isArray(result.failures), "failures is a list");
        if (result.inputs) {
          assert.deepEqual(result.failures, [], "valid inputs come without failures");
          assert.deepEqual(extra, [], "inputs with unknown fields are refused");
          // A legal value is kept exactly as given (the version fields are normalised on purpose).
          for (const { field } of changes) {
            const key = field.path.join(".");
            if (NORMALISED.has(key)) continue;
            assert.deepEqual(valueAt(result.inputs, field.path), valueAt(news, field.path), `[${key}] is kept as given`);
          }
        } else {
          assertStructured(result.failures, planted);
        }
      });

    it("answers any field replaced by a hostile value with valid inputs or structured failures that show no secret", async () => {
      await holds(answersStructurally(false), { numRuns: 200 });
    });

    // Documents a bug: three messages quote a huge value whole, so a 100,000-character value makes a reason of
    // 100,000 characters or more: [targetVersion] (provider/versions/horizon.ts evaluateHorizonTarget,
    // JSON.stringify(args.target)) and the enums [role] and [ipsec] (zod's "Invalid enum value ... received '...'",
    // passed on by fixFor in provider/resources/horizonInputs.ts).
    it("answers any field replaced by a huge string (20,000 to 100,000 characters) without echoing it whole", async () => {
      await holds(answersStructurally(true), { numRuns: 100 });
    });

    it("refuses every unknown field, wherever it is, naming it", async () => {
      const arb = fc.constantFrom(...LEVELS).chain((level) =>
        fc.record({
          level: fc.constant(level),
          kind: fc.constantFrom(...level.kinds),
          fields: fc.uniqueArray(
            fc.tuple(
              unknownFieldName().filter((k) => !level.known.includes(k) && k !== "__proto__"),
              fc.jsonValue({ maxDepth: 2 }).filter((v) => v !== null),
            ),
            { minLength: 1, maxLength: 3, selector: ([k]) => k },
          ),
        }),
      );
      await holds(
        fc.property(arb, ({ level, kind, fields }) => {
          const news = validInputs(kind);
          level.setup?.(news);
          const target = (level.path.length ? valueAt(news, level.path) : news) as Inputs;
          for (const [k, v] of fields) defineOwn(target, k, v);
          const result = validateHorizonInputs(kind, news);
          assert.equal(result.inputs, undefined, "no inputs with an unknown field");
          assertStructured(result.failures, [MARK]);
          const where = level.path.length ? level.path.join(".") : "(inputs)";
          for (const [k] of fields) {
            const named = result.failures.some(
              // Named as given, shortened past 80 characters (a huge name is never echoed whole).
              (f) => (f.property === "" || f.property.startsWith(where)) && /unknown field/.test(f.reason) && f.reason.includes(quoted(k)),
            );
            assert.ok(named, `no failure names the unknown field ${JSON.stringify(k)} of ${where}:\n${show(result.failures)}`);
          }
        }),
        { numRuns: 150 },
      );
    });

    // Documents a bug: the names of unknown fields are printed whole, so a 100,000-character name makes a
    // 100,000-character reason (horizonInputs.ts zodFailures and connectionArgs.ts describeIssues).
    it("does not echo a huge unknown field name whole", async () => {
      const arb = fc.record({
        level: fc.constantFrom(
          ...LEVELS.filter((l) => l.path.length === 0 || l.path[0] === "installer" || l.path[l.path.length - 1] === "connection"),
        ),
        key: hugeString(),
      });
      await holds(
        fc.property(arb, ({ level, key }) => {
          const kind = level.kinds[0];
          const news = validInputs(kind);
          defineOwn((level.path.length ? valueAt(news, level.path) : news) as Inputs, key, 1);
          const result = validateHorizonInputs(kind, news);
          assert.equal(result.inputs, undefined, "no inputs with an unknown field");
          assertStructured(result.failures, [MARK]);
        }),
        { numRuns: 20 },
      );
    });

    // Documents a bug: an own field named "__proto__" (JSON.parse makes one) is not reported; stripUnknown in
    // horizonInputs.ts assigns it with `out[k] = s`, which sets the prototype of the copy zod checks, so the field
    // vanishes and its contents are validated as if they were the inputs' own fields.
    it("refuses a field named __proto__ instead of validating its contents as the inputs", async () => {
      const arb = fc.record({
        kind: fc.constantFrom(CS, SS),
        value: fc.oneof(wrongType(), fc.constant({}), fc.constant({ installer: { path: INSTALLER, sha256: SHA } })),
        dropInstaller: fc.boolean(),
      });
      await holds(
        fc.property(arb, ({ kind, value, dropInstaller }) => {
          const news = validInputs(kind);
          if (dropInstaller) delete news.installer;
          defineOwn(news, "__proto__", value);
          const result = validateHorizonInputs(kind, news);
          assert.equal(
            result.inputs,
            undefined,
            `inputs with a "__proto__" field were accepted${dropInstaller ? " (and without an installer)" : ""}`,
          );
          assertStructured(result.failures, [MARK]);
          assert.ok(
            result.failures.some((f) => f.reason.includes('"__proto__"')),
            show(result.failures),
          );
        }),
        { numRuns: 50 },
      );
    });
  });

  // -------------------------------------------------------------------------------------------------------------
  // 2-3. Operations against one plain lab host

  describe("operations against a lab host", () => {
    let lab: Lab;
    let session: Session;
    const commands: string[] = [];
    const originalExec = Client.prototype.exec;

    before(async () => {
      lab = await startLab({ timeFactor: FAST, hosts: [{ name: "h1" }] });
      const ep = lab.endpoint("h1");
      session = openSession(argsFor(ep));
      // Every exec line the transport sends, as ssh2 puts it on the wire.
      Client.prototype.exec = function (this: Client, command: string, ...rest: unknown[]) {
        commands.push(command);
        return (originalExec as (...a: unknown[]) => unknown).call(this, command, ...rest);
      } as typeof Client.prototype.exec;
    });
    after(async () => {
      Client.prototype.exec = originalExec;
      closeAllConnections();
      await lab?.stop();
    });

    const legal = fc.oneof(
      { arbitrary: fc.constantFrom(...NASTY_STRINGS), weight: 3 },
      { arbitrary: hostileString(60), weight: 6 },
      { arbitrary: hugeString(), weight: 1 },
    );

    it("delivers hook texts and paths to the host byte for byte, over the one constant command line", async () => {
      const h1 = () => lab.host("h1");
      await holds(
        fc.asyncProperty(legal, async (s) => {
          const sentBefore = commands.length;
          const auditBefore = h1().audit.length;
          if (s.length === 0) {
            // The empty hook is not legal: refused before anything is sent.
            await assert.rejects(invokeHook(session, { hook: s, phase: "before" }), (e: unknown) => isTransportError(e, "invalid-params"));
            assert.equal(h1().audit.length, auditBefore, "nothing reached the host");
          } else {
            const hookCount = h1().state.hooks.length;
            const { result } = await invokeHook(session, { hook: s, phase: "before" });
            assert.equal(result.exitCode, 0);
            const hooks = h1().state.hooks;
            assert.equal(hooks.length, hookCount + 1, "the host ran one hook");
            const last = hooks[hooks.length - 1];
            assert.ok(
              last.hook === s,
              `the hook arrived changed: ${JSON.stringify(brief(last.hook))} instead of ${JSON.stringify(brief(s))}`,
            );
            assert.equal(last.phase, "before");
            const entry = h1().audit[h1().audit.length - 1];
            assert.equal(entry.operation, "Invoke-Hook");
            assert.deepEqual(entry.params, { hook: s, phase: "before" });
          }
          const path = "C:\\In " + s;
          const { result: hash } = await getFileHash(session, { path });
          assert.equal(hash.exists, false);
          const entry = h1().audit[h1().audit.length - 1];
          assert.equal(entry.operation, "Get-FileHash");
          const arrived = (entry.params as { path?: unknown }).path;
          assert.ok(
            arrived === path,
            `the path arrived changed: ${JSON.stringify(brief(arrived))} instead of ${JSON.stringify(brief(path))}`,
          );
          assert.deepEqual(Object.keys(entry.params as object), ["path"]);

          const sent = commands.slice(sentBefore);
          assert.equal(sent.length, h1().audit.length - auditBefore, "one exec per operation the host ran");
          for (const c of sent) {
            assert.ok(c === COMMAND_LINE_AT_LOAD, `an exec line differs from the constant one: ${clip(c, 200)}`);
            if (s.length >= 8) assert.ok(!c.includes(s), "the input is on the command line");
          }
        }),
        { numRuns: 40 },
      );
      // The constant itself was not changed by anything that ran, and the host decodes it to the fixed bootstrap.
      assert.equal(COMMAND_LINE, COMMAND_LINE_AT_LOAD);
      assert.equal(COMMAND_LINE, buildCommandLine(BOOTSTRAP));
      const verdict = checkCommandLine(COMMAND_LINE);
      assert.ok(verdict.ok, "the lab accepts the command line");
      assert.equal(verdict.bootstrap, BOOTSTRAP);
      assert.ok(commands.length > 0 && commands.every((c) => c === COMMAND_LINE_AT_LOAD));
    });

    /** An operation call with illegal params, and the secret values it carries. */
    interface IllegalCall {
      readonly what: string;
      readonly secrets: readonly string[];
      run(session: Session): Promise<unknown>;
    }

    const secretText = hostileString(12).map((s) => `${MARK}${s}`);
    const badTimeout = fc.oneof(
      fc.constantFrom<unknown>(0, -0, -1, NaN, Infinity, -Infinity, 86_400.5, 86_401, 1e300, -1e300, Number.MAX_VALUE),
      fc.double({ max: 0, noNaN: false }),
      fc.double({ min: 86_400.001, noNaN: true }),
      fc.integer({ min: 86_401 }),
      wrongType().filter((v) => typeof v !== "number" || !(v > 0 && v <= 86_400)),
    );
    const installer = {
      product: "horizon-connection-server",
      target: "7.13.2",
      path: "C:\\Installers\\setup.exe",
      argumentTemplate: '/s /v"/qn"',
      logPath: "C:\\Windows\\Temp\\setup.log",
      waitSeconds: 60,
    };
    // Start-Installer's waitSeconds may be 0 (answer at once): the illegal values are the other ones.
    const badWait = badTimeout.filter((t) => !(t === 0));
    /** Names of Object.prototype members: a plain `secrets[name]` lookup finds them on any object. */
    const PROTOTYPE_NAMES = [
      "toString",
      "constructor",
      "valueOf",
      "hasOwnProperty",
      "isPrototypeOf",
      "propertyIsEnumerable",
      "toLocaleString",
      "__proto__",
    ];
    const secretName = fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/).filter((n) => !(n in Object.prototype));
    const describe = (v: unknown): string => clip(fc.stringify(brief(v)), 80);
    // fast-check prints a counterexample through its toString method: the description, not the closure.
    const call = (what: string, run: (s: Session) => Promise<unknown>, secrets: readonly string[] = []): IllegalCall =>
      Object.assign({ what, run, secrets }, { [fc.toStringMethod]: () => what });

    const illegal: fc.Arbitrary<IllegalCall> = fc.oneof(
      badWait.map((t) =>
        call(`Start-Installer waitSeconds ${describe(t)}`, (s) => startInstaller(s, { ...installer, waitSeconds: t } as never)),
      ),
      fc
        .record({
          name: secretName,
          others: fc.dictionary(secretName, secretText, { maxKeys: 3 }),
          before: hostileString(20),
          after: hostileString(20),
        })
        .filter(({ name, others }) => !Object.prototype.hasOwnProperty.call(others, name))
        .map(({ name, others, before, after }) =>
          call(
            `Start-Installer {{secret:${name}}} without the secret`,
            (s) =>
              startInstaller(s, {
                ...installer,
                argumentTemplate: `${before}{{secret:${name}}}${after}`,
                secrets: Object.keys(others).length ? others : undefined,
              }),
            Object.values(others),
          ),
        ),
      secretText.map((pw) =>
        call(
          "Start-Installer with an empty secret",
          (s) => startInstaller(s, { ...installer, argumentTemplate: "{{secret:a}}", secrets: { a: "", b: pw } }),
          [pw],
        ),
      ),
      fc
        .record({ key: fc.constantFrom("path", "logPath", "argumentTemplate"), value: fc.oneof(fc.constant(""), wrongType()) })
        // Any string is a legal argumentTemplate, and any non-empty string a legal path or logPath: keep only values that
        // really are illegal for the key.
        .filter(({ key, value }) => typeof value !== "string" || (key !== "argumentTemplate" && value === ""))
        .map(({ key, value }) =>
          call(`Start-Installer ${key} ${describe(value)}`, (s) => startInstaller(s, { ...installer, [key]: value } as never)),
        ),
      fc
        .tuple(
          unknownFieldName().filter((k) => !Object.hasOwn(installer, k) && k !== "secrets"),
          hostileValue(),
        )
        .map(([k, v]) => call(`Start-Installer with unknown field ${k}`, (s) => startInstaller(s, { ...installer, [k]: v } as never))),
      fc
        .oneof(
          fc.constant(""),
          wrongType().filter((v) => typeof v !== "string"),
        )
        .map((hook) => call(`Invoke-Hook hook ${describe(hook)}`, (s) => invokeHook(s, { hook, phase: "before" } as never))),
      fc
        .tuple(
          hostileString(),
          fc.oneof(
            fc.constant(""),
            wrongType().filter((v) => typeof v !== "string"),
          ),
        )
        .map(([hook, phase]) => call(`Invoke-Hook phase ${describe(phase)}`, (s) => invokeHook(s, { hook: hook || "x", phase } as never))),
      fc
        .oneof(
          fc.constant(""),
          wrongType().filter((v) => typeof v !== "string"),
        )
        .map((path) => call(`Get-FileHash path ${describe(path)}`, (s) => getFileHash(s, { path } as never))),
      fc
        .tuple(
          unknownFieldName().filter((k) => k !== "path"),
          hostileValue(),
        )
        .map(([k, v]) => call(`Get-FileHash with unknown field ${k}`, (s) => getFileHash(s, { path: "C:\\x", [k]: v } as never))),
      fc
        .oneof(
          hostileString(),
          wrongType().filter((v) => !Array.isArray(v) || v.some((x) => typeof x !== "string")),
        )
        .map((args) =>
          call(`Invoke-Vdmadmin arguments ${describe(args)}`, (s) =>
            invokeVdmadmin(s, { vdmadminPath: "C:\\vdmadmin.exe", arguments: args } as never),
          ),
        ),
      fc
        .oneof(
          hostileString().filter((x) => x !== "Running" && x !== "Stopped"),
          wrongType(),
        )
        .map((state) =>
          call(`Set-ServiceState state ${describe(state)}`, (s) =>
            setServiceState(s, { displayName: "Svc", state, timeoutSeconds: 60 } as never),
          ),
        ),
      badTimeout.map((t) =>
        call(`Set-ServiceState timeoutSeconds ${describe(t)}`, (s) =>
          setServiceState(s, { displayName: "Svc", state: "Running", timeoutSeconds: t } as never),
        ),
      ),
      fc
        .tuple(
          fc.oneof(
            fc.constantFrom<unknown>(0, 1441, 1.5, NaN, -1, Infinity),
            wrongType().filter((v) => !Number.isInteger(v) || (v as number) < 1 || (v as number) > 1440),
          ),
          secretText,
        )
        .map(([m, pw]) =>
          call(
            `Set-PairingPassword timeoutMinutes ${describe(m)}`,
            (s) => setPairingPassword(s, { connectionServer: "CS1", timeoutMinutes: m, secrets: { pairingPassword: pw } } as never),
            [pw],
          ),
        ),
      secretText.map((pw) =>
        call(
          "Set-PairingPassword without a pairing password",
          (s) => setPairingPassword(s, { connectionServer: "CS1", timeoutMinutes: 30, secrets: { viewApiPassword: pw } } as never),
          [pw],
        ),
      ),
      fc
        .constantFrom<unknown>([], [""], "", null, [1])
        .map((names) =>
          call(`Get-InstalledProduct / Get-ServiceState with ${JSON.stringify(names)}`, (s) =>
            Array.isArray(names) && names.length === 0
              ? getInstalledProduct(s, { displayNameLike: names as never })
              : getServiceState(s, { displayNames: names as never }),
          ),
        ),
    );

    /** Calls `c`; asserts it was refused as invalid-params with nothing sent and no secret shown. */
    async function assertRefusedUnsent(c: IllegalCall): Promise<void> {
      const sentBefore = commands.length;
      const auditBefore = lab.audit().length;
      let error: unknown;
      try {
        await c.run(session);
      } catch (e) {
        error = e;
      }
      assert.ok(error !== undefined, `${c.what}: the call was not refused`);
      assert.ok(
        isTransportError(error, "invalid-params"),
        `${c.what}: refused with ${clip(String((error as Error)?.stack ?? error), 400)}`,
      );
      assert.equal(error.mayHaveRun, false);
      assert.equal(commands.length, sentBefore, `${c.what}: an exec was sent`);
      assert.equal(lab.audit().length, auditBefore, `${c.what}: the host received it`);
      for (const secret of c.secrets)
        assert.ok(!error.message.includes(secret), `${c.what}: the message shows a secret: ${clip(error.message, 300)}`);
    }

    it("refuses illegal operation params before anything is sent, showing no secret", async () => {
      await holds(fc.asyncProperty(illegal, assertRefusedUnsent), { numRuns: 150 });
    });

    // Documents a bug: startInstallerParamsSchema (provider/operations/hostOperations.ts) checks each {{secret:NAME}} with
    // `p.secrets?.[NAME] === undefined`, which finds Object.prototype members: {{secret:toString}} with a secrets
    // object that lacks "toString" passes validation and is sent to the host (which refuses it there).
    it("refuses a {{secret:NAME}} placeholder named like an Object.prototype member when the secret is missing", async () => {
      const arb = fc
        .record({ name: fc.constantFrom(...PROTOTYPE_NAMES), pw: secretText, other: secretName })
        .map(({ name, pw, other }) =>
          call(
            `Start-Installer {{secret:${name}}} with only "${other}" in secrets`,
            (s) => startInstaller(s, { ...installer, argumentTemplate: `/s /v"/qn PASS={{secret:${name}}}"`, secrets: { [other]: pw } }),
            [pw],
          ),
        );
      await holds(fc.asyncProperty(arb, assertRefusedUnsent), { numRuns: 25 });
    });
  });

  // -------------------------------------------------------------------------------------------------------------
  // 4. The live check of the Horizon provider against a lab pod

  describe("check against a lab pod", () => {
    let lab: Lab;
    let description: LabDescription;

    before(async () => {
      lab = await startLab({ ...cliLabOptions(FAST), farms: [] });
      description = stageAndDescribe(lab);
    });
    after(async () => {
      closeAllConnections();
      await lab?.stop();
    });

    function connectionTo(name: string): Inputs {
      const h = description.hosts[name];
      return { host: h.host, port: h.port, user: h.user, password: h.password, hostKey: h.hostKey };
    }

    function podInputs(kind: HorizonKind, hooks: Inputs, registeredName: string): Inputs {
      if (kind === CS) {
        const cs = description.hosts.cs1;
        return {
          resourceName: "pod1-cs1",
          connection: connectionTo("cs1"),
          targetVersion: "7.13.2",
          installer: { path: cs.installers[0].path, sha256: cs.installers[0].sha256 },
          hooks,
        };
      }
      const ss = description.hosts.ss2;
      return {
        resourceName: "pod1-ss2",
        connection: connectionTo("ss2"),
        targetVersion: "7.13.2",
        installer: { path: ss.installers[0].path, sha256: ss.installers[0].sha256 },
        hooks,
        connectionServer: { name: description.hosts.cs2.computerName, connection: connectionTo("cs2"), targetVersion: "7.13.2" },
        pairingPassword: description.pairingPassword,
        registeredName,
      };
    }

    // Documents a bug: JSON.parse makes "__proto__" an own field; validateHorizonInputs does not report it and
    // validates its contents in place of the inputs' own fields (see above), so an installer given only there passes
    // validation and check then throws "TypeError: Cannot read properties of undefined (reading 'path')" from
    // observe() in provider/resources/horizonProvider.ts.
    it("answers inputs carrying a __proto__ field (as JSON.parse makes them) with failures, never a TypeError", async () => {
      await holds(
        fc.asyncProperty(fc.constantFrom(CS, SS), fc.constantFrom("installer", "connection", "targetVersion"), async (kind, hidden) => {
          const { [hidden]: moved, ...rest } = podInputs(kind, {}, "DMZ-SS2");
          const news = JSON.parse(`{"__proto__":${JSON.stringify({ [hidden]: moved })},${JSON.stringify(rest).slice(1)}`) as Inputs;
          assert.ok(Object.hasOwn(news, "__proto__") && !Object.hasOwn(news, hidden), "the inputs are shaped as intended");
          const auditBefore = lab.audit().length;
          const log = console.log;
          console.log = () => undefined;
          let result: { inputs?: unknown; failures?: CheckFailure[] };
          try {
            result = await check(kind, undefined, news);
          } catch (e) {
            assert.fail(`check threw ${clip(String((e as Error)?.stack ?? e), 600)}`);
          } finally {
            console.log = log;
          }
          assert.equal(result.inputs, undefined, `inputs without their own ${hidden} were accepted`);
          assertStructured(result.failures ?? [], [description.pairingPassword]);
          assert.equal(lab.audit().length, auditBefore, "nothing reached a host");
        }),
        { numRuns: 6 },
      );
    });

    const hookText = fc.oneof(
      { arbitrary: fc.constantFrom(...NASTY_STRINGS), weight: 2 },
      { arbitrary: hostileString(60), weight: 3 },
      { arbitrary: hugeString().map((s) => s.slice(0, 20_000)), weight: 1 },
    );
    const hooksArb = fc.record({ before: hookText, after: hookText }, { requiredKeys: [] }).map((h): Inputs => ({ ...h }));
    const nameArb = hostileString(60).filter((s) => s.length >= 1 && s.length <= 255);

    it("plans from live facts without changing a host, keeping hook texts and the registered name byte for byte", async () => {
      const secrets = () => [
        description.pairingPassword,
        ...Object.values(description.hosts)
          .map((h) => h.password!)
          .filter(Boolean),
      ];
      await holds(
        fc.asyncProperty(fc.constantFrom(CS, SS), hooksArb, nameArb, async (kind, hooks, registeredName) => {
          const news = podInputs(kind, hooks, registeredName);
          // Each run stands for a preview of its own (a new provider process): nothing read before is remembered.
          resetFactsCache();
          const auditBefore = lab.audit().length;
          const printed: string[] = [];
          const log = console.log;
          console.log = (...args: unknown[]) => void printed.push(args.map(String).join(" "));
          let result: { inputs?: unknown; failures?: CheckFailure[] };
          try {
            result = await check(kind, undefined, news);
          } catch (e) {
            assert.fail(`check threw ${clip(String((e as Error)?.stack ?? e), 1_000)}`);
          } finally {
            console.log = log;
          }
          // A security server under a name the pod does not list is a state the operator must fix: preview fails with
          // the stable code, naming the registered name exactly as given.
          const failures = result.failures ?? [];
          if (kind === SS && failures.length > 0) {
            assert.deepEqual(
              failures.map((f) => f.property),
              ["blocked.not-registered"],
              show(failures),
            );
            assert.ok(
              failures[0].reason.includes(`cannot upgrade SS2: ${registeredName} is not in the Security Servers list`),
              "the registered name changed",
            );
          } else {
            assert.deepEqual(failures, [], show(failures));
            const inputs = result.inputs as Inputs;
            assert.ok(inputs, "check returns inputs");
            assert.deepEqual(inputs.hooks, hooks, "the hooks come back exactly as given");
            for (const phase of ["before", "after"] as const) {
              if (phase in hooks) assert.ok(inputs.hooks[phase] === hooks[phase], `the ${phase} hook changed`);
            }
            if (kind === SS) assert.ok(inputs.registeredName === registeredName, "the registered name changed");
            assert.ok(Array.isArray(inputs.plan), "a plan is returned");
          }

          const ran = lab.audit().slice(auditBefore);
          assert.ok(ran.length > 0, "check read the host live");
          const changing = ran.filter((e) => !e.operation.startsWith("Get-")).map((e) => `${e.host}: ${e.operation}`);
          assert.deepEqual(changing, [], "check ran only Get-* operations");
          for (const name of lab.hostNames()) assert.equal(lab.host(name).state.hooks.length, 0, `a hook ran on ${name}`);
          const text = printed.join("\n");
          for (const secret of secrets()) assert.ok(!text.includes(secret), "check printed or returned a password");
        }),
        { numRuns: 10 },
      );
    });
  });
});
