// No secret in any validation failure (issue 11). The engine prints a `check` failure as "property P value {V} has a
// problem: reason", V being the input named P: attached to `connection`, a failure about the port printed the whole
// connection, password included. Every secret-bearing input of every resource goes through every validation failure
// it can provoke; what the engine would print is searched for the secret, and a sample goes through the real engine.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { validateAppVFarmInputs, validateAppVServerInputs } from "../../provider/products/appvInputs";
import { validateHorizonInputs } from "../../provider/products/horizonInputs";
import { type CheckFailure, safeFailures } from "../../provider/lifecycle/inputSupport";
import { Engine } from "../harness/engine";

/** Every planted secret starts with this mark, so a reason that shows even the start of one is caught. */
const MARK = "Qz7-SECRET-";
const HOST_KEY = "SHA256:" + "Abc+/09".repeat(6) + "x";
const SHA = "0123456789abcdef".repeat(4);

type Kind = "connection-server" | "security-server" | "appv-server" | "farm-preparation" | "farm-completion";
type Inputs = Record<string, any>;

const connection = (host: string, secret: string): Inputs => ({ host, user: "CORP\\svc-upgrade", password: secret, hostKey: HOST_KEY });

/** Valid inputs of `kind`, with a distinct marked secret in every secret-bearing field; and the paths of those fields. */
function planted(kind: Kind): { inputs: Inputs; secretPaths: string[][] } {
  const s = (what: string) => `${MARK}${what}`;
  const installer = { path: "C:\\Installers\\setup.exe", sha256: SHA };
  switch (kind) {
    case "connection-server":
      return {
        inputs: { resourceName: "cs1", connection: connection("cs1.corp.example", s("cs")), targetVersion: "7.13.2", installer },
        secretPaths: [["connection", "password"]],
      };
    case "security-server":
      return {
        inputs: {
          resourceName: "ss1",
          connection: connection("ss1.corp.example", s("ss")),
          targetVersion: "7.13.2",
          installer,
          connectionServer: { name: "CS1", connection: connection("cs1.corp.example", s("paired-cs")), targetVersion: "7.13.2" },
          pairingPassword: s("pairing"),
        },
        secretPaths: [["connection", "password"], ["connectionServer", "connection", "password"], ["pairingPassword"]],
      };
    case "appv-server":
      return {
        inputs: {
          resourceName: "appv1",
          connection: connection("appv1.corp.example", s("appv")),
          role: "management",
          targetVersion: "4.5 SP2",
          installer,
        },
        secretPaths: [["connection", "password"]],
      };
    default: {
      const inputs: Inputs = {
        resourceName: `farm1-${kind === "farm-preparation" ? "preparation" : "completion"}`,
        farmName: "farm1",
        targetVersion: "4.5 SP2",
        servers: [
          { name: "APPV1", role: "management", targetVersion: "4.5 SP2", connection: connection("appv1.corp.example", s("server0")) },
          { name: "APPV2", role: "streaming", targetVersion: "4.5 SP2", connection: connection("appv2.corp.example", s("server1")) },
        ],
      };
      const secretPaths = [
        ["servers", "0", "connection", "password"],
        ["servers", "1", "connection", "password"],
      ];
      if (kind === "farm-preparation") {
        inputs.database = {
          connection: connection("sql1.corp.example", s("sql-ssh")),
          sqlServer: "SQL1",
          sqlUser: s("sql-user"),
          sqlPassword: s("sql-password"),
        };
        secretPaths.push(["database", "connection", "password"], ["database", "sqlUser"], ["database", "sqlPassword"]);
      }
      return { inputs, secretPaths };
    }
  }
}

const at = (o: Inputs, path: readonly string[]): any => path.reduce((x, k) => (x == null ? undefined : x[k]), o);

/** Edits that make a connection invalid, each one failure validation can name. */
const CONNECTION_FAULTS: [string, (c: Inputs) => void][] = [
  ["port 70000", (c) => (c.port = 70000)],
  ["port as text", (c) => (c.port = "22")],
  ["hostkey in the wrong case", (c) => ((c.hostkey = c.hostKey), delete c.hostKey)],
  ["a short fingerprint", (c) => (c.hostKey = "SHA256:short")],
  ["an empty user", (c) => (c.user = "")],
  ["a host that is a number", (c) => (c.host = 5)],
  ["unlimited retries", (c) => (c.dialErrorLimit = -1)],
  ["no session allowed", (c) => (c.maxSessions = 0)],
  ["a negative dial timeout", (c) => (c.perDialTimeout = -1)],
  ["a pin with the insecure opt-in", (c) => (c.insecureSkipHostKeyCheck = true)],
  ["a jump host without a user", (c) => (c.proxy = { host: "bastion", user: "", password: `${MARK}jump`, hostKey: HOST_KEY })],
  [
    "a private key that is not one, with its passphrase",
    (c) => ((c.privateKey = `${MARK}not-a-key`), (c.privateKeyPassword = `${MARK}passphrase`)),
  ],
  ["the password inside a list", (c) => (c.password = [c.password])],
  ["the password inside an object", (c) => (c.password = { value: c.password })],
  ["an unknown field holding a secret", (c) => (c.passwd = `${MARK}typo`)],
];

