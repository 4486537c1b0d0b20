/**
 * The fuzz targets: every decoder that reads bytes a peer controls. Each target has seeds
 * (real frames built by the encoders that tests/vectors check byte-for-byte against Go frp,
 * and the config fixtures), an optional `fix` that repairs length prefixes after mutation, and
 * `run`, which must either return (a short outcome signature, used as cheap feedback: inputs
 * with a new outcome join the corpus) or throw a clean error. TypeError/RangeError & co., a
 * rejection from a "never rejects" API, a hang or unbounded memory are findings.
 *
 * @module
 */

import type { Conn, Duplex } from "../../protocol/duplex.ts";
import {
  encodeMessage,
  encodeMessageV2,
  FrameDecoder as V1Decoder,
  type Message,
  readMessage,
  readMessageV2,
} from "../../protocol/msg/mod.ts";
import { decodeMessageFrameV2, encodeFrameV2, readFrameV2 } from "../../protocol/msg/frame_v2.ts";
import {
  decodeClientHello,
  decodeServerHello,
  encodeClientHello,
  encodeServerHello,
  newClientHello,
  newServerHello,
} from "../../protocol/msg/hello_v2.ts";
import { FrameDecoder as YamuxDecoder } from "../../protocol/yamux/decode.ts";
import { YamuxSession } from "../../protocol/yamux/session.ts";
import { encodeHeader } from "../../protocol/yamux/frame.ts";
import { KcpSession } from "../../protocol/kcp/session.ts";
import { snappyDuplex } from "../../protocol/compress/mod.ts";
import { decodeSnappyBlock, snappyDecodedLen } from "../../protocol/compress/snappy_block.ts";
import { cryptoDuplex, deriveKey } from "../../protocol/crypto/mod.ts";
import { aeadStreamDuplex } from "../../protocol/crypto/aead.ts";
import {
  BufReader,
  parseRequestHead,
  parseResponseHead,
  requestFraming,
  responseFraming,
} from "../../protocol/http_codec.ts";
import { readClientHello } from "../../server/vhost/muxer.ts";
import { buildProxyProtocolHeader, parseIp } from "../../protocol/proxy_protocol.ts";
import { classifyBindPortBytes } from "../../transport/sniff.ts";
import { encodeFrameHeader, websocketServer } from "../../protocol/websocket.ts";
import { decodeUdpPacket } from "../../protocol/udp_packet.ts";
import { decodeSidPacket, encodeSidPacket } from "../../protocol/nathole/sid_packet.ts";
import { isResponseTo, parseBindingResponse } from "../../protocol/nathole/stun.ts";
import { loadClientConfig, loadServerConfig } from "../../config/load.ts";
import type { ConfigHost } from "../../config/_fs.ts";
import { createSocks5Plugin } from "../../plugins/client/socks5.ts";
import { createHttpProxyPlugin } from "../../plugins/client/http_proxy.ts";
import type { ClientPlugin } from "../../plugins/client/types.ts";
import { Logger, NULL_SINK } from "../../log/logger.ts";
import { chunks, Rng } from "./mutate.ts";
import { concatBytes } from "../../protocol/io.ts";

