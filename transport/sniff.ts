/**
 * frps bindPort multiplexer (golib net/mux, wire-v1.md §4.1): read exactly 10 bytes within
 * 10 s, classify, and hand on a Conn that replays them.
 *
 * @module
 */

import type { Conn } from "../protocol/duplex.ts";
import { PrefixedConn } from "./_prefixed.ts";
import { readAtLeast } from "./_util.ts";

/** Bytes golib's mux reads before classifying (the websocket matcher's need). */
export const SNIFF_BYTES = 10;

/** Where a bindPort connection goes. */
export type BindPortKind = "frp" | "websocket" | "vhost-http" | "vhost-https";

/** Options for {@link sniffBindPortConn}. */
export interface SniffOptions {
  /** vhostHTTPPort == bindPort (same address). */
  httpShared: boolean;
  /** vhostHTTPSPort == bindPort (same address). */
  httpsShared: boolean;
  /** Deadline for the 10 bytes; default 10 s. */
  timeoutMs?: number;
}

const WS_PREFIX = new TextEncoder().encode("GET /~!frp");
const HTTP_METHODS = new Set(["GET", "HEA", "POS", "PUT", "DEL", "CON", "OPT", "TRA", "PAT"]);

/** Classifies the first 10 bytes in golib's matcher order. */
export function classifyBindPortBytes(b: Uint8Array, opts: SniffOptions): BindPortKind {
  if (b.byteLength >= WS_PREFIX.byteLength && WS_PREFIX.every((x, i) => b[i] === x)) {
    return "websocket";
  }
  if (opts.httpsShared && b.byteLength >= 1 && b[0] === 0x16) return "vhost-https";
  if (
    opts.httpShared && b.byteLength >= 3 &&
    HTTP_METHODS.has(String.fromCharCode(b[0], b[1], b[2]))
  ) {
    return "vhost-http";
  }
  return "frp"; // frp-TLS matcher (0x16/0x17) and the default listener both go to frp
}

/**
 * Reads 10 bytes (deadline `timeoutMs`, default 10 s) and classifies the connection. Throws
 * (after closing `conn`) when fewer than 10 bytes arrive in time or the peer closes first.
 * The returned conn replays the 10 bytes.
 */
export async function sniffBindPortConn(
  conn: Conn,
  opts: SniffOptions,
): Promise<{ kind: BindPortKind; conn: Conn }> {
  let head: Uint8Array;
  try {
    head = await readAtLeast(conn, SNIFF_BYTES, opts.timeoutMs ?? 10_000);
  } catch (e) {
    conn.close();
    throw e;
  }
  if (head.byteLength < SNIFF_BYTES) {
    conn.close();
    throw new Deno.errors.UnexpectedEof(
      `connection closed after ${head.byteLength} of ${SNIFF_BYTES} sniff bytes`,
    );
  }
  return { kind: classifyBindPortBytes(head, opts), conn: new PrefixedConn(conn, head) };
}
