/**
 * OIDC authentication end to end with a fake IdP: client credentials on frpc, discovery +
 * JWKS verification on frps, scoped tokens on Ping and NewWorkConn. Our frps with our frpc and
 * with Go frpc; our frpc against Go frps.
 */
import { assert, assertEquals } from "../_helpers/assert.ts";
import { freePorts } from "../_helpers/ports.ts";
import { hasGoFrp, type Impl, startFrpc, startFrps, withLogs } from "../_helpers/proc.ts";
import { startTcpEcho, tcpRoundTrip } from "../_helpers/services.ts";
import { startFakeIdp } from "../_helpers/oidc_idp.ts";

const CLIENT = { id: "frpc-test", secret: "s3cret", audience: "frp" };
const SCOPES = ["HeartBeats", "NewWorkConns"];

function frpsConfig(bindPort: number, issuer: string, audience = CLIENT.audience) {
  return {
    bindAddr: "127.0.0.1",
    bindPort,
    auth: { method: "oidc", additionalScopes: SCOPES, oidc: { issuer, audience } },
    transport: { tcpMux: false, heartbeatTimeout: 3 },
  };
}

function frpcConfig(
  bindPort: number,
  tokenURL: string,
  localPort: number,
  remotePort: number,
  secret = CLIENT.secret,
) {
  return {
    serverAddr: "127.0.0.1",
    serverPort: bindPort,
    auth: {
      method: "oidc",
      additionalScopes: SCOPES,
      oidc: {
        clientID: CLIENT.id,
        clientSecret: secret,
        audience: CLIENT.audience,
        tokenEndpointURL: tokenURL,
      },
    },
    transport: { tcpMux: false, heartbeatInterval: 1, heartbeatTimeout: 3 },
    proxies: [{ name: "oidc-tcp", type: "tcp", localPort, remotePort }],
  };
}

const PAIRS: Array<{ server: Impl; client: Impl }> = [
  { server: "ts", client: "ts" },
  { server: "ts", client: "go" },
  { server: "go", client: "ts" },
];

for (const { server, client } of PAIRS) {
  Deno.test({
    name: `oidc [${client} frpc → ${server} frps] login, scoped heartbeats and work conns`,
    ignore: (server === "go" || client === "go") && !hasGoFrp(),
    async fn() {
      await using idp = await startFakeIdp(CLIENT);
      await using echo = startTcpEcho();
      const [bindPort, remotePort] = freePorts(2);
      await using frps = await startFrps({
        impl: server,
        config: frpsConfig(bindPort, idp.issuer),
      });
      await using frpc = await startFrpc({
        impl: client,
        config: frpcConfig(bindPort, idp.tokenURL, echo.port, remotePort),
        waitFor: /\[oidc-tcp\] start proxy success/,
      });
      await new Promise((r) => setTimeout(r, 2500)); // a few scoped Pings go through
      await withLogs([frps, frpc], async () => {
        const back = await tcpRoundTrip(remotePort, new TextEncoder().encode("oidc tunnel"));
        assertEquals(new TextDecoder().decode(back), "oidc tunnel");
        assert(
          !frps.lines.some((l) => /invalid|heartbeat timeout/.test(l)),
          "frps rejected a proof",
        );
        assert(idp.issued >= 1, "the IdP issued no token");
      });
    },
  });
}

Deno.test("oidc [ts frpc] a wrong client secret fails the login with Go's text, exit 1", async () => {
  await using idp = await startFakeIdp(CLIENT);
  const [bindPort] = freePorts(1);
  await using frps = await startFrps({ impl: "ts", config: frpsConfig(bindPort, idp.issuer) });
  await using frpc = await startFrpc({
    impl: "ts",
    config: frpcConfig(bindPort, idp.tokenURL, 1, 0, "wrong"),
    waitFor: null,
  });
  const status = await frpc.waitExit(20_000);
  await withLogs([frps, frpc], () => {
    assertEquals(status.code, 1);
    assert(
      frpc.lines.some((l) => /login to the server failed: couldn't generate OIDC token/.test(l)),
      "message",
    );
    assert(idp.refused >= 1, "the IdP saw no request");
    return Promise.resolve();
  });
});

for (const client of ["ts", "go"] as Impl[]) {
  Deno.test({
    name: `oidc [${client} frpc → ts frps] a token for another audience is refused`,
    ignore: client === "go" && !hasGoFrp(),
    async fn() {
      await using idp = await startFakeIdp(CLIENT);
      const [bindPort] = freePorts(1);
      await using frps = await startFrps({
        impl: "ts",
        config: frpsConfig(bindPort, idp.issuer, "someone-else"),
      });
      await using frpc = await startFrpc({
        impl: client,
        config: frpcConfig(bindPort, idp.tokenURL, 1, 0),
        waitFor: null,
      });
      const status = await frpc.waitExit(20_000);
      await withLogs([frps, frpc], () => {
        assertEquals(status.code, 1);
        assert(frpc.lines.some((l) => /invalid OIDC token in login: .*audience/.test(l)), "reason");
        return Promise.resolve();
      });
    },
  });
}
