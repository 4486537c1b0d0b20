/**
 * Token authentication on frps (wire-v1.md §6.2–6.3): the Login proof and the optional
 * per-Ping / per-NewWorkConn proofs.
 *
 * @module
 */
import { privilegeKey } from "../protocol/crypto/mod.ts";
import { timingSafeEqualString } from "../protocol/ids.ts";
import type { ServerContext } from "./context.ts";

/** frp's error text for a bad login proof. */
export const TOKEN_MISMATCH = "token in login doesn't match token from configuration";

/** Checks `privilege_key == md5hex(token + timestamp)`; returns an error text or undefined. */
export function verifyScopedKey(
  server: ServerContext,
  m: { privilege_key?: string; timestamp?: number },
): string | undefined {
  const expected = privilegeKey(server.token, m.timestamp ?? 0);
  return timingSafeEqualString(expected, m.privilege_key ?? "") ? undefined : TOKEN_MISMATCH;
}
