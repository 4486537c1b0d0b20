/**
 * One yamux stream: state machine, receive buffer and flow control (wire-v1.md §5.3–5.4),
 * mirroring hashicorp/yamux `stream.go`. The session drives it; applications see a Duplex.
 *
 * @module
 */

import type { Conn, Duplex, NetAddr } from "../duplex.ts";
import { FLAG_ACK, FLAG_FIN, FLAG_RST, FLAG_SYN, INITIAL_STREAM_WINDOW } from "./frame.ts";
import { SessionClosedError, StreamClosedError, StreamResetError } from "./errors.ts";

// Stream states (Go: streamInit … streamReset).
const S_INIT = 0;
const S_SYN_SENT = 1;
const S_SYN_RECEIVED = 2;
const S_ESTABLISHED = 3;
const S_LOCAL_CLOSE = 4;
const S_REMOTE_CLOSE = 5;
const S_CLOSED = 6;
const S_RESET = 7;

/** @internal Initial state of a locally opened stream. */
export const STATE_INIT: number = S_INIT;
/** @internal Initial state of a stream announced by the peer. */
export const STATE_SYN_RECEIVED: number = S_SYN_RECEIVED;

/** @internal What a stream needs from its session. */
export interface StreamHost {
  readonly maxStreamWindow: number;
  readonly maxFrameSize: number;
  readonly streamCloseTimeoutMs: number;
  /** Queues a 12-byte WindowUpdate frame (fire and forget). */
  sendWindowUpdate(flags: number, id: number, delta: number): void;
  /** Copies `payload` into a Data frame, queues it; resolves once written to the transport. */
  sendData(flags: number, id: number, payload: Uint8Array): Promise<void>;
  /** The session's underlying conn (its addresses are the stream's, as in Go's yamux). */
  readonly conn: Duplex;
  /** The peer acknowledged the stream. */
  streamEstablished(s: YamuxStream): void;
  /** A FIN was sent or received: the open timeout no longer applies. */
  streamOpenSettled(s: YamuxStream): void;
  /** The stream is finished: drop it from the session. */
  streamRemoved(s: YamuxStream): void;
}

interface PendingRead {
  p: Uint8Array;
  resolve: (n: number | null) => void;
  reject: (e: Error) => void;
}

/**
 * A yamux stream. `read`/`write` follow Deno.Conn: `write` sends one Data frame (at most the
 * send window and the frame size cap) and resolves with the bytes written once the frame is
 * on the transport; `closeWrite` sends FIN; `close` also drops unread data.
 */
export class YamuxStream implements Duplex {
  /** The yamux stream id (odd: opened by the client, even: by the server). */
  readonly id: number;
  readonly #host: StreamHost;
  #state: number;
  /** Bytes the peer may still send us before we grant more. */
  #recvWindow = INITIAL_STREAM_WINDOW;
  /** Bytes we may still send. */
  #sendWindow = INITIAL_STREAM_WINDOW;
  /** Payload bytes of the Data frame being decoded that have not arrived yet. */
  #inflight = 0;
  /** Unread received bytes (sum of #chunks after #chunkOff). */
  #buffered = 0;
  #chunks: Uint8Array[] | null = null;
  #chunkOff = 0;
  #readers: PendingRead[] = [];
  #writers: Array<() => void> | null = null;
  /** close() was called: unread data is dropped, reads return null. */
  #released = false;
  #sessionError: Error | null = null;
  /** @internal SYN sent and not yet acknowledged (counts against the accept backlog). */
  _synPending = false;
  /** @internal Stream-open timer (75 s), owned by the session. */
  _openTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  /** Stream-close timer (5 min) after close(). */
  #closeTimer: ReturnType<typeof setTimeout> | undefined = undefined;

  /** @internal Created by the session only. */
  constructor(host: StreamHost, id: number, state: number) {
    this.id = id;
    this.#host = host;
    this.#state = state;
  }

