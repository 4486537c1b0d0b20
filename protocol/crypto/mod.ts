/**
 * frp encryption: key derivation, token hashing, AES-128-CFB streams and the Duplex wrapper,
 * and the wire v2 AEAD stream.
 *
 * @module
 */

export { deriveKey, KEY_SALT, privilegeKey } from "./key.ts";
export { BLOCK_SIZE, CfbDecrypter, CfbEncrypter } from "./cfb.ts";
export { cryptoDuplex } from "./duplex.ts";
export {
  AEAD_KEY_SIZE,
  AEAD_MAX_PAYLOAD,
  aeadControlDuplex,
  type AeadRole,
  aeadStreamDuplex,
  AeadStreamError,
  deriveAeadControlKey,
  hchacha20,
  hkdfSha256,
} from "./aead.ts";
