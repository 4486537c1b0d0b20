import {
  deepStrictEqual as assertEquals,
  ok as assert,
  rejects as assertRejects,
} from "node:assert/strict";
import { type PipeEnd, pipePair, readAll } from "../_test_pipe.ts";
import { readFull, writeAll } from "../io.ts";
import type { Duplex } from "../duplex.ts";
import { type YamuxOptions, YamuxSession } from "./session.ts";
import {
  decodeHeader,
  encodeFrameHeader,
  FLAG_ACK,
  FLAG_FIN,
  FLAG_RST,
  FLAG_SYN,
  type FrameHeader,
  GO_AWAY_NORMAL,
  GO_AWAY_PROTO_ERR,
  TYPE_DATA,
  TYPE_GO_AWAY,
  TYPE_PING,
  TYPE_WINDOW_UPDATE,
} from "./frame.ts";
import {
  GoAwayReceivedError,
  KeepAliveTimeoutError,
  RemoteGoAwayError,
  SessionClosedError,
  StreamClosedError,
  StreamResetError,
  YamuxProtocolError,
} from "./errors.ts";

const FRP_DELTA = 0x5c0000;

function sessions(
  clientOpts: Partial<YamuxOptions> = {},
  serverOpts: Partial<YamuxOptions> = {},
): { client: YamuxSession; server: YamuxSession; errors: Error[]; close(): Promise<void> } {
  const [a, b] = pipePair({ capacity: 1 << 20 });
  const errors: Error[] = [];
  const onError = (e: Error) => errors.push(e);
  const client = new YamuxSession(a, { role: "client", onError, ...clientOpts });
  const server = new YamuxSession(b, { role: "server", onError, ...serverOpts });
  return {
    client,
    server,
    errors,
    async close() {
      client.close();
      server.close();
      await Promise.all([client.closed, server.closed]);
    },
  };
}

/** A session on one pipe end and the raw other end, for byte-level tests. */
function rawPeer(opts: Partial<YamuxOptions> = {}): {
  session: YamuxSession;
  raw: PipeEnd;
  errors: Error[];
} {
  const [a, b] = pipePair();
  const errors: Error[] = [];
  const session = new YamuxSession(a, {
    role: "server",
    onError: (e) => errors.push(e),
    ...opts,
  });
  return { session, raw: b, errors };
}

async function readFrame(r: Duplex): Promise<FrameHeader & { payload: Uint8Array }> {
  const hdr = new Uint8Array(12);
  await readFull(r, hdr);
  const h = decodeHeader(hdr);
  const payload = new Uint8Array(h.type === TYPE_DATA ? h.length : 0);
  if (payload.byteLength > 0) await readFull(r, payload);
  return { ...h, payload };
}

function frame(type: number, flags: number, streamId: number, length: number): Uint8Array {
  return encodeFrameHeader({ type, flags, streamId, length });
}

async function sha256(b: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", b as Uint8Array<ArrayBuffer>));
  return [...d].map((x) => x.toString(16).padStart(2, "0")).join("");
}

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let o = 0; o < n; o += 65536) {
    crypto.getRandomValues(out.subarray(o, Math.min(n, o + 65536)));
  }
  return out;
}

/** Echoes every accepted stream until the session closes. */
async function echoServer(server: YamuxSession): Promise<void> {
  const tasks: Promise<void>[] = [];
  while (true) {
    const s = await server.accept();
    if (s === null) break;
    tasks.push((async () => {
      const buf = new Uint8Array(32 * 1024);
      try {
        while (true) {
          const n = await s.read(buf);
          if (n === null) break;
          await writeAll(s, buf.subarray(0, n));
        }
        await s.closeWrite();
      } catch {
        // session torn down
      }
    })());
  }
  await Promise.all(tasks);
}

