import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { bindUdp, dialUdp, tryBindUdp } from "./udp.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("udp: echo server with bound and connected clients", async () => {
  const server = await bindUdp({ hostname: "127.0.0.1", port: 0 });
  assert(server.addr.port > 0);
  const echo = (async () => {
    for (let i = 0; i < 4; i++) {
      const d = await server.recv();
      if (!d) return;
      await server.send(enc("echo:" + dec(d.data)), d.addr);
    }
  })();

  const dialed = await dialUdp({ hostname: "127.0.0.1", port: server.addr.port });
  await dialed.send(enc("one"));
  const r1 = await dialed.recv();
  assertEquals(dec(r1!.data), "echo:one");
  assertEquals(r1!.addr, server.addr);
  await dialed.send(enc("two"));
  assertEquals(dec((await dialed.recv())!.data), "echo:two");

  const bound = await bindUdp({ hostname: "127.0.0.1", port: 0 });
  await bound.send(enc("three"), server.addr);
  assertEquals(dec((await bound.recv())!.data), "echo:three");
  await bound.send(enc("four"), { hostname: "127.0.0.1", port: server.addr.port });
  assertEquals(dec((await bound.recv())!.data), "echo:four");
  await echo;

  const pending = bound.recv();
  bound.close();
  assertEquals(await pending, null);
  assertEquals(await bound.recv(), null);
  dialed.close();
  server.close();
  server.close(); // idempotent
});

Deno.test("udp: queue drops beyond the limit, tryBindUdp", async () => {
  const a = await bindUdp({ hostname: "127.0.0.1", port: 0 });
  assertEquals(await tryBindUdp("127.0.0.1", a.addr.port), false);
  const b = await dialUdp(a.addr);
  for (let i = 0; i < 1100; i++) {
    await b.send(new Uint8Array([i & 0xff]));
    if (i % 20 === 19) await new Promise((r) => setTimeout(r, 1)); // let the receiver drain the kernel
  }
  let last = -1;
  for (let i = 0; i < 50 && a.queued + a.dropped !== last; i++) {
    last = a.queued + a.dropped;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert(a.queued <= 1024);
  assert(a.queued + a.dropped > 1024, `received only ${a.queued + a.dropped}`);
  assertEquals(a.queued, 1024);
  assertEquals((await a.recv())!.data, new Uint8Array([0]));
  const port = a.addr.port;
  a.close();
  b.close();
  // node:dgram releases the port asynchronously after close()
  let free = false;
  for (let i = 0; i < 50 && !free; i++) {
    free = await tryBindUdp("127.0.0.1", port);
    if (!free) await new Promise((r) => setTimeout(r, 10));
  }
  assert(free);
});
