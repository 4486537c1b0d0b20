import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { Duplex } from "node:stream";
import { NodeStreamConn } from "./_node_stream.ts";
import { concatBytes } from "../protocol/io.ts";

const ADDR = { hostname: "127.0.0.1", port: 0 };

/** A node Duplex that records written bytes and completes each write only after `delayMs`. */
function slowSink(delayMs: number): { stream: Duplex; received: () => Uint8Array } {
  const parts: Uint8Array[] = [];
  const stream = new Duplex({
    highWaterMark: 1024,
    read() {},
    write(chunk: Uint8Array, _enc: string, cb: () => void) {
      setTimeout(() => {
        parts.push(new Uint8Array(chunk)); // copied only now: node still held the caller's buffer
        cb();
      }, delayMs);
    },
  });
  const received = () => concatBytes(parts);
  return { stream, received };
}

function pattern(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

Deno.test("NodeStreamConn: a large write resolves only once node is done with the buffer", async () => {
  const { stream, received } = slowSink(5);
  const conn = new NodeStreamConn(stream, ADDR, ADDR);
  const buf = pattern(64 * 1024, 1);
  const want = buf.slice();
  assertEquals(await conn.write(buf), buf.byteLength);
  buf.fill(0); // the caller reuses its buffer (a pooled yamux frame / relay buffer)
  assertEquals(received(), want);
  await conn.writev([pattern(12, 2), pattern(40 * 1024, 3)]);
  assertEquals(received().byteLength, want.byteLength + 12 + 40 * 1024);
  conn.close();
});

Deno.test("NodeStreamConn: concurrent small and large writers all finish, in order", async () => {
  const { stream, received } = slowSink(2);
  const conn = new NodeStreamConn(stream, ADDR, ADDR);
  const a = pattern(8 * 1024, 4), b = pattern(100 * 1024, 5), c = pattern(2 * 1024, 6);
  const d = pattern(30 * 1024, 7);
  const results = await Promise.all([conn.write(a), conn.write(b), conn.write(c), conn.write(d)]);
  assertEquals(results, [a.byteLength, b.byteLength, c.byteLength, d.byteLength]);
  const got = received();
  let o = 0;
  for (const p of [a, b, c, d]) {
    assertEquals(got.subarray(o, o + p.byteLength), p);
    o += p.byteLength;
  }
  conn.close();
});

Deno.test("NodeStreamConn: a write waiting on node fails when the stream is destroyed", async () => {
  const stream = new Duplex({ read() {}, write() {/* never completes */} });
  const conn = new NodeStreamConn(stream, ADDR, ADDR);
  const p = conn.write(new Uint8Array(64 * 1024));
  setTimeout(() => stream.destroy(), 5);
  let failed = false;
  await p.catch(() => (failed = true));
  assert(failed);
  conn.close();
});
