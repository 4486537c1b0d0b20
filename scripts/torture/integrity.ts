/**
 * Integrity row: N concurrent user connections through the tcp proxy, each sending a
 * pseudo-random stream of a random size (log-uniform in [1 B, max]) to an echo service and
 * reading it back; SHA-256 of what was sent and what came back must match for every one.
 * Data is generated and hashed in chunks, so 1000 × 8 MiB needs no 8 GiB of buffers. The udp
 * row sends numbered datagrams with a small window (a lossless path) and checks each reply.
 *
 * @module
 */

import { createHash } from "node:crypto";
import dgram from "node:dgram";
import { Rng } from "./mutate.ts";
import { type Pair, pairName, startTunnel, type Transport, type Tunnel } from "./frp.ts";

/** One integrity row. */
export interface IntegrityRow {
  pair: string;
  transport: string;
  conns: number;
  bytes: number;
  ok: number;
  mismatched: number;
  failed: number;
  seconds: number;
  note: string;
}

const CHUNK = 64 * 1024;

function fill(rng: Rng, b: Uint8Array): void {
  const w = new Uint32Array(b.buffer, b.byteOffset, b.byteLength >>> 2);
  for (let i = 0; i < w.length; i++) w[i] = rng.u32();
  for (let i = w.length * 4; i < b.byteLength; i++) b[i] = rng.u32() & 0xff;
}

/** Log-uniform size in [1, max]. */
export function randomSize(rng: Rng, max: number): number {
  return Math.max(1, Math.round(Math.exp((rng.u32() / 0x100000000) * Math.log(max))));
}

