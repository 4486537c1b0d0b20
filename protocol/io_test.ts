import { deepStrictEqual as assertEquals, rejects } from "node:assert";
import { BufferPool, PrefixedDuplex, readFull, relay, writeAll } from "./io.ts";
import { UnexpectedEofError } from "./errors.ts";
import { bytesReader, pipePair, readAll } from "./_test_pipe.ts";
import type { Duplex } from "./duplex.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function pattern(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 7 + (i >>> 8)) & 0xff;
  return out;
}

Deno.test("readFull fills across short reads; EOF reports atBoundary", async () => {
  const r = bytesReader(enc.encode("abcdefgh"), 3);
  const buf = new Uint8Array(5);
  await readFull(r, buf);
  assertEquals(dec.decode(buf), "abcde");
  await rejects(readFull(r, new Uint8Array(5)), (e: unknown) => {
    return e instanceof UnexpectedEofError && !e.atBoundary;
  });
  await rejects(readFull(r, new Uint8Array(1)), (e: unknown) => {
    return e instanceof UnexpectedEofError && e.atBoundary;
  });
});

Deno.test("writeAll loops over partial writes", async () => {
  const [a, b] = pipePair({ maxWrite: 3 });
  await writeAll(a, enc.encode("hello world"));
  await a.closeWrite();
  assertEquals(dec.decode(await readAll(b)), "hello world");
});

Deno.test("PrefixedDuplex replays the prefix, then reads the inner stream", async () => {
  const [a, b] = pipePair();
  const p = new PrefixedDuplex(b, enc.encode("GET "));
  await a.write(enc.encode("/ HTTP/1.1"));
  await a.closeWrite();
  const small = new Uint8Array(3);
  assertEquals(await p.read(small), 3);
  assertEquals(dec.decode(small), "GET");
  assertEquals(dec.decode(await readAll(p)), " / HTTP/1.1");
  await p.write(enc.encode("x"));
  assertEquals(a.closed, false);
  p.close();
  assertEquals(b.closed, true);
});

Deno.test("BufferPool reuses and caps", () => {
  const pool = new BufferPool(16, 1);
  const x = pool.get();
  const y = pool.get();
  pool.put(x);
  pool.put(y);
  pool.put(new Uint8Array(8));
  assertEquals(pool.freeCount, 1);
  assertEquals(pool.get(), x);
});

Deno.test("relay: half-close propagates, both directions finish, counts and close", async () => {
  const [client, relayA] = pipePair({ maxRead: 1000 });
  const [relayB, server] = pipePair({ capacity: 10_000 });
  const seen = { ab: 0, ba: 0 };
  const pool = new BufferPool(64 * 1024, 4);
  const done = relay(relayA, relayB, { onBytes: (d, n) => (seen[d] += n), pool });

  const request = pattern(300_000);
  const reqWriter = (async () => {
    await writeAll(client, request);
    await client.closeWrite();
  })();
  const got = await readAll(server, 8192);
  await reqWriter;
  assertEquals(got, request);
  assertEquals(relayB.writeClosed, true, "EOF from a → closeWrite on b");
  assertEquals(relayA.closed, false, "other direction still open");

  // The server answers after seeing EOF (HTTP/1.0 style), then closes its side.
  const response = pattern(123_457);
  const respWriter = (async () => {
    await writeAll(server, response);
    await server.closeWrite();
  })();
  assertEquals(await readAll(client), response);
  await respWriter;
  assertEquals(await done, { aToB: 300_000, bToA: 123_457 });
  assertEquals(seen, { ab: 300_000, ba: 123_457 });
  assertEquals(relayA.closed && relayB.closed, true);
  assertEquals(pool.freeCount >= 1, true, "burst buffers went back to the pool");
});

Deno.test("relay: idle small traffic never borrows a big buffer", async () => {
  const [client, relayA] = pipePair();
  const [relayB, server] = pipePair();
  const pool = new BufferPool(64 * 1024, 4);
  let borrowed = 0;
  const get = pool.get.bind(pool);
  pool.get = () => {
    borrowed++;
    return get();
  };
  const done = relay(relayA, relayB, { pool });
  for (let i = 0; i < 20; i++) {
    await client.write(enc.encode("ping"));
    const buf = new Uint8Array(10);
    assertEquals(await server.read(buf), 4);
  }
  client.close();
  server.close();
  await done;
  assertEquals(borrowed, 0);
});

Deno.test("relay: an error in one direction closes both and resolves", async () => {
  const [client, relayA] = pipePair();
  const broken: Duplex = {
    read: () => new Promise(() => {}), // never yields data
    write: () => Promise.reject(new Error("connection reset")),
    closeWrite: () => Promise.resolve(),
    close: () => {
      brokenClosed = true;
    },
  };
  let brokenClosed = false;
  const errors: unknown[] = [];
  const done = relay(relayA, broken, { onError: (e) => errors.push(e) });
  await client.write(enc.encode("data"));
  // Resolves although the read on `broken` never settles (a real socket rejects it on close).
  const res = await done;
  assertEquals(res, { aToB: 0, bToA: 0 });
  assertEquals(brokenClosed, true);
  assertEquals(relayA.closed, true);
  assertEquals(errors.length, 1);
  assertEquals((errors[0] as Error).message, "connection reset");
});

Deno.test("relay: peer reset (read throws) closes both, no unhandled rejection", async () => {
  const [client, relayA] = pipePair();
  const [relayB, server] = pipePair();
  const errors: unknown[] = [];
  const done = relay(relayA, relayB, { onError: (e) => errors.push(e) });
  await client.write(enc.encode("x"));
  assertEquals(await server.read(new Uint8Array(4)), 1);
  relayB.close(); // simulates the socket dying under the relay
  const res = await done;
  assertEquals(res.aToB, 1);
  assertEquals(relayA.closed, true);
  assertEquals(errors.length, 1);
  assertEquals(await client.read(new Uint8Array(1)), null);
});
