/**
 * Work connections a client has delivered in advance (frp's workConnCh, behaviour.md §4.4).
 *
 * @module
 */
import type { Duplex } from "../protocol/duplex.ts";
import type { MessageCodec } from "../protocol/msg/codec.ts";
import { DeadlineError } from "../protocol/deadline.ts";

/** A work conn as frpc delivered it, with the wire protocol it arrived in. */
export interface WorkConn {
  conn: Duplex;
  /** Codec of StartWorkConn and (udp/sudp) the messages after it. */
  codec: MessageCodec;
}

/** A bounded FIFO of idle work connections with waiters for the next arrival. */
export class WorkConnPool {
  readonly #capacity: number;
  readonly #idle: WorkConn[] = [];
  readonly #waiters: Array<(c: WorkConn | null) => void> = [];
  #closed = false;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** Offers a fresh work conn; false when the pool is full or closed (caller rejects it). */
  put(conn: WorkConn): boolean {
    if (this.#closed) return false;
    const waiter = this.#waiters.shift();
    if (waiter) {
      waiter(conn);
      return true;
    }
    if (this.#idle.length >= this.#capacity) return false;
    this.#idle.push(conn);
    return true;
  }

  /**
   * Takes an idle conn, or asks for one (`request`) and waits up to `timeoutMs`. Either way one
   * more is requested afterwards to refill the pool, as frps does.
   */
  async get(timeoutMs: number, request: () => void, pooled?: () => void): Promise<WorkConn> {
    if (this.#closed) throw new Error("control is closed");
    let conn = this.#idle.shift();
    if (conn) pooled?.();
    else {
      request();
      conn = await new Promise<WorkConn>((resolve, reject) => {
        const waiter = (c: WorkConn | null) => {
          clearTimeout(timer);
          if (c) resolve(c);
          else reject(new Error("control is closed"));
        };
        const timer = setTimeout(() => {
          const i = this.#waiters.indexOf(waiter);
          if (i >= 0) this.#waiters.splice(i, 1);
          reject(new DeadlineError("timeout trying to get work connection", timeoutMs));
        }, timeoutMs);
        this.#waiters.push(waiter);
      });
    }
    request();
    return conn;
  }

  /** Number of idle conns. */
  get size(): number {
    return this.#idle.length;
  }

  /** Closes every idle conn and fails all waiters. */
  close(): void {
    this.#closed = true;
    for (const c of this.#idle.splice(0)) c.conn.close();
    for (const w of this.#waiters.splice(0)) w(null);
  }
}