/** Edits that make a resource's own fields invalid. */
const RESOURCE_FAULTS: Record<Kind, [string, (i: Inputs) => void][]> = {
  "connection-server": [
    ["a target that is not a version", (i) => (i.targetVersion = "latest")],
    ["a relative installer path", (i) => (i.installer.path = "setup.exe")],
    ["a window opening at 25:00", (i) => (i.maintenanceWindow = { from: "25:00", to: "04:00" })],
    ["an unknown top-level field", (i) => (i.targetversion = "7.13.2")],
    ["no connection at all", (i) => (i.connection = "cs1")],
  ],
  "security-server": [
    ["a pairing password with a double quote", (i) => (i.pairingPassword = `${i.pairingPassword}"q`)],
    ["a pairing password that is too long", (i) => (i.pairingPassword = i.pairingPassword + "z".repeat(300))],
    ["a pairing password inside a list", (i) => (i.pairingPassword = [i.pairingPassword])],
    ["a paired Connection Server target that is not a version", (i) => (i.connectionServer.targetVersion = "x")],
    ["a security server newer than its Connection Server", (i) => (i.connectionServer.targetVersion = "7.13.1")],
    ["an unknown field of the paired Connection Server", (i) => (i.connectionServer.extra = `${MARK}extra`)],
    ["a misspelled pairing password field", (i) => (i.pairingPasswrd = i.pairingPassword)],
  ],
  "appv-server": [
    ["a target that is not a version", (i) => (i.targetVersion = "5.0")],
    ["an unknown role", (i) => (i.role = "desktop")],
    ["an installer without a hash", (i) => delete i.installer.sha256],
  ],
  "farm-preparation": [
    ["an empty SQL Server name", (i) => (i.database.sqlServer = "")],
    ["a SQL password that is a number", (i) => (i.database.sqlPassword = 12345)],
    ["an unknown database field", (i) => (i.database.sqlPasswd = `${MARK}typo`)],
    ["two servers with one name", (i) => (i.servers[1].name = "APPV1")],
  ],
  "farm-completion": [
    ["a server target that differs from the farm's", (i) => (i.servers[0].targetVersion = "4.5 SP1")],
    ["a server that is not an object", (i) => (i.servers[1] = 42)],
  ],
};

const KINDS: readonly Kind[] = ["connection-server", "security-server", "appv-server", "farm-preparation", "farm-completion"];

function validate(kind: Kind, news: Inputs): { inputs?: unknown; failures: CheckFailure[] } {
  if (kind === "connection-server" || kind === "security-server") return validateHorizonInputs(kind, news);
  if (kind === "appv-server") return validateAppVServerInputs(news);
  return validateAppVFarmInputs(kind, news);
}

/**
 * What the engine prints for a failure (pkg/resource/deploy: the property's value is looked up as a top-level input,
 * so a nested path prints nil; no property prints no value). The engine run below checks this against the real thing.
 */
function engineText(resource: string, failures: readonly CheckFailure[], news: Inputs): string {
  return failures
    .map((f) =>
      f.property === ""
        ? `resource '${resource}' has a problem: ${f.reason}`
        : `resource '${resource}': property ${f.property} value {${JSON.stringify(Object.prototype.hasOwnProperty.call(news, f.property) ? news[f.property] : null)}} has a problem: ${f.reason}`,
    )
    .join("\n");
}

/** A case: a resource kind, the connections to break and how, and the resource's own faults. */
const caseOf = (kinds: readonly Kind[]) =>
  fc
    .constantFrom(...kinds)
    .chain((kind) => {
      const { secretPaths } = planted(kind);
      const connections = [
        ...new Set(secretPaths.filter((p) => p.at(-1) === "password" && p.at(-2) === "connection").map((p) => p.slice(0, -1).join("/"))),
      ];
      return fc.record({
        kind: fc.constant(kind),
        connectionFaults: fc.array(fc.tuple(fc.constantFrom(...connections), fc.nat(CONNECTION_FAULTS.length - 1)), { maxLength: 3 }),
        resourceFaults: fc.subarray(RESOURCE_FAULTS[kind].map((_, n) => n)),
      });
    })
    .filter((c) => c.connectionFaults.length + c.resourceFaults.length > 0);

type Case = { kind: Kind; connectionFaults: [string, number][]; resourceFaults: number[] };

function build(c: Case): Inputs {
  const { inputs } = planted(c.kind);
  for (const [where, n] of c.connectionFaults) CONNECTION_FAULTS[n][1](at(inputs, where.split("/")));
  for (const n of c.resourceFaults) RESOURCE_FAULTS[c.kind][n][1](inputs);
  return inputs;
}

const describeCase = (c: Case) =>
  [
    ...c.connectionFaults.map(([w, n]) => `${w}: ${CONNECTION_FAULTS[n][0]}`),
    ...c.resourceFaults.map((n) => RESOURCE_FAULTS[c.kind][n][0]),
  ].join("; ");

