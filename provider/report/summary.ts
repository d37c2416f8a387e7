/**
 * A reviewer's summary of `pulumi preview --json`: per pod and per farm, one table row per server (live -> target, the
 * steps `up` will take, its status, its maintenance window). Pure: takes the parsed JSON, returns Markdown. It reads
 * only the fields it prints, so a secret in the preview (shown there as "[secret]" anyway) can never reach the text.
 */
import { type ServerStatus, parsePlanLine, statusFromInputs } from "./status";

/** One server as the summary shows it. */
export interface ServerRow {
  readonly name: string;
  readonly kind: string;
  readonly op: string;
  readonly live: string;
  readonly target: string;
  readonly steps: readonly string[];
  readonly planLines: readonly string[];
  readonly status: ServerStatus;
  readonly window: string;
}

/** The servers of one pod, farm, or of none (declared on their own). */
export interface ServerGroup {
  readonly name: string;
  readonly kind: "HorizonPod" | "AppVFarm" | "standalone";
  readonly rows: readonly ServerRow[];
}

/** What `summarize` found, before it is rendered. */
export interface PreviewSummary {
  readonly groups: readonly ServerGroup[];
  readonly counts: Readonly<Record<ServerStatus["state"], number>>;
}

/** The resource types whose inputs carry a plan: our dynamic resources. */
const SERVER_TYPE = /^pulumi-nodejs:dynamic\/(horizon|appv):(\w+)$/;
const GROUP_TYPES: Record<string, ServerGroup["kind"]> = {
  "vdi-upgrade:horizon:HorizonPod": "HorizonPod",
  "vdi-upgrade:appv:AppVFarm": "AppVFarm",
};

interface PreviewStep {
  op?: string;
  urn?: string;
  newState?: { type?: string; parent?: string; inputs?: Record<string, unknown> };
  oldState?: { type?: string; parent?: string; inputs?: Record<string, unknown> };
}

const nameOf = (urn: string): string => urn.split("::").pop() ?? urn;
const text = (v: unknown): string | undefined => (typeof v === "string" && v.length > 0 ? v : undefined);

/** Shown for a version or a plan that preview could not know yet (an output of another resource). */
const UNKNOWN = "(known after the servers before it)";

function liveOf(inputs: Record<string, unknown>): string {
  const single = text(inputs.liveVersion);
  if (single) return single;
  const many = inputs.liveVersions;
  if (many && typeof many === "object" && !Array.isArray(many)) {
    const values = Object.entries(many as Record<string, unknown>).map(([k, v]) => `${k} ${String(v)}`);
    if (values.length > 0) return values.join(", ");
  }
  return "unknown";
}

/** A maintenance window as an operator wrote it, in one short phrase. */
export function describeWindow(w: unknown): string {
  if (!w || typeof w !== "object") return "any time";
  const o = w as Record<string, unknown>;
  if (text(o.start) && text(o.end)) return `${o.start} to ${o.end}`;
  if (text(o.from) && text(o.to)) {
    const days = Array.isArray(o.days) && o.days.length > 0 ? `${o.days.join(",")} ` : "daily ";
    return `${days}${o.from}-${o.to}${text(o.utcOffset) ? ` UTC${o.utcOffset}` : ""}`;
  }
  return "declared (unknown until up)";
}