/** One fuzz target. */
export interface FuzzTarget {
  name: string;
  /** Longest input generated. */
  maxLen: number;
  seeds(): Promise<Uint8Array[]> | Uint8Array[];
  /** Re-computes length fields after mutation (applied to half of the inputs). */
  fix?(b: Uint8Array, rng: Rng): Uint8Array;
  /** Builds a fresh structured input (used for a third of the inputs when present). */
  generate?(rng: Rng): Uint8Array;
  /** Runs one input; resolves to an outcome signature or throws a clean error. */
  run(input: Uint8Array, rng: Rng): Promise<string> | string;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Serves `chunks` then EOF; records what is written; never blocks (decoder input). */
export function feed(
  parts: Uint8Array[],
): Conn & { out: Uint8Array[]; closed: boolean } {
  let i = 0, off = 0;
  return {
    out: [],
    closed: false,
    localAddr: ADDR,
    remoteAddr: ADDR,
    read(p: Uint8Array): Promise<number | null> {
      while (i < parts.length && off >= parts[i].byteLength) {
        i++;
        off = 0;
      }
      if (i >= parts.length) return Promise.resolve(null);
      const n = Math.min(p.byteLength, parts[i].byteLength - off);
      p.set(parts[i].subarray(off, off + n));
      off += n;
      return Promise.resolve(n);
    },
    write(p: Uint8Array): Promise<number> {
      if (this.closed) return Promise.reject(new Error("write on closed conn"));
      this.out.push(p.slice());
      return Promise.resolve(p.byteLength);
    },
    closeWrite(): Promise<void> {
      return Promise.resolve();
    },
    close(): void {
      this.closed = true;
    },
  };
}

const ADDR = { hostname: "127.0.0.1", port: 1 };

const concat = concatBytes;

/** What a writer wrapped by `wrap` puts on the wire for `plain`. */
async function wireBytes(wrap: (d: Duplex) => Duplex, plain: Uint8Array[]): Promise<Uint8Array> {
  const sink = feed([]);
  const w = wrap(sink);
  for (const p of plain) {
    let o = 0;
    while (o < p.byteLength) o += await w.write(p.subarray(o));
  }
  return concat(sink.out);
}

/** Reads a duplex to EOF with a byte cap; returns the signature. */
async function drain(d: Duplex, cap = 1 << 24): Promise<string> {
  const buf = new Uint8Array(32 * 1024);
  let total = 0;
  for (;;) {
    const n = await d.read(buf);
    if (n === null) return `eof:${total > 0}`;
    if (n === 0) throw new RangeError("read returned 0 for a non-empty buffer");
    total += n;
    if (total > cap) throw new RangeError(`decoded more than ${cap} bytes`);
  }
}

// ------------------------------------------------------------------ seeds from real frames

const SAMPLE_MESSAGES: Message[] = [
  {
    type: "Login",
    body: {
      version: "0.70.1",
      hostname: "h",
      os: "linux",
      arch: "amd64",
      user: "u",
      privilege_key: "0123456789abcdef0123456789abcdef",
      timestamp: 1700000000,
      run_id: "abcdef",
      metas: { a: "b" },
      pool_count: 1,
    },
  } as unknown as Message,
  {
    type: "LoginResp",
    body: { version: "0.70.1", run_id: "abcdef", error: "" },
  } as unknown as Message,
  {
    type: "NewProxy",
    body: {
      proxy_name: "tcp",
      proxy_type: "tcp",
      use_encryption: true,
      use_compression: true,
      remote_port: 6000,
      custom_domains: ["a.example"],
      locations: ["/"],
      headers: { h: "v" },
    },
  } as unknown as Message,
  { type: "NewProxyResp", body: { proxy_name: "tcp", remote_addr: ":6000" } } as unknown as Message,
  {
    type: "NewWorkConn",
    body: { run_id: "abcdef", privilege_key: "k", timestamp: 1 },
  } as unknown as Message,
  { type: "ReqWorkConn", body: {} } as unknown as Message,
  {
    type: "StartWorkConn",
    body: { proxy_name: "tcp", src_addr: "127.0.0.1", src_port: 5000, dst_port: 6000 },
  } as unknown as Message,
  {
    type: "NewVisitorConn",
    body: { run_id: "r", proxy_name: "p", sign_key: "s", timestamp: 1, use_encryption: true },
  } as unknown as Message,
  { type: "Ping", body: { privilege_key: "k", timestamp: 1 } } as unknown as Message,
  { type: "Pong", body: {} } as unknown as Message,
  {
    type: "UDPPacket",
    body: { c: "aGVsbG8=", l: { IP: "127.0.0.1", Port: 1, Zone: "" } },
  } as unknown as Message,
  {
    type: "NatHoleVisitor",
    body: {
      transaction_id: "t",
      proxy_name: "p",
      pre_check: true,
      protocol: "quic",
      sign_key: "s",
      timestamp: 1,
      mapped_addrs: ["1.2.3.4:5"],
      assisted_addrs: ["10.0.0.1:5"],
    },
  } as unknown as Message,
  { type: "CloseProxy", body: { proxy_name: "tcp" } } as unknown as Message,
];

function v1Seeds(): Uint8Array[] {
  const frames = SAMPLE_MESSAGES.map((m) => encodeMessage(m));
  return [...frames, concat(frames.slice(0, 4))];
}

/** v1: rewrite the int64 length of the first frame to match its body (half the time). */
function fixV1(b: Uint8Array): Uint8Array {
  if (b.byteLength < 9) return b;
  const out = b.slice();
  new DataView(out.buffer).setBigInt64(1, BigInt(out.byteLength - 9));
  return out;
}

function v2Seeds(): Uint8Array[] {
  const hello = newClientHello({ transport: "tcp", tls: true, tcpMux: true });
  const frames = [
    encodeFrameV2(1, encodeClientHello(hello)),
    encodeFrameV2(2, encodeServerHello(newServerHello(hello))),
    ...SAMPLE_MESSAGES.map((m) => encodeMessageV2(m)),
  ];
  return [...frames, concat(frames.slice(2, 6))];
}

function fixV2(b: Uint8Array): Uint8Array {
  if (b.byteLength < 8) return b;
  const out = b.slice();
  new DataView(out.buffer).setUint32(4, out.byteLength - 8);
  return out;
}

function yamuxSeeds(): Uint8Array[] {
  const h = (type: number, flags: number, id: number, len: number) => {
    const b = new Uint8Array(12);
    encodeHeader(b, 0, type, flags, id, len);
    return b;
  };
  const data = enc.encode("hello yamux");
  return [
    concat([h(1, 1, 1, 0), h(0, 0, 1, data.byteLength), data, h(0, 4, 1, 0)]),
    concat([h(2, 1, 0, 7), h(2, 2, 0, 7)]),
    concat([h(1, 1, 3, 262144), h(0, 0, 3, 3), enc.encode("abc"), h(1, 8, 3, 0)]),
    h(3, 0, 0, 0),
    concat([h(0, 1, 2, 5), enc.encode("world")]),
  ];
}

/** A run of well-formed yamux headers with random fields, lengths and payloads. */
function genYamux(rng: Rng): Uint8Array {
  const parts: Uint8Array[] = [];
  const frames = 1 + rng.int(12);
  for (let i = 0; i < frames; i++) {
    const type = rng.int(4);
    const flags = rng.int(16);
    const id = rng.pick([0, 1, 2, 3, 4, 5, 0xffffffff, rng.u32()]);
    const big = rng.pick([0, 1, 16, 256 * 1024, 256 * 1024 + 1, 0x7fffffff, 0xffffffff]);
    const len = type === 0 ? (rng.int(3) ? rng.int(600) : big) : rng.pick([0, 1, big, rng.u32()]);
    const h = new Uint8Array(12);
    encodeHeader(h, 0, type, flags, id, len);
    parts.push(h);
    if (type === 0) parts.push(rng.bytes(Math.min(len, rng.int(3) ? 700 : rng.int(700))));
  }
  return concat(parts);
}

/** KCP segments (optionally FEC-wrapped), each prefixed by a u16 datagram length. */
function genKcp(rng: Rng): Uint8Array {
  const parts: Uint8Array[] = [];
  const n = 1 + rng.int(24);
  let seq = rng.int(4) * 13;
  for (let i = 0; i < n; i++) {
    const segs: Uint8Array[] = [];
    for (let k = 1 + rng.int(3); k > 0; k--) {
      const len = rng.int(3) ? rng.int(200) : rng.pick([1400, 0x10000, 0xffffffff]);
      const body = rng.bytes(Math.min(len, 1300));
      const h = new Uint8Array(24);
      const v = new DataView(h.buffer);
      v.setUint32(0, rng.int(8) ? 0x1234 : rng.u32(), true);
      h[4] = rng.pick([81, 82, 83, 84, rng.int(256)]);
      h[5] = rng.int(4) ? 0 : rng.int(256);
      v.setUint16(6, rng.pick([0, 1, 128, 1024, 0xffff]), true);
      v.setUint32(8, rng.u32(), true);
      v.setUint32(12, rng.int(4) ? i + rng.int(3) : rng.u32(), true);
      v.setUint32(16, rng.int(4) ? rng.int(i + 1) : rng.u32(), true);
      v.setUint32(20, rng.int(8) ? body.byteLength : len >>> 0, true);
      segs.push(h, body);
    }
    let pkt = concat(segs);
    if (rng.int(4)) {
      // FEC: seqid, flag, then (data shards) the 2-byte size field kcp-go prepends.
      const f = new Uint8Array(8);
      const v = new DataView(f.buffer);
      v.setUint32(0, seq++, true);
      const parity = rng.int(5) === 0;
      v.setUint16(4, parity ? 0xf2 : 0xf1, true);
      v.setUint16(6, rng.int(8) ? pkt.byteLength + 2 : rng.int(0x10000), true);
      pkt = concat([f, parity ? rng.bytes(pkt.byteLength) : pkt]);
    }
    parts.push(Uint8Array.of(pkt.byteLength >> 8, pkt.byteLength & 0xff), pkt);
  }
  return concat(parts);
}

async function snappySeeds(): Promise<Uint8Array[]> {
  const text = enc.encode("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n".repeat(20));
  const rnd = new Rng(7).bytes(3000);
  return [
    await wireBytes(snappyDuplex, [text]),
    await wireBytes(snappyDuplex, [rnd, text]),
    await wireBytes(snappyDuplex, [new Uint8Array(70000)]),
  ];
}

const KEY = deriveKey("token");

async function cfbSeeds(): Promise<Uint8Array[]> {
  const frames = SAMPLE_MESSAGES.slice(0, 4).map((m) => encodeMessage(m));
  return [await wireBytes((d) => cryptoDuplex(d, KEY), frames)];
}

const AEAD_KEY = new Uint8Array(32).fill(7);

async function aeadSeeds(alg: string): Promise<Uint8Array[]> {
  const frames = SAMPLE_MESSAGES.slice(0, 4).map((m) => encodeMessageV2(m));
  return [await wireBytes((d) => aeadStreamDuplex(d, alg, AEAD_KEY, AEAD_KEY), frames)];
}

function kcpSeeds(): Uint8Array[] {
  const pkts: Uint8Array[] = [];
  let t = 0;
  const s = new KcpSession({ conv: 0x1234, send: (p) => pkts.push(p), now: () => t });
  s.write(new Rng(3).bytes(4000));
  for (let i = 0; i < 5; i++) {
    t += 20;
    s.update();
  }
  const plain: Uint8Array[] = [];
  const p = new KcpSession({
    conv: 9,
    send: (x) => plain.push(x),
    now: () => t,
    dataShards: 0,
    parityShards: 0,
  });
  p.write(enc.encode("plain kcp segment"));
  p.update();
  // One input = several datagrams, each prefixed by a u16 length (the target splits them).
  const pack = (list: Uint8Array[]) =>
    concat(list.flatMap((d) => [Uint8Array.of(d.byteLength >> 8, d.byteLength & 0xff), d]));
  return [pack(pkts.slice(0, 6)), pack(plain), pack(pkts.slice(6, 16))];
}

const HTTP_SEEDS = [
  "GET / HTTP/1.1\r\nHost: a.example\r\nUser-Agent: curl/8\r\nAccept: */*\r\n\r\n",
  "POST /x?y=1 HTTP/1.1\r\nHost: a.example:8080\r\nContent-Length: 5\r\n\r\nhello",
  "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
  "CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\nProxy-Authorization: Basic dTpw\r\n\r\n",
  "GET http://127.0.0.1:1/ HTTP/1.1\r\nHost: 127.0.0.1:1\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n",
  "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nSet-Cookie: a=b\r\n\r\nok",
].map((s) => enc.encode(s));

function tlsClientHelloSeed(sni: string): Uint8Array {
  const name = enc.encode(sni);
  const sniExt = concat([
    Uint8Array.of(0, 0), // server_name
    u16(name.byteLength + 5),
    u16(name.byteLength + 3),
    Uint8Array.of(0),
    u16(name.byteLength),
    name,
  ]);
  const versions = Uint8Array.of(0, 43, 0, 3, 2, 3, 4);
  const exts = concat([sniExt, versions]);
  const body = concat([
    Uint8Array.of(3, 3),
    new Uint8Array(32),
    Uint8Array.of(0),
    u16(2),
    Uint8Array.of(0x13, 0x01),
    Uint8Array.of(1, 0),
    u16(exts.byteLength),
    exts,
  ]);
  const hs = concat([Uint8Array.of(1, 0, body.byteLength >> 8, body.byteLength & 0xff), body]);
  return concat([Uint8Array.of(0x16, 3, 1), u16(hs.byteLength), hs]);
}

function u16(n: number): Uint8Array {
  return Uint8Array.of(n >> 8, n & 0xff);
}

async function configSeeds(): Promise<Uint8Array[]> {
  const root = new URL("../../tests/fixtures/config/", import.meta.url);
  const out: Uint8Array[] = [];
  for (const dir of ["full", "legacy", "bad", "seed"]) {
    try {
      for await (const e of Deno.readDir(new URL(dir, root))) {
        if (!e.isFile) continue;
        const text = await Deno.readFile(new URL(`${dir}/${e.name}`, root));
        // First byte picks the file name (format); the rest is the file.
        const kind = e.name.endsWith(".ini")
          ? 3
          : e.name.endsWith(".yaml")
          ? 1
          : e.name.endsWith(".json")
          ? 2
          : 0;
        out.push(concat([Uint8Array.of(kind + (e.name.startsWith("frps") ? 4 : 0)), text]));
        if (out.length > 40) return out;
      }
    } catch { /* fixture dir missing */ }
  }
  out.push(
    concat([Uint8Array.of(0), enc.encode('serverAddr = "{{ .Envs.HOST }}"\nserverPort = 7000\n')]),
  );
  return out;
}

function memHost(text: string): ConfigHost {
  return {
    readTextFile: (p: string) =>
      p.startsWith("/fuzz/") ? Promise.resolve(text) : Promise.reject(new Error(`no file ${p}`)),
    readDir: () => Promise.resolve([]),
    isDir: () => Promise.resolve(false),
    cwd: () => "/fuzz",
    envs: () => ({ HOST: "127.0.0.1", PORT: "7000" }),
    exec: () => Promise.reject(new Error("exec disabled in fuzzing")),
  };
}

const SOCKS5_SEEDS = [
  [5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, 0, 80],
  [5, 1, 2, 1, 1, 0x75, 1, 0x70, 5, 1, 0, 3, 9, ...enc.encode("localhost"), 0, 80],
  [5, 2, 0, 2, 5, 1, 0, 4, ...new Array(15).fill(0), 1, 0, 80],
  [5, 1, 0, 5, 2, 0, 1, 127, 0, 0, 1, 0, 80],
].map((a) => Uint8Array.from(a));

const QUIET = new Logger({ sink: NULL_SINK, level: "error" });

/** Runs a plugin on one conn fed with `input`; the plugin must resolve and close the conn. */
async function runPlugin(p: ClientPlugin, input: Uint8Array, rng: Rng): Promise<string> {
  const c = feed(chunks(rng, input));
  await p.handle({ conn: c, proxyProtocolHeader: null, log: QUIET });
  if (!c.closed) throw new RangeError("plugin returned without closing the conn");
  return `w${c.out.length}`;
}

let socks5Auth: ClientPlugin | undefined, socks5Open: ClientPlugin | undefined;
let httpProxy: ClientPlugin | undefined;

const WS_UPGRADE = enc.encode(
  "GET /~!frp HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
    "Origin: http://a/\r\n\r\n",
);

/** The client's upgrade followed by masked binary frames of `sizes` bytes. */
function wsSeed(sizes: number[]): Uint8Array {
  const parts = [WS_UPGRADE];
  for (const n of sizes) {
    const h = new Uint8Array(14);
    const len = encodeFrameHeader(h, 2, n, new Uint8Array(4).fill(0x11));
    parts.push(h.slice(0, len), new Uint8Array(n).fill(0x41 ^ 0x11));
  }
  return concat(parts);
}

// ------------------------------------------------------------------ the targets

/** Every target, in report order. */
export const TARGETS: FuzzTarget[] = [
  {
    name: "v1 frame decoder",
    maxLen: 16384,
    seeds: v1Seeds,
    fix: fixV1,
    run(input, rng) {
      const d = new V1Decoder();
      let n = 0;
      for (const c of chunks(rng, input)) n += d.push(c).length;
      return `ok:${n}:${d.pending > 0}`;
    },
  },
  {
    name: "v1 readMessage (stream)",
    maxLen: 16384,
    seeds: v1Seeds,
    fix: fixV1,
    async run(input, rng) {
      const m = await readMessage(feed(chunks(rng, input)));
      return `ok:${m.type}`;
    },
  },
  {
    name: "v2 frames + hello",
    maxLen: 16384,
    seeds: v2Seeds,
    fix: fixV2,
    async run(input, rng) {
      const f = await readFrameV2(feed(chunks(rng, input)));
      if (f.type === 1) return `hello:${decodeClientHello(f.payload).algorithms.length}`;
      if (f.type === 2) return `shello:${decodeServerHello(f.payload).algorithm}`;
      const m = decodeMessageFrameV2(f);
      await readMessageV2(feed([input])).catch(() => {});
      return `ok:${m.type}`;
    },
  },
  {
    name: "UDPPacket payload",
    maxLen: 4096,
    seeds: () => [encodeMessage(SAMPLE_MESSAGES[10])],
    fix: fixV1,
    run(input, rng) {
      const ms = new V1Decoder().push(input);
      let n = 0;
      for (const m of ms) {
        if (m.type !== "UDPPacket") continue;
        try {
          n += decodeUdpPacket(m.body).data.byteLength;
        } catch (e) {
          // frps/frpc catch this one and log it; the message must say what is wrong.
          if (!/UDPPacket/.test((e as Error).message)) throw e;
        }
      }
      return `ok:${ms.length}:${n > 0}:${rng.int(1)}`;
    },
  },
  {
    name: "websocket handshake + frames",
    maxLen: 40000,
    seeds: () => [wsSeed([5]), wsSeed([200, 70000 - 70000 + 126]), wsSeed([20000])],
    async run(input, rng) {
      const ws = await websocketServer(feed(chunks(rng, input)));
      return await drain(ws);
    },
  },
  {
    name: "yamux frame decoder",
    maxLen: 4096,
    seeds: yamuxSeeds,
    generate: genYamux,
    run(input, rng) {
      let frames = 0, data = 0;
      const d = new YamuxDecoder({
        onHeader: () => void frames++,
        onData: (c) => void (data += c.byteLength),
      });
      for (const c of chunks(rng, input)) d.push(c);
      return `ok:${Math.min(frames, 4)}:${data > 0}`;
    },
  },
  {
    name: "yamux session",
    maxLen: 8192,
    seeds: yamuxSeeds,
    generate: genYamux,
    async run(input, rng) {
      const conn = feed(chunks(rng, input));
      let err = "";
      const s = new YamuxSession(conn, {
        role: rng.int(2) ? "client" : "server",
        keepAliveIntervalMs: 0,
        onError: (e) => void (err = e.constructor.name),
      });
      // Accepted streams are drained so their windows move.
      const accept = (async () => {
        for (;;) {
          const st = await s.accept();
          if (!st) return;
          drain(st).catch(() => {});
        }
      })();
      await s.closed;
      await accept;
      return `closed:${err}`;
    },
  },
  {
    name: "kcp segment + fec decoder",
    maxLen: 8192,
    seeds: kcpSeeds,
    generate: genKcp,
    run(input, rng) {
      let t = 1000;
      const fec = rng.int(4) !== 0;
      const s = new KcpSession({
        conv: 0x1234,
        send: () => {},
        now: () => t,
        ...(fec ? {} : { dataShards: 0, parityShards: 0 }),
      });
      let off = 0;
      const buf = new Uint8Array(64 * 1024);
      let got = 0;
      while (off + 2 <= input.byteLength) {
        const len = (input[off] << 8) | input[off + 1];
        const pkt = input.subarray(off + 2, off + 2 + len);
        off += 2 + len;
        s.input(pkt);
        t += 10;
        s.update();
        got += s.read(buf);
      }
      return `ok:${s.inErrors > 0}:${got > 0}:${s.fecRecovered > 0}`;
    },
  },
  {
    name: "snappy block + frame",
    maxLen: 80000,
    seeds: snappySeeds,
    async run(input, rng) {
      // The raw block decoder on the chunk payload, then the framed reader.
      if (input.byteLength > 8) {
        const block = input.subarray(8);
        try {
          const [n] = snappyDecodedLen(block);
          if (n <= 65536) decodeSnappyBlock(block, new Uint8Array(n));
        } catch (e) {
          if (!(e instanceof Error) || e instanceof TypeError || e instanceof RangeError) throw e;
        }
      }
      return await drain(snappyDuplex(feed(chunks(rng, input))));
    },
  },
  {
    name: "CFB stream (useEncryption)",
    maxLen: 16384,
    seeds: cfbSeeds,
    async run(input, rng) {
      const d = cryptoDuplex(feed(chunks(rng, input)), KEY);
      // What frps does with it: read v1 frames from the decrypted stream.
      const m = await readMessage(d);
      return `ok:${m.type}`;
    },
  },
  {
    name: "AEAD stream (aes-256-gcm)",
    maxLen: 16384,
    seeds: () => aeadSeeds("aes-256-gcm"),
    fix(b) {
      if (b.byteLength < 4) return b;
      const out = b.slice();
      new DataView(out.buffer).setUint32(0, out.byteLength - 4);
      return out;
    },
    async run(input, rng) {
      return await drain(
        aeadStreamDuplex(feed(chunks(rng, input)), "aes-256-gcm", AEAD_KEY, AEAD_KEY),
      );
    },
  },
  {
    name: "AEAD stream (xchacha20-poly1305)",
    maxLen: 16384,
    seeds: () => aeadSeeds("xchacha20-poly1305"),
    async run(input, rng) {
      return await drain(
        aeadStreamDuplex(feed(chunks(rng, input)), "xchacha20-poly1305", AEAD_KEY, AEAD_KEY),
      );
    },
  },
  {
    name: "config loaders (TOML/YAML/JSON/INI + templates)",
    maxLen: 8192,
    seeds: configSeeds,
    async run(input) {
      const kind = (input[0] ?? 0) & 7;
      const ext = ["toml", "yaml", "json", "ini"][kind & 3];
      const text = dec.decode(input.subarray(1));
      const opts = { host: memHost(text), strict: (kind & 1) === 0 };
      const r = kind & 4
        ? await loadServerConfig(`/fuzz/frps.${ext}`, opts)
        : await loadClientConfig(`/fuzz/frpc.${ext}`, opts);
      return `ok:${r.legacyIni}:${r.warnings.length > 0}`;
    },
  },
  {
    name: "HTTP head parser",
    maxLen: 16384,
    seeds: () => HTTP_SEEDS,
    async run(input, rng) {
      const rd = new BufReader(feed(chunks(rng, input)), 1024);
      const head = await rd.readHead(8192);
      if (head === null) return "eof";
      if (head.startsWith("HTTP/")) {
        const res = parseResponseHead(head);
        return `res:${responseFraming("GET", res).kind}`;
      }
      const req = parseRequestHead(head);
      return `req:${requestFraming(req).kind}`;
    },
  },
  {
    name: "SNI (TLS ClientHello) parser",
    maxLen: 20000,
    seeds: () => [tlsClientHelloSeed("a.example"), tlsClientHelloSeed("b.example.")],
    async run(input, rng) {
      const info = await readClientHello(new BufReader(feed(chunks(rng, input)), 1024));
      return `ok:${info.serverName.length > 0}:${info.maxVersion}`;
    },
  },
  {
    name: "PROXY protocol header (addresses)",
    maxLen: 256,
    seeds: () =>
      ["127.0.0.1", "::1", "::ffff:10.0.0.1", "fe80::1%eth0", "1.2.3.4"].map((s) => enc.encode(s)),
    run(input) {
      const s = dec.decode(input);
      const [a, b] = s.split("|");
      parseIp(s);
      const tr = input.byteLength & 1 ? "tcp" : "udp";
      const src = { ip: a, port: 1 }, dst = { ip: b ?? a, port: 2 };
      const h1 = buildProxyProtocolHeader("v1", tr, src, dst);
      const h2 = buildProxyProtocolHeader("v2", tr, src, dst);
      return `ok:${h1.byteLength}:${h2.byteLength}`;
    },
  },
  {
    name: "bindPort sniffing",
    maxLen: 64,
    seeds: () => [...HTTP_SEEDS.map((s) => s.subarray(0, 10)), Uint8Array.of(0x17), v1Seeds()[0]],
    run(input) {
      return classifyBindPortBytes(input, { httpShared: input[0] === 0x47, httpsShared: true });
    },
  },
  {
    name: "nathole sid packet + STUN",
    maxLen: 2048,
    seeds: () => [
      encodeSidPacket(
        { transaction_id: "t", sid: "s", response: false, nonce: "n" } as never,
        "sk",
      ),
      Uint8Array.of(
        1,
        1,
        0,
        12,
        0x21,
        0x12,
        0xa4,
        0x42,
        ...new Array(12).fill(0),
        0,
        0x20,
        0,
        8,
        0,
        1,
        0x12,
        0x34,
        1,
        2,
        3,
        4,
      ),
    ],
    run(input) {
      let out = "";
      try {
        out += decodeSidPacket(input, "sk").sid?.length ?? 0;
      } catch (e) {
        if (!(e instanceof Error) || e instanceof TypeError || e instanceof RangeError) throw e;
        out += "e";
      }
      // frpc only parses what isResponseTo matched (client/nathole/discover.ts).
      const txid = input.slice(8, 20);
      if (!isResponseTo(input, txid)) return `ok:${out}:not-response`;
      const r = parseBindingResponse(input, txid);
      return `ok:${out}:${r.mappedAddr ? 1 : 0}`;
    },
  },
  {
    name: "socks5 plugin (auth)",
    maxLen: 1024,
    seeds: () => SOCKS5_SEEDS,
    async run(input, rng) {
      socks5Auth ??= await createSocks5Plugin({ type: "socks5", username: "u", password: "p" });
      return await runPlugin(socks5Auth, input, rng);
    },
  },
  {
    name: "socks5 plugin (no auth)",
    maxLen: 1024,
    seeds: () => SOCKS5_SEEDS,
    async run(input, rng) {
      socks5Open ??= await createSocks5Plugin({ type: "socks5" });
      return await runPlugin(socks5Open, input, rng);
    },
  },
  {
    name: "http_proxy plugin",
    maxLen: 8192,
    seeds: () => HTTP_SEEDS,
    async run(input, rng) {
      httpProxy ??= await createHttpProxyPlugin({
        type: "http_proxy",
        httpUser: "u",
        httpPassword: "p",
      });
      return await runPlugin(httpProxy, input, rng);
    },
  },
];
