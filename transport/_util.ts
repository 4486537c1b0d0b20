/**
 * Small helpers shared by the transport modules.
 *
 * @module
 */

import type { Conn, Duplex } from "../protocol/duplex.ts";

/** Writes all of `p`, looping on partial writes. */
export async function writeAll(w: Duplex, p: Uint8Array): Promise<void> {
  let off = 0;
  while (off < p.byteLength) off += await w.write(off === 0 ? p : p.subarray(off));
}

/** Error thrown when a transport-level deadline expires. */
export class TimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TimeoutError";
  }
}

/**
 * Reads until `n` bytes have arrived or the stream ends, within `timeoutMs` (0/undefined = no
 * deadline). On timeout the connection is closed (Go frp closes it too) and TimeoutError is thrown.
 * Returns the bytes read, which may be fewer than `n` only on EOF.
 */
export async function readAtLeast(
  conn: Conn,
  n: number,
  timeoutMs?: number,
): Promise<Uint8Array> {
  const buf = new Uint8Array(n);
  let got = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timedOut = false;
  const work = (async () => {
    while (got < n) {
      const r = await conn.read(buf.subarray(got));
      if (r === null) break;
      got += r;
    }
  })();
  if (timeoutMs && timeoutMs > 0) {
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        timedOut = true;
        resolve();
      }, timeoutMs);
    });
    try {
      await Promise.race([work, deadline]);
    } finally {
      clearTimeout(timer);
    }
    if (timedOut) {
      conn.close();
      // The pending read rejects once the conn is closed; observe it so it is not unhandled.
      await work.catch(() => {});
      throw new TimeoutError(`read timeout: got ${got} of ${n} bytes within ${timeoutMs} ms`);
    }
  } else {
    await work;
  }
  return got === n ? buf : buf.subarray(0, got);
}

const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** True when `host` is an IPv4 or IPv6 literal (optionally in brackets). */
export function isIpLiteral(host: string): boolean {
  if (IPV4_RE.test(host)) return true;
  const h = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  return h.includes(":");
}

/** Strips IPv6 brackets: "[::1]" → "::1". */
export function unbracket(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}
