/**
 * Rough one-stream throughput, TS <-> TS, over an in-memory pipe and over loopback TCP.
 * Prints MB/s; asserts only that the bytes arrive. Set YAMUX_BENCH_MIB to change the size.
 */

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { pipePair } from "../_test_pipe.ts";
import type { Duplex } from "../duplex.ts";
import { writeAll } from "../io.ts";
import { YamuxSession } from "./session.ts";

const MIB = Number(Deno.env.get("YAMUX_BENCH_MIB") ?? "128");
const FRAME = Number(Deno.env.get("YAMUX_BENCH_FRAME") ?? "262144");

async function oneWay(a: Duplex, b: Duplex, label: string): Promise<void> {
  const client = new YamuxSession(a, { role: "client", maxFrameSize: FRAME });
  const server = new YamuxSession(b, { role: "server" });
  const total = MIB << 20;
  const chunk = new Uint8Array(256 * 1024).fill(7);
  const s = await client.openStream();
  const t0 = performance.now();
  const recv = (async () => {
    const r = (await server.accept())!;
    const buf = new Uint8Array(256 * 1024);
    let got = 0;
    while (true) {
      const n = await r.read(buf);
      if (n === null) break;
      got += n;
    }
    return got;
  })();
  for (let sent = 0; sent < total; sent += chunk.byteLength) await writeAll(s, chunk);
  await s.closeWrite();
  const got = await recv;
  const ms = performance.now() - t0;
  assertEquals(got, total);
  console.log(
    `  ${label}: ${MIB} MiB one stream in ${ms.toFixed(0)} ms = ${
      (total / 1e6 / (ms / 1000)).toFixed(0)
    } MB/s`,
  );
  client.close();
  server.close();
  await Promise.all([client.closed, server.closed]);
}

Deno.test("throughput: one stream over an in-memory pipe", async () => {
  const [a, b] = pipePair({ capacity: 4 << 20 });
  await oneWay(a, b, "in-memory pipe");
});

Deno.test({
  name: "throughput: one stream over loopback TCP",
  permissions: { net: true },
  async fn() {
    const ln = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const [a, b] = await Promise.all([
      Deno.connect({ hostname: "127.0.0.1", port: (ln.addr as Deno.NetAddr).port }),
      ln.accept(),
    ]);
    ln.close();
    await oneWay(a, b, "loopback TCP");
  },
});
