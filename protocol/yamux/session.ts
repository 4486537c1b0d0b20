/**
 * yamux session over any {@link Duplex} (wire-v1.md §5), wire-compatible with
 * hashicorp/yamux as configured by frp. One reader loop parses frames sans-I/O into
 * per-stream buffers; one writer pump serializes frames (header and payload in one
 * transport write, small frames coalesced).
 *
 * @module
 */

import type { Duplex } from "../duplex.ts";
import { BufferPool, writeAll } from "../io.ts";
import { FrameDecoder, type FrameHandler } from "./decode.ts";
import {
  encodeHeader,
  FLAG_ACK,
  FLAG_RST,
  FLAG_SYN,
  FRP_MAX_STREAM_WINDOW,
  GO_AWAY_NORMAL,
  GO_AWAY_PROTO_ERR,
  HEADER_SIZE,
  INITIAL_STREAM_WINDOW,
  TYPE_DATA,
  TYPE_GO_AWAY,
  TYPE_PING,
  TYPE_WINDOW_UPDATE,
} from "./frame.ts";
import {
  GoAwayReceivedError,
  KeepAliveTimeoutError,
  PingTimeoutError,
  RemoteGoAwayError,
  SessionClosedError,
  StreamOpenTimeoutError,
  StreamsExhaustedError,
  YamuxProtocolError,
} from "./errors.ts";
import { STATE_INIT, STATE_SYN_RECEIVED, type StreamHost, YamuxStream } from "./stream.ts";

/** Session settings; defaults are frp's (hashicorp/yamux DefaultConfig + 6 MiB window). */
export interface YamuxOptions {
  /** "client" opens odd stream ids (frpc), "server" even (frps). */
  role: "client" | "server";
  /** @default 30000; 0 disables keepalive pings */
  keepAliveIntervalMs?: number;
  /** @default 10000 — also the ping-reply timeout */
  connectionWriteTimeoutMs?: number;
  /** @default 6291456 (frp's MaxStreamWindowSize) */
  maxStreamWindow?: number;
  /** @default 256 */
  acceptBacklog?: number;
  /** @default 75000 */
  streamOpenTimeoutMs?: number;
  /** @default 300000 */
  streamCloseTimeoutMs?: number;
  /** Largest Data frame payload this side sends (Go accepts any size within the window). @default 262144 */
  maxFrameSize?: number;
  /** Session-level errors (protocol errors, keepalive timeout, transport failures), for logging. */
  onError?: (err: Error) => void;
}

/** Transport read buffer while the session is quiet. */
const SMALL_READ = 16 * 1024;
/** Transport read buffer during bursts (borrowed from a pool). */
const BIG_READ = 256 * 1024;
/** Frames up to this size are copied into one coalesced transport write. */
const COALESCE_LIMIT = 16 * 1024;
/** Payloads up to this size get an exact-size frame buffer instead of a pooled one. */
const SMALL_FRAME = 4096;
/** Payloads up to this size use the medium frame pool; larger ones the maxFrameSize pool. */
const MEDIUM_FRAME = 64 * 1024;
/** Control frames per batch buffer. */
const CTL_BATCH = 32 * HEADER_SIZE;
/** Go: ids must stay below math.MaxUint32 - 1. */
const MAX_STREAM_ID = 0xffffffff - 1;

const readPool = new BufferPool(BIG_READ, 16);
const framePools = new Map<number, BufferPool>();

function framePool(size: number): BufferPool {
  let p = framePools.get(size);
  if (p === undefined) framePools.set(size, p = new BufferPool(size, 16));
  return p;
}

/** A transport that writes several buffers as one unit, done with all of them once resolved. */
export interface VectoredWriter {
  writev(chunks: Uint8Array[]): Promise<void>;
}

