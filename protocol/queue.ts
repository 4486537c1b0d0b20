/**
 * A bounded FIFO with an awaitable, cancellable take — Go frp's buffered UDPPacket channels
 * (`sendCh`, 1024): between a UDP socket's reader and whichever work/visitor conn currently
 * carries packets, so datagrams wait while that conn is being (re)established.
 *
 * @module
 */

/** Items beyond `capacity` are dropped (push returns false), as Go's non-blocking send. */
export class BoundedQueue<T> {
  readonly #capacity: number;
  readonly #items: T[] = [];
  readonly #waiters: Array<(v: T | null) => void> = [];
  #closed = false;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** Adds an item; false when full or closed. */
  push(v: T): boolean {
    if (this.#closed) return false;
    const w = this.#waiters.shift();
    if (w) {
      w(v);
      return true;
    }
    if (this.#items.length >= this.#capacity) return false;
    this.#items.push(v);
    return true;
  }

  /** Next item; null once closed or when `signal` aborts (the item then stays queued). */
  take(signal?: AbortSignal): Promise<T | null> {
    if (this.#items.length > 0) return Promise.resolve(this.#items.shift()!);
    if (this.#closed || signal?.aborted) return Promise.resolve(null);
    return new Promise((resolve) => {
      const waiter = (v: T | null) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(v);
      };
      const onAbort = () => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        resolve(null);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Drops queued items and wakes every waiter with null. */
  close(): void {
    this.#closed = true;
    this.#items.length = 0;
    for (const w of this.#waiters.splice(0)) w(null);
  }
}
