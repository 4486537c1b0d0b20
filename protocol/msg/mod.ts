/**
 * frp v1 control messages: types, Go-compatible JSON bodies and framing.
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
  writeMessage,
} from "./frame_v1.ts";