interface WriteEntry {
  buf: Uint8Array;
  len: number;
  /** Large Data payload sent after `buf` (the header) with the transport's writev: no copy. */
  payload: Uint8Array | null;
  /** Control batch still open for appending. */
  ctl: boolean;
  pool: BufferPool | null;
  resolve: (() => void) | null;
  reject: ((e: Error) => void) | null;
}

interface PendingPing {
  start: number;
  resolve: (ms: number) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** A yamux session: opens and accepts {@link YamuxStream}s over one transport. */
export class YamuxSession implements StreamHost, FrameHandler {
  /** @internal */ readonly maxStreamWindow: number;
  /** @internal */ readonly maxFrameSize: number;
  /** @internal */ readonly streamCloseTimeoutMs: number;
  /** Resolves when the session ends for any reason. Never rejects. */
  readonly closed: Promise<void>;

  readonly #conn: Duplex;
  /** The transport's vectored write, when it has one (node:tls streams: no payload copy). */
  readonly #writev: ((chunks: Uint8Array[]) => Promise<void>) | null;
  readonly #keepAliveMs: number;
  readonly #writeTimeoutMs: number;
  readonly #backlog: number;
  readonly #openTimeoutMs: number;
  readonly #onError: ((err: Error) => void) | undefined;
  readonly #mediumPool: BufferPool;
  readonly #framePool: BufferPool;
  readonly #decoder: FrameDecoder;

  readonly #streams = new Map<number, YamuxStream>();
  #nextId: number;
  #acceptQueue: YamuxStream[] = [];
  #acceptWaiters: Array<(s: YamuxStream | null) => void> = [];
  #synPending = 0;
  #synWaiters: Array<() => void> = [];
  #remoteGoAway = false;
  #localGoAway = false;
  /** Stream receiving the current Data frame's payload (null: drain). */
  #dataTarget: YamuxStream | null = null;

  #queue: WriteEntry[] = [];
  #pumping = false;
  #coalesceBuf: Uint8Array | null = null;

  #pingId = 0;
  #pings = new Map<number, PendingPing>();
  #keepAliveTimer: ReturnType<typeof setTimeout> | undefined;

  #closeError: SessionClosedError | null = null;
  #resolveClosed!: () => void;

