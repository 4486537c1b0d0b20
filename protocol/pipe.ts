/**
 * In-memory connected Duplex pair: bytes written to one end are read from the other, with
 * optional backpressure. Used where frps talks to itself (the SSH gateway's virtual client)
 * and, with the partial-write knobs, by tests.
 *
 * @module
 */

import type { Duplex } from "./duplex.ts";

/** Knobs for {@link pipePair}. */
export interface PipeOptions {
  /** Bytes a direction buffers before write() waits (default: unlimited). */
  capacity?: number;
  /** Most bytes one write() accepts (forces callers to loop on partial writes). */
  maxWrite?: number;
  /** Most bytes one read() returns. */
  maxRead?: number;
}

/** One end of an in-memory pipe; exposes state for assertions. */
export class PipeEnd implements Duplex {
  peer!: PipeEnd;
  /** True once close() was called on this end. */
  closed = false;
  /** True once closeWrite() or close() was called on this end. */
  writeClosed = false;
  /** Total bytes written by this end. */
  bytesWritten = 0;
  readonly #opts: PipeOptions;
  #inbox: Uint8Array[] = [];
  #inboxBytes = 0;
  #eof = false;
  #readWaiters: Array<() => void> = [];
  #writeWaiters: Array<() => void> = [];

  constructor(opts: PipeOptions) {
    this.#opts = opts;
  }

  async read(p: Uint8Array): Promise<number | null> {
    while (true) {
      if (this.closed) throw new Error("pipe: read on closed end");
      if (this.#inboxBytes > 0) break;
      if (this.#eof) return null;
      await new Promise<void>((res) => this.#readWaiters.push(res));
    }
    let want = Math.min(p.byteLength, this.#opts.maxRead ?? Infinity);
    let n = 0;
    while (want > 0 && this.#inbox.length > 0) {
      const head = this.#inbox[0];
      const take = Math.min(want, head.byteLength);
      p.set(head.subarray(0, take), n);
      n += take;
      want -= take;
      if (take === head.byteLength) this.#inbox.shift();
      else this.#inbox[0] = head.subarray(take);
    }
    this.#inboxBytes -= n;
    this.peer.#wake(this.peer.#writeWaiters);
    return n;
  }

  async write(p: Uint8Array): Promise<number> {
    const cap = this.#opts.capacity ?? Infinity;
    while (true) {
      if (this.closed || this.writeClosed) throw new Error("pipe: write on closed end");
      if (this.peer.closed) throw new Error("pipe: broken pipe");
      if (this.peer.#inboxBytes < cap) break;
      await new Promise<void>((res) => this.#writeWaiters.push(res));
    }
    const n = Math.min(p.byteLength, this.#opts.maxWrite ?? Infinity, cap - this.peer.#inboxBytes);
    if (n === 0) return 0;
    this.peer.#inbox.push(p.slice(0, n));
    this.peer.#inboxBytes += n;
    this.bytesWritten += n;
    this.peer.#wake(this.peer.#readWaiters);
    return n;
  }

  closeWrite(): Promise<void> {
    if (this.closed) return Promise.reject(new Error("pipe: closeWrite on closed end"));
    this.writeClosed = true;
    this.peer.#eof = true;
    this.peer.#wake(this.peer.#readWaiters);
    return Promise.resolve();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.writeClosed = true;
    this.#inbox = [];
    this.#inboxBytes = 0;
    this.peer.#eof = true;
    this.#wake(this.#readWaiters);
    this.#wake(this.#writeWaiters);
    this.peer.#wake(this.peer.#readWaiters);
    this.peer.#wake(this.peer.#writeWaiters);
  }

  #wake(list: Array<() => void>): void {
    const ws = list.splice(0);
    for (const w of ws) w();
  }
}

/** Creates two connected ends: bytes written to one are read from the other. */
export function pipePair(opts: PipeOptions = {}): [PipeEnd, PipeEnd] {
  const a = new PipeEnd(opts);
  const b = new PipeEnd(opts);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
