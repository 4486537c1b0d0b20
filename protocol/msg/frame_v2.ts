/**
 * Wire protocol v2 framing (frp ≥ 0.69, `pkg/proto/wire/wire.go`, `pkg/msg/wire_v2.go`):
 * an 8-byte header `type u16 BE | flags u16 BE (0) | length u32 BE`, then ≤ 64 KiB of
 * payload. Message frames (type 16) carry `message id u16 BE` + the same JSON as v1. Like the
 * v1 reader, the frame reader never reads past the frame it returns.
 *
 * @module
 */

import type { Duplex } from "../duplex.ts";
import { MalformedMessageError, ProtocolError, UnexpectedEofError } from "../errors.ts";
import { readFull, writeAll } from "../io.ts";
import type { Message, MessageName } from "./messages.ts";
import { decodeBody, encodeBody } from "./schema.ts";

/** The 7 bytes a v2 peer writes first on every logical connection: "FRP\0\x02\r\n". */
export const WIRE_V2_MAGIC: Uint8Array = new Uint8Array([0x46, 0x52, 0x50, 0x00, 0x02, 0x0d, 0x0a]);

/** v2 frame types. */
export const FRAME_TYPE_CLIENT_HELLO = 1;
export const FRAME_TYPE_SERVER_HELLO = 2;
export const FRAME_TYPE_MESSAGE = 16;

/** Largest frame payload either side accepts (DefaultMaxFramePayloadSize). */
export const MAX_FRAME_PAYLOAD = 64 * 1024;

/** Bytes of a v2 frame header. */
export const FRAME_V2_HEADER_LENGTH = 8;

/** Message name → v2 message id (`pkg/msg/wire_v2.go`). */
export const MESSAGE_IDS_V2: Readonly<Record<MessageName, number>> = {
  Login: 1,
  LoginResp: 2,
  NewProxy: 3,
  NewProxyResp: 4,
  CloseProxy: 5,
  NewWorkConn: 6,
  ReqWorkConn: 7,
  StartWorkConn: 8,
  NewVisitorConn: 9,
  NewVisitorConnResp: 10,
  Ping: 11,
  Pong: 12,
  UDPPacket: 13,
  NatHoleVisitor: 14,
  NatHoleClient: 15,
  NatHoleResp: 16,
  NatHoleSid: 17,
  NatHoleReport: 18,
};

const NAME_BY_ID_V2: ReadonlyMap<number, MessageName> = new Map(
  (Object.entries(MESSAGE_IDS_V2) as [MessageName, number][]).map(([n, id]) => [id, n]),
);

/** A v2 frame as read from the wire. */
export interface FrameV2 {
  type: number;
  payload: Uint8Array;
}

/** A v2 frame that frp's reader refuses (flags, length, type, id). Texts are Go's. */
export class WireV2FrameError extends ProtocolError {}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Whether `b` (7 bytes) is the v2 magic. */
export function isWireV2Magic(b: Uint8Array): boolean {
  if (b.byteLength !== WIRE_V2_MAGIC.byteLength) return false;
  for (let i = 0; i < b.byteLength; i++) if (b[i] !== WIRE_V2_MAGIC[i]) return false;
  return true;
}

/** Header + payload in one buffer. Throws WireV2FrameError when the payload is too long. */
export function encodeFrameV2(type: number, payload: Uint8Array): Uint8Array {
  if (payload.byteLength > MAX_FRAME_PAYLOAD) {
    throw new WireV2FrameError(
      `frame payload length ${payload.byteLength} exceeds limit ${MAX_FRAME_PAYLOAD}`,
    );
  }
  const out = new Uint8Array(FRAME_V2_HEADER_LENGTH + payload.byteLength);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, type);
  dv.setUint32(4, payload.byteLength);
  out.set(payload, FRAME_V2_HEADER_LENGTH);
  return out;
}

/**
 * Reads exactly one frame. Throws UnexpectedEofError (`atBoundary` when the stream ended
 * before the header) or WireV2FrameError (non-zero flags, payload over 64 KiB).
 */
export async function readFrameV2(r: Duplex): Promise<FrameV2> {
  const header = new Uint8Array(FRAME_V2_HEADER_LENGTH);
  await readFull(r, header);
  const dv = new DataView(header.buffer);
  const type = dv.getUint16(0);
  const flags = dv.getUint16(2);
  const length = dv.getUint32(4);
  if (flags !== 0) throw new WireV2FrameError(`unsupported frame flags: ${flags}`);
  if (length > MAX_FRAME_PAYLOAD) {
    throw new WireV2FrameError(`frame payload length ${length} exceeds limit ${MAX_FRAME_PAYLOAD}`);
  }
  const payload = new Uint8Array(length);
  try {
    await readFull(r, payload);
  } catch (err) {
    if (err instanceof UnexpectedEofError) {
      throw new UnexpectedEofError("Cannot read v2 frame: stream ended mid-frame", false);
    }
    throw err;
  }
  return { type, payload };
}

/** The payload of a message frame: id + Go-compatible JSON. */
export function encodeMessagePayloadV2(m: Message): Uint8Array {
  const json = encoder.encode(JSON.stringify(encodeBody(m.type, m.body)));
  const payload = new Uint8Array(2 + json.byteLength);
  payload[0] = MESSAGE_IDS_V2[m.type] >> 8;
  payload[1] = MESSAGE_IDS_V2[m.type] & 0xff;
  payload.set(json, 2);
  return payload;
}

/** One whole message frame (header + id + JSON), for a single write. */
export function encodeMessageV2(m: Message): Uint8Array {
  return encodeFrameV2(FRAME_TYPE_MESSAGE, encodeMessagePayloadV2(m));
}

/** Decodes a message frame (DecodeV2MessageFrame): type 16, known id, valid JSON. */
export function decodeMessageFrameV2(f: FrameV2): Message {
  if (f.type !== FRAME_TYPE_MESSAGE) {
    throw new WireV2FrameError(`unexpected frame type ${f.type}, want ${FRAME_TYPE_MESSAGE}`);
  }
  if (f.payload.byteLength < 2) throw new WireV2FrameError("message frame payload too short");
  const id = (f.payload[0] << 8) | f.payload[1];
  const name = NAME_BY_ID_V2.get(id);
  if (name === undefined) throw new WireV2FrameError(`unknown v2 message type ${id}`);
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(f.payload.subarray(2)));
  } catch (err) {
    throw new MalformedMessageError(`Cannot decode ${name}: invalid JSON`, { cause: err });
  }
  return { type: name, body: decodeBody(name, raw) } as Message;
}

/** Reads exactly one v2 message frame. */
export async function readMessageV2(r: Duplex): Promise<Message> {
  return decodeMessageFrameV2(await readFrameV2(r));
}

/** Writes one v2 message frame with a single writeAll (Go uses two writes; same bytes). */
export function writeMessageV2(w: Duplex, m: Message): Promise<void> {
  return writeAll(w, encodeMessageV2(m));
}
