/**
 * The KCP transport over real UDP sockets on 127.0.0.1: dial/listen echo, session demux,
 * garbage datagrams, and sessions over an existing UdpSocket (the xtcp path).
 */
import { deepStrictEqual as assertEquals, ok } from "node:assert";
import dgram from "node:dgram";
import { dialKcp, type KcpConn, kcpOverUdpSocket, listenKcp } from "./kcp.ts";
import { bindUdp } from "./udp.ts";
import type { Duplex } from "../protocol/duplex.ts";

async function readN(c: Duplex, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let got = 0;
  // bounded by n bytes or end of stream
  while (got < n) {
    const r = await c.read(out.subarray(got));
    if (r === null) throw new Error(`eof after ${got}/${n}`);
    got += r;
  }
  return out;
}

async function echo(c: KcpConn): Promise<void> {
  const buf = new Uint8Array(32 * 1024);
  for (;;) {
    const n = await c.read(buf);
    if (n === null) return;
    await c.write(buf.slice(0, n));
  }
}

const payload = (n: number, seed: number) =>
  new Uint8Array(n).map((_, i) => (i * 7 + seed + (i >> 11)) & 0xff);

Deno.test("kcp: dial → listener echo, 1 MiB and 8 concurrent sessions", async () => {
  const l = await listenKcp({ hostname: "127.0.0.1", port: 0 });
  l.serve((c) => void echo(c).finally(() => c.close()));
  try {
    const one = async (size: number, seed: number) => {
      const c = await dialKcp({ hostname: "127.0.0.1", port: l.addr.port });
      const data = payload(size, seed);
      const [, back] = await Promise.all([
        (async () => {
          for (let o = 0; o < size; o += 16384) await c.write(data.subarray(o, o + 16384));
        })(),
        readN(c, size),
      ]);
      c.close();
      ok(back.every((x, i) => x === data[i]), "byte-exact echo");
    };
    await one(1 << 20, 1);
    await Promise.all(Array.from({ length: 8 }, (_, i) => one(50_000 + i, i)));
  } finally {
    l.close();
  }
});

Deno.test("kcp: datagrams that are not KCP open no session and do not crash the listener", async () => {
  const l = await listenKcp({ hostname: "127.0.0.1", port: 0 });
  const accepted: KcpConn[] = [];
  l.serve((c) => accepted.push(c));
  const s = dgram.createSocket("udp4");
  try {
    const send = (b: Uint8Array) =>
      new Promise<void>((r) => s.send(b, l.addr.port, "127.0.0.1", () => r()));
    for (let i = 0; i < 300; i++) {
      const b = new Uint8Array(i % 60 + (i % 7 === 0 ? 1400 : 0)).map((_, j) =>
        (i * 31 + j) & 0xff
      );
      if (i % 3 === 0 && b.length >= 6) b[4] = 0xf1, b[5] = 0; // FEC data flag, junk inside
      if (i % 5 === 0 && b.length >= 6) b[4] = 0xf2, b[5] = 0; // parity: never opens a session
      // a KCP command byte (81..84) would open a session, as in kcp-go: keep these out
      for (const o of [4, 12]) if (b[o] >= 81 && b[o] <= 84) b[o] = 0;
      await send(b);
    }
    await new Promise((r) => setTimeout(r, 100));
    assertEquals(accepted.length, 0);
    ok(l.dropped > 0);
    // still serving real clients
    l.close();
  } finally {
    s.close();
    l.close();
  }
  const l2 = await listenKcp({ hostname: "127.0.0.1", port: 0 });
  l2.serve((c) => void echo(c));
  const c = await dialKcp({ hostname: "127.0.0.1", port: l2.addr.port });
  await c.write(new TextEncoder().encode("ping"));
  assertEquals(new TextDecoder().decode(await readN(c, 4)), "ping");
  c.close();
  l2.close();
});

Deno.test("kcp: two sessions over existing UDP sockets (xtcp path, conv 1)", async () => {
  const a = await bindUdp({ hostname: "127.0.0.1", port: 0 });
  const b = await bindUdp({ hostname: "127.0.0.1", port: 0 });
  const ca = kcpOverUdpSocket(a, b.addr);
  const cb = kcpOverUdpSocket(b, a.addr);
  try {
    assertEquals(ca.conv, 1);
    const data = payload(200_000, 3);
    const echoing = echo(cb);
    const [, back] = await Promise.all([ca.write(data), readN(ca, data.length)]);
    ok(back.every((x, i) => x === data[i]));
    ca.close();
    cb.close();
    await echoing;
  } finally {
    ca.closeNow();
    cb.closeNow();
  }
});

Deno.test("kcp listener: late datagrams of a closed session open nothing; a new conv with sn 0 does", async () => {
  const l = await listenKcp({ hostname: "127.0.0.1", port: 0 });
  const accepted: KcpConn[] = [];
  l.serve((c) => {
    accepted.push(c);
    void echo(c);
  });
  const sock = await bindUdp({ hostname: "127.0.0.1", port: 0 });
  const enc = new TextEncoder(), dec = new TextDecoder();
  try {
    const first = kcpOverUdpSocket(sock, l.addr, { conv: 5, ownSocket: false });
    await first.write(enc.encode("one"));
    assertEquals(dec.decode(await readN(first, 3)), "one");
    assertEquals(accepted.map((c) => c.conv), [5]);
    accepted[0].close(); // frps side ends it; the client does not know (no FIN in KCP)
    await first.write(enc.encode("late")); // resent for a while: must not reopen conv 5
    await new Promise((r) => setTimeout(r, 300));
    assertEquals(accepted.length, 1);
    first.closeNow();
    // the same address comes back with a new conversation
    const second = kcpOverUdpSocket(sock, l.addr, { conv: 6, ownSocket: false });
    await second.write(enc.encode("two"));
    assertEquals(dec.decode(await readN(second, 3)), "two");
    assertEquals(accepted.map((c) => c.conv), [5, 6]);
    second.closeNow();
  } finally {
    sock.close();
    l.close();
  }
});
