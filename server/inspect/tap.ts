/**
 * A work connection wrapper that records the HTTP/1.1 exchanges flowing through it without
 * changing them: bytes written (requests) and read (responses) are copied into two in-memory
 * pipes that a parser task reads with the vhost's own codec. Bodies are only counted and
 * previewed up to a bound; on an upgrade (101) or anything unparsable the tap detaches and the
 * connection goes on untouched.
 *
 * @module
 */
import type { Duplex } from "../../protocol/duplex.ts";
import {
  BufReader,
  copyBody,
  parseRequestHead,
  parseResponseHead,
  requestFraming,
  type RequestHead,
  responseFraming,
  type ResponseHead,
} from "../../protocol/http_codec.ts";
import { errorText } from "../../protocol/errors.ts";
import type { BodyCapture, Exchange } from "./store.ts";

/** Queued bytes a lagging parser may hold before the tap gives up on the connection. */
const MAX_QUEUED_BYTES = 8 << 20;

/** Where a tap reports to. */
export interface TapSink {
  /** Whether exchanges should still be recorded (checked per request). */
  enabled(): boolean;
  /** Preview bound per body. */
  readonly previewBytes: number;
  /** A new exchange was seen (pending). */
  begin(req: RequestHead, startedAt: number): Exchange;
  /** The exchange finished (complete or error). */
  end(e: Exchange): void;
}

/** One direction's copy of the stream, read by the parser. */
class Pipe implements Duplex {
  #chunks: Uint8Array[] = [];
  #queued = 0;
  #ended = false;
  #wake: (() => void) | null = null;

  /** Copies `p` in; false when the parser lags too far behind. */
  push(p: Uint8Array): boolean {
    if (this.#ended || p.byteLength === 0) return true;
    if (this.#queued + p.byteLength > MAX_QUEUED_BYTES) return false;
    this.#chunks.push(p.slice());
    this.#queued += p.byteLength;
    this.#notify();
    return true;
  }

  /** End of stream: what is queued is still read. */
  end(): void {
    this.#ended = true;
    this.#notify();
  }

  /** Drops what is queued and ends. */
  abort(): void {
    this.#chunks = [];
    this.#queued = 0;
    this.end();
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  async read(p: Uint8Array): Promise<number | null> {
    while (this.#chunks.length === 0) {
      if (this.#ended) return null;
      await new Promise<void>((r) => (this.#wake = r));
    }
    const c = this.#chunks[0];
    const n = Math.min(c.byteLength, p.byteLength);
    p.set(c.subarray(0, n));
    if (n === c.byteLength) this.#chunks.shift();
    else this.#chunks[0] = c.subarray(n);
    this.#queued -= n;
    return n;
  }

  write(): Promise<number> {
    return Promise.reject(new Error("read-only pipe"));
  }
  closeWrite(): Promise<void> {
    return Promise.resolve();
  }
  close(): void {
    this.abort();
  }
}

/** Wraps a work conn; see the module doc. */
export class TapDuplex implements Duplex {
  readonly #inner: Duplex;
  readonly #req = new Pipe();
  readonly #res = new Pipe();
  #on = true;
  /** Resolves when the parser stops (conn closed or tap detached). */
  readonly done: Promise<void>;

  constructor(inner: Duplex, sink: TapSink) {
    this.#inner = inner;
    this.done = this.#parse(sink);
  }

  async read(p: Uint8Array): Promise<number | null> {
    let n: number | null;
    try {
      n = await this.#inner.read(p);
    } catch (err) {
      if (this.#on) this.#res.end();
      throw err;
    }
    if (this.#on) {
      if (n === null) this.#res.end();
      else if (!this.#res.push(p.subarray(0, n))) this.#detach();
    }
    return n;
  }

  async write(p: Uint8Array): Promise<number> {
    const n = await this.#inner.write(p);
    if (this.#on && !this.#req.push(p.subarray(0, n))) this.#detach();
    return n;
  }

  closeWrite(): Promise<void> {
    if (this.#on) this.#req.end();
    return this.#inner.closeWrite();
  }

  close(): void {
    this.#inner.close();
    // No more bytes will come; the parser still records what is queued.
    this.#on = false;
    this.#req.end();
    this.#res.end();
  }

  #detach(): void {
    this.#on = false;
    this.#req.abort();
    this.#res.abort();
  }

  async #parse(sink: TapSink): Promise<void> {
    const qrd = new BufReader(this.#req);
    const srd = new BufReader(this.#res);
    let ex: Exchange | undefined;
    let t0 = 0;
    try {
      for (;;) {
        const head = await qrd.readHead();
        if (head === null) return;
        const req = parseRequestHead(head);
        if (!sink.enabled()) return;
        t0 = performance.now();
        const e = ex = sink.begin(req, Date.now());
        const reqBody = copyBody(qrd, requestFraming(req), null, {
          transform: preview(e.requestBody, sink.previewBytes),
        });
        reqBody.catch(() => {});
        let res: ResponseHead;
        for (;;) {
          const h = await srd.readHead();
          if (h === null) throw new Error("connection closed before the response");
          res = parseResponseHead(h);
          if (res.status < 100 || res.status >= 200 || res.status === 101) break;
        }
        e.status = res.status;
        e.reason = res.reason;
        e.responseHeaders = res.headers.list;
        const tunnel = req.method === "CONNECT" && res.status >= 200 && res.status < 300;
        if (res.status === 101 || tunnel) {
          // Record the upgrade (or CONNECT tunnel), never the frames.
          e.upgrade = tunnel ? "tunnel" : res.headers.get("upgrade") ?? "";
          finish(e, t0, sink);
          ex = undefined;
          return;
        }
        const framing = responseFraming(req.method, res);
        const resOk = await copyBody(srd, framing, null, {
          transform: preview(e.responseBody, sink.previewBytes),
        });
        const reqOk = await reqBody;
        if (!resOk || !reqOk) throw new Error("connection closed mid-body");
        finish(e, t0, sink);
        ex = undefined;
        if (framing.kind === "close") return;
      }
    } catch (err) {
      if (ex) {
        ex.state = "error";
        ex.error = errorText(err);
        ex.durationMs = Math.round(performance.now() - t0);
        sink.end(ex);
      }
    } finally {
      this.#detach();
    }
  }
}

function finish(e: Exchange, t0: number, sink: TapSink): void {
  e.state = "complete";
  e.durationMs = Math.round(performance.now() - t0);
  sink.end(e);
}

/** A body transform that counts bytes and keeps the first `max` of them. */
function preview(cap: BodyCapture, max: number): (p: Uint8Array) => Promise<void> {
  return (p) => {
    cap.size += p.byteLength;
    const room = max - cap.preview.byteLength;
    if (room > 0) {
      const take = p.subarray(0, room);
      const next = new Uint8Array(cap.preview.byteLength + take.byteLength);
      next.set(cap.preview);
      next.set(take, cap.preview.byteLength);
      cap.preview = next;
    }
    cap.truncated = cap.size > cap.preview.byteLength;
    return Promise.resolve();
  };
}