describe("validationSecrets: no secret in any validation failure", function () {
  it("never attaches a failure to a property that is or holds a secret, and keeps the deepest path otherwise", () => {
    const news = { connection: { host: "h", port: 70000, password: `${MARK}x` }, pairingPassword: `${MARK}y`, targetVersion: "latest" };
    const failures = safeFailures(
      [
        { property: "connection.port", reason: "[connection.port] ..." },
        { property: "connection", reason: "[connection] ..." },
        { property: "connection.password", reason: "[connection.password] ..." },
        { property: "pairingPassword", reason: "[pairingPassword] ..." },
        { property: "targetVersion", reason: "[targetVersion] ..." },
        { property: "(inputs)", reason: "[(inputs)] ..." },
      ],
      news,
    );
    assert.deepEqual(
      failures.map((f) => f.property),
      ["connection.port", "", "", "", "targetVersion", "(inputs)"],
    );
  });

  it("shows no secret in what the engine prints, whatever failures the inputs provoke, for every resource of both products", () => {
    fc.assert(
      fc.property(caseOf(KINDS), (c) => {
        const news = build(c);
        const result = validate(c.kind, news);
        assert.equal(result.inputs, undefined, `accepted: ${describeCase(c)}`);
        assert.ok(result.failures.length > 0);
        const text = engineText(news.resourceName, result.failures, news);
        assert.ok(!text.includes(MARK), `${c.kind} with ${describeCase(c)} prints a secret:\n${text}`);
      }),
      { numRuns: 400 },
    );
  });

  it("attaches each connection failure to the field's own path (connection.port), not to the connection", () => {
    const { inputs } = planted("connection-server");
    inputs.connection.port = 70000;
    const result = validateHorizonInputs("connection-server", inputs);
    assert.deepEqual(
      result.failures.map((f) => f.property),
      ["connection.port"],
    );
  });

  describe("through the real engine", function () {
    this.timeout(600_000);
    let engine: Engine;
    before(async () => {
      engine = await Engine.open();
    });
    after(async () => {
      await engine?.dispose();
    });

    /** The fixture program declares resources from config; `$secret` makes a value a Pulumi secret. */
    const asSecret = (v: unknown): unknown => (typeof v === "string" && v.startsWith(MARK) ? { $secret: v } : v);
    const programArgs = (news: Inputs, secret: boolean): Inputs => {
      const { resourceName: _name, ...args } = news;
      if (!secret) return args;
      const wrap = (o: any): any =>
        Array.isArray(o)
          ? o.map(wrap)
          : o && typeof o === "object"
            ? Object.fromEntries(Object.entries(o).map(([k, v]) => [k, wrap(v)]))
            : asSecret(o);
      return wrap(args);
    };

    // The engine stops a preview at the first resource whose check fails, so each case is one preview: a fixed
    // sample, both Horizon resources and the App-V server, passwords given plain and as Pulumi secrets.
    const sample = fc.sample(caseOf(["connection-server", "security-server", "appv-server"]), { numRuns: 5, seed: 11 }) as Case[];
    const cases: [string, Case, boolean][] = [
      [
        "a port out of range on a Connection Server",
        { kind: "connection-server", connectionFaults: [["connection", 0]], resourceFaults: [] },
        false,
      ],
      [
        "hostkey in the wrong case on a Connection Server (a Pulumi secret password)",
        { kind: "connection-server", connectionFaults: [["connection", 2]], resourceFaults: [] },
        true,
      ],
      ["a pairing password with a double quote", { kind: "security-server", connectionFaults: [], resourceFaults: [0] }, false],
      ["a port out of range on an App-V server", { kind: "appv-server", connectionFaults: [["connection", 0]], resourceFaults: [] }, true],
      ...sample.map((c, n): [string, Case, boolean] => [`sampled: ${c.kind} with ${describeCase(c)}`, c, n % 2 === 0]),
    ];
    const KIND_NAMES: Partial<Record<Kind, string>> = {
      "connection-server": "connection-server",
      "security-server": "security-server",
      "appv-server": "appv-server",
    };
    for (const [what, c, secret] of cases) {
      it(`prints no secret for ${what}`, async () => {
        const news = build(c);
        const resources = [{ kind: KIND_NAMES[c.kind], name: news.resourceName, args: programArgs(news, secret) }];
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vdi-validation-"));
        const file = path.join(dir, "resources.json");
        fs.writeFileSync(file, JSON.stringify(resources));
        const stack = await engine.stack("tests/fixtures/validation", { resourcesFile: { value: file } });
        try {
          const failed = await stack.preview().then(
            () => undefined,
            (e: { output?: string; events?: unknown[]; message?: string }) => e,
          );
          assert.ok(failed, "preview succeeded");
          const printed = `${failed.message}\n${failed.output}\n${JSON.stringify(failed.events)}`;
          assert.match(printed, /has a problem: \[/, "the engine printed the validation failure");
          const hits = printed.split(MARK).length - 1;
          assert.equal(
            hits,
            0,
            `the engine printed a secret ${hits} time(s):\n${printed
              .split("\n")
              .filter((l) => l.includes(MARK))
              .slice(0, 3)
              .join("\n")}`,
          );
        } finally {
          await stack.remove();
          fs.rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  });
});
