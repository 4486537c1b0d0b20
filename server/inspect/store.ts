/**
 * The captured exchanges of one proxy: a ring buffer bounded by count and by bytes (heads and
 * body previews), in memory only.
 *
 * @module
 */
import type { HeaderList } from "../../protocol/http_codec.ts";

/** One side's body as captured: its full size and a bounded preview. */
export interface BodyCapture {
  /** Body bytes seen (after chunked decoding). */
  size: number;
  /** The first bytes of the body, at most the preview bound. */
  preview: Uint8Array;
  /** The body is longer than the preview. */
  truncated: boolean;
}

/** One request/response exchange as seen on the proxy's work connection. */
export interface Exchange {
  id: number;
  proxy: string;
  /** Unix ms when the request head was seen. */
  startedAt: number;
  /** Request head to end of response body (or to the upgrade); null while pending. */
  durationMs: number | null;
  method: string;
  /** Request target as sent to the local service (path and query). */
  target: string;
  /** The host the user asked for (X-Forwarded-Host set by frps, else Host). */
  host: string;
  /** The user's address (last X-Forwarded-For entry). */
  remoteAddr: string;
  httpVersion: string;
  /** Raw request headers (unmasked: replay needs them; the API masks them). */
  requestHeaders: HeaderList;
  requestBody: BodyCapture;
  status: number | null;
  reason: string;
  responseHeaders: HeaderList;
  responseBody: BodyCapture;
  /** Protocol switched to (101), e.g. "websocket"; frames are not recorded. */
  upgrade: string;
  state: "pending" | "complete" | "error";
  error: string;
  /** Id of the exchange this one replays. */
  replayOf: number | null;
}

/** Estimated memory of an exchange (what maxBufferBytes counts). */
export function exchangeBytes(e: Exchange): number {
  let n = 256 + e.target.length + e.host.length;
  for (const [k, v] of e.requestHeaders) n += k.length + v.length + 4;
  for (const [k, v] of e.responseHeaders) n += k.length + v.length + 4;
  return n + e.requestBody.preview.byteLength + e.responseBody.preview.byteLength;
}

/** A bounded ring of exchanges; the newest one is never evicted. */
export class ExchangeRing {
  readonly #items = new Map<number, { e: Exchange; bytes: number }>();
  #bytes = 0;
  maxCount: number;
  maxBytes: number;

  constructor(maxCount: number, maxBytes: number) {
    this.maxCount = maxCount;
    this.maxBytes = maxBytes;
  }

  get size(): number {
    return this.#items.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  add(e: Exchange): void {
    const bytes = exchangeBytes(e);
    this.#items.set(e.id, { e, bytes });
    this.#bytes += bytes;
    this.#evict();
  }

  /** Recounts an exchange whose previews grew (after it completes). */
  update(e: Exchange): void {
    const it = this.#items.get(e.id);
    if (!it) return;
    const bytes = exchangeBytes(e);
    this.#bytes += bytes - it.bytes;
    it.bytes = bytes;
    this.#evict();
  }

  get(id: number): Exchange | undefined {
    return this.#items.get(id)?.e;
  }

  /** Newest first. */
  list(): Exchange[] {
    return [...this.#items.values()].map((x) => x.e).reverse();
  }

  clear(): void {
    this.#items.clear();
    this.#bytes = 0;
  }

  #evict(): void {
    while (
      this.#items.size > 1 && (this.#items.size > this.maxCount || this.#bytes > this.maxBytes)
    ) {
      const [id, it] = this.#items.entries().next().value!;
      this.#items.delete(id);
      this.#bytes -= it.bytes;
    }
  }
}
