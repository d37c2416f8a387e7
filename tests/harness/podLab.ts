// A lab pod and a stack of the example program pointed at it, and what tests assert on them: the operations that
// change a host, versions, secrets in every place they could leak to, the text of a failure.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { type AuditEntry, type Lab, type LabOptions, startLab } from "../../lab";
import { cliLabOptions, stageAndDescribe } from "../../lab/cli";
import { diagnostics, type Engine, type TestStack } from "./engine";

export const CS_TYPE = "pulumi-nodejs:dynamic/horizon:ConnectionServer";
export const SS_TYPE = "pulumi-nodejs:dynamic/horizon:SecurityServer";
export const POD = ["cs1", "ss1", "cs2", "ss2"];

/** The lab operation each step that changes something runs (reads are left out: preview runs them too). */
export const STEP_OPERATIONS: Record<string, string> = {
  "hook-before": "Invoke-Hook",
  "backup-configuration": "Invoke-Vdmexport",
  "hook-after": "Invoke-Hook",
  "set-pairing-password": "Set-PairingPassword",
  "prepare-ipsec": "Invoke-PrepareSecurityServer",
  install: "Start-Installer",
  "wait-service": "Set-ServiceState",
  "start-service": "Set-ServiceState",
  "remove-duplicates": "Invoke-Vdmadmin",
};
export const CHANGING = new Set(Object.values(STEP_OPERATIONS));

export interface PodUnderTest {
  lab: Lab;
  stack: TestStack;
  secrets: string[];
  dir: string;
}

/** A config value set as a Pulumi secret (`pulumi config set --secret`). */
export interface SecretConfig {
  secret: string;
}

/** Where a scenario runs: the pod alone (examples/horizon-pod) or the whole estate, pod and farm (examples/estate). */
export type Estate = "pod" | "estate";

/**
 * A fresh lab and a stack of an example program pointed at it: the pod alone by default, or the pod and the App-V farm
 * (`estate`). Secret config values count as secrets the audits search for.
 */
export async function podUnderTest(
  engine: Engine,
  config: Record<string, unknown | SecretConfig> = {},
  estate: Estate = "pod",
  /** Changes the lab's layout before it starts (e.g. a host with a DNS domain). */
  tweak: (options: LabOptions) => LabOptions = (o) => o,
): Promise<PodUnderTest> {
  const lab = await startLab(tweak(estate === "pod" ? { ...cliLabOptions(1200), farms: [] } : cliLabOptions(1200)));
  const description = stageAndDescribe(lab);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vdi-pod-"));
  const inventory = path.join(dir, "lab.json");
  fs.writeFileSync(inventory, JSON.stringify(description));
  const isSecret = (v: unknown): v is SecretConfig => typeof v === "object" && v !== null && typeof (v as SecretConfig).secret === "string";
  const stack = await engine.stack(estate === "pod" ? "examples/horizon-pod" : "examples/estate", {
    inventory: { value: inventory },
    // Real overhead is multiplied by the lab's time factor: give the simulated budget room.
    timeBudgetMinutes: { value: "240" },
    ...Object.fromEntries(
      Object.entries(config).map(([k, v]) => [
        k,
        isSecret(v) ? { value: v.secret, secret: true } : { value: typeof v === "string" ? v : JSON.stringify(v) },
      ]),
    ),
  });
  // The SQL login the stack is configured with exists on the SQL host (the lab's own is in the inventory).
  const sqlUser = config.sqlUser,
    sqlPassword = config.sqlPassword;
  if (isSecret(sqlUser) && isSecret(sqlPassword)) {
    for (const h of lab.hostNames().filter((n) => lab.host(n).state.role === "sql"))
      lab.addSqlLogin(h, { user: sqlUser.secret, password: sqlPassword.secret });
  }
  const secrets = [
    description.pairingPassword,
    ...Object.values(description.hosts)
      .map((h) => h.password!)
      .filter(Boolean),
    ...Object.values(description.hosts)
      .map((h) => h.sqlPassword!)
      .filter(Boolean),
    ...Object.values(config)
      .filter(isSecret)
      .map((v) => v.secret),
  ];
  return { lab, stack, secrets, dir };
}

export async function dispose(p: PodUnderTest | undefined): Promise<void> {
  if (!p) return;
  await p.stack.remove();
  await p.lab.stop();
  fs.rmSync(p.dir, { recursive: true, force: true });
}

