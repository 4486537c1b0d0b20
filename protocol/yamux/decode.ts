/**
 * Sans-I/O yamux frame decoder: feed it whatever the transport returned, it calls back with
 * headers and payload slices. It keeps only a 12-byte scratch for a header split across
 * chunks; payload bytes are handed out as views into the caller's chunk (no copy here).
 *
 * @module
 */

import { HEADER_SIZE, PROTO_VERSION, readU32, TYPE_DATA, TYPE_GO_AWAY } from "./frame.ts";
import { YamuxProtocolError } from "./errors.ts";

/** Receives decoded frames. Throwing aborts {@link FrameDecoder.push}. */
export interface FrameHandler {
  /**
   * One frame header (already validated: version 0, known type). For a Data frame with
   * `length > 0`, exactly `length` payload bytes follow through {@link onData}.
   */
  onHeader(type: number, flags: number, streamId: number, length: number): void;
  /**
   * A piece of the current Data frame's payload. The view is only valid during the call
   * (the caller reuses its buffer): copy what you keep.
   */
  onData(chunk: Uint8Array): void;
}

/** Incremental decoder for a yamux byte stream. */
export class FrameDecoder {
  readonly #handler: FrameHandler;
  readonly #hdr = new Uint8Array(HEADER_SIZE);
  #hdrLen = 0;
  #remaining = 0;

  constructor(handler: FrameHandler) {
    this.#handler = handler;
  }

  /** Payload bytes of the current Data frame still to come (0 between frames). */
  get payloadRemaining(): number {
    return this.#remaining;
  }

  /** Decodes `chunk` completely, calling the handler synchronously. */
  push(chunk: Uint8Array): void {
    const h = this.#handler;
    const len = chunk.byteLength;
    let off = 0;
    while (off < len) {
      if (this.#remaining > 0) {
        const take = Math.min(this.#remaining, len - off);
        this.#remaining -= take;
        h.onData(off === 0 && take === len ? chunk : chunk.subarray(off, off + take));
        off += take;
        continue;
      }
      let buf: Uint8Array;
      let p: number;
      if (this.#hdrLen === 0 && len - off >= HEADER_SIZE) {
        buf = chunk;
        p = off;
        off += HEADER_SIZE;
      } else {
        const take = Math.min(HEADER_SIZE - this.#hdrLen, len - off);
        this.#hdr.set(chunk.subarray(off, off + take), this.#hdrLen);
        this.#hdrLen += take;
        off += take;
        if (this.#hdrLen < HEADER_SIZE) return;
        this.#hdrLen = 0;
        buf = this.#hdr;
        p = 0;
      }
      const version = buf[p];
      const type = buf[p + 1];
      if (version !== PROTO_VERSION) {
        throw new YamuxProtocolError(`yamux: invalid protocol version ${version}`);
      }
      if (type > TYPE_GO_AWAY) {
        throw new YamuxProtocolError(`yamux: invalid message type ${type}`);
      }
      const flags = (buf[p + 2] << 8) | buf[p + 3];
      const id = readU32(buf, p + 4);
      const length = readU32(buf, p + 8);
      if (type === TYPE_DATA) this.#remaining = length;
      h.onHeader(type, flags, id, length);
    }
  }
}
