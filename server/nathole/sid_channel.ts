/**
 * The hand-off of session ids from the NAT-hole controller to one xtcp proxy (Go's unbuffered
 * `sidCh`): `send` resolves once the proxy's loop took the sid, so sids reach the proxy owner
 * one at a time. Unlike Go's channel, closing it releases blocked senders (false) instead of
 * leaving them waiting forever.
 *
 * @module
 */

/** An unbuffered, closable channel of sids. */
export class SidChannel {
  readonly #senders: Array<{ sid: string; taken: (ok: boolean) => void }> = [];
  #receiver: ((sid: string | null) => void) | undefined;
  #closed = false;

  /** Offers `sid`; true once a receiver took it, false if the channel is (or gets) closed. */
  send(sid: string): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    const r = this.#receiver;
    if (r) {
      this.#receiver = undefined;
      r(sid);
      return Promise.resolve(true);
    }
    return new Promise((taken) => this.#senders.push({ sid, taken }));
  }

  /** The next sid, or null once closed. One receiver at a time. */
  receive(): Promise<string | null> {
    if (this.#closed) return Promise.resolve(null);
    const s = this.#senders.shift();
    if (s) {
      s.taken(true);
      return Promise.resolve(s.sid);
    }
    return new Promise((r) => this.#receiver = r);
  }

  /** Ends the channel: the receiver gets null, waiting senders false. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#receiver?.(null);
    this.#receiver = undefined;
    for (const s of this.#senders.splice(0)) s.taken(false);
  }
}
