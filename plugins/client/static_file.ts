/**
 * `static_file` (behaviour.md §9.3): GET requests under `/<stripPrefix>/` served from
 * `localPath` as Go's `http.FileServer` does (directory listing, index.html, redirects, single
 * ranges, If-Modified-Since), behind optional Basic auth, gzip when the client accepts it.
 *
 * @module
 */
import type { StaticFilePluginOptions } from "../../config/types.ts";
import { httpDate } from "../../protocol/http_codec.ts";
import type { HeaderList } from "../../protocol/http_codec.ts";
import type { ClientPlugin, PluginConn } from "./types.ts";
import {
  basicAuth,
  constantTimeEq,
  respond,
  respondError,
  respondStream,
  serveHttp,
  type ServerRequest,
  sleep,
} from "./_http.ts";

const enc = new TextEncoder();

/** Go's mime builtin table (plus .txt from the usual system mime.types). */
const MIME: Record<string, string> = {
  ".avif": "image/avif",
  ".css": "text/css; charset=utf-8",
  ".gif": "image/gif",
  ".htm": "text/html; charset=utf-8",
  ".html": "text/html; charset=utf-8",
  ".jpeg": "image/jpeg",
  ".jpg": "image/jpeg",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".mjs": "text/javascript; charset=utf-8",
  ".pdf": "application/pdf",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".txt": "text/plain; charset=utf-8",
  ".wasm": "application/wasm",
  ".webp": "image/webp",
  ".xml": "text/xml; charset=utf-8",
};

/** A small subset of Go's http.DetectContentType. */
function sniff(b: Uint8Array): string {
  const head = new TextDecoder("latin1").decode(b.subarray(0, 512)).trimStart().toLowerCase();
  if (
    /^<(!doctype html|html|head|body|script|iframe|h1|div|font|table|a|style|title|b|p|br)[ >]/
      .test(head)
  ) {
    return "text/html; charset=utf-8";
  }
  if (head.startsWith("<?xml")) return "text/xml; charset=utf-8";
  if (head.startsWith("%pdf-")) return "application/pdf";
  if (b[0] === 0x89 && head.startsWith("\x89png")) return "image/png";
  for (const x of b.subarray(0, 512)) {
    if (x <= 0x08 || x === 0x0b || (x >= 0x0e && x <= 0x1a) || (x >= 0x1c && x <= 0x1f)) {
      return "application/octet-stream";
    }
  }
  return "text/plain; charset=utf-8";
}

/** Go's path.Clean. */
export function cleanPath(p: string): string {
  if (p === "") return ".";
  const rooted = p.startsWith("/");
  const out: string[] = [];
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!rooted) out.push("..");
    } else out.push(seg);
  }
  const s = (rooted ? "/" : "") + out.join("/");
  return s === "" ? (rooted ? "/" : ".") : s;
}

/** gorilla/mux cleanPath: path.Clean that keeps a trailing slash. */
function muxCleanPath(p: string): string {
  if (p === "") return "/";
  if (!p.startsWith("/")) p = "/" + p;
  let np = cleanPath(p);
  if (p.endsWith("/") && np !== "/") np += "/";
  return np;
}

function decodePath(p: string): string | null {
  try {
    return decodeURIComponent(p);
  } catch {
    return null;
  }
}

const HTML_ESC: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&#34;",
  "'": "&#39;",
};

