/**
 * frp control messages: types, Go-compatible JSON bodies, v1 and v2 framing, the v2 hello
 * handshake, and the per-connection {@link MessageCodec}.
 *
 * @module
 */

export * from "./messages.ts";
export { decodeBody, encodeBody } from "./schema.ts";
export {
  encodeMessage,
  FRAME_HEADER_LENGTH,
  FrameDecoder,
  MAX_MESSAGE_LENGTH,
  readMessage,
  readMessageAfter,
  writeMessage,
} from "./frame_v1.ts";
export * from "./frame_v2.ts";
export * from "./hello_v2.ts";
export * from "./codec.ts";
