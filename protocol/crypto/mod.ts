/**
 * frp encryption: key derivation, token hashing, AES-128-CFB streams and the Duplex wrapper.
 *
 * @module
 */

export { deriveKey, KEY_SALT, privilegeKey } from "./key.ts";
export { BLOCK_SIZE, CfbDecrypter, CfbEncrypter } from "./cfb.ts";
export { cryptoDuplex } from "./duplex.ts";
