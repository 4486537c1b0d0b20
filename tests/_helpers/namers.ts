/**
 * Backends that answer with their own name (tcp, udp, http, tls), and one-shot probes that read
 * what a port answers: for tests that check which backend a proxy or visitor reaches.
 *
 * @module
 */
import dgram from "node:dgram";
import { withTimeout } from "./services.ts";
import { startTlsGreeter } from "./vhost.ts";

/** A TCP service that writes its name and closes; a UDP one that answers with its name. */
export function startNamers(name: string, tls?: { cert: string; key: string }) {
  const tcp = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const c of tcp) {
      c.write(new TextEncoder().encode(`${name}\n`)).catch(() => {}).finally(() => c.close());
    }
  })().catch(() => {});
  const udp = dgram.createSocket("udp4");
  udp.on("message", (_m, r) => udp.send(name, r.port, r.address));
  udp.on("error", () => {});
  // Answers one request per connection and closes it, so no frps keeps an idle backend conn
  // (Go's reverse proxy would reuse one through the old proxy's still-open work conn).
  const http = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const c of http) {
      c.read(new Uint8Array(4096)).then(() =>
        c.write(new TextEncoder().encode(
          `HTTP/1.1 200 OK\r\nContent-Length: ${name.length}\r\nConnection: close\r\n\r\n${name}`,
        ))
      ).catch(() => {}).finally(() => c.close());
    }
  })().catch(() => {});
  const https = tls ? startTlsGreeter(name, tls) : undefined;
  return {
    ready: new Promise<void>((r) => udp.bind(0, "127.0.0.1", () => r())),
    ports: () => ({
      tcp: (tcp.addr as Deno.NetAddr).port,
      udp: udp.address().port,
      http: (http.addr as Deno.NetAddr).port,
      https: https?.port ?? 0,
    }),
    async [Symbol.asyncDispose]() {
      tcp.close();
      https?.close();
      http.close();
      await new Promise<void>((r) => udp.close(() => r()));
    },
  };
}

/** Reads everything a TCP peer sends after `hello` until it closes (or `ms` pass). */
export async function tcpText(port: number, hello = "", ms = 500): Promise<string> {
  const c = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    if (hello) await c.write(new TextEncoder().encode(hello));
    let text = "";
    const buf = new Uint8Array(4096);
    await withTimeout(
      (async () => {
        for (;;) {
          const n = await c.read(buf);
          if (n === null) return;
          text += new TextDecoder().decode(buf.subarray(0, n));
        }
      })(),
      ms,
      "read",
    ).catch(() => {});
    return text;
  } finally {
    try {
      c.close();
    } catch { /* closed */ }
  }
}

/** Sends one datagram to `port` and resolves to the first answer ("" after `ms`). */
export async function udpText(port: number, ms = 300): Promise<string> {
  const s = dgram.createSocket("udp4");
  s.on("error", () => {});
  try {
    return await new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve(""), ms);
      s.on("message", (m) => {
        clearTimeout(timer);
        resolve(new TextDecoder().decode(m));
      });
      s.send("?", port, "127.0.0.1");
    });
  } finally {
    await new Promise<void>((r) => s.close(() => r()));
  }
}
