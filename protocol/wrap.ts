/**
 * Per-proxy wrapping of work and visitor connections (wire-v1.md §9.1): application bytes are
 * compressed first, then encrypted, so the snappy layer sits on top of the CFB layer.
 *
 * @module
 */
import type { Duplex } from "./duplex.ts";
import { cryptoDuplex, deriveKey } from "./crypto/mod.ts";
import { snappyDuplex } from "./compress/mod.ts";

/** Which layers to add and the secret that keys encryption (token or secretKey). */
export interface WrapOptions {
  key: string;
  useEncryption: boolean;
  useCompression: boolean;
}

/** Returns `conn` wrapped as frp does: app ⇄ snappy ⇄ AES-128-CFB ⇄ conn. */
export function wrapProxyConn(conn: Duplex, opts: WrapOptions): Duplex {
  let d = conn;
  if (opts.useEncryption) d = cryptoDuplex(d, deriveKey(opts.key));
  if (opts.useCompression) d = snappyDuplex(d);
  return d;
}
