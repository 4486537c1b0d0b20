/**
 * kcp-go's FEC layer (fec.go): every KCP datagram is a data shard with an 8-byte header
 * `seqid u32 LE | flag u16 LE (0xf1 data, 0xf2 parity) | size u16 LE` where size counts itself
 * plus the KCP bytes; after `dataShards` data shards, `parityShards` parity shards follow,
 * Reed-Solomon over the shards from the size field on, zero-padded to the longest.
 *
 * @module
 */
import { ReedSolomon } from "./reedsolomon.ts";

/** seqid + flag. */
export const FEC_HEADER_SIZE = 6;
/** seqid + flag + size: the bytes in front of every KCP payload. */
export const FEC_HEADER_SIZE_PLUS2 = 8;
export const FEC_TYPE_DATA = 0xf1;
export const FEC_TYPE_PARITY = 0xf2;
/** kcp-go's maximum datagram size (mtuLimit): FEC shard buffers are this large. */
export const MTU_LIMIT = 1500;
/** kcp-go generates parity only when shards arrive within this many ms (maxFECEncodeLatency). */
export const MAX_FEC_ENCODE_LATENCY = 500;
const FEC_EXPIRE = 60000;
const RX_FEC_MULTI = 3;
const MAX_AUTO_TUNE_SAMPLES = 258;

function u32(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}
function u16(b: Uint8Array, o: number): number {
  return b[o] | (b[o + 1] << 8);
}
function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v;
  b[o + 1] = v >>> 8;
  b[o + 2] = v >>> 16;
  b[o + 3] = v >>> 24;
}
function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = v;
  b[o + 1] = v >>> 8;
}
const diff = (a: number, b: number): number => (a - b) | 0;

/** The flag field of a datagram (caller checks length ≥ 6). */
export function fecFlag(pkt: Uint8Array): number {
  return u16(pkt, 4);
}

/** Adds FEC headers and emits parity shards (kcp-go's fecEncoder, header offset 0). */
export class FecEncoder {
  readonly #data: number;
  readonly #parity: number;
  readonly #paws: number;
  #next = 0;
  #shardCount = 0;
  #maxSize = 0;
  #tsLatest = 0;
  readonly #cache: Uint8Array[];
  readonly #lens: number[];
  readonly #views: Uint8Array[];
  readonly #out: Uint8Array[];
  readonly #rs: ReedSolomon;

  constructor(dataShards: number, parityShards: number) {
    this.#data = dataShards;
    this.#parity = parityShards;
    const total = dataShards + parityShards;
    this.#paws = Math.floor(0xffffffff / total) * total;
    this.#rs = new ReedSolomon(dataShards, parityShards);
    this.#cache = Array.from({ length: total }, () => new Uint8Array(MTU_LIMIT));
    this.#lens = new Array(total).fill(0);
    this.#views = new Array(total);
    this.#out = new Array(parityShards);
  }