  constructor(conn: Duplex, options: YamuxOptions) {
    this.#conn = conn;
    const wv = (conn as Partial<VectoredWriter>).writev;
    this.#writev = typeof wv === "function" ? wv.bind(conn) : null;
    this.#nextId = options.role === "client" ? 1 : 2;
    this.#keepAliveMs = options.keepAliveIntervalMs ?? 30_000;
    this.#writeTimeoutMs = options.connectionWriteTimeoutMs ?? 10_000;
    this.maxStreamWindow = options.maxStreamWindow ?? FRP_MAX_STREAM_WINDOW;
    this.#backlog = options.acceptBacklog ?? 256;
    this.#openTimeoutMs = options.streamOpenTimeoutMs ?? 75_000;
    this.streamCloseTimeoutMs = options.streamCloseTimeoutMs ?? 300_000;
    this.maxFrameSize = options.maxFrameSize ?? 256 * 1024;
    this.#onError = options.onError;
    if (options.role !== "client" && options.role !== "server") {
      throw new TypeError(`Invalid yamux role: ${options.role}`);
    }
    if (
      !Number.isInteger(this.maxStreamWindow) || this.maxStreamWindow < INITIAL_STREAM_WINDOW ||
      this.maxStreamWindow > 0xffffffff
    ) {
      throw new RangeError(
        `Invalid yamux maxStreamWindow: ${this.maxStreamWindow} (must be >= ${INITIAL_STREAM_WINDOW})`,
      );
    }
    if (!Number.isInteger(this.maxFrameSize) || this.maxFrameSize < 1) {
      throw new RangeError(`Invalid yamux maxFrameSize: ${this.maxFrameSize}`);
    }
    if (!(this.#backlog >= 1)) {
      throw new RangeError(`Invalid yamux acceptBacklog: ${this.#backlog}`);
    }
    this.#mediumPool = framePool(HEADER_SIZE + MEDIUM_FRAME);
    this.#framePool = this.maxFrameSize > MEDIUM_FRAME
      ? framePool(HEADER_SIZE + this.maxFrameSize)
      : this.#mediumPool;
    this.#decoder = new FrameDecoder(this);
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.#readLoop();
    if (this.#keepAliveMs > 0) this.#scheduleKeepAlive();
  }

  /** The underlying conn (StreamHost: streams report its addresses). */
  get conn(): Duplex {
    return this.#conn;
  }

  /** True once the session has ended. */
  get isClosed(): boolean {
    return this.#closeError !== null;
  }

  /** Streams currently tracked (open, half-closed, or waiting in the accept backlog). */
  get numStreams(): number {
    return this.#streams.size;
  }

  /** Why the session ended (undefined while open). */
  get closeReason(): Error | undefined {
    return this.#closeError ?? undefined;
  }

  /**
   * Opens a stream: sends WindowUpdate(SYN) right away and resolves without waiting for the
   * ACK. If the ACK does not come within streamOpenTimeoutMs the whole session is closed.
   */
  async openStream(): Promise<YamuxStream> {
    while (true) {
      if (this.#closeError !== null) throw this.#closeError;
      if (this.#remoteGoAway) {
        throw new RemoteGoAwayError("yamux: remote end is not accepting connections");
      }
      if (this.#synPending < this.#backlog) break;
      await new Promise<void>((resolve) => this.#synWaiters.push(resolve));
    }
    const id = this.#nextId;
    if (id >= MAX_STREAM_ID) throw new StreamsExhaustedError("yamux: streams exhausted");
    this.#nextId += 2;
    const s = new YamuxStream(this, id, STATE_INIT);
    this.#streams.set(id, s);
    s._synPending = true;
    this.#synPending++;
    s._sendWindowUpdate(); // SYN + delta
    if (this.#openTimeoutMs > 0) {
      s._openTimer = setTimeout(() => {
        s._openTimer = undefined;
        if (!s._synPending || this.#closeError !== null) return;
        this.#fail(new StreamOpenTimeoutError(`yamux: stream ${id} open timed out`));
      }, this.#openTimeoutMs);
    }
    return s;
  }

  /** Waits for the next stream opened by the peer (and ACKs it); null once the session is closed. */
  accept(): Promise<YamuxStream | null> {
    const s = this.#acceptQueue.shift();
    if (s !== undefined) {
      s._sendWindowUpdate(); // ACK + delta
      return Promise.resolve(s);
    }
    if (this.#closeError !== null) return Promise.resolve(null);
    return new Promise((resolve) => this.#acceptWaiters.push(resolve));
  }

  /** Sends GoAway(0): the peer may open no more streams; new SYNs are answered with RST. */
  goAway(): void {
    if (this.#closeError !== null || this.#localGoAway) return;
    this.#localGoAway = true;
    this.#sendControl(TYPE_GO_AWAY, 0, 0, GO_AWAY_NORMAL);
  }

  /** Sends a ping and resolves with the round-trip time in ms (rejects after the write timeout). */
  ping(): Promise<number> {
    if (this.#closeError !== null) return Promise.reject(this.#closeError);
    const id = this.#pingId;
    this.#pingId = (this.#pingId + 1) >>> 0;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pings.delete(id);
        reject(new PingTimeoutError(`yamux: ping ${id} timed out`));
      }, this.#writeTimeoutMs);
      this.#pings.set(id, { start: performance.now(), resolve, reject, timer });
      this.#sendControl(TYPE_PING, FLAG_SYN, 0, id);
    });
  }

  /** Closes the transport and fails all streams (like Go, no GoAway is sent). Idempotent. */
  close(): void {
    this.#shutdown(new SessionClosedError("yamux: session closed"), false);
  }

  // ---- keepalive ------------------------------------------------------------------------

  #scheduleKeepAlive(): void {
    this.#keepAliveTimer = setTimeout(() => {
      this.#keepAliveTimer = undefined;
      if (this.#closeError !== null) return;
      this.ping().then(
        () => {
          if (this.#closeError === null) this.#scheduleKeepAlive();
        },
        (err) => {
          if (this.#closeError !== null) return;
          this.#fail(new KeepAliveTimeoutError("yamux: keepalive failed", { cause: err }));
        },
      );
    }, this.#keepAliveMs);
  }

  // ---- reading --------------------------------------------------------------------------

  async #readLoop(): Promise<void> {
    const small = new Uint8Array(SMALL_READ);
    let big: Uint8Array | null = null;
    try {
      while (this.#closeError === null) {
        const buf: Uint8Array = big ?? small;
        const n = await this.#conn.read(buf);
        if (this.#closeError !== null) break;
        if (n === null) {
          this.#shutdown(new SessionClosedError("yamux: connection closed by peer"), false);
          break;
        }
        this.#decoder.push(n === buf.byteLength ? buf : buf.subarray(0, n));
        if (big === null) {
          if (n === small.byteLength) big = readPool.get();
        } else if (n < SMALL_READ) {
          readPool.put(big);
          big = null;
        }
      }
    } catch (err) {
      if (this.#closeError === null) this.#fail(asError(err));
    } finally {
      if (big !== null) readPool.put(big);
    }
  }

  /** @internal FrameHandler: a validated header. */
  onHeader(type: number, flags: number, id: number, length: number): void {
    if (this.#closeError !== null) return;
    switch (type) {
      case TYPE_DATA:
      case TYPE_WINDOW_UPDATE:
        this.#handleStreamFrame(type, flags, id, length);
        return;
      case TYPE_PING:
        if (flags & FLAG_SYN) {
          this.#sendControl(TYPE_PING, FLAG_ACK, 0, length);
        } else {
          const p = this.#pings.get(length);
          if (p !== undefined) {
            this.#pings.delete(length);
            clearTimeout(p.timer);
            p.resolve(performance.now() - p.start);
          }
        }
        return;
      case TYPE_GO_AWAY:
        if (length === GO_AWAY_NORMAL) {
          this.#remoteGoAway = true;
          this.#wakeSynWaiters();
        } else {
          throw new GoAwayReceivedError(length);
        }
        return;
    }
  }

  /** @internal FrameHandler: payload of the current Data frame. */
  onData(chunk: Uint8Array): void {
    const t = this.#dataTarget;
    if (t !== null) t._pushData(chunk);
  }

  #handleStreamFrame(type: number, flags: number, id: number, length: number): void {
    this.#dataTarget = null;
    if (flags & FLAG_SYN) this.#incomingStream(id);
    const s = this.#streams.get(id);
    if (s === undefined) return; // unknown stream: the decoder drains any payload
    if (type === TYPE_WINDOW_UPDATE) {
      s._incrSendWindow(flags, length);
      return;
    }
    s._processFlags(flags);
    if (length === 0) return;
    if (!s._beginData(length)) {
      throw new YamuxProtocolError(
        `yamux: receive window exceeded (stream ${id}, frame ${length})`,
        GO_AWAY_PROTO_ERR,
      );
    }
    this.#dataTarget = s;
  }

  #incomingStream(id: number): void {
    if (this.#localGoAway) {
      this.#sendControl(TYPE_WINDOW_UPDATE, FLAG_RST, id, 0);
      return;
    }
    if (this.#streams.has(id)) {
      throw new YamuxProtocolError(`yamux: duplicate stream ${id}`, GO_AWAY_PROTO_ERR);
    }
    const s = new YamuxStream(this, id, STATE_SYN_RECEIVED);
    const waiter = this.#acceptWaiters.shift();
    if (waiter !== undefined) {
      this.#streams.set(id, s);
      s._sendWindowUpdate(); // ACK
      waiter(s);
      return;
    }
    if (this.#acceptQueue.length >= this.#backlog) {
      this.#report(new Error(`yamux: accept backlog exceeded, resetting stream ${id}`));
      this.#sendControl(TYPE_WINDOW_UPDATE, FLAG_RST, id, 0);
      return;
    }
    this.#streams.set(id, s);
    this.#acceptQueue.push(s);
  }

  // ---- StreamHost -------------------------------------------------------------------------

  /** @internal */
  sendWindowUpdate(flags: number, id: number, delta: number): void {
    this.#sendControl(TYPE_WINDOW_UPDATE, flags, id, delta);
  }

  /** @internal */
  sendData(flags: number, id: number, payload: Uint8Array): Promise<void> {
    if (this.#closeError !== null) return Promise.reject(this.#closeError);
    const n = payload.byteLength;
    let buf: Uint8Array;
    let pool: BufferPool | null = null;
    if (n > COALESCE_LIMIT && this.#writev !== null) {
      // Header and payload go out in one vectored write: no copy of the payload. The caller
      // awaits this promise before reusing `payload`, and it settles only after the write.
      buf = new Uint8Array(HEADER_SIZE);
      encodeHeader(buf, 0, TYPE_DATA, flags, id, n);
      return new Promise((resolve, reject) => {
        this.#queue.push({
          buf,
          len: HEADER_SIZE + n,
          payload,
          ctl: false,
          pool: null,
          resolve,
          reject,
        });
        this.#kick();
      });
    }
    if (n <= SMALL_FRAME) {
      buf = new Uint8Array(HEADER_SIZE + n);
    } else {
      pool = n <= MEDIUM_FRAME ? this.#mediumPool : this.#framePool;
      buf = pool.get();
    }
    encodeHeader(buf, 0, TYPE_DATA, flags, id, n);
    buf.set(payload, HEADER_SIZE);
    return new Promise((resolve, reject) => {
      this.#queue.push({
        buf,
        len: HEADER_SIZE + n,
        payload: null,
        ctl: false,
        pool,
        resolve,
        reject,
      });
      this.#kick();
    });
  }

  /** @internal */
  streamEstablished(s: YamuxStream): void {
    if (!s._synPending) return;
    s._synPending = false;
    clearTimeout(s._openTimer);
    s._openTimer = undefined;
    this.#releaseSyn();
  }

  /** @internal */
  streamRemoved(s: YamuxStream): void {
    if (this.#streams.get(s.id) === s) this.#streams.delete(s.id);
    if (s._synPending) {
      s._synPending = false;
      this.#releaseSyn();
    }
  }

  #releaseSyn(): void {
    this.#synPending--;
    const w = this.#synWaiters.shift();
    if (w !== undefined) w();
  }

  #wakeSynWaiters(): void {
    const ws = this.#synWaiters;
    this.#synWaiters = [];
    for (const w of ws) w();
  }

  // ---- writing ----------------------------------------------------------------------------

  #sendControl(type: number, flags: number, id: number, length: number): void {
    if (this.#closeError !== null) return;
    const q = this.#queue;
    let tail = q.length > 0 ? q[q.length - 1] : undefined;
    if (tail === undefined || !tail.ctl || tail.len + HEADER_SIZE > tail.buf.byteLength) {
      tail = {
        buf: new Uint8Array(CTL_BATCH),
        len: 0,
        payload: null,
        ctl: true,
        pool: null,
        resolve: null,
        reject: null,
      };
      q.push(tail);
    }
    encodeHeader(tail.buf, tail.len, type, flags, id, length);
    tail.len += HEADER_SIZE;
    this.#kick();
  }

  #kick(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    // Start on a microtask so frames queued in the same turn go out in one write.
    queueMicrotask(() => this.#pump());
  }

  async #pump(): Promise<void> {
    const q = this.#queue;
    const conn = this.#conn;
    let batch: WriteEntry[] = [];
    try {
      while (q.length > 0 && this.#closeError === null) {
        const first = q.shift()!;
        first.ctl = false; // no more appends once dequeued
        if (
          first.len >= COALESCE_LIMIT || q.length === 0 || first.len + q[0].len > COALESCE_LIMIT
        ) {
          batch = [first];
          if (first.payload !== null) await this.#writev!([first.buf, first.payload]);
          else await writeAll(conn, first.buf.subarray(0, first.len));
        } else {
          const cb = this.#coalesceBuf ??= new Uint8Array(COALESCE_LIMIT);
          batch = [first];
          cb.set(first.buf.subarray(0, first.len), 0);
          let total = first.len;
          while (q.length > 0 && total + q[0].len <= COALESCE_LIMIT) {
            const e = q.shift()!;
            e.ctl = false;
            cb.set(e.buf.subarray(0, e.len), total);
            total += e.len;
            batch.push(e);
          }
          await writeAll(conn, cb.subarray(0, total));
        }
        for (const e of batch) {
          e.pool?.put(e.buf);
          e.resolve?.();
        }
        batch = [];
      }
    } catch (err) {
      const e = asError(err);
      if (this.#closeError === null) this.#fail(e);
      for (const b of batch) b.reject?.(this.#closeError ?? e);
    } finally {
      this.#pumping = false;
    }
  }

  // ---- teardown ---------------------------------------------------------------------------

  /** Session error: report it, send GoAway if the error calls for one, tear down. */
  #fail(err: Error): void {
    if (this.#closeError !== null) return;
    this.#report(err);
    const code = err instanceof YamuxProtocolError ? err.goAwayCode : undefined;
    this.#shutdown(
      new SessionClosedError(`yamux: session closed: ${err.message}`, { cause: err }),
      code !== undefined,
      code,
    );
  }

  #shutdown(err: SessionClosedError, sendGoAway: boolean, goAwayCode = 0): void {
    if (this.#closeError !== null) return;
    this.#closeError = err;
    clearTimeout(this.#keepAliveTimer);
    this.#keepAliveTimer = undefined;
    for (const p of this.#pings.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.#pings.clear();
    const pending = this.#queue.splice(0);
    for (const e of pending) e.reject?.(err);
    const idle = !this.#pumping;
    if (sendGoAway && idle) {
      // Best effort, like Go's sendNoWait before exit: one 12-byte write, then close.
      const frame = new Uint8Array(HEADER_SIZE);
      encodeHeader(frame, 0, TYPE_GO_AWAY, 0, 0, goAwayCode);
      const timer = setTimeout(() => this.#closeConn(), this.#writeTimeoutMs);
      writeAll(this.#conn, frame).catch(() => {}).finally(() => {
        clearTimeout(timer);
        this.#closeConn();
      });
    } else {
      this.#closeConn();
    }
    const streams = [...this.#streams.values()];
    this.#streams.clear();
    for (const s of streams) s._sessionClosed(err);
    for (const s of this.#acceptQueue) s._sessionClosed(err);
    this.#acceptQueue = [];
    const aw = this.#acceptWaiters;
    this.#acceptWaiters = [];
    for (const w of aw) w(null);
    this.#wakeSynWaiters();
    this.#resolveClosed();
  }

  #report(err: Error): void {
    try {
      this.#onError?.(err);
    } catch {
      // a throwing logger must not break the session machinery
    }
  }

  /** @internal A FIN crossed before the ACK: like Go, stop the open timer (backlog slot stays). */
  streamOpenSettled(s: YamuxStream): void {
    if (s._synPending) {
      clearTimeout(s._openTimer);
      s._openTimer = undefined;
    }
  }

  #closeConn(): void {
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
