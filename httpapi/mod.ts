/**
 * The HTTP plumbing shared by the frps dashboard API and the frpc admin API (frp's
 * pkg/util/http, behaviour.md §11.1–11.2): one route table, basic auth, the v1/v2 response
 * envelopes, Go's 404/405 answers and the "http request"/"http response" log lines.
 * Built on `Deno.serve` (needs only `--allow-net`, plus `--allow-read` for TLS files).
 *
 * @module
 */
import { readTextFileGo } from "../transport/files.ts";
import { goListenError } from "../transport/tcp.ts";
import type { Logger } from "../log/logger.ts";

/** An API error carrying the HTTP status frp answers with. */
export class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "HttpError";
    this.status = status;
  }
}

/** What a handler sees. */
export interface ApiRequest {
  req: Request;
  url: URL;
  /** `{name}` path parameters, percent-decoded. */
  params: Record<string, string>;
  query: URLSearchParams;
}

/**
 * How a handler's result is written: `v1` = the value as JSON (undefined ⇒ empty 200; errors
 * `{"Code","Msg"}`), `v2` = `{"code","msg","data"}`, `raw` = the handler returns a Response.
 */
export type Envelope = "v1" | "v2" | "raw";

/** One row of a route table. */
export interface Route {
  method: string;
  /** `/api/proxy/{type}/{name}`; a trailing `/*` matches any rest (prefix route). */
  path: string;
  handler: (r: ApiRequest) => unknown;
  /** @default "v1" */
  envelope?: Envelope;
  /** Skip basic auth and request logging (`/healthz`, static assets). */
  public?: boolean;
}

/** Options of {@link startWebServer}. */
export interface WebServerOptions {
  addr: string;
  port: number;
  user?: string;
  password?: string;
  /** Both files set ⇒ HTTPS. */
  tls?: { certFile?: string; keyFile?: string };
  routes: Route[];
  log: Logger;
  /** Current basic-auth credentials, asked per request (frps hot reload); overrides user/password. */
  credentials?: () => { user?: string; password?: string };
}

/** A running API server. */
export interface WebServer {
  readonly addr: { hostname: string; port: number };
  close(): Promise<void>;
}

const AUTH_FAIL_DELAY_MS = 200;
const enc = new TextEncoder();

