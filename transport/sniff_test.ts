import { deepStrictEqual as assertEquals, rejects as assertRejects } from "node:assert/strict";
import { classifyBindPortBytes, sniffBindPortConn } from "./sniff.ts";
import { TimeoutError, writeAll } from "./_util.ts";
import { readAll, tcpPair } from "./_test_util.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const shared = { httpShared: true, httpsShared: true };

Deno.test("sniff: classification table", () => {
  const ws = enc("GET /~!frp HTTP/1.1\r\n");
  assertEquals(classifyBindPortBytes(ws, shared), "websocket");
  assertEquals(classifyBindPortBytes(ws, { httpShared: false, httpsShared: false }), "websocket");
  const http = enc("GET / HTTP/1.1");
  assertEquals(classifyBindPortBytes(http, shared), "vhost-http");
  assertEquals(classifyBindPortBytes(http, { ...shared, httpShared: false }), "frp");
  for (const m of ["HEAD", "POST", "PUT ", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]) {
    assertEquals(classifyBindPortBytes(enc(m + " /x HTTP/1.1"), shared), "vhost-http", m);
  }
  const hello = new Uint8Array([0x16, 3, 1, 0, 200, 1, 0, 0, 196, 3]);
  assertEquals(classifyBindPortBytes(hello, shared), "vhost-https");
  assertEquals(classifyBindPortBytes(hello, { ...shared, httpsShared: false }), "frp");
  assertEquals(
    classifyBindPortBytes(new Uint8Array([0x17, 0x16, 3, 1, 0, 0, 0, 0, 0, 0]), shared),
    "frp",
  );
  // yamux header (version 0, type 1 window update, SYN) and a v1 login frame
  assertEquals(
    classifyBindPortBytes(new Uint8Array([0, 1, 0, 1, 0, 0, 0, 1, 0, 0]), shared),
    "frp",
  );
  assertEquals(classifyBindPortBytes(enc("o\0\0\0\0\0\0\0\x10{"), shared), "frp");
  assertEquals(classifyBindPortBytes(enc("GET /~!frx"), shared), "vhost-http");
});

async function sniffWith(chunks: Uint8Array[], delayMs = 0, opts = shared) {
  const [c, s] = await tcpPair();
  const sniffed = sniffBindPortConn(s, { ...opts, timeoutMs: 2000 });
  for (const ch of chunks) {
    await writeAll(c, ch);
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
  }
  await c.closeWrite();
  const r = await sniffed;
  const all = await readAll(r.conn);
  r.conn.close();
  c.close();
  return { kind: r.kind, all };
}

Deno.test("sniff: each kind over a socket, bytes replayed", async () => {
  const cases: [Uint8Array, string][] = [
    [enc("GET /~!frp HTTP/1.1\r\nHost: x\r\n\r\n"), "websocket"],
    [enc("POST /api HTTP/1.1\r\n\r\n"), "vhost-http"],
    [new Uint8Array([0x16, 3, 1, 0, 5, 1, 2, 3, 4, 5, 6, 7]), "vhost-https"],
    [new Uint8Array([0x17, 0x16, 3, 1, 0, 5, 1, 2, 3, 4, 5]), "frp"],
    [new Uint8Array([0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 0, 0]), "frp"],
  ];
  for (const [data, kind] of cases) {
    const r = await sniffWith([data]);
    assertEquals(r.kind, kind);
    assertEquals(r.all, data);
  }
});

Deno.test("sniff: slow sender, one byte at a time", async () => {
  const data = enc("GET /~!frp HTTP/1.1\r\n");
  const chunks = [...data.subarray(0, 10)].map((b) => new Uint8Array([b]));
  chunks.push(data.subarray(10));
  const r = await sniffWith(chunks, 5);
  assertEquals(r.kind, "websocket");
  assertEquals(r.all, data);
});

Deno.test("sniff: fewer than 10 bytes then silence → timeout", async () => {
  const [c, s] = await tcpPair();
  await writeAll(c, enc("GET /"));
  const t0 = performance.now();
  await assertRejects(
    () => sniffBindPortConn(s, { ...shared, timeoutMs: 150 }),
    TimeoutError,
  );
  const dt = performance.now() - t0;
  if (dt < 100 || dt > 1500) throw new Error(`timeout took ${dt} ms`);
  assertEquals(await readAll(c), new Uint8Array(0)); // server closed the conn
  c.close();
});

Deno.test("sniff: fewer than 10 bytes then EOF → error", async () => {
  const [c, s] = await tcpPair();
  await writeAll(c, enc("GET"));
  await c.closeWrite();
  await assertRejects(() => sniffBindPortConn(s, { ...shared, timeoutMs: 2000 }));
  c.close();
});