/** The `plan` input each server resource showed in preview, by resource name. */
export function previewPlans(events: EngineEvent[]): Record<string, string[]> {
  const plans: Record<string, string[]> = {};
  for (const e of events) {
    const m = e.resourcePreEvent?.metadata;
    if (!m || (m.type !== CS_TYPE && m.type !== SS_TYPE)) continue;
    plans[m.urn.split("::").pop()!] = (m.new?.inputs?.plan as string[] | undefined) ?? [];
  }
  return plans;
}

/** `[host, operation]` of each step of a plan that changes something, in order. */
export function changesOf(plan: readonly string[]): [string, string][] {
  // A step on a pair ("prepare-ipsec on SS1 and CS1") runs its operation on each host in turn.
  return plan
    .map((line) => /^\d+\. ([a-z-]+) on ([^:]+):/.exec(line))
    .filter((m): m is RegExpExecArray => !!m && m[1] in STEP_OPERATIONS)
    .flatMap((m) => m[2].split(" and ").map((h): [string, string] => [h.toLowerCase(), STEP_OPERATIONS[m[1]]]));
}

export function changingAudit(entries: readonly AuditEntry[]): [string, string][] {
  return entries.filter((e) => CHANGING.has(e.operation)).map((e) => [e.host, e.operation]);
}

export function version(lab: Lab, host: string): string | undefined {
  return lab.host(host).state.products[0]?.displayVersion;
}

/** How many (secret, place) pairs leak: the state file, the engine's output and events, the lab's audit log. */
export function secretsFound(p: PodUnderTest, runs: { output: string; events: EngineEvent[] }[]): string[] {
  const found: string[] = [];
  for (const [where, text] of leakPlaces(p, runs)) for (const secret of p.secrets) if (text.includes(secret)) found.push(where);
  return found;
}

function leakPlaces(p: PodUnderTest, runs: { output: string; events: EngineEvent[] }[]): [string, string][] {
  return [
    ["state file", p.stack.stateFileText()],
    ["lab audit", JSON.stringify(p.lab.audit())],
    ...runs.flatMap((r, i): [string, string][] => [
      [`engine output ${i}`, r.output],
      // Pulumi's own debug log (shown only with --debug) prints RegisterResource responses, secrets included: that is
      // the SDK's behaviour, documented in docs/security.md; every other event is searched.
      [`engine events ${i}`, JSON.stringify(r.events.filter((e) => (e.diagnosticEvent?.severity as string | undefined) !== "debug"))],
    ]),
  ];
}

/** Every place a secret could leak to: the state file, the engine's output and events, the lab's audit log. */
export function assertNoSecrets(p: PodUnderTest, runs: { output: string; events: EngineEvent[] }[]): void {
  const found = secretsFound(p, runs);
  assert.deepEqual(found, [], `a secret appears in: ${found.join(", ")}`);
}

export function errorText(err: unknown): string {
  const e = err as { message?: string; output?: string; events?: EngineEvent[] };
  return `${e.message ?? ""}\n${e.output ?? ""}\n${diagnostics(e.events ?? []).join("\n")}`;
}

/** The lab layout with one security server changed (e.g. `{ domain: "corp.example", registeredAs: undefined }`). */
export function withSecurityServer(name: string, change: Record<string, unknown>): (o: LabOptions) => LabOptions {
  return (o) => ({
    ...o,
    pods: (o.pods ?? []).map((p) => ({
      ...p,
      securityServers: (p.securityServers ?? []).map((s) => (s.name === name ? ({ ...s, ...change } as typeof s) : s)),
    })),
  });
}

/**
 * Stages the Horizon installer of `version` on the pod's hosts at the inventory's path and declares its SHA-256 in the
 * inventory, as an operator preparing the next target does.
 */
export function stageHorizonInstaller(p: PodUnderTest, version: string, hosts: readonly string[] = POD): void {
  const inventoryPath = path.join(p.dir, "lab.json");
  const inventory = JSON.parse(fs.readFileSync(inventoryPath, "utf8"));
  for (const h of hosts) {
    const entry = inventory.hosts[h].installers[0];
    const staged = p.lab.addInstaller(h, { path: entry.path, product: "horizon-connection-server", version });
    entry.sha256 = staged.sha256;
    entry.version = version;
  }
  fs.writeFileSync(inventoryPath, JSON.stringify(inventory));
}
