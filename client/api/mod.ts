/**
 * The frpc admin API (frp's client/api_router.go, behaviour.md §12.1–12.2): status, reload,
 * stop and the config file, with frp's v1 envelopes and basic auth.
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
import {
  type ClientConfig,
  ConfigError,
  decodeDefinition,
  loadClientConfig,
  type ProxyConfig,
  type StoreEntry,
  type StoreKind,
  type VisitorConfig,
} from "../../config/mod.ts";
import { type ConfigStore, StoreError } from "../store.ts";
import type { Logger } from "../../log/logger.ts";
import type { ClientService } from "../service.ts";
import { proxyConfigJson, statusJson, visitorConfigJson } from "./model.ts";
import { FRPC_ASSETS } from "../../web/frpc/mod.ts";
import { staticRoutes } from "../../web/serve.ts";

export { STATUS_TYPE_ORDER, statusJson, statusTable } from "./model.ts";

/** What the admin API works on. */
export interface AdminApiOptions {
  service: ClientService;
  /** The `-c` path ("" = none). */
  configPath: string;
  /** `--allow-unsafe` values for reloads. */
  allowUnsafe: string[];
  log: Logger;
  /** Called once `POST /api/stop` closed the service. */
  onStop?: () => void;
  /** `store.path`: the store, and the config file's own config it is merged into. */
  store?: { store: ConfigStore; base: ClientConfig };
}

const STOP_GRACE_MS = 100;

/** Go strconv.ParseBool's true spellings. */
function parseBoolTrue(v: string | null): boolean {
  return v !== null && ["1", "t", "T", "TRUE", "true", "True"].includes(v);
}

