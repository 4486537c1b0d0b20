/**
 * Serving the embedded web UIs (`web/frps/`, `web/frpc/`) the way Go frp serves its dashboards:
 * `GET /` answers 301 to `/static/`, `/static/*` serves the assets. When `webServer.assetsDir`
 * is set, files come from that directory instead (Go's `http.FileServer(http.Dir(assetsDir))`).
 * Embedded assets carry a strict Content-Security-Policy (no inline script, `'self'` only).
 *
 * @module
 */
import type { Route } from "../httpapi/mod.ts";

/** One embedded file. */
export interface Asset {
  contentType: string;
  body: string;
}

/** Embedded files by path under `/static/` (`index.html` is served for `/static/`). */
export type AssetMap = Record<string, Asset>;

/** Options of {@link staticRoutes}. */
export interface StaticOptions {
  /** `webServer.assetsDir`: serve this directory instead of the embedded files. */
  assetsDir?: string;
  /** `{{key}}` placeholders of the embedded `index.html`, replaced when served. */
  vars?: () => Record<string, string>;
}

/** Policy of the embedded pages: every script, style and fetch from this origin only. */
export const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  htm: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  json: "application/json",
  svg: "image/svg+xml",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  ico: "image/x-icon",
  woff: "font/woff",
  woff2: "font/woff2",
  txt: "text/plain; charset=utf-8",
  map: "application/json",
  wasm: "application/wasm",
};

function contentTypeOf(path: string): string {
  const ext = path.slice(path.lastIndexOf(".") + 1).toLowerCase();
  return TYPES[ext] ?? "application/octet-stream";
}

function notFound(): Response {
  return new Response("404 page not found\n", {
    status: 404,
    headers: {
      "content-type": "text/plain; charset=utf-8",
      "x-content-type-options": "nosniff",
    },
  });
}

function embedded(assets: AssetMap, rest: string, opts: StaticOptions): Response {
  const key = rest === "" ? "index.html" : rest;
  const a = Object.hasOwn(assets, key) ? assets[key] : undefined;
  if (!a) return notFound();
  let body = a.body;
  if (key === "index.html" && opts.vars) {
    const vars = opts.vars();
    body = body.replace(/\{\{(\w+)\}\}/g, (m, k: string) => (Object.hasOwn(vars, k) ? vars[k] : m));
  }
  return new Response(body, {
    headers: {
      "content-type": a.contentType,
      "cache-control": "no-cache",
      "x-content-type-options": "nosniff",
      "x-frame-options": "DENY",
      "referrer-policy": "no-referrer",
      "content-security-policy": CSP,
    },
  });
}

async function fromDir(dir: string, rest: string): Promise<Response> {
  const segs = rest.split("/").filter((s) => s !== "" && s !== ".");
  if (segs.some((s) => s === ".." || s.includes("\\") || s.includes("\0"))) return notFound();
  let path = [dir.replace(/\/+$/, ""), ...segs].join("/");
  try {
    let st = await Deno.stat(path);
    if (st.isDirectory) {
      path += "/index.html";
      st = await Deno.stat(path);
    }
    if (!st.isFile) return notFound();
    const body = await Deno.readFile(path);
    return new Response(body as Uint8Array<ArrayBuffer>, {
      headers: { "content-type": contentTypeOf(path), "x-content-type-options": "nosniff" },
    });
  } catch {
    return notFound();
  }
}

/** `GET /` → 301 `/static/`, and `GET /static/*` from `assets` (or `opts.assetsDir`). */
export function staticRoutes(assets: AssetMap, opts: StaticOptions = {}): Route[] {
  return [
    {
      method: "GET",
      path: "/",
      envelope: "raw",
      handler: () =>
        new Response('<a href="/static/">Moved Permanently</a>.\n\n', {
          status: 301,
          headers: { location: "/static/", "content-type": "text/html; charset=utf-8" },
        }),
    },
    {
      method: "GET",
      path: "/static/*",
      envelope: "raw",
      handler: ({ url }) => {
        if (url.pathname === "/static") {
          return new Response(null, { status: 301, headers: { location: "/static/" } });
        }
        const rest = url.pathname.slice("/static/".length);
        let decoded: string;
        try {
          decoded = decodeURIComponent(rest);
        } catch {
          return notFound();
        }
        return opts.assetsDir ? fromDir(opts.assetsDir, decoded) : embedded(assets, decoded, opts);
      },
    },
  ];
}
