/**
 * Remote-port allocation for tcp and udp proxies with frp's rules (behaviour.md §4.1): an
 * allow-list, random choice for port 0 preferring the port the same proxy name had before,
 * and frp's error texts. A released port may still be closing (Deno frees sockets a tick after
 * close): binding it again waits for that, so a reloaded proxy gets its port back at once.
 *
 * @module
 */
import { waitBounded } from "../protocol/deadline.ts";

/** One `allowPorts` entry: a single port or an inclusive range. */
export interface PortRange {
  single?: number;
  start?: number;
  end?: number;
}

const RESERVE_MS = 24 * 3600 * 1000;
/** Expired claims are dropped at most this often (Go sweeps hourly). */
const SWEEP_EVERY_MS = 60 * 1000;
const RANDOM_TRIES = 5;
/** Longest wait for a released port's socket to actually close. */
const FREEING_WAIT_MS = 2000;
/** Bounded re-binds of a port released this recently, in case the OS lags behind the close. */
const REBIND_WINDOW_MS = 1000;
const REBIND_TRIES = 5;
const REBIND_DELAY_MS = 50;
/** How long a release is remembered (longer than both of the above). */
const FREEING_KEEP_MS = 60_000;

/** A proxy name's claim on a port; `releasedAt` once its proxy closed. */
interface Claim {
  port: number;
  releasedAt?: number;
}

/** Tracks used ports of one protocol and binds new listeners through `bind`. */
export class PortManager {
  #ranges: Array<[number, number]>;
  readonly #used = new Set<number>();
  readonly #reserved = new Map<string, Claim>();
  /** The claim of the proxy holding each used port, so release is O(1). */
  readonly #holders = new Map<number, Claim>();
  /** Released ports whose socket is still closing, and when they were released. */
  readonly #freeing = new Map<number, { freed: Promise<void>; at: number }>();
  #lastSweep = 0;

  constructor(allowPorts: PortRange[] = []) {
    this.#ranges = toRanges(allowPorts);
  }

  /** Hot reload: new acquisitions follow `allowPorts`; ports in use stay in use. */
  setAllowPorts(allowPorts: PortRange[]): void {
    this.#ranges = toRanges(allowPorts);
  }

  #allowed(port: number, only?: Array<[number, number]>): boolean {
    return inRanges(this.#ranges, port) && (!only || inRanges(only, port));
  }

  /**
   * Picks and binds a port for proxy `name`. `bind` returns the listener or throws when the
   * OS refuses. Throws frp's errors: `port not allowed`, `port already used`,
   * `port unavailable`, `no available port`.
   */
  async acquire<T>(
    name: string,
    port: number,
    bind: (port: number) => T | Promise<T>,
    only?: PortRange[],
  ): Promise<{ port: number; value: T }> {
    const userRanges = only && only.length > 0 ? toRanges(only) : undefined;
    if (port === 0) return await this.#acquireRandom(name, bind, userRanges);
    if (!this.#allowed(port, userRanges)) throw new Error("port not allowed");
    if (this.#used.has(port)) throw new Error("port already used");
    const value = await this.#tryBind(port, bind);
    if (value === undefined) throw new Error("port unavailable");
    this.#take(name, port);
    return { port, value: value.v };
  }

  /** Binds with the port marked used meanwhile, so concurrent acquires cannot collide. */
  async #tryBind<T>(
    port: number,
    bind: (port: number) => T | Promise<T>,
  ): Promise<{ v: T } | undefined> {
    this.#used.add(port);
    try {
      const freeing = this.#freeing.get(port);
      const recent = freeing !== undefined && Date.now() - freeing.at < REBIND_WINDOW_MS;
      if (freeing) await waitBounded(freeing.freed, FREEING_WAIT_MS);
      for (let i = 0;; i++) {
        try {
          return { v: await bind(port) };
        } catch (err) {
          if (!recent || i >= REBIND_TRIES) throw err;
          await new Promise((r) => setTimeout(r, REBIND_DELAY_MS));
        }
      }
    } catch {
      this.#used.delete(port);
      return undefined;
    }
  }

  async #acquireRandom<T>(
    name: string,
    bind: (port: number) => T | Promise<T>,
    only?: Array<[number, number]>,
  ): Promise<{ port: number; value: T }> {
    const prev = this.#reserved.get(name);
    if (prev && !this.#used.has(prev.port) && this.#allowed(prev.port, only)) {
      const value = await this.#tryBind(prev.port, bind);
      if (value) {
        this.#take(name, prev.port);
        return { port: prev.port, value: value.v };
      }
    }
    // A user's own ranges (auth.users allowPorts) narrow the choice; the server's still apply.
    const ranges = only ?? this.#ranges;
    const total = ranges.reduce((n, [lo, hi]) => n + hi - lo + 1, 0);
    for (let tries = 0, seen = 0; tries < RANDOM_TRIES && seen < total * 2; seen++) {
      let k = Math.floor(Math.random() * total);
      let port = 0;
      for (const [lo, hi] of ranges) {
        if (k <= hi - lo) {
          port = lo + k;
          break;
        }
        k -= hi - lo + 1;
      }
      if (this.#used.has(port) || port < 1 || !this.#allowed(port)) continue;
      tries++;
      const value = await this.#tryBind(port, bind);
      if (value) {
        this.#take(name, port);
        return { port, value: value.v };
      }
    }
    throw new Error("no available port");
  }

  #take(name: string, port: number): void {
    this.#used.add(port);
    const claim: Claim = { port };
    this.#reserved.set(name, claim);
    this.#holders.set(port, claim);
    this.#sweep();
  }

  /**
   * Returns a port; the proxy name that held it keeps a claim on it for 24 h (as Go). `freed`
   * (the socket's close) resolves once the port can be bound again.
   */
  release(port: number, freed: Promise<void> = Promise.resolve()): void {
    this.#used.delete(port);
    const now = Date.now();
    this.#freeing.set(port, { freed, at: now });
    const claim = this.#holders.get(port);
    this.#holders.delete(port);
    if (claim) claim.releasedAt = now;
  }

  // Was a full scan on every take and release: O(n²) for n proxies of one client (10,000
  // proxies: ~2 s of frps CPU to register, as much again when the client left).
  #sweep(): void {
    const now = Date.now();
    if (now - this.#lastSweep < SWEEP_EVERY_MS) return;
    this.#lastSweep = now;
    for (const [name, r] of this.#reserved) {
      if (r.releasedAt !== undefined && now - r.releasedAt > RESERVE_MS) {
        this.#reserved.delete(name);
      }
    }
    for (const [p, f] of this.#freeing) if (now - f.at > FREEING_KEEP_MS) this.#freeing.delete(p);
  }
}

function toRanges(allowPorts: PortRange[]): Array<[number, number]> {
  return allowPorts.length === 0
    ? [[1, 65535]]
    : allowPorts.map((r) =>
      r.single !== undefined ? [r.single, r.single] : [r.start ?? 1, r.end ?? r.start ?? 65535]
    );
}

/** Whether `port` lies in one of the inclusive ranges. */
function inRanges(ranges: Array<[number, number]>, port: number): boolean {
  return ranges.some(([lo, hi]) => port >= lo && port <= hi);
}

/** Whether `port` is allowed by an `allowPorts`-style list (empty = every port). */
export function portAllowed(allowPorts: PortRange[], port: number): boolean {
  return inRanges(toRanges(allowPorts), port);
}