Deno.test("session: open, accept, echo; wire bytes of SYN and ACK", async () => {
  const { session, raw } = rawPeer({ role: "client" });
  const s = await session.openStream();
  assertEquals(s.id, 1);
  const syn = await readFrame(raw);
  assertEquals(
    [syn.type, syn.flags, syn.streamId, syn.length],
    [TYPE_WINDOW_UPDATE, FLAG_SYN, 1, FRP_DELTA],
  );
  await writeAll(raw, frame(TYPE_WINDOW_UPDATE, FLAG_ACK, 1, FRP_DELTA));
  await writeAll(s, new TextEncoder().encode("hello world"));
  const data = await readFrame(raw);
  assertEquals([data.type, data.flags, data.streamId, data.length], [TYPE_DATA, 0, 1, 11]);
  assertEquals(new TextDecoder().decode(data.payload), "hello world");
  await s.closeWrite();
  const fin = await readFrame(raw);
  assertEquals([fin.type, fin.flags, fin.streamId, fin.length], [
    TYPE_WINDOW_UPDATE,
    FLAG_FIN,
    1,
    0,
  ]);
  session.close();
  await session.closed;

  // Acceptor side: ACK with the frp delta when the application accepts.
  const srv = rawPeer({ role: "server" });
  await writeAll(srv.raw, frame(TYPE_WINDOW_UPDATE, FLAG_SYN, 1, FRP_DELTA));
  const acc = await srv.session.accept();
  assertEquals(acc!.id, 1);
  const ack = await readFrame(srv.raw);
  assertEquals(
    [ack.type, ack.flags, ack.streamId, ack.length],
    [TYPE_WINDOW_UPDATE, FLAG_ACK, 1, FRP_DELTA],
  );
  srv.session.close();
  await srv.session.closed;

  // Full echo between two sessions.
  const t = sessions();
  const echo = echoServer(t.server);
  const c = await t.client.openStream();
  await writeAll(c, new TextEncoder().encode("ping"));
  await c.closeWrite();
  assertEquals(new TextDecoder().decode(await readAll(c)), "ping");
  await t.close();
  await echo;
  assertEquals(t.errors, []);
});

Deno.test("session: 50 concurrent streams with random payloads (SHA-256)", async () => {
  const t = sessions();
  const echo = echoServer(t.server);
  await Promise.all(Array.from({ length: 50 }, async (_, i) => {
    const payload = randomBytes(1 + Math.floor(Math.random() * 300_000) + i);
    const s = await t.client.openStream();
    const [, back] = await Promise.all([
      (async () => {
        for (let o = 0; o < payload.byteLength;) {
          const n = Math.min(payload.byteLength - o, 1 + Math.floor(Math.random() * 40000));
          await writeAll(s, payload.subarray(o, o + n));
          o += n;
        }
        await s.closeWrite();
      })(),
      readAll(s, 7000),
    ]);
    assertEquals(await sha256(back), await sha256(payload));
    s.close();
  }));
  // Streams are dropped once both FINs were exchanged.
  assertEquals(t.client.numStreams, 0);
  assertEquals(t.server.numStreams, 0);
  await t.close();
  await echo;
  assertEquals(t.errors, []);
});

