/**
 * Bandwidth limiting (behaviour.md §8): frp's `bandwidthLimit` parsing and a token bucket with
 * Go x/time/rate semantics (rate = burst = N bytes/s, bucket starts full, reservations may
 * go negative and wait), plus the limited Duplex that draws reads and writes from one bucket.
 *
 * @module
 */
import type { Duplex } from "./duplex.ts";
import { writeAll } from "./io.ts";

/**
 * Parses `"1MB"`, `"512KB"`, `"1.5MB"` (trimmed, case-sensitive unit) into bytes per second.
 * Empty ⇒ 0 (no limit). Throws `unit not support` for other units.
 */
export function parseBandwidth(s: string | undefined): number {
  const t = (s ?? "").trim();
  if (t === "") return 0;
  let mul: number;
  let num: string;
  if (t.endsWith("MB")) {
    mul = 1024 * 1024;
    num = t.slice(0, -2);
  } else if (t.endsWith("KB")) {
    mul = 1024;
    num = t.slice(0, -2);
  } else {
    throw new Error("unit not support");
  }
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(num)) {
    throw new Error(`strconv.ParseFloat: parsing ${JSON.stringify(num)}: invalid syntax`);
  }
  return Math.trunc(Number(num) * mul);
}

/** A token bucket shared by every connection (and both directions) of one proxy. */
export class RateLimiter {
  /** Tokens (bytes) per second, also the bucket size. */
  readonly rate: number;
  readonly burst: number;
  #tokens: number;
  #last: number;
  readonly #now: () => number;

  constructor(bytesPerSec: number, now: () => number = () => performance.now()) {
    if (!(bytesPerSec > 0)) throw new RangeError("rate must be positive");
    this.rate = bytesPerSec;
    this.burst = bytesPerSec;
    this.#tokens = bytesPerSec;
    this.#now = now;
    this.#last = now();
  }

  /** Reserves `n` ≤ burst tokens; returns how many ms the caller must wait. */
  reserve(n: number): number {
    if (n > this.burst) throw new RangeError(`wait(n=${n}) exceeds limiter's burst ${this.burst}`);
    const now = this.#now();
    const elapsed = Math.max(0, now - this.#last) / 1000;
    this.#tokens = Math.min(this.burst, this.#tokens + elapsed * this.rate);
    this.#last = now;
    this.#tokens -= n;
    return this.#tokens >= 0 ? 0 : (-this.#tokens / this.rate) * 1000;
  }

  /** Takes `n` tokens if the bucket holds them now (Go's AllowN); never goes negative. */
  tryTake(n: number): boolean {
    const now = this.#now();
    const elapsed = Math.max(0, now - this.#last) / 1000;
    this.#tokens = Math.min(this.burst, this.#tokens + elapsed * this.rate);
    this.#last = now;
    if (this.#tokens < n) return false;
    this.#tokens -= n;
    return true;
  }

  /** Waits until `n` tokens are available (Go's WaitN). */
  async wait(n: number): Promise<void> {
    const ms = this.reserve(n);
    if (ms > 0) await new Promise((r) => setTimeout(r, Math.ceil(ms)));
  }
}

/** A duplex whose reads and writes are paced by `limiter` (frp's limit.Reader/Writer). */
export class LimitedDuplex implements Duplex {
  readonly inner: Duplex;
  readonly limiter: RateLimiter;

  constructor(inner: Duplex, limiter: RateLimiter) {
    this.inner = inner;
    this.limiter = limiter;
  }

  async read(p: Uint8Array): Promise<number | null> {
    const max = Math.min(p.byteLength, this.limiter.burst);
    const n = await this.inner.read(max === p.byteLength ? p : p.subarray(0, max));
    if (n !== null && n > 0) await this.limiter.wait(n);
    return n;
  }

  async write(p: Uint8Array): Promise<number> {
    const n = Math.min(p.byteLength, this.limiter.burst);
    await this.limiter.wait(n);
    await writeAll(this.inner, n === p.byteLength ? p : p.subarray(0, n));
    return n;
  }

  closeWrite(): Promise<void> {
    return this.inner.closeWrite();
  }

  close(): void {
    this.inner.close();
  }
}

/**
 * A limiter for a configured `bandwidthLimit` when `active` (the mode matches this side), or
 * null when there is no valid positive limit. Config validation already rejected bad values,
 * so an unparsable one here means "no limit", as frp treats it.
 */
export function limiterFor(limit: string | undefined, active: boolean): RateLimiter | null {
  if (!active) return null;
  let rate = 0;
  try {
    rate = parseBandwidth(limit);
  } catch {
    rate = 0;
  }
  return rate > 0 ? new RateLimiter(rate) : null;
}
