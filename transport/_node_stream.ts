/**
 * Adapters between our `Conn` (Deno read/write contract) and node `stream.Duplex`
 * (needed for node:tls TLSSocket, which only speaks node streams).
 *
 * @module
 */

import { Duplex as NodeDuplex } from "node:stream";
import type { Conn, NetAddr } from "../protocol/duplex.ts";
import { defaultBufferPool } from "../protocol/io.ts";

/** Read buffer of the pump while the connection is quiet (held during the pending read). */
const SMALL_READ = 2 * 1024;

/**
 * Exposes a Conn as a node Duplex (allowHalfOpen). Reads are pumped with an adaptive buffer:
 * 2 KiB while quiet, a pooled 256 KiB one after a read filled the small one, given back once
 * reads come back short (an idle TLS connection holds 2 KiB, not 64); each pushed chunk is a
 * copy of exactly the bytes read. `end()` → closeWrite(); destroy → close() once in-flight
 * writes have settled.
 */
export function connToNodeDuplex(conn: Conn): NodeDuplex {
  let pumping = false;
  let small: Uint8Array | null = null;
  let big: Uint8Array | null = null;
  const dropBig = () => {
    if (big !== null) defaultBufferPool.put(big);
    big = null;
  };
  let pendingWrite: Promise<unknown> = Promise.resolve();
  let closed = false;
  const closeConn = () => {
    if (closed) return;
    closed = true;
    pendingWrite.finally(() => conn.close());
  };
  const d: NodeDuplex = new NodeDuplex({
    allowHalfOpen: true,
    read() {
      if (pumping) return;
      pumping = true;
      (async () => {
        while (true) {
          const buf: Uint8Array = big ?? (small ??= new Uint8Array(SMALL_READ));
          let n: number | null;
          try {
            n = await conn.read(buf);
          } catch (e) {
            pumping = false;
            dropBig();
            if (!d.destroyed) d.destroy(e as Error);
            return;
          }
          if (n === null) {
            pumping = false;
            dropBig();
            small = null;
            d.push(null);
            return;
          }
          const chunk = buf.slice(0, n);
          if (big === null) {
            if (n === buf.byteLength) big = defaultBufferPool.get(); // a burst: read bigger
          } else if (n < SMALL_READ) {
            dropBig(); // traffic went light: do not hold the big buffer while waiting
          }
          let more: boolean;
          try {
            // node:tls in Deno processes pushed data synchronously and may throw from here
            more = d.push(chunk);
          } catch (e) {
            pumping = false;
            dropBig();
            if (!d.destroyed) d.destroy(e as Error);
            return;
          }
          if (!more) break;
        }
        dropBig(); // paused by backpressure: the next read may be far away
        pumping = false;
      })();
    },
    write(chunk: Uint8Array, _enc: string, cb: (err?: Error | null) => void) {
      const p = (async () => {
        let off = 0;
        while (off < chunk.byteLength) {
          off += await conn.write(off === 0 ? chunk : chunk.subarray(off));
        }
      })();
      pendingWrite = p.catch(() => {});
      p.then(() => cb(), (e) => cb(e as Error));
    },
    final(cb: (err?: Error | null) => void) {
      pendingWrite.then(() => conn.closeWrite()).then(() => cb(), () => cb());
    },
    destroy(err: Error | null, cb: (err?: Error | null) => void) {
      closeConn();
      cb(err);
    },
  });
  return d;
}

const HIGH_WATER = 256 * 1024;
/** Writes up to this size are copied and not awaited; larger ones are handed over and awaited. */
const COPY_MAX = 16 * 1024;

/**
 * Exposes a node Duplex (TLSSocket, net.Socket) as a Conn. Incoming chunks are queued; the
 * stream is paused while more than 256 KiB are queued. `write` copies small chunks (node keeps
 * a reference to written chunks) and waits for 'drain' when node's buffer is full; chunks over
 * 16 KiB are not copied and `write` resolves once node's write callback fired for them.
 */
export class NodeStreamConn implements Conn {
  readonly localAddr: NetAddr;
  readonly remoteAddr: NetAddr;
  readonly stream: NodeDuplex;
  #queue: Uint8Array[] = [];
  #head = 0; // offset into #queue[0]
  #queued = 0;
  #ended = false;
  #error: Error | null = null;
  #closed = false;
  #paused = false;
  #wake: (() => void) | null = null;
  /** Writers waiting for 'drain', a write callback, an error or close (all are woken). */
  #drainWakes: (() => void)[] = [];

  /** For TLS: the transport stream below `stream`; it is ended after TLS close_notify. */
  readonly #underlying: NodeDuplex | undefined;

  constructor(
    stream: NodeDuplex,
    localAddr: NetAddr,
    remoteAddr: NetAddr,
    underlying?: NodeDuplex,
  ) {
    this.stream = stream;
    this.#underlying = underlying;
    this.localAddr = localAddr;
    this.remoteAddr = remoteAddr;
    stream.on("data", (chunk: Uint8Array) => {
      if (chunk.byteLength === 0) return;
      this.#queue.push(chunk);
      this.#queued += chunk.byteLength;
      if (this.#queued >= HIGH_WATER && !this.#paused) {
        this.#paused = true;
        stream.pause();
      }
      this.#notify();
    });
    stream.on("end", () => {
      this.#ended = true;
      this.#notify();
    });
    stream.on("error", (e: Error) => {
      this.#error ??= e;
      this.#notify();
      this.#notifyDrain();
    });
    stream.on("close", () => {
      this.#ended = true;
      this.#notify();
      this.#notifyDrain();
    });
    stream.on("drain", () => this.#notifyDrain());
  }

  #notify(): void {
    const w = this.#wake;
    if (w) {
      this.#wake = null;
      w();
    }
  }