  /** The session conn's local address, when it has one (log lines). */
  get localAddr(): NetAddr | undefined {
    return (this.#host.conn as Partial<Conn>).localAddr;
  }

  /** The session conn's remote address, when it has one (log lines). */
  get remoteAddr(): NetAddr | undefined {
    return (this.#host.conn as Partial<Conn>).remoteAddr;
  }

  /** Unread bytes buffered in this stream. */
  get bufferedAmount(): number {
    return this.#buffered;
  }

  /** Reads up to `p.byteLength` bytes; `null` once the peer's FIN is reached (or after close). */
  read(p: Uint8Array): Promise<number | null> {
    if (this.#released) return Promise.resolve(null);
    if (this.#state === S_RESET) return Promise.reject(new StreamResetError("yamux: stream reset"));
    if (p.byteLength === 0) return Promise.resolve(0);
    if (this.#buffered > 0) return Promise.resolve(this.#readBuffered(p));
    if (this.#state === S_REMOTE_CLOSE || this.#state === S_CLOSED) return Promise.resolve(null);
    if (this.#sessionError !== null) return Promise.reject(this.#sessionError);
    return new Promise((resolve, reject) => this.#readers.push({ p, resolve, reject }));
  }

  #readBuffered(p: Uint8Array): number {
    const chunks = this.#chunks!;
    let n = 0;
    while (n < p.byteLength && chunks.length > 0) {
      const head = chunks[0];
      const avail = head.byteLength - this.#chunkOff;
      const take = Math.min(avail, p.byteLength - n);
      p.set(
        take === head.byteLength ? head : head.subarray(this.#chunkOff, this.#chunkOff + take),
        n,
      );
      n += take;
      if (take === avail) {
        chunks.shift();
        this.#chunkOff = 0;
      } else {
        this.#chunkOff += take;
      }
    }
    this.#buffered -= n;
    if (this.#buffered === 0) this.#chunks = null; // idle streams hold no buffer
    this.#maybeUpdateWindow();
    return n;
  }

  /** Sends one Data frame with a prefix of `p`; waits while the send window is 0. */
  async write(p: Uint8Array): Promise<number> {
    while (true) {
      this.#checkWritable();
      if (p.byteLength === 0) return 0;
      if (this.#sendWindow > 0) break;
      await new Promise<void>((resolve) => (this.#writers ??= []).push(resolve));
    }
    const n = Math.min(this.#sendWindow, p.byteLength, this.#host.maxFrameSize);
    this.#sendWindow -= n;
    await this.#host.sendData(
      this.#sendFlags(),
      this.id,
      n === p.byteLength ? p : p.subarray(0, n),
    );
    return n;
  }

  #checkWritable(): void {
    if (this.#released) throw new StreamClosedError("yamux: stream closed");
    switch (this.#state) {
      case S_LOCAL_CLOSE:
      case S_CLOSED:
        throw new StreamClosedError("yamux: stream closed for writing");
      case S_RESET:
        throw new StreamResetError("yamux: stream reset");
    }
    if (this.#sessionError !== null) throw this.#sessionError;
  }

  /** Half-closes: sends FIN. Reads continue until the peer's FIN. Idempotent. */
  closeWrite(): Promise<void> {
    this.#closeWrite();
    return Promise.resolve();
  }

  #closeWrite(): void {
    if (this.#sessionError !== null) return;
    switch (this.#state) {
      case S_SYN_SENT:
      case S_SYN_RECEIVED:
      case S_ESTABLISHED:
        this.#state = S_LOCAL_CLOSE;
        this.#host.sendWindowUpdate(this.#sendFlags() | FLAG_FIN, this.id, 0);
        this.#host.streamOpenSettled(this);
        this.#wakeWriters();
        return;
      case S_REMOTE_CLOSE:
        this.#state = S_CLOSED;
        this.#host.sendWindowUpdate(this.#sendFlags() | FLAG_FIN, this.id, 0);
        this.#wakeWriters();
        this.#remove();
        return;
    }
  }

  /**
   * Closes both directions: sends FIN if not yet sent, drops unread data, pending and later
   * reads return null. If the peer does not FIN within streamCloseTimeoutMs, the stream is
   * reset (RST). Idempotent.
   */
  close(): void {
    if (this.#released) return;
    this.#released = true;
    this.#closeWrite();
    this.#chunks = null;
    this.#buffered = 0;
    this.#settleReaders();
    this.#wakeWriters();
    if (this.#state === S_LOCAL_CLOSE && this.#sessionError === null) {
      clearTimeout(this.#closeTimer);
      const ms = this.#host.streamCloseTimeoutMs;
      if (ms > 0) this.#closeTimer = setTimeout(() => this.#closeTimeout(), ms);
    }
  }

  #closeTimeout(): void {
    this.#closeTimer = undefined;
    if (this.#state !== S_LOCAL_CLOSE || this.#sessionError !== null) return;
    this.#state = S_CLOSED;
    this.#remove();
    this.#host.sendWindowUpdate(FLAG_RST, this.id, 0);
  }

  /** Aborts the stream: sends RST; local reads and writes fail with StreamResetError. */
  reset(): void {
    if (this.#sessionError !== null) return;
    if (this.#state === S_RESET || this.#state === S_CLOSED) return;
    this.#state = S_RESET;
    this.#host.sendWindowUpdate(FLAG_RST, this.id, 0);
    this.#chunks = null;
    this.#buffered = 0;
    this.#settleReaders();
    this.#wakeWriters();
    this.#remove();
  }

  // ---- session side -------------------------------------------------------------------

  /** @internal Go `sendFlags`: SYN on the first frame of an opener, ACK of an acceptor. */
  #sendFlags(): number {
    if (this.#state === S_INIT) {
      this.#state = S_SYN_SENT;
      return FLAG_SYN;
    }
    if (this.#state === S_SYN_RECEIVED) {
      this.#state = S_ESTABLISHED;
      return FLAG_ACK;
    }
    return 0;
  }

  /** @internal Sends the SYN (open) or ACK (accept) window update, or a regular one if due. */
  _sendWindowUpdate(): void {
    this.#maybeUpdateWindow();
  }

  /** Go `sendWindowUpdate`: grant more window once at least half of the max is free. */
  #maybeUpdateWindow(): void {
    if (this.#released || this.#state === S_RESET || this.#sessionError !== null) return;
    const max = this.#host.maxStreamWindow;
    const delta = max - this.#buffered - this.#inflight - this.#recvWindow;
    const flags = this.#sendFlags();
    if (delta < max / 2 && flags === 0) return;
    this.#recvWindow += delta;
    this.#host.sendWindowUpdate(flags, this.id, delta);
  }

  /** @internal Go `processFlags` for a received Data or WindowUpdate frame. */
  _processFlags(flags: number): void {
    let remove = false;
    if (flags & FLAG_ACK) {
      if (this.#state === S_SYN_SENT) this.#state = S_ESTABLISHED;
      this.#host.streamEstablished(this);
    }
    if (flags & FLAG_FIN) {
      switch (this.#state) {
        case S_SYN_SENT:
        case S_SYN_RECEIVED:
        case S_ESTABLISHED:
          this.#state = S_REMOTE_CLOSE;
          this.#host.streamOpenSettled(this);
          this.#settleReaders();
          break;
        case S_LOCAL_CLOSE:
          this.#state = S_CLOSED;
          remove = true;
          this.#settleReaders();
          break;
          // Go treats a FIN in other states as a session error; a duplicate FIN is harmless.
      }
    }
    if (flags & FLAG_RST) {
      this.#state = S_RESET;
      remove = true;
      this.#chunks = null;
      this.#buffered = 0;
      this.#settleReaders();
      this.#wakeWriters();
    }
    if (remove) this.#remove();
  }

  /** @internal A WindowUpdate for this stream. */
  _incrSendWindow(flags: number, delta: number): void {
    this._processFlags(flags);
    if (delta === 0) return;
    this.#sendWindow += delta;
    this.#wakeWriters();
  }

  /**
   * @internal A Data frame header of `length` (> 0) bytes arrived: false when it exceeds the
   * receive window (protocol error).
   */
  _beginData(length: number): boolean {
    if (length > this.#recvWindow) return false;
    this.#recvWindow -= length;
    this.#inflight = length;
    return true;
  }

  /** @internal Payload bytes of the current Data frame (view valid during the call only). */
  _pushData(chunk: Uint8Array): void {
    const len = chunk.byteLength;
    this.#inflight -= len;
    if (this.#released || this.#state === S_RESET) return; // dropped; window not re-granted
    let off = 0;
    // Hand-off: copy straight into a waiting reader's buffer.
    while (this.#readers.length > 0 && off < len) {
      const r = this.#readers.shift()!;
      const take = Math.min(r.p.byteLength, len - off);
      r.p.set(off === 0 && take === len ? chunk : chunk.subarray(off, off + take));
      off += take;
      r.resolve(take);
    }
    if (off < len) {
      (this.#chunks ??= []).push(chunk.slice(off));
      this.#buffered += len - off;
    }
    if (off > 0) this.#maybeUpdateWindow();
  }

  /** @internal The session ended. */
  _sessionClosed(err: Error): void {
    if (this.#sessionError !== null) return;
    this.#sessionError = err instanceof SessionClosedError
      ? err
      : new SessionClosedError(`yamux: session closed: ${err.message}`, { cause: err });
    this.#clearTimers();
    this.#settleReaders();
    this.#wakeWriters();
  }

  #clearTimers(): void {
    clearTimeout(this.#closeTimer);
    this.#closeTimer = undefined;
    clearTimeout(this._openTimer);
    this._openTimer = undefined;
  }

  #remove(): void {
    this.#clearTimers();
    this.#host.streamRemoved(this);
  }

  /** Resolves waiting readers according to the current state (buffer is empty when they wait). */
  #settleReaders(): void {
    if (this.#readers.length === 0) return;
    let outcome: "null" | "reset" | "error" | "wait" = "wait";
    if (this.#released) outcome = "null";
    else if (this.#state === S_RESET) outcome = "reset";
    else if (this.#state === S_REMOTE_CLOSE || this.#state === S_CLOSED) outcome = "null";
    else if (this.#sessionError !== null) outcome = "error";
    if (outcome === "wait") return;
    const rs = this.#readers;
    this.#readers = [];
    for (const r of rs) {
      if (outcome === "null") r.resolve(null);
      else if (outcome === "reset") r.reject(new StreamResetError("yamux: stream reset"));
      else r.reject(this.#sessionError!);
    }
  }

  #wakeWriters(): void {
    const ws = this.#writers;
    if (ws === null) return;
    this.#writers = null;
    for (const w of ws) w();
  }
}
