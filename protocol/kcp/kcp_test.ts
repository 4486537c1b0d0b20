/**
 * KCP/FEC/Reed-Solomon against bytes produced by kcp-go v5.6.13 + reedsolomon v1.12.0
 * (tests/fixtures/kcp/vectors.json, from tests/kcp_peer), and ARQ round trips through a lossy
 * in-memory link on a fake clock.
 */
import { deepStrictEqual as assertEquals, ok } from "node:assert";
import { FecDecoder, FecEncoder, KcpSession, ReedSolomon } from "./mod.ts";
import { datagramConv } from "./session.ts";

const hex = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const unhex = (s: string): Uint8Array =>
  new Uint8Array((s.match(/../g) ?? []).map((h) => parseInt(h, 16)));

interface Vectors {
  rsShards: string[];
  writes: string[];
  datagrams: string[];
  conv: number;
}
const V: Vectors = JSON.parse(
  await Deno.readTextFile(new URL("../../tests/fixtures/kcp/vectors.json", import.meta.url)),
);
const concat = (xs: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(xs.reduce((n, x) => n + x.length, 0));
  let o = 0;
  for (const x of xs) o = (out.set(x, o), o + x.length);
  return out;
};

Deno.test("reed-solomon (10,3) parity equals klauspost's", () => {
  const rs = new ReedSolomon(10, 3);
  const shards = V.rsShards.map((s, i) => (i < 10 ? unhex(s) : new Uint8Array(37)));
  rs.encode(shards);
  assertEquals(shards.map(hex), V.rsShards);
});

Deno.test("reed-solomon rebuilds any 3 lost data shards", () => {
  const rs = new ReedSolomon(10, 3);
  const want = V.rsShards.map(unhex);
  for (const lost of [[0, 1, 2], [3, 7, 9], [9], [0, 5]]) {
    const shards: (Uint8Array | null)[] = want.map((s, i) => (lost.includes(i) ? null : s));
    rs.reconstructData(shards);
    assertEquals(shards.slice(0, 10).map((s) => hex(s!)), V.rsShards.slice(0, 10));
  }
  const tooFew: (Uint8Array | null)[] = want.map((s, i) => (i < 4 ? null : s));
  let threw = false;
  try {
    rs.reconstructData(tooFew);
  } catch {
    threw = true;
  }
  ok(threw);
});

Deno.test("FEC encoder reproduces kcp-go's datagrams (headers, sizes, parity)", () => {
  const enc = new FecEncoder(10, 3);
  const out: string[] = [];
  for (const d of V.datagrams.map(unhex)) {
    if (d[4] !== 0xf1) continue; // parity is ours to generate
    const pkt = new Uint8Array(d.length);
    pkt.set(d.subarray(8), 8);
    const parity = enc.encode(pkt, 1000);
    out.push(hex(pkt), ...parity.map(hex));
  }
  assertEquals(out, V.datagrams);
});

function feed(datagrams: Uint8Array[]): { s: KcpSession; bytes: Uint8Array; sent: number } {
  let sent = 0;
  const s = new KcpSession({ conv: V.conv, send: () => sent++, now: () => 5 });
  for (const d of datagrams) s.input(d);
  const buf = new Uint8Array(1 << 16);
  const n = s.read(buf);
  return { s, bytes: buf.slice(0, n), sent };
}

Deno.test("a session reads kcp-go's datagrams, and rebuilds lost ones from parity", () => {
  const all = V.datagrams.map(unhex);
  const want = hex(concat(V.writes.map(unhex)));
  assertEquals(hex(feed(all).bytes), want);
  // lose data shards 2, 5 and 8 of the first group: parity brings them back, no resend needed
  const lossy = all.filter((_, i) => ![2, 5, 8].includes(i));
  const r = feed(lossy);
  assertEquals(r.s.fecRecovered, 3);
  assertEquals(hex(r.bytes), want);
  assertEquals(datagramConv(all[0])?.conv, V.conv);
  assertEquals(datagramConv(all[10]), null, "parity shards carry no conv");
});

