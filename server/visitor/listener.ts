/**
 * The "internal listener" frps keeps for each stcp/sudp proxy (frp's netpkg.InternalListener):
 * accepted visitor connections queue here until the proxy's accept loop serves them as user
 * connections, exactly like a TCP listener would hand them out.
 *
 * @module
 */
import type { Conn } from "../../protocol/duplex.ts";

/** A queue of visitor conns with the accept()/close() shape of a TCP listener. */
export class VisitorListener {
  readonly #queue: Conn[] = [];
  readonly #waiters: Array<(c: Conn | null) => void> = [];
  readonly #onClose: () => void;
  #closed = false;

  /** `onClose` unregisters the listener from its registry. */
  constructor(onClose: () => void) {
    this.#onClose = onClose;
  }

  /** Whether close() was called. */
  get isClosed(): boolean {
    return this.#closed;
  }

  /** Hands a visitor conn to the proxy; false (caller closes it) once the listener is closed. */
  put(conn: Conn): boolean {
    if (this.#closed) return false;
    const w = this.#waiters.shift();
    if (w) w(conn);
    else this.#queue.push(conn);
    return true;
  }

  /** Next visitor conn, or null once closed. */
  accept(): Promise<Conn | null> {
    const c = this.#queue.shift();
    if (c) return Promise.resolve(c);
    if (this.#closed) return Promise.resolve(null);
    return new Promise((r) => this.#waiters.push(r));
  }

  /** Stops accepting, closes queued conns and unregisters. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const c of this.#queue.splice(0)) c.close();
    for (const w of this.#waiters.splice(0)) w(null);
    this.#onClose();
  }
}
