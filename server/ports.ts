/**
 * Remote-port allocation for tcp and udp proxies with frp's rules (behaviour.md §4.1): an
 * allow-list, random choice for port 0 preferring the port the same proxy name had before,
 * and frp's error texts.
 *
 * @module
 */

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

/** A proxy name's claim on a port; `releasedAt` once its proxy closed. */
interface Claim {
  port: number;
  releasedAt?: number;
}

/** Tracks used ports of one protocol and binds new listeners through `bind`. */
export class PortManager {
  readonly #ranges: Array<[number, number]>;
  readonly #used = new Set<number>();
  readonly #reserved = new Map<string, Claim>();
  /** The claim of the proxy holding each used port, so release is O(1). */
  readonly #holders = new Map<number, Claim>();
  #lastSweep = 0;

  constructor(allowPorts: PortRange[] = []) {
    this.#ranges = allowPorts.length === 0
      ? [[1, 65535]]
      : allowPorts.map((r) =>
        r.single !== undefined ? [r.single, r.single] : [r.start ?? 1, r.end ?? r.start ?? 65535]
      );
  }

  #allowed(port: number): boolean {
    return this.#ranges.some(([lo, hi]) => port >= lo && port <= hi);
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
  ): Promise<{ port: number; value: T }> {
    if (port === 0) return await this.#acquireRandom(name, bind);
    if (!this.#allowed(port)) throw new Error("port not allowed");
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
      return { v: await bind(port) };
    } catch {
      this.#used.delete(port);
      return undefined;
    }
  }

  async #acquireRandom<T>(
    name: string,
    bind: (port: number) => T | Promise<T>,
  ): Promise<{ port: number; value: T }> {
    const prev = this.#reserved.get(name);
    if (prev && !this.#used.has(prev.port) && this.#allowed(prev.port)) {
      const value = await this.#tryBind(prev.port, bind);
      if (value) {
        this.#take(name, prev.port);
        return { port: prev.port, value: value.v };
      }
    }
    const total = this.#ranges.reduce((n, [lo, hi]) => n + hi - lo + 1, 0);
    for (let tries = 0, seen = 0; tries < RANDOM_TRIES && seen < total * 2; seen++) {
      let k = Math.floor(Math.random() * total);
      let port = 0;
      for (const [lo, hi] of this.#ranges) {
        if (k <= hi - lo) {
          port = lo + k;
          break;
        }
        k -= hi - lo + 1;
      }
      if (this.#used.has(port) || port < 1) continue;
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

  /** Returns a port; the proxy name that held it keeps a claim on it for 24 h (as Go). */
  release(port: number): void {
    this.#used.delete(port);
    const claim = this.#holders.get(port);
    this.#holders.delete(port);
    if (claim) claim.releasedAt = Date.now();
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
  }
}
