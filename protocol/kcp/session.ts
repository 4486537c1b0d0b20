/**
 * One KCP-over-UDP session without sockets or timers (kcp-go's UDPSession minus the I/O):
 * FEC framing on the way out, FEC recovery and KCP input on the way in, the stream-read
 * buffer, and frp's session settings. The transport feeds datagrams, drives update() on its
 * timer and parks readers / writers until `readable` / `writable`.
 *
 * @module
 */
import {
  type Clock,
  IKCP_CMD_ACK,
  IKCP_CMD_PUSH,
  IKCP_CMD_WASK,
  IKCP_CMD_WINS,
  IKCP_OVERHEAD,
  Kcp,
} from "./arq.ts";
import {
  FEC_HEADER_SIZE_PLUS2,
  FEC_TYPE_DATA,
  FEC_TYPE_PARITY,
  FecDecoder,
  FecEncoder,
  fecFlag,
} from "./fec.ts";

/** frp's FEC shards (kcp.ListenWithOptions / DialWithOptions(…, 10, 3)). */
export const FRP_DATA_SHARDS = 10;
export const FRP_PARITY_SHARDS = 3;
/** frp's MTU: SetMtu(1350). */
export const FRP_MTU = 1350;

/** Session settings: the defaults are frp's. */
export interface KcpSessionOptions {
  conv: number;
  /** Receives each datagram to send; the array is the callee's to keep. */
  send: (pkt: Uint8Array) => void;
  /** Monotonic milliseconds (RTT, FEC expiry). */
  now: Clock;
  /** Wall-clock milliseconds (FEC encode continuity); defaults to `now`. */
  wallNow?: () => number;
  dataShards?: number;
  parityShards?: number;
  /** Send / receive windows in segments. frpc's dial uses 128/512, accepted sessions 1024/1024. */
  sndWnd?: number;
  rcvWnd?: number;
}

/** Sessions accepted by frps and xtcp tunnels: SetWindowSize(1024, 1024). */
export const SERVER_WINDOW = { sndWnd: 1024, rcvWnd: 1024 } as const;
/** frpc dialling frps (golib's dialKCPServer): SetWindowSize(128, 512). */
export const CLIENT_WINDOW = { sndWnd: 128, rcvWnd: 512 } as const;

/** True if `b` could start a KCP segment (valid command byte): the listener's sanity check. */
export function looksLikeKcp(b: Uint8Array, off: number): boolean {
  if (b.length - off < IKCP_OVERHEAD) return false;
  const cmd = b[off + 4];
  return cmd === IKCP_CMD_PUSH || cmd === IKCP_CMD_ACK || cmd === IKCP_CMD_WASK ||
    cmd === IKCP_CMD_WINS;
}

/** The conv and sn a datagram announces, or null (a parity shard or too short), as kcp-go's listener. */
export function datagramConv(pkt: Uint8Array): { conv: number; sn: number } | null {
  if (pkt.length < IKCP_OVERHEAD) return null;
  const flag = fecFlag(pkt);
  let off = 0;
  if (flag === FEC_TYPE_DATA || flag === FEC_TYPE_PARITY) {
    if (flag !== FEC_TYPE_DATA || pkt.length < FEC_HEADER_SIZE_PLUS2 + IKCP_OVERHEAD) return null;
    off = FEC_HEADER_SIZE_PLUS2;
  }
  const u32 = (o: number) =>
    (pkt[o] | (pkt[o + 1] << 8) | (pkt[o + 2] << 16) | (pkt[o + 3] << 24)) >>> 0;
  return { conv: u32(off), sn: u32(off + 12) };
}

/** A KCP session's protocol state. */
export class KcpSession {
  readonly kcp: Kcp;
  /** Flush on every write instead of on the next update (frp: false, i.e. SetWriteDelay(true)). */
  writeDelay = true;
  /** Ack every datagram at once (frp: false). */
  ackNoDelay = false;
  /** Input errors seen (bad datagrams), for tests and stats. */
  inErrors = 0;
  /** Data shards rebuilt from parity. */
  fecRecovered = 0;
  readonly #enc: FecEncoder | null;
  readonly #dec: FecDecoder | null;
  readonly #send: (pkt: Uint8Array) => void;
  readonly #now: Clock;
  readonly #wallNow: () => number;
  readonly #headerSize: number;
  #pending: Uint8Array | null = null;

