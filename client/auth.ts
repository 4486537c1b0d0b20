/**
 * The proofs frpc sends (wire-v1.md §6.2–6.4): `privilege_key` for Login, and for Ping /
 * NewWorkConn when `additionalScopes` asks. Token method: md5(token + timestamp). OIDC method:
 * an access token from the client-credentials flow (or `auth.oidc.tokenSource`), cached until
 * it expires as Go's oauth2 token source does.
 *
 * @module
 */
import { privilegeKey } from "../protocol/crypto/mod.ts";
import { errorText } from "../protocol/errors.ts";
import type { AuthScope, ClientAuthConfig } from "../config/types.ts";
import { resolveValueSource } from "../config/mod.ts";

/** Supplies proofs for each message kind. */
export interface ClientAuth {
  /** `privilege_key` for a Login sent with `timestamp`. */
  loginKey(timestamp: number): Promise<string>;
  /** Fields to merge into Ping / NewWorkConn (empty when the scope is off). */
  scoped(scope: AuthScope): Promise<{ privilege_key?: string; timestamp?: number }>;
}

/** Builds the proof supplier for `auth.method`. */
export function createClientAuth(auth: ClientAuthConfig): ClientAuth {
  if (auth.method === "oidc") return oidcAuth(auth);
  const token = auth.token ?? "";
  return {
    loginKey: (ts) => Promise.resolve(privilegeKey(token, ts)),
    scoped(scope) {
      if (!auth.additionalScopes.includes(scope)) return Promise.resolve({});
      const timestamp = Math.floor(Date.now() / 1000);
      return Promise.resolve({ timestamp, privilege_key: privilegeKey(token, timestamp) });
    },
  };
}

function oidcAuth(auth: ClientAuthConfig): ClientAuth {
  const source = auth.oidc.tokenSource ? tokenFromSource(auth) : clientCredentials(auth);
  const accessToken = async () => {
    try {
      return await source();
    } catch (err) {
      if (err instanceof SourceError) throw err;
      throw new Error(`couldn't generate OIDC token for login: ${errorText(err)}`);
    }
  };
  return {
    loginKey: () => accessToken(),
    async scoped(scope) {
      if (!auth.additionalScopes.includes(scope)) return {};
      return { privilege_key: await accessToken() };
    },
  };
}

/**
 * `auth.oidc.tokenSource` (file or exec; exec was allowed by `--allow-unsafe` at load): resolved
 * on every use, as Go resolves it per message.
 */
function tokenFromSource(auth: ClientAuthConfig): () => Promise<string> {
  const src = auth.oidc.tokenSource!;
  return async () => {
    try {
      return await resolveValueSource(src);
    } catch (err) {
      // Go's OidcTokenSourceAuthProvider words it differently from the client-credentials path.
      throw new SourceError(`couldn't acquire OIDC token for login: ${errorText(err)}`);
    }
  };
}

/** A token-source failure, already worded as Go's OidcTokenSourceAuthProvider does. */
class SourceError extends Error {}

/** Seconds before expiry at which a cached token is renewed (oauth2's expiryDelta). */
const EXPIRY_DELTA_S = 10;

/**
 * OAuth2 client credentials against `tokenEndpointURL`. Credentials go in a Basic header
 * first and, if the endpoint refuses that, in the form body (Go's AuthStyleAutoDetect).
 */
function clientCredentials(auth: ClientAuthConfig): () => Promise<string> {
  const o = auth.oidc;
  let cached: { token: string; expiresAt: number } | undefined;
  let style: "header" | "params" | undefined;
  return async () => {
    if (cached && Date.now() / 1000 < cached.expiresAt - EXPIRY_DELTA_S) return cached.token;
    const form = new URLSearchParams({ grant_type: "client_credentials", scope: o.scope ?? "" });
    for (const [k, v] of Object.entries(o.additionalEndpointParams ?? {})) form.set(k, v);
    if (o.audience) form.set("audience", o.audience);
    const attempt = (s: "header" | "params") => {
      const body = new URLSearchParams(form);
      const headers: Record<string, string> = {};
      if (s === "params") {
        body.set("client_id", o.clientID ?? "");
        if (o.clientSecret) body.set("client_secret", o.clientSecret);
      } else {
        const enc = (x: string) => encodeURIComponent(x);
        headers.Authorization = `Basic ${
          btoa(`${enc(o.clientID ?? "")}:${enc(o.clientSecret ?? "")}`)
        }`;
      }
      return postForm(o.tokenEndpointURL ?? "", body.toString(), headers, o);
    };
    let resp = await attempt(style ?? "header");
    if (!style && (resp.status < 200 || resp.status > 299)) {
      const second = await attempt("params");
      if (second.status >= 200 && second.status <= 299) {
        style = "params";
        resp = second;
      }
    } else if (!style) style = "header";
    if (resp.status < 200 || resp.status > 299) {
      throw new Error(`oauth2: cannot fetch token: ${resp.status}\nResponse: ${resp.body}`);
    }
    const json = JSON.parse(resp.body) as { access_token?: string; expires_in?: number };
    if (!json.access_token) throw new Error("oauth2: server response missing access_token");
    // No expires_in: Go's source then fetches a fresh token every time.
    cached = json.expires_in
      ? { token: json.access_token, expiresAt: Date.now() / 1000 + json.expires_in }
      : undefined;
    return json.access_token;
  };
}

/**
 * POSTs a form with node:http(s). node:tls verifies certificates per request even when frpc
 * runs with --unsafely-ignore-certificate-errors (fetch would not), so the client secret only
 * goes to a verified IdP unless `insecureSkipVerify` says otherwise.
 */
async function postForm(
  url: string,
  body: string,
  headers: Record<string, string>,
  o: ClientAuthConfig["oidc"],
): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  // Lazy: node:http(s) costs ~1.1 MiB of RSS that token-auth clients never use.
  const mod = u.protocol === "https:"
    ? (await import("node:https")).default
    : (await import("node:http")).default;
  return await new Promise((resolve, reject) => {
    const req = mod.request(
      {
        method: "POST",
        hostname: u.hostname.replace(/^\[|\]$/g, ""),
        port: u.port || (u.protocol === "https:" ? 443 : 80),
        path: u.pathname + u.search,
        headers: {
          ...headers,
          "Content-Type": "application/x-www-form-urlencoded",
          "Content-Length": String(new TextEncoder().encode(body).length),
        },
        rejectUnauthorized: !o.insecureSkipVerify,
        ca: o.trustedCaFile ? Deno.readTextFileSync(o.trustedCaFile) : undefined,
        timeout: 30_000,
      },
      (res) => {
        let data = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (data += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: data }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error("token request timed out")));
    req.on("error", reject);
    req.end(body);
  });
}