Deno.test("garbage, truncated and foreign datagrams never throw", () => {
  const s = new KcpSession({ conv: V.conv, send: () => {}, now: () => 0 });
  const dec = new FecDecoder(10, 3);
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
  for (let i = 0; i < 3000; i++) {
    const len = rnd() % 64 + (i % 3 === 0 ? 1300 : 0);
    const b = new Uint8Array(len).map(rnd);
    if (i % 4 === 0 && len >= 8) b[4] = 0xf1 + (i % 8 === 0 ? 1 : 0), b[5] = 0;
    s.input(b);
    if (len >= 8) dec.decode(b, i);
  }
  for (const d of V.datagrams.map(unhex)) {
    s.input(d.subarray(0, 20));
    s.input(d.subarray(0, d.length - 1));
  }
  ok(s.inErrors > 0);
  ok(dec.pending <= 39, "decoder keeps at most 3 groups");
  assertEquals(s.read(new Uint8Array(10)), 0);
});

/** Two sessions joined by a link that drops and delays datagrams, on a fake clock. */
function lossyPair(dropEvery: (n: number) => boolean) {
  let now = 0;
  const clock = () => now >>> 0;
  const inflight: { at: number; to: "a" | "b"; pkt: Uint8Array }[] = [];
  let n = 0;
  const mk = (to: "a" | "b", opts: { sndWnd: number; rcvWnd: number }) =>
    new KcpSession({
      conv: 42,
      now: clock,
      ...opts,
      send: (pkt) => {
        if (!dropEvery(n++)) inflight.push({ at: now + 3, to, pkt });
      },
    });
  const a = mk("b", { sndWnd: 128, rcvWnd: 512 });
  const b = mk("a", { sndWnd: 1024, rcvWnd: 1024 });
  const step = () => {
    now += 1;
    for (let i = 0; i < inflight.length;) {
      if (inflight[i].at <= now) {
        const { to, pkt } = inflight.splice(i, 1)[0];
        (to === "a" ? a : b).input(pkt);
      } else i++;
    }
    if (now % 20 === 0) {
      a.update();
      b.update();
    }
  };
  return { a, b, step };
}

async function roundTrip(drop: (n: number) => boolean, size: number): Promise<number> {
  const { a, b, step } = lossyPair(drop);
  const data = new Uint8Array(size).map((_, i) => (i * 131 + (i >> 9)) & 0xff);
  const got = new Uint8Array(size), back = new Uint8Array(size);
  let wrote = 0, gotN = 0, echoed = 0, backN = 0, ticks = 0;
  const buf = new Uint8Array(64 * 1024);
  for (; backN < size && ticks < 600_000; ticks++) {
    while (wrote < size && a.writable) {
      const end = Math.min(size, wrote + 4000);
      a.write(data.subarray(wrote, end));
      wrote = end;
    }
    let r;
    while ((r = b.read(buf)) > 0) got.set(buf.subarray(0, r), (gotN += r) - r);
    while (echoed < gotN && b.writable) {
      const end = Math.min(gotN, echoed + 4000);
      b.write(got.subarray(echoed, end));
      echoed = end;
    }
    while ((r = a.read(buf)) > 0) back.set(buf.subarray(0, r), (backN += r) - r);
    step();
  }
  await Promise.resolve();
  assertEquals(backN, size, `echoed everything within the tick budget (${ticks} ticks)`);
  assertEquals(hex(back.subarray(0, 64)), hex(data.subarray(0, 64)));
  ok(back.every((x, i) => x === data[i]), "byte-exact");
  return ticks;
}

Deno.test("ARQ echo of 300 KB over a clean link", async () => {
  await roundTrip(() => false, 300_000);
});

Deno.test("ARQ echo of 300 KB with 10% loss (FEC + retransmission)", async () => {
  let seed = 99;
  await roundTrip(() => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) % 10 === 0, 300_000);
});

Deno.test("ARQ survives a burst outage (every datagram 200..400 lost)", async () => {
  await roundTrip((n) => n >= 200 && n < 400, 100_000);
});