  #notifyDrain(): void {
    const ws = this.#drainWakes;
    if (ws.length === 0) return;
    this.#drainWakes = [];
    for (const w of ws) w();
  }

  async read(p: Uint8Array): Promise<number | null> {
    if (p.byteLength === 0) return 0;
    while (this.#queued === 0) {
      if (this.#closed) throw new Deno.errors.BadResource("connection closed");
      if (this.#error) throw this.#error;
      if (this.#ended) return null;
      await new Promise<void>((r) => (this.#wake = r));
    }
    let n = 0;
    while (n < p.byteLength && this.#queue.length > 0) {
      const c = this.#queue[0];
      const avail = c.byteLength - this.#head;
      const take = Math.min(avail, p.byteLength - n);
      p.set(take === c.byteLength ? c : c.subarray(this.#head, this.#head + take), n);
      n += take;
      if (take === avail) {
        this.#queue.shift();
        this.#head = 0;
      } else {
        this.#head += take;
      }
    }
    this.#queued -= n;
    if (this.#paused && this.#queued < HIGH_WATER / 2) {
      this.#paused = false;
      this.stream.resume();
    }
    return n;
  }

  async write(p: Uint8Array): Promise<number> {
    if (this.#closed) throw new Deno.errors.BadResource("connection closed");
    if (this.#error) throw this.#error;
    const s = this.stream;
    if (s.destroyed || s.writableEnded) throw new Deno.errors.BrokenPipe("write after close");
    if (p.byteLength <= COPY_MAX) {
      // Small writes: copy (node keeps a reference) and return at once unless node is full.
      const ok = s.write(p.slice());
      if (!ok) {
        while (s.writableNeedDrain && !s.destroyed && !this.#error) {
          await new Promise<void>((r) => this.#drainWakes.push(r));
        }
        if (this.#error) throw this.#error;
      }
      return p.byteLength;
    }
    // Large writes (yamux frames, relay bursts) exceed node's high-water mark, so waiting for
    // 'drain' was needed anyway: hand `p` over without a copy and resolve only once node has
    // finished with it (its write callback), so the caller may reuse the buffer afterwards.
    await this.#writeAwaited([p]);
    return p.byteLength;
  }

  /**
   * Writes all `chunks` as one corked batch (node:tls encrypts them together) without copying
   * them; resolves once node has finished with every chunk.
   */
  async writev(chunks: Uint8Array[]): Promise<void> {
    if (this.#closed) throw new Deno.errors.BadResource("connection closed");
    if (this.#error) throw this.#error;
    const s = this.stream;
    if (s.destroyed || s.writableEnded) throw new Deno.errors.BrokenPipe("write after close");
    await this.#writeAwaited(chunks);
  }

  async #writeAwaited(chunks: Uint8Array[]): Promise<void> {
    const s = this.stream;
    let done = false;
    let err: Error | null = null;
    const last = chunks.length - 1;
    if (last > 0) s.cork();
    for (let i = 0; i < last; i++) s.write(chunks[i]);
    s.write(chunks[last], (e?: Error | null) => {
      done = true;
      err = e ?? null;
      this.#notifyDrain();
    });
    if (last > 0) s.uncork();
    while (!done && !s.destroyed && !this.#error) {
      await new Promise<void>((r) => this.#drainWakes.push(r));
    }
    if (this.#error) throw this.#error;
    if (err) throw err;
    if (!done) throw new Deno.errors.BrokenPipe("write after close");
  }

  /**
   * Ends the write side: for TLS, sends close_notify and then half-closes the transport below
   * (node:tls in Deno does not end the underlying stream by itself).
   */
  async closeWrite(): Promise<void> {
    const s = this.stream;
    if (s.destroyed || s.writableEnded) return;
    const finished = await new Promise<boolean>((resolve) => {
      const done = (ok: boolean) => () => {
        s.off("finish", onFinish);
        s.off("close", onFail);
        s.off("error", onFail);
        resolve(ok);
      };
      const onFinish = done(true);
      const onFail = done(false);
      s.on("finish", onFinish);
      s.on("close", onFail);
      s.on("error", onFail);
      s.end();
    });
    const u = this.#underlying;
    if (finished && u && !u.destroyed && !u.writableEnded) u.end();
  }

  /**
   * Closes both directions. For TLS the close_notify alert is sent first (like Go's
   * tls.Conn.Close) when the write side is still open; the socket is destroyed once it is
   * flushed, after at most 1 s.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    this.#queued = 0;
    const s = this.stream;
    const u = this.#underlying;
    // node:tls in Deno does not destroy the transport below a destroyed TLSSocket
    const destroy = () => {
      s.destroy();
      u?.destroy();
    };
    if (u && !s.destroyed && !s.writableEnded && !this.#error) {
      const timer = setTimeout(destroy, 1000);
      const fin = () => {
        clearTimeout(timer);
        destroy();
      };
      s.once("finish", fin);
      s.once("close", fin);
      s.end();
    } else {
      destroy();
    }
    this.#notify();
    this.#notifyDrain();
  }
}

/** Wraps a node Duplex as a Conn (see {@link NodeStreamConn}). */
export function nodeStreamToConn(s: NodeDuplex, localAddr: NetAddr, remoteAddr: NetAddr): Conn {
  return new NodeStreamConn(s, localAddr, remoteAddr);
}
