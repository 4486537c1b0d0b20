/**
 * The UDP packets xtcp peers punch with (frp's pkg/nathole/utils.go EncodeMessage): a v1
 * NatHoleSid frame (`'5' | i64 length | JSON`) sealed with golib's one-shot `crypto.Encode` —
 * a random 16-byte IV, then AES-128-CFB of the frame under PBKDF2(secretKey, "frp").
 * Decoding never trusts the packet: anything malformed throws a plain Error.
 *
 * @module
 */

import { BLOCK_SIZE, CfbDecrypter, CfbEncrypter } from "../crypto/cfb.ts";
import { deriveKey } from "../crypto/key.ts";
import { encodeMessage, FRAME_HEADER_LENGTH, MAX_MESSAGE_LENGTH } from "../msg/frame_v1.ts";
import type { NatHoleSid } from "../msg/messages.ts";
import { decodeBody } from "../msg/schema.ts";

const decoder = new TextDecoder();

/** Seals `m` for the peer that shares `secretKey`. `iv` defaults to 16 random bytes. */
export function encodeSidPacket(
  m: NatHoleSid,
  secretKey: string,
  iv: Uint8Array = crypto.getRandomValues(new Uint8Array(BLOCK_SIZE)),
): Uint8Array {
  const frame = encodeMessage({ type: "NatHoleSid", body: m });
  const out = new Uint8Array(BLOCK_SIZE + frame.byteLength);
  out.set(iv);
  new CfbEncrypter(deriveKey(secretKey), iv).update(frame, out.subarray(BLOCK_SIZE));
  return out;
}

/**
 * Opens a punching packet. Like golib's ReadMsgInto the frame's type byte is not checked; the
 * length must fit the packet and the body must be a JSON object. Throws on anything else.
 */
export function decodeSidPacket(data: Uint8Array, secretKey: string): NatHoleSid {
  if (data.byteLength < BLOCK_SIZE) throw new Error("ciphertext too short");
  const plain = new Uint8Array(data.byteLength - BLOCK_SIZE);
  new CfbDecrypter(deriveKey(secretKey), data.subarray(0, BLOCK_SIZE)).update(
    data.subarray(BLOCK_SIZE),
    plain,
  );
  if (plain.byteLength < FRAME_HEADER_LENGTH) throw new Error("unexpected EOF");
  const len = new DataView(plain.buffer, plain.byteOffset).getBigInt64(1);
  if (len < 0n || len > BigInt(MAX_MESSAGE_LENGTH)) throw new Error("msg too long");
  if (FRAME_HEADER_LENGTH + Number(len) > plain.byteLength) throw new Error("unexpected EOF");
  let raw: unknown;
  try {
    raw = JSON.parse(
      decoder.decode(plain.subarray(FRAME_HEADER_LENGTH, FRAME_HEADER_LENGTH + Number(len))),
    );
  } catch {
    throw new Error("invalid character in sid message JSON");
  }
  return decodeBody("NatHoleSid", raw);
}