/** Counts frames crossing a duplex (wraps reads of the receiving side). */
class Tap implements Duplex {
  windowUpdates = 0;
  maxData = 0;
  #pending = new Uint8Array(0);
  constructor(readonly inner: Duplex) {}
  async read(p: Uint8Array): Promise<number | null> {
    const n = await this.inner.read(p);
    if (n !== null) this.#scan(p.subarray(0, n));
    return n;
  }
  #skip = 0;
  #scan(chunk: Uint8Array): void {
    let buf = chunk;
    if (this.#pending.byteLength > 0) {
      buf = new Uint8Array(this.#pending.byteLength + chunk.byteLength);
      buf.set(this.#pending);
      buf.set(chunk, this.#pending.byteLength);
    }
    let o = 0;
    while (o < buf.byteLength) {
      if (this.#skip > 0) {
        const t = Math.min(this.#skip, buf.byteLength - o);
        this.#skip -= t;
        o += t;
        continue;
      }
      if (buf.byteLength - o < 12) break;
      const h = decodeHeader(buf, o);
      o += 12;
      if (h.type === TYPE_WINDOW_UPDATE && h.length > 0) this.windowUpdates++;
      if (h.type === TYPE_DATA) {
        this.#skip = h.length;
        this.maxData = Math.max(this.maxData, h.length);
      }
    }
    this.#pending = buf.slice(o);
  }
  write(p: Uint8Array): Promise<number> {
    return this.inner.write(p);
  }
  closeWrite(): Promise<void> {
    return this.inner.closeWrite();
  }
  close(): void {
    this.inner.close();
  }
}

Deno.test("session: 20 MiB transfer exercises window updates and never overruns", async () => {
  const [a, b] = pipePair({ capacity: 1 << 20 });
  const tap = new Tap(a); // client's view of what the server sends (window updates)
  const errors: Error[] = [];
  const client = new YamuxSession(tap, { role: "client", onError: (e) => errors.push(e) });
  const server = new YamuxSession(b, {
    role: "server",
    onError: (e) => errors.push(e),
    maxFrameSize: 256 * 1024,
  });
  const payload = randomBytes(20 << 20);
  const s = await client.openStream();
  const recv = (async () => {
    const r = (await server.accept())!;
    const out = new Uint8Array(payload.byteLength + 1); // +1: read() needs room to see EOF
    let off = 0;
    let reads = 0;
    while (true) {
      // A slow reader: the sender must wait for window updates.
      if (++reads % 64 === 0) await new Promise((res) => setTimeout(res, 1));
      const n = await r.read(out.subarray(off, Math.min(out.byteLength, off + 100_000)));
      if (n === null) break;
      off += n;
    }
    assertEquals(off, payload.byteLength);
    return out.subarray(0, off);
  })();
  await writeAll(s, payload);
  await s.closeWrite();
  const got = await recv;
  assertEquals(await sha256(got), await sha256(payload));
  // 20 MiB through a 6 MiB window needs several updates of >= 3 MiB (plus the ACK).
  assert(tap.windowUpdates >= 5, `window updates: ${tap.windowUpdates}`);
  client.close();
  server.close();
  await Promise.all([client.closed, server.closed]);
  assertEquals(errors, []);
});

Deno.test("session: sender blocks at the initial window until the ACK/updates arrive", async () => {
  const { session, raw } = rawPeer({ role: "client", maxFrameSize: 65536 });
  const s = await session.openStream();
  await readFrame(raw); // SYN
  let written = 0;
  const writer = (async () => {
    const buf = new Uint8Array(300_000);
    while (written < buf.byteLength) written += await s.write(buf.subarray(written));
  })();
  // Drain frames: only the initial 256 KiB window may be used without any update.
  let got = 0;
  while (got < 262144) {
    const f = await readFrame(raw);
    assertEquals(f.type, TYPE_DATA);
    assert(f.length <= 65536);
    got += f.length;
  }
  assertEquals(got, 262144);
  await new Promise((r) => setTimeout(r, 20));
  assertEquals(written, 262144);
  await writeAll(raw, frame(TYPE_WINDOW_UPDATE, FLAG_ACK, 1, 1000));
  const f = await readFrame(raw);
  assertEquals(f.length, 1000);
  await writeAll(raw, frame(TYPE_WINDOW_UPDATE, 0, 1, 100_000));
  await writer;
  assertEquals(written, 300_000);
  session.close();
  await session.closed;
});

Deno.test("session: half-close keeps the other direction open", async () => {
  const t = sessions();
  const c = await t.client.openStream();
  const s = (await t.server.accept())!;
  await writeAll(c, new Uint8Array([1, 2, 3]));
  await c.closeWrite();
  await assertRejects(c.write(new Uint8Array([9])), StreamClosedError);
  assertEquals([...await readAll(s)], [1, 2, 3]);
  // Server may still write after the client's FIN.
  await writeAll(s, new Uint8Array([4, 5]));
  assertEquals(t.server.numStreams, 1);
  await s.closeWrite();
  assertEquals([...await readAll(c)], [4, 5]);
  assertEquals(await c.read(new Uint8Array(1)), null);
  assertEquals(t.client.numStreams, 0);
  assertEquals(t.server.numStreams, 0);
  await t.close();
});

Deno.test("session: RST fails reads and writes on the other side", async () => {
  const t = sessions();
  const c = await t.client.openStream();
  await writeAll(c, new Uint8Array([1]));
  const s = (await t.server.accept())!;
  const pending = c.read(new Uint8Array(10));
  s.reset();
  await assertRejects(pending, StreamResetError);
  await assertRejects(c.write(new Uint8Array([1])), StreamResetError);
  await assertRejects(s.read(new Uint8Array(1)), StreamResetError);
  assertEquals(t.client.numStreams, 0);
  assertEquals(t.server.numStreams, 0);
  await t.close();
});

Deno.test("session: ping/pong and keepalive", async () => {
  const t = sessions({ keepAliveIntervalMs: 20 }, { keepAliveIntervalMs: 25 });
  const rtt = await t.client.ping();
  assert(rtt >= 0);
  await new Promise((r) => setTimeout(r, 150)); // several keepalive rounds on both sides
  assert(!t.client.isClosed && !t.server.isClosed);
  await t.close();
  assertEquals(t.errors, []);

  // A peer that never answers pings: session closes after interval + write timeout.
  const { session, raw, errors } = rawPeer({
    keepAliveIntervalMs: 10,
    connectionWriteTimeoutMs: 30,
  });
  const ping = await readFrame(raw);
  assertEquals([ping.type, ping.flags, ping.streamId, ping.length], [TYPE_PING, FLAG_SYN, 0, 0]);
  await session.closed;
  assert(errors[0] instanceof KeepAliveTimeoutError, String(errors[0]));
  assert(session.closeReason instanceof SessionClosedError);

  // Answers pings with ACK and the same id.
  const p2 = rawPeer({ keepAliveIntervalMs: 0 });
  await writeAll(p2.raw, frame(TYPE_PING, FLAG_SYN, 0, 0xdeadbeef));
  const pong = await readFrame(p2.raw);
  assertEquals([pong.type, pong.flags, pong.length], [TYPE_PING, FLAG_ACK, 0xdeadbeef]);
  p2.session.close();
});

Deno.test("session: GoAway(0) forbids new streams, others tear down", async () => {
  const t = sessions();
  const c = await t.client.openStream();
  const s = (await t.server.accept())!;
  t.server.goAway();
  await new Promise((r) => setTimeout(r, 10));
  await assertRejects(t.client.openStream(), RemoteGoAwayError);
  // Existing streams keep working.
  await writeAll(c, new Uint8Array([7]));
  const b = new Uint8Array(1);
  assertEquals(await s.read(b), 1);
  await t.close();

  const { session, raw, errors } = rawPeer();
  const acceptNull = session.accept();
  await writeAll(raw, frame(TYPE_GO_AWAY, 0, 0, GO_AWAY_PROTO_ERR));
  await session.closed;
  assertEquals(await acceptNull, null);
  assert(errors[0] instanceof GoAwayReceivedError);
  assertEquals((errors[0] as GoAwayReceivedError).code, 1);

  // After a local GoAway, new SYNs are answered with RST.
  const p = rawPeer();
  p.session.goAway();
  const ga = await readFrame(p.raw);
  assertEquals([ga.type, ga.length], [TYPE_GO_AWAY, GO_AWAY_NORMAL]);
  await writeAll(p.raw, frame(TYPE_WINDOW_UPDATE, FLAG_SYN, 1, FRP_DELTA));
  const rst = await readFrame(p.raw);
  assertEquals([rst.type, rst.flags, rst.streamId], [TYPE_WINDOW_UPDATE, FLAG_RST, 1]);
  p.session.close();
});

Deno.test("session: protocol errors close the session (bad version, window overflow, duplicate SYN)", async () => {
  // Bad version: no GoAway (like Go), just teardown.
  {
    const { session, raw, errors } = rawPeer();
    const c = session.accept();
    await writeAll(raw, new TextEncoder().encode("o\0\0\0\0\0\0\0\0\0\0\0"));
    await session.closed;
    assertEquals(await c, null);
    assert(errors[0] instanceof YamuxProtocolError);
    assertEquals(await raw.read(new Uint8Array(12)), null);
  }
  // Window overflow: GoAway(1) then teardown; pending reads fail.
  {
    const { session, raw, errors } = rawPeer();
    await writeAll(raw, frame(TYPE_WINDOW_UPDATE, FLAG_SYN, 1, 0));
    const s = (await session.accept())!;
    await readFrame(raw); // ACK
    const pending = s.read(new Uint8Array(10));
    await writeAll(raw, frame(TYPE_DATA, 0, 1, 6 * 1024 * 1024 + 1));
    const ga = await readFrame(raw);
    assertEquals([ga.type, ga.length], [TYPE_GO_AWAY, GO_AWAY_PROTO_ERR]);
    await session.closed;
    await assertRejects(pending, SessionClosedError);
    await assertRejects(s.write(new Uint8Array(1)), SessionClosedError);
    assert(errors[0] instanceof YamuxProtocolError);
  }
  // Data beyond the *initial* window before any update is also an overflow.
  {
    const { session, raw } = rawPeer();
    await writeAll(raw, frame(TYPE_DATA, FLAG_SYN, 1, 262145));
    const ga = await readFrame(raw);
    assertEquals([ga.type, ga.length], [TYPE_GO_AWAY, GO_AWAY_PROTO_ERR]);
    await session.closed;
  }
  // Duplicate SYN.
  {
    const { session, raw, errors } = rawPeer();
    await writeAll(raw, frame(TYPE_WINDOW_UPDATE, FLAG_SYN, 1, 0));
    await writeAll(raw, frame(TYPE_WINDOW_UPDATE, FLAG_SYN, 1, 0));
    const ga = await readFrame(raw);
    assertEquals([ga.type, ga.length], [TYPE_GO_AWAY, GO_AWAY_PROTO_ERR]);
    await session.closed;
    assert(errors[0] instanceof YamuxProtocolError);
  }
});

Deno.test("session: data for unknown streams is drained; backlog overflow is RST", async () => {
  const { session, raw } = rawPeer({ acceptBacklog: 2, keepAliveIntervalMs: 0 });
  await writeAll(raw, frame(TYPE_DATA, 0, 99, 5));
  await writeAll(raw, new Uint8Array([1, 2, 3, 4, 5]));
  await writeAll(raw, frame(TYPE_PING, FLAG_SYN, 0, 1));
  const pong = await readFrame(raw);
  assertEquals([pong.type, pong.flags, pong.length], [TYPE_PING, FLAG_ACK, 1]);
  for (const id of [1, 3, 5]) await writeAll(raw, frame(TYPE_WINDOW_UPDATE, FLAG_SYN, id, 0));
  const rst = await readFrame(raw);
  assertEquals([rst.type, rst.flags, rst.streamId], [TYPE_WINDOW_UPDATE, FLAG_RST, 5]);
  assertEquals(session.numStreams, 2);
  assertEquals((await session.accept())!.id, 1);
  session.close();
  await session.closed;
});

Deno.test("session: stream open timeout closes the session", async () => {
  const { session, raw, errors } = rawPeer({ role: "client", streamOpenTimeoutMs: 30 });
  await session.openStream();
  await readFrame(raw);
  await session.closed;
  assert(errors[0]?.name === "StreamOpenTimeoutError", String(errors[0]));
});

Deno.test("session: close() sends FIN, RST after the close timeout", async () => {
  const { session, raw, errors } = rawPeer({
    role: "client",
    streamCloseTimeoutMs: 60,
    streamOpenTimeoutMs: 15,
  });
  const s = await session.openStream();
  await readFrame(raw);
  // Closed before the ACK: like Go, the FIN settles the open timeout (session survives).
  s.close();
  assertEquals(await s.read(new Uint8Array(1)), null);
  await assertRejects(s.write(new Uint8Array(1)), StreamClosedError);
  const fin = await readFrame(raw);
  assertEquals([fin.flags, fin.streamId], [FLAG_FIN, 1]);
  await new Promise((r) => setTimeout(r, 30));
  await writeAll(raw, frame(TYPE_WINDOW_UPDATE, FLAG_ACK, 1, FRP_DELTA));
  assertEquals(session.numStreams, 1);
  const rst = await readFrame(raw);
  assertEquals([rst.flags, rst.streamId], [FLAG_RST, 1]);
  assertEquals(session.numStreams, 0);
  assert(!session.isClosed);
  assertEquals(errors, []);
  session.close();
});

Deno.test("session: close() fails streams, accept returns null, openStream rejects", async () => {
  const t = sessions();
  const c = await t.client.openStream();
  const s = (await t.server.accept())!;
  await writeAll(c, new Uint8Array([1, 2]));
  await new Promise((r) => setTimeout(r, 5));
  const acc = t.server.accept();
  const pending = c.read(new Uint8Array(4));
  t.client.close();
  await t.client.closed;
  assert(t.client.isClosed);
  await assertRejects(pending, SessionClosedError);
  await assertRejects(t.client.openStream(), SessionClosedError);
  await t.server.closed; // transport EOF ends the peer too
  assertEquals(await acc, null);
  // Data that arrived before the end is still readable, then the error.
  const b = new Uint8Array(4);
  assertEquals(await s.read(b), 2);
  await assertRejects(s.read(b), SessionClosedError);
  assertEquals(t.errors, []);
});
