/**
 * The JSON views of captured exchanges served by the inspector API: summaries, details with
 * secrets masked, body previews as text or base64 (gzip-encoded previews decoded as far as the
 * preview goes).
 *
 * @module
 */
import type { HeaderList } from "../../protocol/http_codec.ts";
import type { BodyCapture, Exchange } from "./store.ts";

/** Header values shown as `***`. */
const MASKED = new Set(["authorization", "proxy-authorization", "cookie", "set-cookie"]);

/** Header list with secrets masked. */
export function maskHeaders(list: HeaderList): HeaderList {
  return list.map(([k, v]): [string, string] => [k, MASKED.has(k.toLowerCase()) ? "***" : v]);
}

/** The list row of an exchange. */
export function summary(e: Exchange): Record<string, unknown> {
  return {
    id: e.id,
    startedAt: e.startedAt,
    durationMs: e.durationMs,
    method: e.method,
    host: e.host,
    path: e.target,
    status: e.status,
    requestSize: e.requestBody.size,
    responseSize: e.responseBody.size,
    remoteAddr: e.remoteAddr,
    upgrade: e.upgrade,
    state: e.state,
    error: e.error,
    replayOf: e.replayOf,
  };
}

/** Everything shown of an exchange; `bound` caps inflated previews (maxBodyPreviewBytes). */
export async function detail(e: Exchange, bound: number): Promise<Record<string, unknown>> {
  return {
    ...summary(e),
    proxy: e.proxy,
    request: {
      httpVersion: e.httpVersion,
      headers: maskHeaders(e.requestHeaders),
      body: await bodyView(e.requestBody, e.requestHeaders, bound),
    },
    response: {
      reason: e.reason,
      headers: maskHeaders(e.responseHeaders),
      body: await bodyView(e.responseBody, e.responseHeaders, bound),
    },
  };
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Text when `p` is UTF-8 (a multi-byte tail cut by the bound allowed), else undefined. */
function asText(p: Uint8Array, cut: boolean): string | undefined {
  for (let n = 0; n <= (cut ? 3 : 0) && n <= p.byteLength; n++) {
    try {
      return utf8.decode(p.subarray(0, p.byteLength - n));
    } catch { /* try a shorter tail */ }
  }
  return undefined;
}

const base64 = (p: Uint8Array) => btoa(Array.from(p, (c) => String.fromCharCode(c)).join(""));

/**
 * A body preview: `{size, truncated, encoding: "utf8"|"base64", preview}`, plus
 * `decodedFrom: "gzip"` when a gzip body's preview could be (partly) inflated — then `preview`
 * is the inflated body, at most `bound` bytes of it.
 */
async function bodyView(
  b: BodyCapture,
  headers: HeaderList,
  bound: number,
): Promise<Record<string, unknown>> {
  const view = (p: Uint8Array, cut: boolean, from?: string) => {
    const text = asText(p, cut);
    return {
      size: b.size,
      truncated: b.truncated,
      encoding: text === undefined ? "base64" : "utf8",
      preview: text ?? base64(p),
      ...(from ? { decodedFrom: from } : {}),
    };
  };
  const ce = headers.find(([k]) => k.toLowerCase() === "content-encoding")?.[1].trim();
  if (ce?.toLowerCase() === "gzip" && b.preview.byteLength > 0) {
    const inflated = await gunzipPrefix(b.preview, bound);
    if (inflated) return view(inflated.data, inflated.cut, "gzip");
  }
  return view(b.preview, b.truncated);
}

/** Inflates as much of a (possibly cut) gzip stream as it holds, up to `max` bytes. */
async function gunzipPrefix(
  data: Uint8Array,
  max: number,
): Promise<{ data: Uint8Array; cut: boolean } | null> {
  const ds = new DecompressionStream("gzip");
  const w = ds.writable.getWriter();
  w.write(data.slice()).catch(() => {});
  w.close().catch(() => {});
  const r = ds.readable.getReader();
  const parts: Uint8Array[] = [];
  let n = 0;
  let complete = false;
  try {
    while (n < max) {
      const { value, done } = await r.read();
      if (done) {
        complete = true;
        break;
      }
      parts.push(value);
      n += value.byteLength;
    }
  } catch { /* a cut stream: keep what came out */ }
  r.cancel().catch(() => {});
  if (n === 0) return null;
  const out = new Uint8Array(Math.min(n, max));
  let off = 0;
  for (const p of parts) {
    const take = p.subarray(0, out.byteLength - off);
    out.set(take, off);
    off += take.byteLength;
    if (off === out.byteLength) break;
  }
  return { data: out, cut: !complete || n > max };
}
