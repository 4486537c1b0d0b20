/** Local services behind the tunnels, and clients that talk to them. All on 127.0.0.1. */
import dgram from "node:dgram";

/** A running local service. */
export interface Service extends AsyncDisposable {
  /** Port it listens on (127.0.0.1). */
  port: number;
  /** Stops listening, closes open connections and waits for their handlers. */
  close(): Promise<void>;
}

/** Hex SHA-256 of `data`. */
export async function sha256hex(data: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** `n` random bytes (crypto.getRandomValues is limited to 64 KiB per call). */
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let off = 0; off < n; off += 65536) {
    crypto.getRandomValues(out.subarray(off, Math.min(n, off + 65536)));
  }
  return out;
}

/** Rejects with `what` timed out after `ms`, unless `p` settles first. */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, rej) => {
    timer = setTimeout(() => rej(new Error(`${what}: timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

/** A TCP echo server. */
export function startTcpEcho(): Service {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const handlers = new Set<Promise<void>>();
  const accepting = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      const h = conn.readable.pipeTo(conn.writable).catch(() => {}).finally(() => {
        conns.delete(conn);
        try {
          conn.close();
        } catch { /* closed by pipeTo */ }
      });
      handlers.add(h);
      h.finally(() => handlers.delete(h));
    }
  })().catch(() => {});
  let closed: Promise<void> | undefined;
  const close = () =>
    closed ??= (async () => {
      listener.close();
      await accepting;
      for (const c of conns) {
        try {
          c.close();
        } catch { /* gone */ }
      }
      await Promise.allSettled([...handlers]);
    })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** A UDP echo server (node:dgram, so no --unstable-net is needed). */
export async function startUdpEcho(): Promise<Service> {
  const sock = dgram.createSocket("udp4");
  sock.on("message", (msg, rinfo) => sock.send(msg, rinfo.port, rinfo.address));
  sock.on("error", () => {});
  const port = await new Promise<number>((resolve, reject) => {
    sock.once("error", reject);
    sock.bind(0, "127.0.0.1", () => resolve(sock.address().port));
  });
  let closed: Promise<void> | undefined;
  const close = () => closed ??= new Promise<void>((r) => sock.close(() => r()));
  return { port, close, [Symbol.asyncDispose]: close };
}

/** An HTTP server answering every request with 200 `hello` (text/plain). */
export function startHttpHello(body = "hello"): Service {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response(body, { headers: { "content-type": "text/plain" } }),
  );
  let closed: Promise<void> | undefined;
  const close = () => closed ??= server.shutdown();
  return { port: server.addr.port, close, [Symbol.asyncDispose]: close };
}

/**
 * Connects to 127.0.0.1:`port`, writes `payload` while reading, and resolves with the bytes read
 * once as many came back (or the peer closed). Rejects after `timeoutMs`.
 */
export async function tcpRoundTrip(
  port: number,
  payload: Uint8Array,
  timeoutMs = 15000,
): Promise<Uint8Array> {
  const conn = await withTimeout(
    Deno.connect({ hostname: "127.0.0.1", port }),
    timeoutMs,
    `connect 127.0.0.1:${port}`,
  );
  try {
    const write = (async () => {
      const w = conn.writable.getWriter();
      for (let off = 0; off < payload.length; off += 32768) {
        await w.write(payload.subarray(off, Math.min(payload.length, off + 32768)));
      }
      w.releaseLock();
    })();
    const read = (async () => {
      const out = new Uint8Array(payload.length);
      let got = 0;
      const buf = new Uint8Array(65536);
      while (got < payload.length) {
        const n = await conn.read(buf);
        if (n === null) break;
        const take = Math.min(n, payload.length - got);
        out.set(buf.subarray(0, take), got);
        got += take;
      }
      return out.subarray(0, got);
    })();
    const [, data] = await withTimeout(
      Promise.all([write, read]),
      timeoutMs,
      `tcp round trip of ${payload.length} bytes via 127.0.0.1:${port}`,
    );
    return data;
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

/**
 * Sends each datagram to 127.0.0.1:`port` and waits for its echo, resending up to `tries` times
 * (UDP may drop). Resolves with the echoed datagrams in order; rejects if one never came back.
 */
export async function udpRoundTrip(
  port: number,
  datagrams: Uint8Array[],
  opts: { tries?: number; waitMs?: number } = {},
): Promise<Uint8Array[]> {
  const tries = opts.tries ?? 10;
  const waitMs = opts.waitMs ?? 1000;
  const sock = dgram.createSocket("udp4");
  const inbox: Uint8Array[] = [];
  let wake: (() => void) | undefined;
  sock.on("message", (msg) => {
    inbox.push(new Uint8Array(msg));
    wake?.();
  });
  sock.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    sock.once("error", reject);
    sock.bind(0, "127.0.0.1", () => resolve());
  });
  const key = (b: Uint8Array) => Array.from(b).join(",");
  try {
    const out: Uint8Array[] = [];
    for (const [i, d] of datagrams.entries()) {
      let echoed: Uint8Array | undefined;
      for (let attempt = 0; attempt < tries && !echoed; attempt++) {
        sock.send(d, port, "127.0.0.1");
        const deadline = Date.now() + waitMs;
        while (!echoed && Date.now() < deadline) {
          const idx = inbox.findIndex((m) => key(m) === key(d));
          if (idx >= 0) {
            echoed = inbox[idx];
            inbox.splice(idx, 1);
            break;
          }
          let timer: ReturnType<typeof setTimeout> | undefined;
          await new Promise<void>((r) => {
            wake = r;
            timer = setTimeout(r, Math.max(1, deadline - Date.now()));
          });
          clearTimeout(timer);
          wake = undefined;
        }
      }
      if (!echoed) {
        throw new Error(
          `udp datagram #${i} (${d.length} bytes) to 127.0.0.1:${port} not echoed after ${tries} tries`,
        );
      }
      out.push(echoed);
    }
    return out;
  } finally {
    await new Promise<void>((r) => sock.close(() => r()));
  }
}
