/**
 * Web Streams at the library's edges: the tunnel keeps its fast {@link Duplex} inside, and a
 * library user can hand it (or get from it) any `ReadableStream`/`WritableStream` pair — a
 * `WebSocketStream`, a `fetch` body, a QUIC stream. Neither direction copies chunks on its own:
 * the readable side reads straight into the consumer's buffer (a byte stream with BYOB), the
 * writable side passes each chunk through to `write`.
 *
 * @example Expose a TCP connection as Web Streams and back
 * ```ts ignore
 * import { fromWebStreams, toWebStreams } from "jsr:@frp/client";
 * const conn = await Deno.connect({ port: 8080 });
 * const { readable, writable } = toWebStreams(conn); // a Deno.Conn is a Duplex
 * const duplex = fromWebStreams({ readable, writable });
 * ```
 *
 * @module
 */
import type { Duplex } from "./duplex.ts";

/** A readable/writable byte-stream pair, the shape of `WebSocketStream` and QUIC streams. */
export interface WebStreamPair {
  /** Bytes from the peer. */
  readable: ReadableStream<Uint8Array>;
  /** Bytes to the peer; closing it half-closes the stream. */
  writable: WritableStream<Uint8Array>;
}

/** Chunk size a default (non-BYOB) reader of {@link toWebStreams} gets per read. */
const AUTO_CHUNK = 64 * 1024;

/**
 * Exposes a {@link Duplex} as Web Streams. The readable is a byte stream: a BYOB reader gets the
 * duplex's bytes read straight into its own buffer. Closing the writable half-closes the duplex
 * (`closeWrite`); once the readable has also ended (or was cancelled) the duplex is closed.
 * Aborting the writable, or a read error, closes it at once.
 *
 * @example
 * ```ts ignore
 * const { readable, writable } = toWebStreams(await Deno.connect({ port: 7000 }));
 * await new Response("hello").body!.pipeTo(writable);
 * ```
 */
export function toWebStreams(duplex: Duplex): WebStreamPair {
  // The duplex is released once both sides are done (read to the end or cancelled, and
  // written to the end), or at once on an error or abort.
  let readDone = false;
  let writeDone = false;
  const settle = (side: "read" | "write"): void => {
    if (side === "read") readDone = true;
    else writeDone = true;
    if (readDone && writeDone) duplex.close();
  };
  const readable = new ReadableStream({
    type: "bytes",
    autoAllocateChunkSize: AUTO_CHUNK,
    async pull(controller) {
      // With autoAllocateChunkSize every pull has a byobRequest, for default readers too.
      const req = controller.byobRequest!;
      const v = req.view!;
      let n: number | null;
      try {
        n = await duplex.read(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
      } catch (err) {
        controller.error(err);
        duplex.close();
        return;
      }
      if (n === null) {
        controller.close();
        req.respond(0);
        settle("read");
        return;
      }
      req.respond(n);
    },
    cancel() {
      settle("read");
    },
  });
  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      let off = 0;
      while (off < chunk.byteLength) {
        const n = await duplex.write(off === 0 ? chunk : chunk.subarray(off));
        if (n <= 0) throw new Error(`Cannot write: write() returned ${n}`);
        off += n;
      }
    },
    async close() {
      await duplex.closeWrite();
      settle("write");
    },
    abort() {
      duplex.close();
    },
  });
  return { readable, writable };
}

/**
 * A {@link Duplex} over a Web Streams pair. `read` fills the caller's buffer from the next chunk
 * (keeping the rest for the following read); `write` hands the caller's chunk to the writable
 * and resolves once the sink has taken it.
 */
export class WebStreamsDuplex implements Duplex {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  #pending: Uint8Array | null = null;
  #closed = false;
  #writeClosed = false;

  /** Locks both streams of `pair` for this duplex. */
  constructor(pair: WebStreamPair) {
    this.#reader = pair.readable.getReader();
    this.#writer = pair.writable.getWriter();
  }

  /** Reads up to `p.byteLength` bytes; `null` at the end of the readable. */
  async read(p: Uint8Array): Promise<number | null> {
    let chunk = this.#pending;
    this.#pending = null;
    while (!chunk || chunk.byteLength === 0) {
      const r = await this.#reader.read();
      if (r.done) return null;
      chunk = r.value;
    }
    const n = Math.min(p.byteLength, chunk.byteLength);
    p.set(n === chunk.byteLength ? chunk : chunk.subarray(0, n));
    if (n < chunk.byteLength) this.#pending = chunk.subarray(n);
    return n;
  }

  /** Writes all of `p` once the sink has processed it, so the caller may then reuse `p`. */
  async write(p: Uint8Array): Promise<number> {
    await this.#writer.write(p);
    return p.byteLength;
  }

  /** Closes the writable (half-close); reads go on. */
  async closeWrite(): Promise<void> {
    if (this.#writeClosed) return;
    this.#writeClosed = true;
    await this.#writer.close().catch(() => {});
  }

  /** Cancels the readable and closes the writable. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pending = null;
    this.#reader.cancel().catch(() => {});
    if (!this.#writeClosed) {
      this.#writeClosed = true;
      this.#writer.close().catch(() => {});
    }
  }
}

/**
 * Wraps a Web Streams pair as a {@link Duplex}, so the tunnel can carry it like a socket.
 *
 * @example Open a local service over a WebSocket
 * ```ts ignore
 * const ws = new WebSocketStream("ws://127.0.0.1:8080/");
 * const { readable, writable } = await ws.opened;
 * const duplex = fromWebStreams({ readable, writable });
 * ```
 */
export function fromWebStreams(pair: WebStreamPair): Duplex {
  return new WebStreamsDuplex(pair);
}
