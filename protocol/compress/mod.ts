/**
 * frp per-proxy compression: golang/snappy framing over a pure-TS snappy block codec.
 *
 * @module
 */

export { crc32c, crc32cUpdate, maskedCrc32c } from "./crc32c.ts";
export {
  decodeSnappyBlock,
  encodeSnappyBlock,
  MAX_BLOCK_SIZE,
  maxEncodedLen,
  snappyDecodedLen,
} from "./snappy_block.ts";
export { encodeChunk, MAX_CHUNK_LENGTH, snappyDuplex, STREAM_IDENTIFIER } from "./snappy_frame.ts";