  constructor(o: KcpSessionOptions) {
    const ds = o.dataShards ?? FRP_DATA_SHARDS, ps = o.parityShards ?? FRP_PARITY_SHARDS;
    const fec = ds > 0 && ps > 0;
    this.#enc = fec ? new FecEncoder(ds, ps) : null;
    this.#dec = fec ? new FecDecoder(ds, ps) : null;
    this.#headerSize = fec ? FEC_HEADER_SIZE_PLUS2 : 0;
    this.#send = o.send;
    this.#now = o.now;
    this.#wallNow = o.wallNow ?? o.now;
    this.kcp = new Kcp(o.conv, (buf, size) => this.#output(buf, size), o.now);
    // frp: SetStreamMode(true), SetWriteDelay(true), SetNoDelay(1, 20, 2, 1), SetMtu(1350),
    // SetWindowSize(…), SetACKNoDelay(false)
    this.kcp.stream = 1;
    this.kcp.setNoDelay(1, 20, 2, 1);
    this.kcp.setMtu(FRP_MTU);
    this.kcp.setWndSize(o.sndWnd ?? SERVER_WINDOW.sndWnd, o.rcvWnd ?? SERVER_WINDOW.rcvWnd);
  }

  get conv(): number {
    return this.kcp.conv;
  }

  #output(buf: Uint8Array, size: number): void {
    if (size < IKCP_OVERHEAD) return;
    const h = this.#headerSize;
    const pkt = new Uint8Array(size + h);
    pkt.set(buf.subarray(0, size), h);
    if (!this.#enc) return this.#send(pkt);
    const parity = this.#enc.encode(pkt, this.#wallNow());
    this.#send(pkt);
    for (const p of parity) this.#send(p.slice());
  }

  /** Feeds one received datagram; garbage is counted and dropped, never thrown. */
  input(pkt: Uint8Array): void {
    if (pkt.length < IKCP_OVERHEAD) {
      this.inErrors++;
      return;
    }
    const flag = fecFlag(pkt);
    if (flag !== FEC_TYPE_DATA && flag !== FEC_TYPE_PARITY) {
      if (this.kcp.input(pkt, true, this.ackNoDelay) !== 0) this.inErrors++;
      return;
    }
    if (pkt.length < FEC_HEADER_SIZE_PLUS2 || !this.#dec) {
      this.inErrors++;
      return;
    }
    const recovered = this.#dec.decode(pkt, this.#now());
    if (flag === FEC_TYPE_DATA) {
      if (this.kcp.input(pkt.subarray(FEC_HEADER_SIZE_PLUS2), true, this.ackNoDelay) !== 0) {
        this.inErrors++;
      }
    }
    for (const r of recovered) {
      const sz = r.length >= 2 ? r[0] | (r[1] << 8) : 0;
      if (
        sz >= 2 && sz <= r.length && this.kcp.input(r.subarray(2, sz), false, this.ackNoDelay) === 0
      ) {
        this.fecRecovered++;
      } else this.inErrors++;
    }
  }

  /** Bytes can be read now. */
  get readable(): boolean {
    return (this.#pending !== null) || this.kcp.peekSize() > 0;
  }

  /** A write would not block (kcp-go's WriteBuffers condition). */
  get writable(): boolean {
    const w = this.kcp.waitSnd();
    return w < this.kcp.sndWnd && w < this.kcp.rmtWnd;
  }

  /** Copies received stream bytes into `p`; 0 when nothing is ready. */
  read(p: Uint8Array): number {
    let n = 0;
    if (this.#pending) {
      n = Math.min(p.length, this.#pending.length);
      p.set(this.#pending.subarray(0, n));
      this.#pending = n < this.#pending.length ? this.#pending.subarray(n) : null;
      if (this.#pending) return n;
    }
    // bounded by the receive queue
    while (n < p.length) {
      const size = this.kcp.peekSize();
      if (size <= 0) break;
      if (size <= p.length - n) {
        n += this.kcp.recv(p.subarray(n));
        continue;
      }
      const tmp = new Uint8Array(size);
      this.kcp.recv(tmp);
      const take = p.length - n;
      p.set(tmp.subarray(0, take), n);
      n += take;
      this.#pending = tmp.subarray(take);
      break;
    }
    return n;
  }

  /** Queues all of `p` (call when `writable`; like kcp-go it may overshoot the window). */
  write(p: Uint8Array): void {
    const mss = this.kcp.mss;
    for (let off = 0; off < p.length; off += mss) {
      this.kcp.send(p.subarray(off, Math.min(off + mss, p.length)));
    }
    const w = this.kcp.waitSnd();
    if (w >= this.kcp.sndWnd || w >= this.kcp.rmtWnd || !this.writeDelay) this.kcp.flush(false);
  }

  /** The periodic flush; returns ms until the next one (≤ interval). */
  update(): number {
    return this.kcp.flush(false);
  }
}
