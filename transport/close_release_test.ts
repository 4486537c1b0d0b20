/**
 * close() resolves once the port can be bound again — even with an accept()/recv() in flight,
 * which Deno and node:dgram release only on a later tick (frps re-binds a reloaded proxy's
 * port right after closing it).
 */
import { ok as assert } from "node:assert/strict";
import { listenTcp } from "./tcp.ts";
import { bindUdp } from "./udp.ts";

Deno.test("tcp listener: close() with a pending accept resolves once the port is free", async () => {
  for (let i = 0; i < 10; i++) {
    const l = listenTcp({ hostname: "127.0.0.1", port: 0 });
    const pending = l.accept();
    await l.close();
    const again = listenTcp({ hostname: "127.0.0.1", port: l.addr.port });
    await again.close();
    assert((await pending) === null);
    assert(l.close() === l.close(), "close is idempotent and returns the same promise");
  }
});

Deno.test("udp socket: close() with a pending recv resolves once the port is free", async () => {
  for (let i = 0; i < 10; i++) {
    const s = await bindUdp({ hostname: "127.0.0.1", port: 0 });
    const pending = s.recv();
    await s.close();
    const again = await bindUdp({ hostname: "127.0.0.1", port: s.addr.port });
    await again.close();
    assert((await pending) === null);
  }
});