/** The admin route table. */
export function adminRoutes(opts: AdminApiOptions): Route[] {
  const { service, log } = opts;
  const status = () => {
    const ctl = service.control;
    if (!ctl) return {};
    const isStore = (name: string) => opts.store?.store.isStoreProxyEnabled(name) ?? false;
    return statusJson(service.config, ctl.proxies.configs(), ctl.proxies.statuses(), isStore);
  };
  const reload = async (r: ApiRequest) => {
    if (!opts.configPath) {
      throw new HttpError(400, "invalid argument: frpc has no config file path");
    }
    let next;
    try {
      // Go's ReloadFromFile: parse, filter by the new `start`, complete, validate — the rest
      // of the new common section is not applied, and tokenSource is not read again.
      next = await loadClientConfig(opts.configPath, {
        strict: parseBoolTrue(r.query.get("strictConfig")),
        allowUnsafe: opts.allowUnsafe,
        resolveTokenSource: false,
      });
    } catch (err) {
      const msg = err instanceof ConfigError
        ? err.goText
        : err instanceof Error
        ? err.message
        : String(err);
      throw new HttpError(400, `invalid argument: ${msg}`);
    }
    try {
      if (opts.store) opts.store.base = next.config;
      await service.reload(opts.store ? opts.store.store.merge(next.config) : next.config);
    } catch (err) {
      throw new HttpError(500, `apply config failed: ${(err as Error).message}`);
    }
    log.child("client/config_manager.ts").info("success reload conf");
    return undefined;
  };
  const stop = () => {
    // Answer first; the service closes (and `run()` resolves, exit 0) a moment later.
    setTimeout(() => {
      service.close();
      opts.onStop?.();
    }, STOP_GRACE_MS);
    return undefined;
  };
  const getConfig = async () => {
    if (!opts.configPath) throw new HttpError(400, "frpc has no config file path");
    let text: Uint8Array;
    try {
      text = await Deno.readFile(opts.configPath);
    } catch (err) {
      throw new HttpError(400, `read config file error: ${(err as Error).message}`);
    }
    return new Response(text as Uint8Array<ArrayBuffer>, {
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  };
  const putConfig = async (r: ApiRequest) => {
    const body = new Uint8Array(await r.req.arrayBuffer());
    if (body.byteLength === 0) throw new HttpError(400, "body can't be empty");
    if (!opts.configPath) throw new HttpError(400, "frpc has no config file path");
    try {
      await Deno.writeFile(opts.configPath, body, { mode: 0o600 });
    } catch (err) {
      throw new HttpError(
        500,
        `write content to frpc config file error: ${(err as Error).message}`,
      );
    }
    return undefined;
  };
  const proxyConfig = (r: ApiRequest) => {
    const name = r.params.name;
    const c = service.config.proxies.find((p) => p.name === name);
    if (!c) throw new HttpError(404, `proxy ${JSON.stringify(name)} not found`);
    return { name: c.name, type: c.type, [c.type]: proxyConfigJson(c) };
  };
  const visitorConfig = (r: ApiRequest) => {
    const name = r.params.name;
    const c = service.config.visitors.find((v) => v.name === name);
    if (!c) throw new HttpError(404, `visitor ${JSON.stringify(name)} not found`);
    return { name: c.name, type: c.type, [c.type]: visitorConfigJson(c) };
  };
  return [
    { method: "GET", path: "/healthz", handler: () => undefined, public: true },
    ...(opts.store ? storeRoutes(opts, opts.store) : []),
    { method: "GET", path: "/api/reload", handler: reload },
    { method: "POST", path: "/api/stop", handler: stop },
    { method: "GET", path: "/api/status", handler: status },
    { method: "GET", path: "/api/config", handler: getConfig, envelope: "raw" },
    { method: "PUT", path: "/api/config", handler: putConfig },
    { method: "GET", path: "/api/proxy/{name}/config", handler: proxyConfig },
    { method: "GET", path: "/api/visitor/{name}/config", handler: visitorConfig },
    // `/` → `/static/` and the admin UI (web/frpc/), or `webServer.assetsDir` when set.
    ...staticRoutes(FRPC_ASSETS, { assetsDir: service.config.webServer.assetsDir }),
  ];
}

/** Starts the admin API when `webServer.port > 0`; logs frp's `admin server listen on`. */
export async function startAdminApi(opts: AdminApiOptions): Promise<WebServer | undefined> {
  const ws = opts.service.config.webServer;
  if (ws.port <= 0) return undefined;
  const server = await startWebServer({
    addr: ws.addr,
    port: ws.port,
    user: ws.user,
    password: ws.password,
    tls: ws.tls,
    routes: adminRoutes(opts),
    log: opts.log.child("http/middleware.ts"),
  });
  opts.log.child("client/service.ts").info(`admin server listen on ${ws.addr}:${server.addr.port}`);
  return server;
}

/** `/api/store/{proxies,visitors}[/{name}]` (Go registers them only when the store is on). */
function storeRoutes(
  opts: AdminApiOptions,
  st: { store: ConfigStore; base: ClientConfig },
): Route[] {
  const { service, log } = opts;
  // Go answers with the entry as stored: not completed (no localIP/bandwidthLimitMode defaults).
  const json = (kind: StoreKind, e: StoreEntry) => {
    const asIs = { ...e, transport: e.transport ?? {} };
    const c = kind === "proxy"
      ? proxyConfigJson(asIs as unknown as ProxyConfig)
      : visitorConfigJson(asIs as unknown as VisitorConfig);
    return { name: e.name, type: e.type, [String(e.type)]: c };
  };
  const run = async <T>(f: () => Promise<T> | T): Promise<T> => {
    try {
      return await f();
    } catch (err) {
      if (err instanceof StoreError) throw new HttpError(err.status, err.message);
      throw err;
    }
  };
  const body = async (r: ApiRequest, kind: StoreKind, name = "", update = false) => {
    const text = await r.req.text();
    try {
      return decodeDefinition(kind, text, name, update);
    } catch (err) {
      throw new HttpError(400, (err as Error).message);
    }
  };
  const apply = () => service.reload(st.store.merge(st.base));
  const routes: Route[] = [];
  for (const kind of ["proxy", "visitor"] as const) {
    const base = `/api/store/${kind === "proxy" ? "proxies" : "visitors"}`;
    const listKey = kind === "proxy" ? "proxies" : "visitors";
    const found = (name: string) => {
      const e = st.store.get(kind, name);
      if (!e) throw new HttpError(404, `not found: ${kind} ${JSON.stringify(name)}`);
      return e;
    };
    routes.push(
      {
        method: "GET",
        path: base,
        handler: () => ({
          [listKey]: st.store.list(kind).map((e) => json(kind, e)).sort((a, b) =>
            String(a.name) < String(b.name) ? -1 : String(a.name) > String(b.name) ? 1 : 0
          ),
        }),
      },
      {
        method: "POST",
        path: base,
        handler: async (r) => {
          const e = await body(r, kind);
          await run(() => st.store.create(kind, e));
          await apply();
          log.child("client/config_manager.ts").info(`store: created ${kind} "${e.name}"`);
          return json(kind, found(String(e.name)));
        },
      },
      { method: "GET", path: `${base}/{name}`, handler: (r) => json(kind, found(r.params.name)) },
      {
        method: "PUT",
        path: `${base}/{name}`,
        handler: async (r) => {
          const name = r.params.name;
          const e = await body(r, kind, name, true);
          await run(() => st.store.update(kind, name, e));
          await apply();
          log.child("client/config_manager.ts").info(`store: updated ${kind} "${name}"`);
          return json(kind, found(name));
        },
      },
      {
        method: "DELETE",
        path: `${base}/{name}`,
        handler: async (r) => {
          const name = r.params.name;
          await run(() => st.store.delete(kind, name));
          await apply();
          log.child("client/config_manager.ts").info(`store: deleted ${kind} "${name}"`);
          return undefined;
        },
      },
    );
  }
  return routes;
}
