import {
  deepStrictEqual as assertEquals,
  ok as assert,
  rejects as assertRejects,
} from "node:assert/strict";
import { dialTcp, listenTcp, tryBindTcp } from "./tcp.ts";
import { writeAll } from "./_util.ts";
import { readAll } from "./_test_util.ts";

Deno.test("tcp echo with half-close", async () => {
  const l = listenTcp({ hostname: "127.0.0.1", port: 0 });
  assert(l.addr.port > 0);
  const server = (async () => {
    const c = (await l.accept())!;
    const data = await readAll(c);
    await writeAll(c, data);
    await c.closeWrite();
    c.close();
  })();
  const c = await dialTcp({
    hostname: "127.0.0.1",
    port: l.addr.port,
    timeoutMs: 2000,
    keepAliveSec: 7200,
  });
  assertEquals(c.remoteAddr, { hostname: "127.0.0.1", port: l.addr.port });
  assertEquals(c.localAddr.hostname, "127.0.0.1");
  const msg = new TextEncoder().encode("hello frp");
  await writeAll(c, msg);
  await c.closeWrite();
  assertEquals(await readAll(c), msg);
  c.close();
  c.close(); // idempotent
  await server;
  l.close();
});

Deno.test("tcp dial with localIP goes through node:net", async () => {
  const l = listenTcp({ hostname: "127.0.0.1", port: 0 });
  const accepted = l.accept();
  const c = await dialTcp({ hostname: "127.0.0.1", port: l.addr.port, localIP: "127.0.0.1" });
  const s = (await accepted)!;
  assertEquals(s.remoteAddr.hostname, "127.0.0.1");
  assertEquals(s.remoteAddr.port, c.localAddr.port);
  await writeAll(c, new Uint8Array([1, 2, 3]));
  await c.closeWrite();
  assertEquals(await readAll(s), new Uint8Array([1, 2, 3]));
  await writeAll(s, new Uint8Array([4]));
  await s.closeWrite();
  assertEquals(await readAll(c), new Uint8Array([4]));
  c.close();
  s.close();
  l.close();
});

Deno.test("tcp listener: accept() null after close, iterator ends, port reuse", async () => {
  const l = listenTcp({ hostname: "127.0.0.1", port: 0 });
  const port = l.addr.port;
  assertEquals(tryBindTcp("127.0.0.1", port), false);
  const pending = l.accept();
  const it = (async () => {
    let n = 0;
    for await (const _c of l) n++;
    return n;
  })();
  l.close();
  assertEquals(await pending, null);
  assertEquals(await it, 0);
  assertEquals(await l.accept(), null);
  assertEquals(tryBindTcp("127.0.0.1", port), true);
});

Deno.test("tcp dial refused", async () => {
  const l = listenTcp({ hostname: "127.0.0.1", port: 0 });
  const port = l.addr.port;
  l.close();
  await assertRejects(() => dialTcp({ hostname: "127.0.0.1", port, timeoutMs: 2000 }));
});
