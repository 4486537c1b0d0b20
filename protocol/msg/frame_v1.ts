/**
 * v1 message framing (golib msg/json): `type u8 | length i64 BE | JSON`. The reader takes
 * exactly one frame's bytes from the stream and never reads ahead, because the bytes after
 * LoginResp / StartWorkConn / NewVisitorConnResp belong to the next layer.
 *
 * @module
 */

import type { Duplex } from "../duplex.ts";
import {
  FrameTooLargeError,
  MalformedMessageError,
  UnexpectedEofError,
  UnknownMessageTypeError,
} from "../errors.ts";
import { readFull, writeAll } from "../io.ts";
import { type Message, MESSAGE_NAME_BY_BYTE, MESSAGE_TYPES, type MessageName } from "./messages.ts";
import { decodeBody, encodeBody } from "./schema.ts";

/** Largest JSON body golib's reader accepts (defaultMaxMsgLength). */
export const MAX_MESSAGE_LENGTH = 10240;

/** Bytes before the JSON body: type byte + 8-byte length. */
export const FRAME_HEADER_LENGTH = 9;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Encodes one message as a complete frame in a single buffer (Go writes it with one Write).
 * Throws FrameTooLargeError if the JSON exceeds what a Go reader accepts.
 */
export function encodeMessage(m: Message): Uint8Array {
  const json = encoder.encode(JSON.stringify(encodeBody(m.type, m.body)));
  if (json.byteLength > MAX_MESSAGE_LENGTH) {
    throw new FrameTooLargeError(BigInt(json.byteLength), MAX_MESSAGE_LENGTH);
  }
  const out = new Uint8Array(FRAME_HEADER_LENGTH + json.byteLength);
  out[0] = MESSAGE_TYPES[m.type].charCodeAt(0);
  new DataView(out.buffer).setUint32(5, json.byteLength);
  out.set(json, FRAME_HEADER_LENGTH);
  return out;
}

/** Writes one frame with a single writeAll. */
export function writeMessage(w: Duplex, m: Message): Promise<void> {
  return writeAll(w, encodeMessage(m));
}

function nameOf(typeByte: number): MessageName {
  const name = MESSAGE_NAME_BY_BYTE.get(typeByte);
  if (name === undefined) throw new UnknownMessageTypeError(typeByte);
  return name;
}

function checkLength(header: Uint8Array): number {
  const len = new DataView(header.buffer, header.byteOffset, header.byteLength).getBigInt64(1);
  if (len < 0n || len > BigInt(MAX_MESSAGE_LENGTH)) {
    throw new FrameTooLargeError(len, MAX_MESSAGE_LENGTH);
  }
  return Number(len);
}

function decodeJson(name: MessageName, body: Uint8Array): Message {
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(body));
  } catch (err) {
    throw new MalformedMessageError(`Cannot decode ${name}: invalid JSON`, { cause: err });
  }
  return { type: name, body: decodeBody(name, raw) } as Message;
}

/**
 * Reads exactly one frame (1 + 8 + N bytes, nothing more). Throws UnexpectedEofError
 * (`atBoundary: true` if the stream ended before the first byte), UnknownMessageTypeError,
 * FrameTooLargeError or MalformedMessageError.
 */
export async function readMessage(r: Duplex): Promise<Message> {
  const header = new Uint8Array(FRAME_HEADER_LENGTH);
  let n: number | null;
  do n = await r.read(header.subarray(0, 1)); while (n === 0);
  if (n === null) throw new UnexpectedEofError("Cannot read frame: stream ended", true);
  return await readRest(r, header, 1);
}

/**
 * Like {@link readMessage}, for a frame whose first `prefix.byteLength` (1–9) bytes were
 * already read (frps sniffing the v2 magic: a v1 frame is never shorter than 9 bytes, so the
 * sniffed bytes always belong to the first frame and need no replay wrapper).
 */
export function readMessageAfter(r: Duplex, prefix: Uint8Array): Promise<Message> {
  if (prefix.byteLength < 1 || prefix.byteLength > FRAME_HEADER_LENGTH) {
    throw new RangeError(`prefix must be 1..${FRAME_HEADER_LENGTH} bytes`);
  }
  const header = new Uint8Array(FRAME_HEADER_LENGTH);
  header.set(prefix);
  return readRest(r, header, prefix.byteLength);
}

async function readRest(r: Duplex, header: Uint8Array, have: number): Promise<Message> {
  const name = nameOf(header[0]);
  try {
    if (have < FRAME_HEADER_LENGTH) await readFull(r, header.subarray(have));
    const len = checkLength(header);
    const body = new Uint8Array(len);
    await readFull(r, body);
    return decodeJson(name, body);
  } catch (err) {
    if (err instanceof UnexpectedEofError) {
      throw new UnexpectedEofError(`Cannot read ${name} frame: stream ended mid-frame`, false);
    }
    throw err;
  }
}

/**
 * Sans-I/O frame decoder for callers that already hold buffered bytes: push chunks, get the
 * complete messages; `takeRest()` hands over bytes that followed the last whole frame.
 */
export class FrameDecoder {
  #buf: Uint8Array = new Uint8Array(0);

  /** Appends `chunk` and returns every message now complete, in order. */
  push(chunk: Uint8Array): Message[] {
    let buf = chunk;
    if (this.#buf.byteLength > 0) {
      buf = new Uint8Array(this.#buf.byteLength + chunk.byteLength);
      buf.set(this.#buf);
      buf.set(chunk, this.#buf.byteLength);
    }
    const out: Message[] = [];
    let off = 0;
    while (buf.byteLength - off >= 1) {
      const name = nameOf(buf[off]);
      if (buf.byteLength - off < FRAME_HEADER_LENGTH) break;
      const len = checkLength(buf.subarray(off, off + FRAME_HEADER_LENGTH));
      const end = off + FRAME_HEADER_LENGTH + len;
      if (end > buf.byteLength) break;
      out.push(decodeJson(name, buf.subarray(off + FRAME_HEADER_LENGTH, end)));
      off = end;
    }
    this.#buf = buf.slice(off);
    return out;
  }

  /** Number of buffered bytes that do not yet form a whole frame. */
  get pending(): number {
    return this.#buf.byteLength;
  }

  /** Returns and clears the buffered partial-frame bytes. */
  takeRest(): Uint8Array {
    const rest = this.#buf;
    this.#buf = new Uint8Array(0);
    return rest;
  }
}
