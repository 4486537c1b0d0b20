/**
 * yamux frame header codec (wire-v1.md §5.2): 12 bytes, big-endian —
 * version(1) type(1) flags(2) streamId(4) length(4).
 *
 * @module
 */

/** The only protocol version yamux speaks. */
export const PROTO_VERSION = 0;
/** Size of every frame header. */
export const HEADER_SIZE = 12;

/** Data frame: `length` payload bytes follow. */
export const TYPE_DATA = 0;
/** Window update: `length` is the receive-window increment; no payload. */
export const TYPE_WINDOW_UPDATE = 1;
/** Ping: stream id 0, `length` is the opaque ping id. */
export const TYPE_PING = 2;
/** Go away: stream id 0, `length` is the code. */
export const TYPE_GO_AWAY = 3;

/** Opens a stream (or asks for a ping reply). */
export const FLAG_SYN = 0x1;
/** Acknowledges a stream open (or answers a ping). */
export const FLAG_ACK = 0x2;
/** Half-closes the sender's direction. */
export const FLAG_FIN = 0x4;
/** Resets the stream. */
export const FLAG_RST = 0x8;

/** GoAway code: normal shutdown, no new streams. */
export const GO_AWAY_NORMAL = 0;
/** GoAway code: the peer violated the protocol. */
export const GO_AWAY_PROTO_ERR = 1;
/** GoAway code: internal error. */
export const GO_AWAY_INTERNAL_ERR = 2;

/** Window each direction of a new stream starts with (256 KiB). */
export const INITIAL_STREAM_WINDOW = 262144;
/** frp's `MaxStreamWindowSize` (6 MiB). */
export const FRP_MAX_STREAM_WINDOW = 6 * 1024 * 1024;

/** A decoded frame header. */
export interface FrameHeader {
  /** Protocol version (0). */
  version: number;
  /** Frame type (`TYPE_*`). */
  type: number;
  /** Bit set of `FLAG_*`. */
  flags: number;
  /** Stream id (0 for session frames). */
  streamId: number;
  /** Payload length, window delta, ping id or GoAway code, depending on `type`. */
  length: number;
}

/**
 * Writes a header at `buf[offset..offset+12)`. Numbers are truncated to their field widths.
 */
export function encodeHeader(
  buf: Uint8Array,
  offset: number,
  type: number,
  flags: number,
  streamId: number,
  length: number,
): void {
  buf[offset] = PROTO_VERSION;
  buf[offset + 1] = type;
  buf[offset + 2] = flags >>> 8;
  buf[offset + 3] = flags;
  buf[offset + 4] = streamId >>> 24;
  buf[offset + 5] = streamId >>> 16;
  buf[offset + 6] = streamId >>> 8;
  buf[offset + 7] = streamId;
  buf[offset + 8] = length >>> 24;
  buf[offset + 9] = length >>> 16;
  buf[offset + 10] = length >>> 8;
  buf[offset + 11] = length;
}

/** Encodes a header into a fresh 12-byte array (convenience for tests and tools). */
export function encodeFrameHeader(h: Omit<FrameHeader, "version">): Uint8Array {
  const buf = new Uint8Array(HEADER_SIZE);
  encodeHeader(buf, 0, h.type, h.flags, h.streamId, h.length);
  return buf;
}

/** Reads a big-endian uint32 at `off`. */
export function readU32(buf: Uint8Array, off: number): number {
  return ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
}

/** Decodes the header at `buf[offset..offset+12)` without validating it. */
export function decodeHeader(buf: Uint8Array, offset = 0): FrameHeader {
  if (buf.byteLength - offset < HEADER_SIZE) {
    throw new RangeError(
      `Cannot decode yamux header: need 12 bytes, have ${buf.byteLength - offset}`,
    );
  }
  return {
    version: buf[offset],
    type: buf[offset + 1],
    flags: (buf[offset + 2] << 8) | buf[offset + 3],
    streamId: readU32(buf, offset + 4),
    length: readU32(buf, offset + 8),
  };
}

const TYPE_NAMES = ["Data", "WindowUpdate", "Ping", "GoAway"];

/** Human-readable header, for logs: `WindowUpdate SYN|ACK id=1 len=6029312`. */
export function formatHeader(h: FrameHeader): string {
  const flags: string[] = [];
  if (h.flags & FLAG_SYN) flags.push("SYN");
  if (h.flags & FLAG_ACK) flags.push("ACK");
  if (h.flags & FLAG_FIN) flags.push("FIN");
  if (h.flags & FLAG_RST) flags.push("RST");
  const t = TYPE_NAMES[h.type] ?? `type${h.type}`;
  return `${t} ${flags.join("|") || "-"} id=${h.streamId} len=${h.length}`;
}
