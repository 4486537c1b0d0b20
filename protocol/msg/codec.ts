/**
 * The message codec of one logical connection: v1 (`type u8 | len i64 | JSON`) or v2
 * (`type u16 | flags u16 | len u32 | id u16 | JSON`). Code that exchanges frp messages on a
 * connection is handed the codec that connection speaks (frp's msg.NewReadWriter).
 *
 * @module
 */

import type { Duplex } from "../duplex.ts";
import type { Message } from "./messages.ts";
import { encodeMessage, readMessage, writeMessage } from "./frame_v1.ts";
import { encodeMessageV2, readMessageV2, writeMessageV2 } from "./frame_v2.ts";

/** frp's `transport.wireProtocol` values. */
export type WireProtocol = "v1" | "v2";

/** Reads and writes whole frp messages on a stream. */
export interface MessageCodec {
  readonly wireProtocol: WireProtocol;
  /** Reads exactly one message (never past it). */
  readMessage(d: Duplex): Promise<Message>;
  /** Writes one message with a single writeAll. */
  writeMessage(d: Duplex, m: Message): Promise<void>;
  /** The bytes writeMessage would write. */
  encodeMessage(m: Message): Uint8Array;
}

/** Wire protocol v1 (the plain frame_v1 functions: no extra indirection on the v1 path). */
export const V1_CODEC: MessageCodec = Object.freeze({
  wireProtocol: "v1",
  readMessage,
  writeMessage,
  encodeMessage,
});

/** Wire protocol v2 message frames. */
export const V2_CODEC: MessageCodec = Object.freeze({
  wireProtocol: "v2",
  readMessage: readMessageV2,
  writeMessage: writeMessageV2,
  encodeMessage: encodeMessageV2,
});

/** The codec for a configured `wireProtocol` (anything but "v2" is v1, as in frp). */
export function codecFor(wireProtocol: string | undefined): MessageCodec {
  return wireProtocol === "v2" ? V2_CODEC : V1_CODEC;
}
