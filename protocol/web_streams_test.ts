import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
import { fromWebStreams, toWebStreams } from "./web_streams.ts";
import { readFull, relay, writeAll } from "./io.ts";
import { pipePair, readAll } from "./_test_pipe.ts";
import type { Duplex } from "./duplex.ts";

function pattern(n: number, seed = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 7 + (i >>> 8) + seed) & 0xff;
  return out;
}

/** First differing index, or -1 (a bytewise deepEqual of MiBs takes minutes when it fails). */
function firstDiff(a: Uint8Array, b: Uint8Array): number {
  if (a.byteLength !== b.byteLength) return Math.min(a.byteLength, b.byteLength);
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** A duplex that records the buffers it was handed, to prove no chunk is copied on the way. */
class RecordingDuplex implements Duplex {
  readBufs: ArrayBufferLike[] = [];
  written: Uint8Array[] = [];
  closed = false;
  writeClosed = false;
  #left: number;
  constructor(total: number) {
    this.#left = total;
  }
  read(p: Uint8Array): Promise<number | null> {
    if (this.#left === 0) return Promise.resolve(null);
    this.readBufs.push(p.buffer);
    const n = Math.min(p.byteLength, this.#left, 1000);
    p.fill(0x61, 0, n);
    this.#left -= n;
    return Promise.resolve(n);
  }
  write(p: Uint8Array): Promise<number> {
    this.written.push(p);
    return Promise.resolve(Math.min(p.byteLength, 3)); // partial writes: the sink must loop
  }
  closeWrite(): Promise<void> {
    this.writeClosed = true;
    return Promise.resolve();
  }
  close(): void {
    this.closed = true;
  }
}

Deno.test("toWebStreams: BYOB reads land in the reader's buffer; writes pass chunks through", async () => {
  const d = new RecordingDuplex(2500);
  const { readable, writable } = toWebStreams(d);
  const reader = readable.getReader({ mode: "byob" });
  let total = 0;
  for (let i = 0; i < 10; i++) {
    const r = await reader.read(new Uint8Array(4096));
    if (r.done) break;
    // The buffer the duplex filled moved (was transferred) to the reader: not a copy.
    assert(d.readBufs.at(-1)!.byteLength === 0, "BYOB read was copied");
    assert(r.value!.every((b) => b === 0x61));
    total += r.value!.byteLength;
  }
  assertEquals(total, 2500);
  const chunk = new Uint8Array([1, 2, 3, 4, 5, 6, 7]);
  const writer = writable.getWriter();
  await writer.write(chunk);
  assert(d.written[0] === chunk, "write chunk was copied");
  assertEquals(d.written.length, 3); // 3 + 3 + 1 bytes over partial writes
  assert(d.written.every((w) => w.buffer === chunk.buffer));
  await writer.close();
  assert(d.writeClosed && d.closed, "read to the end and writable closed: released");
});

Deno.test("toWebStreams: the duplex closes when both sides are done; read errors surface", async () => {
  const d = new RecordingDuplex(1 << 20);
  const { readable, writable } = toWebStreams(d);
  await readable.cancel();
  assert(!d.closed, "cancelling the readable alone keeps the write side");
  await writable.close();
  assert(d.writeClosed && d.closed, "both sides done: closed");
  const d2 = new RecordingDuplex(1);
  await toWebStreams(d2).writable.abort();
  assert(d2.closed, "abort closes at once");
  const failing: Duplex = {
    read: () => Promise.reject(new Error("boom")),
    write: (p) => Promise.resolve(p.byteLength),
    closeWrite: () => Promise.resolve(),
    close: () => {},
  };
  const reader = toWebStreams(failing).readable.getReader();
  let msg = "";
  await reader.read().catch((e) => msg = e.message);
  assertEquals(msg, "boom");
});

Deno.test("fromWebStreams: write hands the caller's chunk to the sink; reads split chunks", async () => {
  const seen: Uint8Array[] = [];
  const writable = new WritableStream<Uint8Array>({ write: (c) => void seen.push(c) });
  const readable = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new Uint8Array([1, 2, 3, 4, 5]));
      c.enqueue(new Uint8Array(0));
      c.enqueue(new Uint8Array([6]));
      c.close();
    },
  });
  const d = fromWebStreams({ readable, writable });
  const p = new Uint8Array([9, 9, 9]);
  assertEquals(await d.write(p), 3);
  assert(seen[0] === p, "write chunk was copied");
  const buf = new Uint8Array(3);
  assertEquals(await d.read(buf), 3);
  assertEquals([...buf], [1, 2, 3]);
  assertEquals(await d.read(buf), 2);
  assertEquals([...buf.subarray(0, 2)], [4, 5]);
  assertEquals(await d.read(buf), 1);
  assertEquals(buf[0], 6);
  assertEquals(await d.read(buf), null);
  d.close();
  d.close();
});

Deno.test("web streams both ways at full speed over real TCP: 32 MiB each direction", async () => {
  const SIZE = 32 << 20;
  const up = pattern(SIZE, 1);
  const down = pattern(SIZE, 2);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const [client, server] = await Promise.all([
      Deno.connect({ hostname: "127.0.0.1", port: (listener.addr as Deno.NetAddr).port }),
      listener.accept(),
    ]);
    // Client: a Duplex seen as Web Streams (toWebStreams). Server: Web Streams seen as a
    // Duplex (fromWebStreams over the socket's own streams).
    const web = toWebStreams(client);
    const duplex = fromWebStreams({ readable: server.readable, writable: server.writable });
    const serverSide = (async () => {
      const got = new Uint8Array(SIZE);
      await readFull(duplex, got);
      await writeAll(duplex, down);
      await duplex.closeWrite();
      return got;
    })();
    const clientSide = (async () => {
      const writer = web.writable.getWriter();
      for (let off = 0; off < SIZE; off += 256 * 1024) {
        await writer.write(up.subarray(off, off + 256 * 1024));
      }
      const got = new Uint8Array(SIZE);
      const reader = web.readable.getReader({ mode: "byob" });
      let off = 0;
      let buf = new Uint8Array(64 * 1024);
      for (let i = 0; i < SIZE; i++) {
        const r = await reader.read(buf);
        if (r.done) break;
        got.set(r.value!, off);
        off += r.value!.byteLength;
        buf = new Uint8Array(r.value!.buffer); // the reader hands its buffer back for reuse
      }
      return got.subarray(0, off);
    })();
    const [atServer, atClient] = await Promise.all([serverSide, clientSide]);
    assertEquals(firstDiff(atServer, up), -1);
    assertEquals(firstDiff(atClient, down), -1);
    client.close();
    duplex.close();
  } finally {
    listener.close();
  }
});

Deno.test("a Web Streams pair relays like a socket: relay(duplex, fromWebStreams(toWebStreams(…)))", async () => {
  // An in-memory duplex → Web Streams → back to a Duplex, then the tunnel's relay loop.
  const [a, b] = pipePair({ maxWrite: 4096 });
  const [c, d] = pipePair();
  const bridged = fromWebStreams(toWebStreams(b));
  const relaying = relay(bridged, c);
  const payload = pattern(1 << 20, 3);
  await writeAll(a, payload);
  await a.closeWrite();
  const got = await readAll(d);
  assertEquals(firstDiff(got, payload), -1);
  d.close();
  a.close();
  await relaying;
});
