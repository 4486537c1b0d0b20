/**
 * Client authentication on frps (wire-v1.md §6.2–6.4): one verifier per `auth.method` for the
 * Login proof and for the optional per-Ping / per-NewWorkConn proofs of `additionalScopes`.
 * Error texts are Go frp's (users grep them).
 *
 * @module
 */
import type { Login, NewWorkConn, Ping } from "../protocol/msg/messages.ts";
import { privilegeKey } from "../protocol/crypto/mod.ts";
import { timingSafeEqualString } from "../protocol/ids.ts";
import type { AuthScope, ServerAuthConfig } from "../config/types.ts";

/** What one login must prove beyond the server-wide settings (an `auth.users` entry). */
export interface LoginExpectation {
  /** The user's own token instead of `auth.token`. */
  token?: string;
  /** OIDC: the subject the token must carry. */
  oidcSubject?: string;
  /** The user name, for error texts. */
  user?: string;
}

/**
 * Checks client proofs; each method resolves to an error text, or undefined when valid. Ping and
 * NewWorkConn proofs are checked against the token the session logged in with (`token`), so a
 * reload that changes `auth.token` leaves established sessions working.
 */
export interface AuthVerifier {
  verifyLogin(m: Login, expect?: LoginExpectation): Promise<string | undefined>;
  verifyPing(m: Ping, token?: string): Promise<string | undefined>;
  verifyNewWorkConn(m: NewWorkConn, token?: string): Promise<string | undefined>;
}

/** Go's AlwaysPassVerifier: the SSH gateway's virtual client once SSH authenticated the user. */
export const ALWAYS_PASS_VERIFIER: AuthVerifier = {
  verifyLogin: () => Promise.resolve(undefined),
  verifyPing: () => Promise.resolve(undefined),
  verifyNewWorkConn: () => Promise.resolve(undefined),
};

/** The `token` method: `privilege_key == md5hex(token + timestamp)`, no freshness window. */
export function createTokenVerifier(token: string, scopes: AuthScope[]): AuthVerifier {
  const ok = (m: { privilege_key?: string; timestamp?: number }, t = token) =>
    timingSafeEqualString(privilegeKey(t, m.timestamp ?? 0), m.privilege_key ?? "");
  return {
    verifyLogin: (m, expect) =>
      Promise.resolve(
        ok(m, expect?.token) ? undefined : "token in login doesn't match token from configuration",
      ),
    verifyPing: (m, t) =>
      Promise.resolve(
        !scopes.includes("HeartBeats") || ok(m, t)
          ? undefined
          : "token in heartbeat doesn't match token from configuration",
      ),
    verifyNewWorkConn: (m, t) =>
      Promise.resolve(
        !scopes.includes("NewWorkConns") || ok(m, t)
          ? undefined
          : "token in NewWorkConn doesn't match token from configuration",
      ),
  };
}

/**
 * Builds the verifier for `auth`. For OIDC this runs the issuer's discovery now, as Go frps
 * does at start (where Go panics, we reject with the reason).
 */
export async function createAuthVerifier(auth: ServerAuthConfig): Promise<AuthVerifier> {
  if (auth.method === "oidc") {
    // Lazy: OIDC pulls in npm:jose (~1.4 MiB of RSS) that token-auth servers never use.
    const { createOidcVerifier } = await import("./oidc.ts");
    return await createOidcVerifier(auth.oidc, auth.additionalScopes);
  }
  return createTokenVerifier(auth.token ?? "", auth.additionalScopes);
}