async function oneConn(port: number, size: number, seed: number, timeoutMs: number) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const timer = setTimeout(() => {
    try {
      conn.close();
    } catch { /* closed */ }
  }, timeoutMs);
  try {
    const sent = createHash("sha256");
    const writer = (async () => {
      const rng = new Rng(seed);
      const buf = new Uint8Array(CHUNK);
      for (let left = size; left > 0;) {
        const n = Math.min(left, CHUNK);
        const b = buf.subarray(0, n);
        fill(rng, b);
        sent.update(b);
        let o = 0;
        while (o < n) o += await conn.write(b.subarray(o));
        left -= n;
      }
      // No closeWrite: frp has no half-close (Go's relay closes both directions when one
      // ends), so the reader stops at `size` bytes instead of waiting for EOF.
    })();
    const got = createHash("sha256");
    let total = 0;
    const rbuf = new Uint8Array(CHUNK);
    while (total < size) {
      const n = await conn.read(rbuf.subarray(0, Math.min(rbuf.byteLength, size - total)));
      if (n === null) break;
      got.update(rbuf.subarray(0, n));
      total += n;
    }
    await writer;
    return { same: total === size && sent.digest("hex") === got.digest("hex"), total };
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

/** Runs `conns` concurrent echo connections against a running tunnel's tcp proxy. */
export async function tcpIntegrity(
  t: Tunnel,
  conns: number,
  maxSize: number,
  seed: number,
): Promise<{ ok: number; mismatched: number; failed: number; bytes: number; errors: string[] }> {
  const rng = new Rng(seed);
  const jobs = Array.from({ length: conns }, (_, i) => ({
    size: randomSize(rng, maxSize),
    seed: seed * 7919 + i + 1,
  }));
  let ok = 0, mismatched = 0, failed = 0, bytes = 0;
  const errors: string[] = [];
  await Promise.all(jobs.map(async (j) => {
    try {
      const r = await oneConn(t.tcpPort, j.size, j.seed, 300_000);
      bytes += j.size;
      if (r.same) ok++;
      else {
        mismatched++;
        if (errors.length < 5) errors.push(`size ${j.size}: got ${r.total} bytes, hash differs`);
      }
    } catch (e) {
      failed++;
      if (errors.length < 5) errors.push(`size ${j.size}: ${(e as Error).message}`);
    }
  }));
  return { ok, mismatched, failed, bytes, errors };
}

/**
 * Sends `count` numbered datagrams (random sizes ≤ 1400 B) through the udp proxy with at most
 * `window` unanswered, and checks every echoed datagram against its SHA-256.
 */
export async function udpIntegrity(
  t: Tunnel,
  count: number,
  seed: number,
  window = 16,
): Promise<{ ok: number; lost: number; corrupt: number }> {
  const sock = dgram.createSocket("udp4");
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
  const rng = new Rng(seed);
  const sums = new Map<number, string>();
  let ok = 0, corrupt = 0, inflight = 0;
  let wake: (() => void) | null = null;
  sock.on("message", (msg: Uint8Array) => {
    const id = new DataView(msg.buffer, msg.byteOffset).getUint32(0);
    const want = sums.get(id);
    if (want === undefined) return;
    sums.delete(id);
    inflight--;
    if (createHash("sha256").update(msg).digest("hex") === want) ok++;
    else corrupt++;
    wake?.();
  });
  // The proxy may take a moment to bind: the first datagram is retried until it echoes.
  for (let i = 0; i < count; i++) {
    const size = 4 + rng.int(1397);
    const d = new Uint8Array(size);
    fill(rng, d);
    new DataView(d.buffer).setUint32(0, i);
    sums.set(i, createHash("sha256").update(d).digest("hex"));
    inflight++;
    sock.send(d, t.udpPort, "127.0.0.1");
    if (i === 0) {
      for (let k = 0; k < 50 && sums.has(0); k++) {
        await new Promise<void>((r) => setTimeout(r, 100));
        if (sums.has(0)) sock.send(d, t.udpPort, "127.0.0.1");
      }
    }
    while (inflight >= window) {
      const got = await new Promise<boolean>((r) => {
        const timer = setTimeout(() => r(false), 2000);
        wake = () => {
          clearTimeout(timer);
          r(true);
        };
      });
      wake = null;
      if (!got) break; // lost ones stay in `sums`
    }
    if (inflight >= window) inflight = 0;
  }
  const end = performance.now() + 3000;
  while (sums.size > 0 && performance.now() < end) {
    await new Promise<void>((r) => setTimeout(r, 50));
  }
  sock.close();
  return { ok, lost: sums.size, corrupt };
}

/** The integrity rows for one pair and one transport. */
export async function integrityRows(
  pair: Pair,
  transport: Transport,
  conns: number,
  maxSize: number,
  datagrams: number,
): Promise<IntegrityRow[]> {
  const t = await startTunnel(pair, transport);
  const rows: IntegrityRow[] = [];
  try {
    const t0 = performance.now();
    const r = await tcpIntegrity(t, conns, maxSize, 42);
    rows.push({
      pair: pairName(pair),
      transport: `tcp proxy over ${transport}`,
      conns,
      bytes: r.bytes,
      ok: r.ok,
      mismatched: r.mismatched,
      failed: r.failed,
      seconds: (performance.now() - t0) / 1000,
      note: r.errors.join("; "),
    });
    if (datagrams > 0) {
      const t1 = performance.now();
      const u = await udpIntegrity(t, datagrams, 43);
      rows.push({
        pair: pairName(pair),
        transport: `udp proxy over ${transport}`,
        conns: datagrams,
        bytes: 0,
        ok: u.ok,
        mismatched: u.corrupt,
        failed: u.lost,
        seconds: (performance.now() - t1) / 1000,
        note: "datagrams: ok / corrupt / lost",
      });
    }
  } finally {
    await t.stop();
  }
  return rows;
}

/** Markdown table of integrity rows. */
export function integrityTable(rows: IntegrityRow[]): string {
  const out = [
    "| pair | path | conns | MiB | SHA-256 equal | differ | failed/lost | s | note |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
  ];
  for (const r of rows) {
    out.push(
      `| ${r.pair} | ${r.transport} | ${r.conns} | ${
        (r.bytes / 1048576).toFixed(1)
      } | ${r.ok} | ${r.mismatched} | ${r.failed} | ${r.seconds.toFixed(1)} | ${r.note} |`,
    );
  }
  return out.join("\n");
}