/** Groups every server resource of a preview by its pod or farm, with its status. */
export function summarize(preview: unknown): PreviewSummary {
  const steps: PreviewStep[] = Array.isArray((preview as { steps?: unknown })?.steps) ? (preview as { steps: PreviewStep[] }).steps : [];
  const typeOf = new Map<string, string>();
  for (const s of steps) if (s.urn) typeOf.set(s.urn, s.newState?.type ?? s.oldState?.type ?? "");
  const groups = new Map<string, { name: string; kind: ServerGroup["kind"]; rows: ServerRow[] }>();
  const counts = { ready: 0, waiting: 0, blocked: 0, done: 0 };
  for (const s of steps) {
    const state = s.newState ?? s.oldState;
    const match = state?.type ? SERVER_TYPE.exec(state.type) : null;
    if (!s.urn || !state || !match) continue;
    const inputs = state.inputs ?? {};
    // Only resources that plan work are servers (a pod's readiness gate, for one, plans nothing).
    if (!Array.isArray(inputs.plan)) continue;
    const planLines = inputs.plan.filter((l): l is string => typeof l === "string");
    const status = statusFromInputs(inputs, s.op === "delete");
    counts[status.state]++;
    const parent = state.parent;
    const kind = parent ? GROUP_TYPES[typeOf.get(parent) ?? ""] : undefined;
    const key = kind && parent ? parent : "standalone";
    if (!groups.has(key))
      groups.set(key, { name: kind && parent ? nameOf(parent) : "servers declared on their own", kind: kind ?? "standalone", rows: [] });
    groups.get(key)!.rows.push({
      name: text(inputs.resourceName) ?? nameOf(s.urn),
      kind: match[2],
      op: s.op ?? "same",
      live: liveOf(inputs),
      target: text(inputs.targetVersion) ?? UNKNOWN,
      steps: planLines.map((l) => parsePlanLine(l)?.step ?? l),
      planLines,
      status,
      window: describeWindow(inputs.maintenanceWindow),
    });
  }
  return { groups: [...groups.values()], counts };
}

/** Escapes what would break a Markdown table cell. */
const cell = (s: string): string => s.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");

function statusCell(s: ServerStatus): string {
  switch (s.state) {
    case "done":
      return "done";
    case "ready":
      return "ready";
    case "waiting":
      return `waits until ${s.waitingFor ?? "a predecessor is done"}`;
    case "blocked":
      return `**blocked**${s.code ? ` \`${s.code}\`` : ""}: ${s.reason}`;
  }
}

/** "stop-services, stop-services, backup" -> "stop-services x2, backup": runs of one step on several hosts. */
export function compressSteps(steps: readonly string[]): string {
  const runs: [string, number][] = [];
  for (const s of steps) {
    const last = runs[runs.length - 1];
    if (last && last[0] === s) last[1]++;
    else runs.push([s, 1]);
  }
  return runs.map(([s, n]) => (n > 1 ? `${s} x${n}` : s)).join(", ");
}

/** Renders the summary as Markdown for a pull-request comment. */
export function renderSummary(preview: unknown, title = "vdi-upgrade preview"): string {
  const { groups, counts } = summarize(preview);
  const total = counts.ready + counts.waiting + counts.blocked + counts.done;
  const out: string[] = [];
  out.push(`## ${title}`, "");
  if (total === 0) {
    out.push("No Horizon or App-V server in this preview.");
    return out.join("\n") + "\n";
  }
  out.push(
    `${total} resource(s): ${counts.ready} ready, ${counts.waiting} waiting for a predecessor, ${counts.blocked} blocked, ${counts.done} done.` +
      (counts.blocked > 0 ? " **An operator must act before `pulumi up` can finish.**" : ""),
    "",
  );
  for (const g of groups) {
    out.push(`### ${cell(g.name)}${g.kind === "standalone" ? "" : ` (${g.kind})`}`, "");
    out.push("| server | live -> target | steps | status | window |", "|---|---|---|---|---|");
    for (const r of g.rows) {
      const steps = r.steps.length === 0 ? "none" : compressSteps(r.steps);
      out.push(
        `| ${cell(r.name)} | ${cell(r.live)} -> ${cell(r.target)} | ${cell(steps)} | ${cell(statusCell(r.status))} | ${cell(r.window)} |`,
      );
    }
    const detailed = g.rows.filter((r) => r.planLines.length > 0);
    if (detailed.length > 0) {
      out.push("", "<details><summary>Every step</summary>", "");
      for (const r of detailed) {
        out.push(`**${cell(r.name)}**`, "", ...r.planLines.map((l) => `    ${l}`), "");
      }
      out.push("</details>");
    }
    out.push("");
  }
  return out.join("\n");
}