  /**
   * Writes the header into `pkt[0..8)` (the KCP bytes follow) and returns the parity datagrams
   * to send after it, if this completed a group. The returned arrays are reused by the next
   * call: send or copy them first. `nowMs` is wall-clock milliseconds.
   */
  encode(pkt: Uint8Array, nowMs: number): Uint8Array[] {
    let ps: Uint8Array[] = [];
    put32(pkt, 0, this.#next);
    put16(pkt, 4, FEC_TYPE_DATA);
    this.#next = (this.#next + 1) >>> 0;
    put16(pkt, FEC_HEADER_SIZE, pkt.length - FEC_HEADER_SIZE);
    const sz = pkt.length;
    const slot = this.#shardCount;
    this.#cache[slot].set(pkt.subarray(FEC_HEADER_SIZE), FEC_HEADER_SIZE);
    this.#lens[slot] = sz;
    this.#shardCount++;
    if (sz > this.#maxSize) this.#maxSize = sz;
    if (this.#shardCount === this.#data) {
      // Parity only for a continuous burst; note kcp-go then skips the parity seqids too.
      if (nowMs - this.#tsLatest < MAX_FEC_ENCODE_LATENCY) {
        const max = this.#maxSize;
        for (let i = 0; i < this.#data; i++) this.#cache[i].fill(0, this.#lens[i], max);
        for (let k = 0; k < this.#cache.length; k++) {
          this.#views[k] = this.#cache[k].subarray(FEC_HEADER_SIZE, max);
        }
        this.#rs.encode(this.#views, max - FEC_HEADER_SIZE);
        for (let k = 0; k < this.#parity; k++) {
          const p = this.#cache[this.#data + k];
          put32(p, 0, this.#next);
          put16(p, 4, FEC_TYPE_PARITY);
          this.#next = (this.#next + 1) % this.#paws;
          this.#out[k] = p.subarray(0, max);
        }
        ps = this.#out;
      }
      this.#shardCount = 0;
      this.#maxSize = 0;
    }
    this.#tsLatest = nowMs;
    return ps;
  }
}

interface RxElement {
  pkt: Uint8Array;
  seqid: number;
  flag: number;
  ts: number;
}

/** kcp-go's autoTune: finds the data/parity period when the sender's groups shift. */
class AutoTune {
  readonly #bits = new Uint8Array(MAX_AUTO_TUNE_SAMPLES);
  readonly #seqs = new Uint32Array(MAX_AUTO_TUNE_SAMPLES);

  sample(bit: boolean, seq: number): void {
    const i = seq % MAX_AUTO_TUNE_SAMPLES;
    this.#bits[i] = bit ? 1 : 0;
    this.#seqs[i] = seq;
  }

  findPeriod(bit: boolean): number {
    const b = bit ? 1 : 0;
    const n = MAX_AUTO_TUNE_SAMPLES;
    let lastBit = this.#bits[0], lastSeq = this.#seqs[0];
    let left = 0;
    for (let i = 1; i < n; i++) {
      if (lastBit !== b && this.#bits[i] === b && ((lastSeq + 1) >>> 0) === this.#seqs[i]) {
        left = i;
        break;
      }
      lastBit = this.#bits[i];
      lastSeq = this.#seqs[i];
    }
    let right = 0;
    lastBit = this.#bits[left];
    lastSeq = this.#seqs[left];
    for (let i = left + 1; i < n; i++) {
      if (((lastSeq + 1) >>> 0) !== this.#seqs[i]) return -1;
      if (lastBit === b && this.#bits[i] !== b) {
        right = i;
        break;
      }
      lastBit = this.#bits[i];
      lastSeq = this.#seqs[i];
    }
    return right - left;
  }
}

/**
 * Collects FEC datagrams and rebuilds lost data shards (kcp-go's fecDecoder). Returned
 * recovered shards start with the 2-byte size field, as kcp-go's.
 */
export class FecDecoder {
  #data: number;
  #parity: number;
  #shardSize: number;
  #rxLimit: number;
  #rs: ReedSolomon;
  #rx: RxElement[] = [];
  #shouldTune = false;
  readonly #tune = new AutoTune();

  constructor(dataShards: number, parityShards: number) {
    this.#data = dataShards;
    this.#parity = parityShards;
    this.#shardSize = dataShards + parityShards;
    this.#rxLimit = RX_FEC_MULTI * this.#shardSize;
    this.#rs = new ReedSolomon(dataShards, parityShards);
  }

  /** Packets held for recovery (bounded by 3 groups). */
  get pending(): number {
    return this.#rx.length;
  }

  /** Feeds one datagram (≥ 8 bytes, flag data or parity); `nowMs` is a monotonic clock. */
  decode(input: Uint8Array, nowMs: number): Uint8Array[] {
    const seqid = u32(input, 0), flag = u16(input, 4);
    this.#tune.sample(flag === FEC_TYPE_DATA, seqid);
    if (seqid % this.#shardSize < this.#data) {
      if (flag !== FEC_TYPE_DATA) this.#shouldTune = true;
    } else if (flag !== FEC_TYPE_PARITY) this.#shouldTune = true;
    if (this.#shouldTune) {
      const ds = this.#tune.findPeriod(true), ps = this.#tune.findPeriod(false);
      if (ds > 0 && ps > 0 && ds < 256 && ps < 256 && (ds !== this.#data || ps !== this.#parity)) {
        this.#data = ds;
        this.#parity = ps;
        this.#shardSize = ds + ps;
        this.#rxLimit = RX_FEC_MULTI * this.#shardSize;
        this.#rs = new ReedSolomon(ds, ps);
        this.#shouldTune = false;
      }
    }
    if (this.#shouldTune) return [];

    const rx = this.#rx;
    let insertIdx = 0;
    for (let i = rx.length - 1; i >= 0; i--) {
      if (seqid === rx[i].seqid) return []; // duplicate
      if (diff(seqid, rx[i].seqid) > 0) {
        insertIdx = i + 1;
        break;
      }
    }
    const elem: RxElement = { pkt: input.slice(), seqid, flag, ts: nowMs };
    rx.splice(insertIdx, 0, elem);

    const size = this.#shardSize;
    const shardBegin = (seqid - (seqid % size)) >>> 0;
    const shardEnd = (shardBegin + size - 1) >>> 0;
    const searchBegin = Math.max(0, insertIdx - (seqid % size));
    const searchEnd = Math.min(searchBegin + size - 1, rx.length - 1);
    const recovered: Uint8Array[] = [];

    if (searchEnd - searchBegin + 1 >= this.#data) {
      const shards: (Uint8Array | null)[] = new Array(size).fill(null);
      let numShard = 0, numData = 0, first = 0, maxLen = 0;
      for (let i = searchBegin; i <= searchEnd; i++) {
        const e = rx[i];
        if (diff(e.seqid, shardEnd) > 0) break;
        if (diff(e.seqid, shardBegin) >= 0) {
          shards[e.seqid % size] = e.pkt.subarray(FEC_HEADER_SIZE);
          numShard++;
          if (e.flag === FEC_TYPE_DATA) numData++;
          if (numShard === 1) first = i;
          if (e.pkt.length - FEC_HEADER_SIZE > maxLen) maxLen = e.pkt.length - FEC_HEADER_SIZE;
        }
      }
      if (numData === this.#data) {
        rx.splice(first, numShard);
      } else if (numShard >= this.#data) {
        for (let k = 0; k < size; k++) {
          const s = shards[k];
          if (s && s.length < maxLen) {
            const padded = new Uint8Array(maxLen);
            padded.set(s);
            shards[k] = padded;
          }
        }
        const had = shards.slice(0, this.#data).map((s) => s !== null);
        try {
          this.#rs.reconstructData(shards);
          for (let k = 0; k < this.#data; k++) if (!had[k]) recovered.push(shards[k]!);
        } catch {
          // unrecoverable: drop the group as kcp-go does
        }
        rx.splice(first, numShard);
      }
    }

    if (rx.length > this.#rxLimit) rx.shift();
    let expired = 0;
    while (expired < rx.length && diff(nowMs, rx[expired].ts) > FEC_EXPIRE) expired++;
    if (expired > 0) rx.splice(0, expired);
    return recovered;
  }
}
