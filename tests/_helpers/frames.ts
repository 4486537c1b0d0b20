/** Raw v1 frames and socket probes for abuse tests (independent of protocol/, on purpose). */
import tls from "node:tls";
import { withTimeout } from "./services.ts";

/** Max v1 body length a reader accepts. */
export const MAX_BODY = 10240;

/** A v1 frame: type byte, 8-byte signed BE length, body. `length` overrides the real length. */
export function frame(
  type: string | number,
  body: string | Uint8Array,
  length?: number,
): Uint8Array {
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const out = new Uint8Array(9 + bytes.length);
  out[0] = typeof type === "number" ? type : type.charCodeAt(0);
  new DataView(out.buffer).setBigInt64(1, BigInt(length ?? bytes.length), false);
  out.set(bytes, 9);
  return out;
}

/** Reads one v1 frame (type char + parsed JSON) or null if the connection ended first. */
export async function readFrame(
  conn: Deno.Conn,
  timeoutMs = 10000,
): Promise<{ type: string; body: Record<string, unknown> } | null> {
  const readN = async (n: number): Promise<Uint8Array | null> => {
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const r = await conn.read(out.subarray(got));
      if (r === null) return null;
      got += r;
    }
    return out;
  };
  return await withTimeout(
    (async () => {
      const head = await readN(9);
      if (!head) return null;
      const len = Number(new DataView(head.buffer).getBigInt64(1, false));
      if (len < 0 || len > MAX_BODY) throw new Error(`readFrame: bad length ${len}`);
      const body = await readN(len);
      if (!body) return null;
      return {
        type: String.fromCharCode(head[0]),
        body: JSON.parse(new TextDecoder().decode(body)),
      };
    })(),
    timeoutMs,
    "readFrame",
  );
}

/** Writes `data`, ignoring errors (the peer may already have reset the connection). */
export async function writeQuietly(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  try {
    let off = 0;
    while (off < data.length) off += await conn.write(data.subarray(off));
  } catch { /* peer closed */ }
}

/**
 * Resolves once the peer closed `conn` (EOF or reset), discarding anything it sent; rejects if
 * it is still open after `timeoutMs`. Resolves with the elapsed milliseconds.
 */
export async function expectClosed(conn: Deno.Conn, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  const buf = new Uint8Array(4096);
  let received = 0;
  const drain = (async () => {
    try {
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) return;
        received += n;
        if (received > 1 << 20) throw new Error("peer sent over 1 MiB instead of closing");
      }
    } catch (e) {
      if (e instanceof Deno.errors.ConnectionReset || e instanceof Deno.errors.BrokenPipe) return;
      if (e instanceof Deno.errors.BadResource) return;
      throw e;
    }
  })();
  try {
    await withTimeout(drain, timeoutMs, `connection still open (got ${received} bytes)`);
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
    await drain.catch(() => {});
  }
  return Date.now() - t0;
}

/**
 * Completes a TLS handshake with 127.0.0.1:`port` (certificate not checked), writes `junk`
 * inside TLS and resolves once the peer closed; rejects if the handshake fails or the connection stays open for `timeoutMs`.
 */
export function expectClosedAfterTlsJunk(
  port: number,
  junk: Uint8Array,
  timeoutMs: number,
): Promise<number> {
  const t0 = Date.now();
  const sock = tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false });
  let handshaken = false;
  const closed = new Promise<number>((resolve, reject) => {
    sock.on("secureConnect", () => {
      handshaken = true;
      sock.write(junk);
    });
    sock.on("data", () => {});
    sock.on("error", (e: Error) => {
      if (!handshaken) reject(new Error(`TLS handshake with 127.0.0.1:${port} failed: ${e}`));
    });
    sock.on("close", () => {
      if (handshaken) resolve(Date.now() - t0);
      else reject(new Error(`127.0.0.1:${port} closed before the TLS handshake finished`));
    });
  });
  return withTimeout(closed, timeoutMs, "TLS connection still open").finally(() => sock.destroy());
}
