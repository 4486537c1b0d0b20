/**
 * In-memory connected Duplex pair for tests: no sockets, deterministic, with knobs for
 * partial writes, short reads and backpressure so wrappers see realistic behaviour.
 *
 * @module
 */

import type { Duplex } from "./duplex.ts";

export { PipeEnd, pipePair } from "./pipe.ts";
export type { PipeOptions } from "./pipe.ts";

/** Reads until EOF and returns everything (test convenience). */
export async function readAll(r: Duplex, chunk = 4096): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  const buf = new Uint8Array(chunk);
  while (true) {
    const n = await r.read(buf);
    if (n === null) break;
    parts.push(buf.slice(0, n));
    total += n;
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}

/** A Duplex that serves fixed bytes then EOF, and records writes (for decoder tests). */
export function bytesReader(data: Uint8Array, maxRead = Infinity): Duplex & { written: number } {
  let off = 0;
  return {
    written: 0,
    read(p: Uint8Array): Promise<number | null> {
      if (off >= data.byteLength) return Promise.resolve(null);
      const n = Math.min(p.byteLength, data.byteLength - off, maxRead);
      p.set(data.subarray(off, off + n));
      off += n;
      return Promise.resolve(n);
    },
    write(p: Uint8Array): Promise<number> {
      this.written += p.byteLength;
      return Promise.resolve(p.byteLength);
    },
    closeWrite(): Promise<void> {
      return Promise.resolve();
    },
    close(): void {},
  };
}