/** Go's encoding/json output for plain data: HTML-sensitive characters escaped. */
export function goJson(v: unknown): string {
  return JSON.stringify(v).replace(
    /[<>&\u2028\u2029]/g,
    (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"),
  );
}

function jsonResponse(status: number, body: unknown): Response {
  return new Response(goJson(body) + "\n", {
    status,
    headers: { "content-type": "application/json" },
  });
}

function textResponse(status: number, body: string, extra: Record<string, string> = {}): Response {
  return new Response(body, {
    status,
    headers: {
      "content-type": "text/plain; charset=utf-8",
      "x-content-type-options": "nosniff",
      ...extra,
    },
  });
}

interface Compiled {
  route: Route;
  segs: string[];
  prefix: boolean;
}

function compile(routes: Route[]): Compiled[] {
  return routes.map((route) => {
    const prefix = route.path.endsWith("/*");
    const p = prefix ? route.path.slice(0, -2) : route.path;
    return { route, segs: p.split("/").slice(1), prefix };
  });
}

function match(c: Compiled, segs: string[]): Record<string, string> | null {
  if (c.prefix ? segs.length < c.segs.length : segs.length !== c.segs.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < c.segs.length; i++) {
    const want = c.segs[i];
    if (want.startsWith("{") && want.endsWith("}")) {
      if (segs[i] === "") return null;
      params[want.slice(1, -1)] = segs[i];
    } else if (want !== segs[i]) return null;
  }
  return params;
}

function decodeSeg(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Checks `Authorization: Basic …` against user/password (constant work per request). */
function authorized(req: Request, user: string, password: string): boolean {
  const h = req.headers.get("authorization") ?? "";
  const m = /^basic\s+(.+)$/i.exec(h);
  if (!m) return false;
  let text: string;
  try {
    text = atob(m[1].trim());
  } catch {
    return false;
  }
  const i = text.indexOf(":");
  if (i < 0) return false;
  return text.slice(0, i) === user && text.slice(i + 1) === password;
}

async function runHandler(
  c: Compiled,
  r: ApiRequest,
  onError?: (msg: string) => void,
): Promise<Response> {
  const envelope = c.route.envelope ?? "v1";
  try {
    const result = await c.route.handler(r);
    if (result instanceof Response) return result;
    if (envelope === "v2") return jsonResponse(200, { code: 200, msg: "success", data: result });
    if (result === undefined) return new Response(null, { status: 200 });
    return jsonResponse(200, result);
  } catch (err) {
    const status = err instanceof HttpError ? err.status : 500;
    const msg = err instanceof Error ? err.message : String(err);
    onError?.(msg);
    if (envelope === "v2") return jsonResponse(status, { code: status, msg, data: null });
    return jsonResponse(status, { Code: status, Msg: msg });
  }
}

/** Builds the request handler for a route table (exported for in-process tests). */
export function apiHandler(
  opts: Pick<WebServerOptions, "routes" | "user" | "password" | "log" | "credentials">,
): (req: Request) => Promise<Response> {
  const table = compile(opts.routes);
  return async (req) => {
    const creds = opts.credentials?.() ?? opts;
    const user = creds.user ?? "";
    const password = creds.password ?? "";
    const authOn = user !== "" || password !== "";
    const url = new URL(req.url);
    const segs = url.pathname.split("/").slice(1).map(decodeSeg);
    let found: Compiled | undefined;
    let params: Record<string, string> = {};
    let pathMatched = false;
    for (const c of table) {
      const p = match(c, segs);
      if (!p) continue;
      pathMatched = true;
      if (c.route.method !== req.method && !(c.route.method === "GET" && req.method === "HEAD")) {
        continue;
      }
      found = c;
      params = p;
      break;
    }
    if (!found) {
      if (pathMatched) return new Response(null, { status: 405 });
      return textResponse(404, "404 page not found\n");
    }
    const r: ApiRequest = { req, url, params, query: url.searchParams };
    if (found.route.public) return await runHandler(found, r);
    const path = url.pathname;
    opts.log.info(`http request: [${path}]`);
    let res: Response;
    if (authOn && !authorized(req, user, password)) {
      await new Promise((ok) => setTimeout(ok, AUTH_FAIL_DELAY_MS));
      res = textResponse(401, "Unauthorized\n", {
        "www-authenticate": 'Basic realm="Restricted"',
      });
    } else {
      // Go's MakeHTTPHandlerFunc logs every failed call before the middleware's code line.
      res = await runHandler(
        found,
        r,
        (msg) => opts.log.child("http/handler.ts").warn(`http response [${path}]: error: ${msg}`),
      );
    }
    opts.log.info(`http response [${path}]: code [${res.status}]`);
    return res;
  };
}

/** Starts the API server; throws when the address cannot be bound. */
export async function startWebServer(opts: WebServerOptions): Promise<WebServer> {
  const handler = apiHandler(opts);
  let tls: { cert: string; key: string } | undefined;
  if (opts.tls?.certFile && opts.tls?.keyFile) {
    tls = {
      cert: await readTextFileGo(opts.tls.certFile),
      key: await readTextFileGo(opts.tls.keyFile),
    };
  }
  let server: Deno.HttpServer;
  try {
    server = Deno.serve({
      hostname: opts.addr,
      port: opts.port,
      onListen() {},
      onError(err) {
        return textResponse(500, `${err instanceof Error ? err.message : String(err)}\n`);
      },
      ...(tls ?? {}),
    }, handler);
  } catch (err) {
    throw new Error(goListenError(err, opts.addr, opts.port)); // Go's net.Listen text
  }
  const a = server.addr as Deno.NetAddr;
  return {
    addr: { hostname: a.hostname, port: a.port },
    close: () => server.shutdown(),
  };
}

/** `Content-Type` Go's http.DetectContentType would give a text file, for raw file bodies. */
export function bytesResponse(body: Uint8Array, contentType: string): Response {
  return new Response(body as Uint8Array<ArrayBuffer>, {
    status: 200,
    headers: { "content-type": contentType },
  });
}

/** UTF-8 bytes of a string. */
export function utf8(s: string): Uint8Array {
  return enc.encode(s);
}
