/**
 * A minimal OpenID provider for tests: discovery, JWKS, and a client-credentials token
 * endpoint that accepts credentials in a Basic header or the form body (as Go's oauth2 may
 * send either) and issues RS256 JWTs.
 */
import { exportJWK, generateKeyPair, SignJWT } from "jose";

/** A running fake IdP. */
export interface FakeIdp extends AsyncDisposable {
  issuer: string;
  tokenURL: string;
  /** Tokens handed out so far. */
  issued: number;
  /** Token requests refused for bad credentials. */
  refused: number;
}

/** Starts the IdP on 127.0.0.1 with one registered client. */
export async function startFakeIdp(client: {
  id: string;
  secret: string;
  audience: string;
}): Promise<FakeIdp> {
  const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: "test-key", alg: "RS256", use: "sig" };
  let issuer = "";
  const state = { issued: 0, refused: 0 };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/.well-known/openid-configuration") {
      return Response.json({
        issuer,
        jwks_uri: `${issuer}/jwks`,
        token_endpoint: `${issuer}/token`,
        authorization_endpoint: `${issuer}/authorize`,
        response_types_supported: ["token"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["RS256"],
      });
    }
    if (url.pathname === "/jwks") return Response.json({ keys: [jwk] });
    if (url.pathname === "/token" && req.method === "POST") {
      const form = new URLSearchParams(await req.text());
      let id = form.get("client_id") ?? "", secret = form.get("client_secret") ?? "";
      const basic = req.headers.get("authorization");
      if (basic?.startsWith("Basic ")) {
        const [u, p] = atob(basic.slice(6)).split(":");
        id = decodeURIComponent(u);
        secret = decodeURIComponent(p ?? "");
      }
      if (
        form.get("grant_type") !== "client_credentials" || id !== client.id ||
        secret !== client.secret
      ) {
        state.refused++;
        return Response.json({ error: "invalid_client" }, { status: 401 });
      }
      state.issued++;
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: "RS256", kid: "test-key" })
        .setIssuer(issuer)
        .setSubject(id)
        .setAudience(form.get("audience") || client.audience)
        .setIssuedAt()
        .setExpirationTime("1h")
        .sign(privateKey);
      return Response.json({ access_token: token, token_type: "Bearer", expires_in: 3600 });
    }
    return new Response("not found", { status: 404 });
  });
  issuer = `http://127.0.0.1:${server.addr.port}`;
  return {
    issuer,
    tokenURL: `${issuer}/token`,
    get issued() {
      return state.issued;
    },
    get refused() {
      return state.refused;
    },
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}
