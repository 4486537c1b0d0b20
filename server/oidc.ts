/**
 * OIDC verification on frps (wire-v1.md §6.4, Go's go-oidc verifier): discovery on
 * `auth.oidc.issuer`, signature against the issuer's JWKS, then issuer, audience and expiry
 * checks as configured. Ping/NewWorkConn tokens must carry a subject seen in some Login.
 *
 * @module
 */
import { compactVerify, createRemoteJWKSet } from "jose";
import type { AuthScope, ServerAuthConfig } from "../config/types.ts";
import type { AuthVerifier } from "./auth.ts";
import { errorText } from "../protocol/errors.ts";

interface Claims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
  nbf?: number;
}

/** Discovery + JWKS; verify() resolves to the token's subject or throws go-oidc-like text. */
async function createTokenCheck(
  oidc: ServerAuthConfig["oidc"],
): Promise<(token: string) => Promise<string>> {
  const issuer = oidc.issuer ?? "";
  const wellKnown = `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
  let meta: { issuer?: string; jwks_uri?: string };
  try {
    const resp = await fetch(wellKnown);
    if (!resp.ok) throw new Error(`${resp.status} ${resp.statusText}: ${await resp.text()}`);
    meta = await resp.json();
  } catch (err) {
    throw new Error(`oidc: failed to fetch provider configuration ${wellKnown}: ${errorText(err)}`);
  }
  if (meta.issuer !== issuer) {
    throw new Error(
      `oidc: issuer did not match the issuer returned by provider, expected "${issuer}" got "${meta.issuer}"`,
    );
  }
  if (!meta.jwks_uri) throw new Error("oidc: provider configuration has no jwks_uri");
  const keys = createRemoteJWKSet(new URL(meta.jwks_uri));
  return async (token: string) => {
    let claims: Claims;
    try {
      const { payload } = await compactVerify(token, keys);
      claims = JSON.parse(new TextDecoder().decode(payload));
    } catch (err) {
      throw new Error(`failed to verify signature: ${errorText(err)}`);
    }
    if (!oidc.skipIssuerCheck && claims.iss !== issuer) {
      throw new Error(
        `oidc: id token issued by a different provider, expected "${issuer}" got "${claims.iss}"`,
      );
    }
    if (oidc.audience) {
      const aud = typeof claims.aud === "string" ? [claims.aud] : claims.aud ?? [];
      if (!aud.includes(oidc.audience)) {
        throw new Error(`oidc: expected audience "${oidc.audience}" got ${JSON.stringify(aud)}`);
      }
    }
    const now = Date.now() / 1000;
    if (!oidc.skipExpiryCheck && (typeof claims.exp !== "number" || claims.exp < now)) {
      throw new Error(`oidc: token is expired (Token Expiry: ${claims.exp})`);
    }
    // go-oidc allows one minute of clock skew on nbf
    if (typeof claims.nbf === "number" && claims.nbf > now + 60) {
      throw new Error(`oidc: current time is before the nbf (not before) time`);
    }
    return claims.sub ?? "";
  };
}

/** The `oidc` method's verifier. */
export async function createOidcVerifier(
  oidc: ServerAuthConfig["oidc"],
  scopes: AuthScope[],
): Promise<AuthVerifier> {
  const check = await createTokenCheck(oidc);
  const subjects = new Set<string>();
  const postLogin = async (token: string | undefined): Promise<string | undefined> => {
    let sub: string;
    try {
      sub = await check(token ?? "");
    } catch (err) {
      return `invalid OIDC token in ping: ${errorText(err)}`;
    }
    return subjects.has(sub)
      ? undefined
      : `received different OIDC subject in login and ping. new subject: ${sub}`;
  };
  return {
    async verifyLogin(m, expect) {
      try {
        const sub = await check(m.privilege_key ?? "");
        if (expect?.oidcSubject !== undefined && sub !== expect.oidcSubject) {
          return `OIDC subject [${sub}] is not allowed for user [${expect.user ?? ""}]`;
        }
        subjects.add(sub);
        return undefined;
      } catch (err) {
        return `invalid OIDC token in login: ${errorText(err)}`;
      }
    },
    verifyPing: (m) =>
      scopes.includes("HeartBeats") ? postLogin(m.privilege_key) : Promise.resolve(undefined),
    verifyNewWorkConn: (m) =>
      scopes.includes("NewWorkConns") ? postLogin(m.privilege_key) : Promise.resolve(undefined),
  };
}
