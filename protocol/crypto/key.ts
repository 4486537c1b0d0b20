/**
 * frp's secrets → bytes: the AES key for control/work-conn encryption and the token hash
 * that authenticates Login, Ping, NewWorkConn and visitor sign keys.
 *
 * @module
 */

import { createHash, pbkdf2Sync } from "node:crypto";

/** PBKDF2 salt: frpc/frps overwrite golib's default "crypto" with "frp" at start-up. */
export const KEY_SALT = "frp";
const ITERATIONS = 64;
const KEY_LENGTH = 16;

const keyCache = new Map<string, Uint8Array>();

/**
 * AES-128 key for a token/secret: PBKDF2-HMAC-SHA1(secret, "frp", 64, 16). Cached per
 * secret because every work connection of a proxy derives the same key.
 */
export function deriveKey(secret: string): Uint8Array {
  let key = keyCache.get(secret);
  if (key === undefined) {
    key = new Uint8Array(pbkdf2Sync(secret, KEY_SALT, ITERATIONS, KEY_LENGTH, "sha1"));
    if (keyCache.size >= 256) keyCache.clear();
    keyCache.set(secret, key);
  }
  return key.slice();
}

/** Token auth proof: lowercase hex MD5 of `token + decimal(timestamp)` (also sign_key). */
export function privilegeKey(token: string, timestamp: number): string {
  return createHash("md5").update(token + String(timestamp)).digest("hex");
}
