/**
 * Request-side helpers of the HTTP vhost: basic-auth parsing and checking, hop-by-hop header
 * removal, Go's query cleaning and request-target parsing (behaviour.md §1.4–§1.6).
 *
 * @module
 */
import { type Headers1, HttpError, tokens } from "../../protocol/http_codec.ts";
import type { HttpRoute } from "./http.ts";

const HOP_HEADERS = [
  "connection",
  "proxy-connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
];

const utf8 = new TextEncoder();
const latin1 = new TextDecoder("latin1");

/** UTF-8 bytes of a config string as a byte string (what Go writes for it). */
export function bytesOf(s: string): string {
  return latin1.decode(utf8.encode(s));
}

/** frp's parseBasicAuth: case-insensitive "Basic " prefix, std base64, split at first ':'. */
export function parseBasicAuth(v: string | undefined): { user: string; pass: string } | null {
  if (v === undefined || v.length < 6 || v.slice(0, 6).toLowerCase() !== "basic ") return null;
  let text: string;
  try {
    const b64 = v.slice(6);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) return null;
    text = latin1.decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
  const i = text.indexOf(":");
  if (i < 0) return null;
  return { user: text.slice(0, i), pass: text.slice(i + 1) };
}

/** Credentials from config as byte strings (header values are compared bytewise). */
export function credOk(route: HttpRoute, c: { user: string; pass: string } | null): boolean {
  if (route.username === "" && route.password === "") return true;
  return !!c && c.user === bytesOf(route.username) && c.pass === bytesOf(route.password);
}

export function removeHopHeaders(h: Headers1): void {
  for (const t of tokens(h.values("connection"))) h.del(t);
  for (const n of HOP_HEADERS) h.del(n);
}

/** Go's cleanQueryParams: drops unparsable `&`-separated parts (e.g. with `;`). */
export function cleanQuery(raw: string): string {
  const ok = (s: string) => {
    if (s.includes(";")) return false;
    try {
      decodeURIComponent(s.replace(/\+/g, " "));
      return true;
    } catch {
      return /^[^%]*$/.test(s);
    }
  };
  const parts = raw.split("&");
  if (parts.every((p) => p === "" || ok(p))) return raw;
  return parts.filter((p) => p !== "" && ok(p)).join("&");
}

/** Percent-decodes a path the way Go's url.PathUnescape would; throws on bad escapes. */
function unescapePath(p: string): string {
  if (!p.includes("%")) return p;
  const bytes: number[] = [];
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (c === 0x25) {
      const hex = p.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new HttpError(400, "invalid URL escape");
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      for (const b of utf8.encode(p[i])) bytes.push(b);
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

export interface ParsedTarget {
  /** authority from an absolute-form/CONNECT target ("" for origin-form) */
  urlHost: string;
  /** decoded path for routing */
  path: string;
  /** raw path as it goes out ("/" at least for absolute-form) */
  rawPath: string;
  rawQuery: string | null;
}

export function parseTarget(method: string, target: string): ParsedTarget {
  if (method === "CONNECT" && !target.startsWith("/")) {
    return { urlHost: target, path: "", rawPath: "", rawQuery: null };
  }
  let rest = target;
  let urlHost = "";
  if (!target.startsWith("/") && target !== "*") {
    const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)(.*)$/.exec(target);
    if (!m) throw new HttpError(400, "invalid request URI");
    urlHost = m[2].includes("@") ? m[2].slice(m[2].lastIndexOf("@") + 1) : m[2];
    rest = m[3];
  }
  const q = rest.indexOf("?");
  const rawPath = q >= 0 ? rest.slice(0, q) : rest;
  const rawQuery = q >= 0 ? rest.slice(q + 1) : null;
  return { urlHost, path: unescapePath(rawPath), rawPath, rawQuery };
}
