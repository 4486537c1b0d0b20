/**
 * The frps dashboard HTTP API (frp's server/api_router.go, behaviour.md §11): one route table,
 * served on `webServer.addr:port` with basic auth and frp's v1/v2 envelopes.
 *
 * @module
 */
import {
  type ApiRequest,
  HttpError,
  type Route,
  startWebServer,
  type WebServer,
} from "../../httpapi/mod.ts";
import type { NewProxy } from "../../protocol/msg/messages.ts";
import { FRP_VERSION, type ServerContext } from "../context.ts";
import type { ProxyRecord, ServerStats } from "./stats.ts";
import {
  clientInfo,
  proxyStatsInfo,
  serverConfigInfo,
  serverInfo,
  serverStatusInfo,
  v2Proxy,
  v2Traffic,
} from "./model.ts";
import { FRPS_ASSETS } from "../../web/frps/mod.ts";
import { staticRoutes } from "../../web/serve.ts";
import { inspectRoutes } from "./inspect.ts";

const V2_PROXY_TYPES = ["tcp", "udp", "http", "https", "tcpmux", "stcp", "xtcp", "sudp"];
const NO_PROXY = "no proxy info found";

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Handlers over one server's state. */
class Dashboard {
  readonly #ctx: ServerContext;
  readonly #stats: ServerStats;

  constructor(ctx: ServerContext, stats: ServerStats) {
    this.#ctx = ctx;
    this.#stats = stats;
  }

  /** The NewProxy of a running proxy named `name` (frp's pxyManager.GetByName). */
  #online(name: string): NewProxy | undefined {
    if (!this.#ctx.proxies.has(name)) return undefined;
    for (const c of this.#ctx.controls.values()) {
      const m = c.proxyMsgs.get(name);
      if (m) return m;
    }
    return undefined;
  }

  #byType(type: string): ProxyRecord[] {
    return [...this.#stats.proxies.values()].filter((p) => p.type === type);
  }

