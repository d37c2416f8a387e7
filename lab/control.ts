/**
 * The running lab's control channel, so a newcomer can rehearse "what if" from a second terminal
 * (`npm run lab -- set cs2 version 7.12.0.15770369`) without writing code against lab/index.ts. An HTTP server on
 * 127.0.0.1 with a random bearer token; the port and token are written into the lab's description file (mode 0600),
 * which the client reads. Never reachable from another machine.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { type IncomingMessage, type Server, createServer } from "node:http";
import { CLOUD_POD_SERVICE } from "./catalog";
import type { ControlRequest } from "./cliOptions";
import type { Lab } from "./index";

/** Where the control channel listens; kept in the lab's description file. */
export interface ControlEndpoint {
  readonly port: number;
  readonly token: string;
}

/** A reply: text for the terminal, or an error message. */
export type ControlReply = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly error: string };

/** Carries out one request on the lab; pure apart from what the lab API does. */
export async function handleControl(lab: Lab, req: ControlRequest): Promise<string> {
  switch (req.op) {
    case "audit":
      return lab
        .audit()
        .map((e) => {
          const result = e.result as { exitCode?: number } | undefined;
          return `${e.simTime}  ${e.host.padEnd(8)} ${e.operation}${result?.exitCode !== undefined ? ` (exit ${result.exitCode})` : ""}`;
        })
        .join("\n");
    case "timeline":
      return lab
        .timeline()
        .map((t) => `${t.at}  ${t.host.padEnd(8)} ${t.service}: ${t.from} -> ${t.to}`)
        .join("\n");
    case "status": {
      const hosts = lab.hostNames().map((name) => {
        const s = lab.host(name).state;
        const svc = s.services.find((x) => x.primary);
        const global = s.services.find((x) => x.name === CLOUD_POD_SERVICE.name);
        return `${name.padEnd(8)} ${s.role.padEnd(18)} ${(s.products[0]?.displayVersion ?? "-").padEnd(18)} ${svc ? `${svc.displayName}: ${svc.status}` : ""}${global ? `; ${global.name}: ${global.status}` : ""}`;
      });
      // LDAP replication per instance, as repadmin /showrepl would report it on each Connection Server.
      const pods = [
        ...new Set(
          lab
            .hostNames()
            .map((n) => lab.host(n).state.pod)
            .filter((p): p is string => !!p),
        ),
      ].map((name) => {
        const p = lab.pod(name);
        const state = (healthy: boolean) => (healthy ? "healthy" : "broken");
        return `${name}: replication localhost:389 ${state(p.replicationHealthy)}; ${p.cloudPod ? `Cloud Pod federation, localhost:22389 ${state(p.globalReplicationHealthy)}` : "not in a Cloud Pod federation (no 22389)"}`;
      });
      return [...hosts, ...pods].join("\n");
    }
    case "set-version":
      lab.setProductVersion(req.host, req.version);
      return `${req.host} now reports version ${req.version}`;
    case "set-powershell":
      lab.setPowerShellVersion(req.host, req.version);
      return `${req.host} now reports Windows PowerShell ${req.version}`;
    case "set-service":
      lab.setServiceStatus(req.host, req.status, req.displayName);
      return `${req.host}: ${req.displayName ?? "its service"} is ${req.status}`;
    case "fault":
      lab.inject(req.host, req.fault);
      return `${req.host}: armed ${JSON.stringify(req.fault)}`;
    case "clear-faults":
      lab.clearFaults(req.host);
      return `faults cleared on ${req.host ?? "every host"}`;
    case "reachable":
      await lab.setReachable(req.host, req.reachable);
      return `${req.host} is ${req.reachable ? "back on" : "off"} the network`;
    case "replication":
      lab.setReplicationHealthy(req.pod, req.healthy, req.instance);
      return `${req.pod}: ${req.instance === "global" ? "Cloud Pod global (22389)" : "local (389)"} replication ${req.healthy ? "healthy" : "broken"}`;
  }
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => {
      data += c;
      if (data.length > 65536) req.destroy(new Error("request too large"));
    });
    req.on("end", () => resolve(data));
    req.on("error", reject);
  });
}

function authorized(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.replace(/^Bearer /, "") ?? "");
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

/** Starts the control channel for a lab on 127.0.0.1; close the server when the lab stops. */
export async function startControl(lab: Lab): Promise<{ server: Server; endpoint: ControlEndpoint }> {
  const token = randomBytes(18).toString("base64url");
  const server = createServer((req, res) => {
    const reply = (status: number, r: ControlReply) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(r));
    };
    if (req.method !== "POST" || req.url !== "/control") return reply(404, { ok: false, error: "POST /control only" });
    if (!authorized(req.headers.authorization, token)) return reply(401, { ok: false, error: "wrong or missing token" });
    body(req)
      .then((text) => handleControl(lab, JSON.parse(text) as ControlRequest))
      .then(
        (text) => reply(200, { ok: true, text }),
        (e: unknown) => reply(400, { ok: false, error: e instanceof Error ? e.message : String(e) }),
      );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("the control channel has no port");
  return { server, endpoint: { port: address.port, token } };
}

/** Sends one request to the lab described by `descriptionPath` (its `control` entry); returns the reply's text. */
export async function sendControl(descriptionPath: string, request: ControlRequest): Promise<string> {
  let control: ControlEndpoint | undefined;
  try {
    control = (JSON.parse(readFileSync(descriptionPath, "utf8")) as { control?: ControlEndpoint }).control;
  } catch (e) {
    throw new Error(
      `cannot read the running lab's description ${descriptionPath} (${(e as Error).message}): start one with \`npm run lab\`, or pass --out PATH.`,
      { cause: e },
    );
  }
  if (!control)
    throw new Error(`${descriptionPath} has no control entry: it was written by an older lab; restart it with \`npm run lab\`.`);
  let res: Response;
  try {
    res = await fetch(`http://127.0.0.1:${control.port}/control`, {
      method: "POST",
      headers: { authorization: `Bearer ${control.token}`, "content-type": "application/json" },
      body: JSON.stringify(request),
    });
  } catch {
    throw new Error(`no lab answers on 127.0.0.1:${control.port} (from ${descriptionPath}): is \`npm run lab\` still running?`);
  }
  const reply = (await res.json()) as ControlReply;
  if (!reply.ok) throw new Error(reply.error);
  return reply.text;
}