/** url.URL{Path: name}.String() for a relative name. */
function urlPath(name: string): string {
  let s = encodeURIComponent(name).replace(
    /%(24|26|2B|2C|2F|3A|3B|3D|40)/g,
    (m) => decodeURIComponent(m),
  ).replace(/[!'()*]/g, (c) => c);
  const first = s.split("/")[0];
  if (first.includes(":")) s = "./" + s;
  return s;
}

interface Reply {
  status: number;
  headers: HeaderList;
  body: Uint8Array | { file: Deno.FsFile; start: number; length: number } | null;
}

const ERR_HEADERS: HeaderList = [
  ["Content-Type", "text/plain; charset=utf-8"],
  ["X-Content-Type-Options", "nosniff"],
];
const errReply = (status: number, text: string): Reply => ({
  status,
  headers: ERR_HEADERS,
  body: enc.encode(text + "\n"),
});
const redirect = (to: string, query: string): Reply => ({
  status: 301,
  headers: [["Location", to + query]],
  body: null,
});

function baseName(p: string): string {
  const t = p.replace(/\/+$/, "");
  const i = t.lastIndexOf("/");
  return i < 0 ? t : t.slice(i + 1) || "/";
}

/** Creates the plugin. */
export function createStaticFilePlugin(opts: StaticFilePluginOptions): Promise<ClientPlugin> {
  const prefix = opts.stripPrefix ? `/${opts.stripPrefix}/` : "/";
  const user = opts.httpUser ?? "";
  const pass = opts.httpPassword ?? "";
  const root = opts.localPath.replace(/\/+$/, "") || "/";

  const notModified = (req: ServerRequest, mtime: Date | null): boolean => {
    const ims = req.headers.get("if-modified-since");
    if (!ims || !mtime || req.headers.has("if-none-match")) return false;
    const t = Date.parse(ims);
    return !Number.isNaN(t) && Math.floor(mtime.getTime() / 1000) * 1000 <= t;
  };

  /** Go's http.FileServer on the prefix-stripped path `upath` (starts with "/"). */
  const fileServer = async (req: ServerRequest, upath: string): Promise<Reply> => {
    if (upath.endsWith("/index.html")) return redirect("./", req.query);
    const name = cleanPath(upath);
    const full = root + (name === "/" ? "" : name);
    let st: Deno.FileInfo;
    try {
      st = await Deno.stat(full);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
        return errReply(404, "404 page not found");
      }
      if (err instanceof Deno.errors.PermissionDenied) return errReply(403, "403 Forbidden");
      return errReply(500, "500 Internal Server Error");
    }
    if (st.isDirectory && !upath.endsWith("/")) return redirect(baseName(upath) + "/", req.query);
    if (!st.isDirectory && upath.endsWith("/")) {
      return redirect("../" + baseName(upath), req.query);
    }
    let filePath = full;
    if (st.isDirectory) {
      const idx = `${full.replace(/\/$/, "")}/index.html`;
      try {
        const ist = await Deno.stat(idx);
        if (ist.isFile) {
          st = ist;
          filePath = idx;
        }
      } catch {
        // no index.html: list the directory
      }
    }
    if (st.isDirectory) {
      if (notModified(req, st.mtime)) return { status: 304, headers: [], body: null };
      const entries: string[] = [];
      try {
        for await (const e of Deno.readDir(full)) {
          entries.push(e.isDirectory ? e.name + "/" : e.name);
        }
      } catch {
        return errReply(500, "Error reading directory");
      }
      entries.sort((a, b) => (a.replace(/\/$/, "") < b.replace(/\/$/, "") ? -1 : 1));
      let html = '<!doctype html>\n<meta name="viewport" content="width=device-width">\n<pre>\n';
      for (const n of entries) {
        html += `<a href="${urlPath(n)}">${n.replace(/[&<>"']/g, (c) => HTML_ESC[c])}</a>\n`;
      }
      html += "</pre>\n";
      const headers: HeaderList = [["Content-Type", "text/html; charset=utf-8"]];
      if (st.mtime) headers.unshift(["Last-Modified", httpDate(st.mtime)]);
      return { status: 200, headers, body: enc.encode(html) };
    }
    let file: Deno.FsFile;
    try {
      file = await Deno.open(filePath, { read: true });
    } catch (err) {
      if (err instanceof Deno.errors.PermissionDenied) return errReply(403, "403 Forbidden");
      return errReply(404, "404 page not found");
    }
    const size = st.size;
    const headers: HeaderList = [];
    if (st.mtime) headers.push(["Last-Modified", httpDate(st.mtime)]);
    if (notModified(req, st.mtime)) {
      file.close();
      return { status: 304, headers, body: null };
    }
    const dot = filePath.lastIndexOf(".");
    let ctype = dot > filePath.lastIndexOf("/") ? MIME[filePath.slice(dot).toLowerCase()] : "";
    if (!ctype) {
      const buf = new Uint8Array(512);
      const n = (await file.read(buf)) ?? 0;
      ctype = sniff(buf.subarray(0, n));
    }
    headers.push(["Accept-Ranges", "bytes"], ["Content-Type", ctype]);
    let start = 0;
    let length = size;
    let status = 200;
    const range = req.headers.get("range");
    if (range && range.startsWith("bytes=") && !range.includes(",")) {
      const m = /^bytes=\s*(\d*)\s*-\s*(\d*)\s*$/.exec(range);
      let ok = !!m && (m[1] !== "" || m[2] !== "");
      if (m && ok) {
        if (m[1] === "") {
          const n = Math.min(Number(m[2]), size);
          start = size - n;
          length = n;
        } else {
          start = Number(m[1]);
          const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
          ok = start < size && end >= start;
          length = end - start + 1;
        }
      }
      if (!ok) {
        file.close();
        return {
          status: 416,
          headers: [["Content-Range", `bytes */${size}`], ...ERR_HEADERS],
          body: enc.encode("invalid range: failed to overlap\n"),
        };
      }
      status = 206;
      headers.push(["Content-Range", `bytes ${start}-${start + length - 1}/${size}`]);
    }
    return { status, headers, body: { file, start, length } };
  };

  const handle = async (req: ServerRequest): Promise<void> => {
    const decoded = decodePath(req.path);
    if (decoded === null) return await respondError(req, 400, "400 Bad Request");
    const clean = muxCleanPath(decoded);
    if (clean !== decoded) {
      return await respond(req, 301, [["Location", clean + req.query]]);
    }
    if (!decoded.startsWith(prefix)) return await respondError(req, 404, "404 page not found");
    if (req.method !== "GET") return await respond(req, 405);
    if (user !== "" || pass !== "") {
      const got = basicAuth(req.headers);
      if (!got || !constantTimeEq(got[0], user) || !constantTimeEq(got[1], pass)) {
        await sleep(200);
        return await respondError(req, 401, "Unauthorized", [
          ["Www-Authenticate", 'Basic realm="Restricted"'],
        ]);
      }
    }
    const rest = decoded.slice(prefix.length);
    const reply = await fileServer(req, rest.startsWith("/") ? rest : "/" + rest);
    await send(req, reply);
  };

  return Promise.resolve({
    name: "static_file",
    handle(c: PluginConn): Promise<void> {
      return serveHttp(c.conn, handle, { log: c.log });
    },
    close() {},
  });
}

async function* fileChunks(
  f: { file: Deno.FsFile; start: number; length: number },
): AsyncIterable<Uint8Array> {
  try {
    await f.file.seek(f.start, Deno.SeekMode.Start);
    let left = f.length;
    const buf = new Uint8Array(32 * 1024);
    while (left > 0) {
      const n = await f.file.read(left < buf.length ? buf.subarray(0, left) : buf);
      if (n === null) break;
      yield buf.slice(0, n);
      left -= n;
    }
  } finally {
    f.file.close();
  }
}

async function* gzipChunks(src: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  const cs = new CompressionStream("gzip");
  const writer = cs.writable.getWriter();
  const pump = (async () => {
    for await (const c of src) await writer.write(c as Uint8Array<ArrayBuffer>);
    await writer.close();
  })();
  pump.catch(() => {});
  for await (const c of cs.readable) yield c;
  await pump;
}

async function* once(b: Uint8Array): AsyncIterable<Uint8Array> {
  yield b;
}

async function send(req: ServerRequest, r: Reply): Promise<void> {
  const bodiless = r.status === 304 || req.method === "HEAD";
  const gzip = (req.headers.get("accept-encoding") ?? "").includes("gzip");
  if (r.body === null || bodiless) {
    if (r.body !== null && !(r.body instanceof Uint8Array)) r.body.file.close();
    if (gzip && !bodiless) {
      return await respondStream(
        req,
        r.status,
        [...r.headers, ["Content-Encoding", "gzip"]],
        gzipChunks(once(new Uint8Array(0))),
        null,
      );
    }
    return await respond(req, r.status, r.headers);
  }
  const chunks = r.body instanceof Uint8Array ? once(r.body) : fileChunks(r.body);
  if (gzip) {
    return await respondStream(
      req,
      r.status,
      [...r.headers, ["Content-Encoding", "gzip"]],
      gzipChunks(chunks),
      null,
    );
  }
  const length = r.body instanceof Uint8Array ? r.body.byteLength : r.body.length;
  await respondStream(req, r.status, r.headers, chunks, length);
}