  #record(name: string): ProxyRecord {
    const p = this.#stats.proxies.get(name);
    if (!p) throw new HttpError(404, NO_PROXY);
    return p;
  }

  serverInfo = () => serverInfo(FRP_VERSION, this.#ctx.config, this.#stats);

  proxiesByType = (r: ApiRequest) => ({
    proxies: this.#byType(r.params.type)
      .sort((a, b) => cmp(a.name, b.name))
      .map((p) => proxyStatsInfo(p, this.#online(p.name))),
  });

  proxyByTypeAndName = (r: ApiRequest) => {
    const p = this.#stats.proxies.get(r.params.name);
    if (!p || p.type !== r.params.type) throw new HttpError(404, NO_PROXY);
    return proxyStatsInfo(p, this.#online(p.name));
  };

  proxyByName = (r: ApiRequest) => {
    const p = this.#record(r.params.name);
    return proxyStatsInfo(p, this.#online(p.name));
  };

  traffic = (r: ApiRequest) => {
    const p = this.#record(r.params.name);
    return {
      name: r.params.name,
      trafficIn: p.trafficIn.history(),
      trafficOut: p.trafficOut.history(),
    };
  };

  #clients() {
    return [...this.#stats.clients.values()].map(clientInfo).sort((a, b) =>
      cmp(a.user as string, b.user as string) || cmp(a.clientID as string, b.clientID as string) ||
      cmp(a.key as string, b.key as string)
    );
  }

  clients = (r: ApiRequest) => {
    const user = r.query.get("user") ?? "";
    const clientID = r.query.get("clientId") ?? "";
    const runID = r.query.get("runId") ?? "";
    const status = (r.query.get("status") ?? "").toLowerCase();
    return this.#clients().filter((c) =>
      (!user || c.user === user) && (!clientID || c.clientID === clientID) &&
      (!runID || c.runID === runID) && statusMatch(c.online as boolean, status)
    );
  };

  client = (r: ApiRequest) => {
    const c = this.#stats.clients.get(r.params.key);
    if (!c) throw new HttpError(404, `client ${r.params.key} not found`);
    return clientInfo(c);
  };

  deleteProxies = (r: ApiRequest) => {
    if (r.query.get("status") !== "offline") {
      throw new HttpError(400, "status only support offline");
    }
    const [cleared, total] = this.#stats.clearOfflineProxies();
    this.#ctx.log.child("http/controller.ts").info(
      `cleared [${cleared}] offline proxies, total [${total}] proxies`,
    );
    return { Code: 200, Msg: "success" };
  };

  // ------------------------------------------------------------------ v2

  systemInfo = () => ({
    version: FRP_VERSION,
    config: serverConfigInfo(this.#ctx.config),
    status: serverStatusInfo(this.#stats),
  });

  prune = (r: ApiRequest) => {
    const type = r.query.get("type") ?? "";
    if (type === "") throw new HttpError(400, "type is required");
    if (type !== "offline_proxies") throw new HttpError(400, "type must be one of offline_proxies");
    const [cleared, total] = this.#stats.clearOfflineProxies();
    return { type, cleared, total };
  };

  #v2Proxies(type = "") {
    const types = type ? [type] : V2_PROXY_TYPES;
    return types.flatMap((t) => this.#byType(t)).map((p) => v2Proxy(p, this.#online(p.name)));
  }

  users = (r: ApiRequest) => {
    const { page, pageSize } = pageParams(r);
    const users = new Map<string, { user: string; clientCount: number; proxyCount: number }>();
    const get = (u: string) => {
      let x = users.get(u);
      if (!x) users.set(u, x = { user: u, clientCount: 0, proxyCount: 0 });
      return x;
    };
    for (const c of this.#stats.clients.values()) get(c.user).clientCount++;
    for (const p of this.#v2Proxies()) get(p.user as string).proxyCount++;
    const q = (r.query.get("q") ?? "").toLowerCase();
    const items = [...users.values()].filter((u) => !q || u.user.toLowerCase().includes(q))
      .sort((a, b) => cmp(a.user, b.user));
    return paginate(items, page, pageSize);
  };

  v2Clients = (r: ApiRequest) => {
    const { page, pageSize } = pageParams(r);
    const status = statusParam(r);
    const filterUser = r.query.has("user");
    const user = r.query.get("user") ?? "";
    const clientID = r.query.get("clientID") ?? "";
    const runID = r.query.get("runID") ?? "";
    const q = (r.query.get("q") ?? "").toLowerCase();
    const items = this.#clients().filter((c) =>
      (!filterUser || c.user === user) && (!clientID || c.clientID === clientID) &&
      (!runID || c.runID === runID) && statusMatch(c.online as boolean, status) &&
      (!q || contains(q, [
        c.key,
        c.user,
        c.clientID,
        c.runID,
        c.version,
        c.wireProtocol,
        c.hostname,
        c.clientIP,
      ]))
    );
    return paginate(items, page, pageSize);
  };

  v2Client = (r: ApiRequest) => {
    const c = this.#stats.clients.get(r.params.key);
    if (!c) throw new HttpError(404, `client ${r.params.key} not found`);
    const info = clientInfo(c);
    let curConns = 0;
    let proxyCount = 0;
    for (const p of this.#stats.proxies.values()) {
      if (p.user === c.user && p.clientID === info.clientID) {
        proxyCount++;
        curConns += p.curConns;
      }
    }
    return {
      ...info,
      status: { phase: c.online ? "online" : "offline", curConns, proxyCount },
    };
  };

  v2ProxyList = (r: ApiRequest) => {
    const { page, pageSize } = pageParams(r);
    const status = statusParam(r);
    const type = (r.query.get("type") ?? "").toLowerCase();
    if (type && !V2_PROXY_TYPES.includes(type)) {
      throw new HttpError(
        400,
        "type must be one of tcp, udp, http, https, tcpmux, stcp, xtcp, sudp",
      );
    }
    const filterUser = r.query.has("user");
    const user = r.query.get("user") ?? "";
    const clientID = r.query.get("clientID") ?? "";
    const q = (r.query.get("q") ?? "").toLowerCase();
    const items = this.#v2Proxies(type).filter((p) => {
      const st = p.status as { phase: string };
      const spec = (p.spec as Record<string, Record<string, unknown>>)[
        (p.spec as { type: string }).type
      ];
      if (filterUser && p.user !== user) return false;
      if (clientID && p.clientID !== clientID) return false;
      if (!statusMatch(st.phase === "online", status)) return false;
      if (!q) return true;
      const values = [p.name, (p.spec as { type: string }).type, p.user, p.clientID, st.phase];
      if (spec.remotePort !== undefined) values.push(String(spec.remotePort));
      if (Array.isArray(spec.customDomains)) values.push(...spec.customDomains);
      if (spec.subdomain !== undefined) values.push(spec.subdomain);
      return contains(q, values);
    }).sort((a, b) =>
      cmp((a.spec as { type: string }).type, (b.spec as { type: string }).type) ||
      cmp(a.name as string, b.name as string)
    );
    return paginate(items, page, pageSize);
  };

  v2Proxy = (r: ApiRequest) => {
    const p = this.#record(r.params.name);
    return v2Proxy(p, this.#online(p.name));
  };

  v2Traffic = (r: ApiRequest) => v2Traffic(this.#record(r.params.name));

  /** `GET /api/users` (beyond Go frp): `[[auth.users]]` limits and live usage. */
  authUsers = () => ({
    users: this.#ctx.users.list().map((u) => {
      const c = u.config;
      let clients = 0;
      for (const ctl of this.#ctx.controls.values()) if (ctl.userState === u) clients++;
      return {
        user: u.name,
        clients,
        proxies: u.proxies,
        curConns: u.curConns,
        limits: {
          proxyTypes: c.proxyTypes,
          allowPorts: c.allowPorts,
          subdomains: c.subdomains,
          customDomains: c.customDomains,
          maxProxies: c.maxProxies,
          maxConnections: c.maxConnections,
          bandwidthLimit: c.bandwidthLimit ?? "",
          loginAllowIPs: c.loginAllowIPs,
          userConnAllowIPs: c.userConnAllowIPs,
          connRateLimit: c.connRateLimit,
        },
        rejected: { ...u.rejected },
      };
    }),
  });

  /** `PUT /api/reload` (beyond Go frp): the running frps reads its config file again. */
  reload = async () => {
    if (!this.#ctx.reload) throw new HttpError(400, "frps has no config file to reload");
    try {
      await this.#ctx.reload();
    } catch (err) {
      throw new HttpError(400, err instanceof Error ? err.message : String(err));
    }
    return undefined;
  };

  metrics = () =>
    new Response(this.#stats.renderPrometheus(), {
      headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8; escaping=values" },
    });
}

function statusMatch(online: boolean, filter: string): boolean {
  if (filter === "online") return online;
  if (filter === "offline") return !online;
  return true;
}

function contains(q: string, values: unknown[]): boolean {
  return values.some((v) => typeof v === "string" && v.toLowerCase().includes(q));
}

function positiveInt(raw: string | null, def: number, name: string): number {
  if (raw === null || raw === "") return def;
  const n = /^[+-]?\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new HttpError(400, `${name} must be a positive integer`);
  }
  return n;
}

function pageParams(r: ApiRequest): { page: number; pageSize: number } {
  const page = positiveInt(r.query.get("page"), 1, "page");
  const pageSize = positiveInt(r.query.get("pageSize"), 50, "pageSize");
  if (pageSize > 200) throw new HttpError(400, "pageSize must be between 1 and 200");
  return { page, pageSize };
}

function statusParam(r: ApiRequest): string {
  const s = (r.query.get("status") ?? "").toLowerCase();
  if (!["", "all", "online", "offline"].includes(s)) {
    throw new HttpError(400, "status must be one of all, online, offline");
  }
  return s;
}

function paginate<T>(items: T[], page: number, pageSize: number) {
  const start = (page - 1) * pageSize;
  return {
    total: items.length,
    page,
    pageSize,
    items: start >= items.length ? [] : items.slice(start, start + pageSize),
  };
}

/** The route table (frp's server/api_router.go). */
export function dashboardRoutes(ctx: ServerContext, stats: ServerStats): Route[] {
  const d = new Dashboard(ctx, stats);
  const started = Math.floor(Date.now() / 1000);
  const routes: Route[] = [
    { method: "GET", path: "/healthz", handler: () => undefined, public: true },
  ];
  if (ctx.config.enablePrometheus) {
    routes.push({ method: "GET", path: "/metrics", handler: d.metrics, envelope: "raw" });
  }
  routes.push(
    { method: "GET", path: "/api/serverinfo", handler: d.serverInfo },
    { method: "GET", path: "/api/proxy/{type}", handler: d.proxiesByType },
    { method: "GET", path: "/api/proxy/{type}/{name}", handler: d.proxyByTypeAndName },
    { method: "GET", path: "/api/proxies/{name}", handler: d.proxyByName },
    { method: "GET", path: "/api/traffic/{name}", handler: d.traffic },
    { method: "GET", path: "/api/clients", handler: d.clients },
    { method: "GET", path: "/api/clients/{key}", handler: d.client },
    { method: "DELETE", path: "/api/proxies", handler: d.deleteProxies },
    { method: "PUT", path: "/api/reload", handler: d.reload },
    { method: "GET", path: "/api/users", handler: d.authUsers },
    { method: "GET", path: "/api/v2/system/info", handler: d.systemInfo, envelope: "v2" },
    { method: "POST", path: "/api/v2/system/prune", handler: d.prune, envelope: "v2" },
    { method: "GET", path: "/api/v2/users", handler: d.users, envelope: "v2" },
    { method: "GET", path: "/api/v2/clients", handler: d.v2Clients, envelope: "v2" },
    { method: "GET", path: "/api/v2/clients/{key}", handler: d.v2Client, envelope: "v2" },
    { method: "GET", path: "/api/v2/proxies", handler: d.v2ProxyList, envelope: "v2" },
    { method: "GET", path: "/api/v2/proxies/{name}", handler: d.v2Proxy, envelope: "v2" },
    {
      method: "GET",
      path: "/api/v2/proxies/{name}/traffic",
      handler: d.v2Traffic,
      envelope: "v2",
    },
    ...inspectRoutes(ctx.inspector),
    // `/` → `/static/` and the web UI (web/frps/), or `webServer.assetsDir` when set.
    ...staticRoutes(FRPS_ASSETS, {
      assetsDir: ctx.config.webServer.assetsDir,
      vars: () => ({ started: String(started) }),
    }),
  );
  return routes;
}

/** Starts the dashboard when `webServer.port > 0` (the caller logs `dashboard listen on`). */
export async function startDashboard(ctx: ServerContext): Promise<WebServer | undefined> {
  const ws = ctx.config.webServer;
  if (!ctx.stats || ws.port <= 0) return undefined;
  const server = await startWebServer({
    addr: ws.addr,
    port: ws.port,
    // Per request: a reload may change the credentials.
    credentials: () => ({
      user: ctx.config.webServer.user,
      password: ctx.config.webServer.password,
    }),
    tls: ws.tls,
    routes: dashboardRoutes(ctx, ctx.stats),
    log: ctx.log.child("http/middleware.ts"),
  });
  return server;
}
