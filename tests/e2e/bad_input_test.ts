/**
 * Abuse of frps' bindPort: every bad input gets a closed connection, frps keeps serving a real
 * tunnel meanwhile, and frpc reports a wrong token the way Go frp does. Runs against our frps;
 * `FRP_TEST_GO_GO=1` also runs it against Go frps (validates the tests themselves).
 */
import { assert, assertEquals } from "../_helpers/assert.ts";
import {
  expectClosed,
  expectClosedAfterTlsJunk,
  frame,
  MAX_BODY,
  readFrame,
  writeQuietly,
} from "../_helpers/frames.ts";
import { makeTestPki } from "../_helpers/pki.ts";
import { freePorts } from "../_helpers/ports.ts";
import {
  DEFAULT_GO_VERSION,
  hasGoFrp,
  hasTsFrp,
  type Impl,
  type Proc,
  startFrpc,
  startFrps,
  withLogs,
} from "../_helpers/proc.ts";
import { randomBytes, sha256hex, startTcpEcho, tcpRoundTrip } from "../_helpers/services.ts";

const TOKEN = "frp-test-token";
/** Abuse that frps must answer by closing at once (well under its 10 s first-message timeout). */
const QUICK_CLOSE_MS = 5000;
/** A silent client must be dropped by the 10 s first-message timeout. */
const SILENT_CLOSE_MS = 16000;
const WRONG_TOKEN_TEXT = "login to the server failed: token in login doesn't match token from " +
  "configuration. With loginFailExit enabled, no additional retries will be attempted";

function skipReason(impl: Impl): string | undefined {
  if (impl === "ts" && !hasTsFrp()) return "server/main.ts or client/main.ts does not exist yet";
  if (impl === "go" && !hasGoFrp(DEFAULT_GO_VERSION)) {
    return `Go frp ${DEFAULT_GO_VERSION} not built; run scripts/get_go_frp.sh`;
  }
  return undefined;
}

function label(impl: Impl, bin: string): string {
  return impl === "go" ? `go ${DEFAULT_GO_VERSION} ${bin}` : `ts ${bin}`;
}

function connect(port: number): Promise<Deno.Conn> {
  return Deno.connect({ hostname: "127.0.0.1", port });
}

/** frps + a real frpc with one tcp proxy in front of an echo server. */
async function startTunnel(impl: Impl, plain: boolean) {
  const [bindPort, remotePort] = freePorts(2);
  const echo = startTcpEcho();
  const procs: Proc[] = [];
  try {
    const mux = plain ? { transport: { tcpMux: false } } : {};
    const frps = await startFrps({
      impl,
      config: {
        bindAddr: "127.0.0.1",
        bindPort,
        proxyBindAddr: "127.0.0.1",
        auth: { token: TOKEN },
        ...mux,
      },
    });
    procs.push(frps);
    const frpc = await startFrpc({
      impl,
      config: {
        serverAddr: "127.0.0.1",
        serverPort: bindPort,
        auth: { token: TOKEN },
        transport: plain ? { tcpMux: false, tls: { enable: false } } : {},
        proxies: [{
          name: "echo",
          type: "tcp",
          localIP: "127.0.0.1",
          localPort: echo.port,
          remotePort,
        }],
      },
    }).catch((e) => {
      throw new Error(`${(e as Error).message}\n${frps.output()}`);
    });
    procs.push(frpc);
    await withLogs(procs, () => frpc.waitForLine(/\[echo\] start proxy success/, 10000));
    return {
      bindPort,
      remotePort,
      frps,
      frpc,
      async [Symbol.asyncDispose]() {
        await Promise.allSettled(procs.map((p) => p.kill()));
        await echo.close();
      },
    };
  } catch (e) {
    await Promise.allSettled(procs.map((p) => p.kill()));
    await echo.close();
    throw e;
  }
}

/** Round trips through the tunnel every 100 ms until stopped (bounded to 600 rounds). */
function backgroundTraffic(remotePort: number) {
  let stop = false;
  const errors: string[] = [];
  let rounds = 0;
  const done = (async () => {
    while (!stop && rounds < 600) {
      rounds++;
      const p = randomBytes(4096);
      try {
        const back = await tcpRoundTrip(remotePort, p, 5000);
        if (await sha256hex(back) !== await sha256hex(p)) errors.push(`round ${rounds}: mismatch`);
      } catch (e) {
        errors.push(`round ${rounds}: ${e}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    async finish() {
      stop = true;
      await done;
      return { rounds, errors };
    },
  };
}

async function assertTunnelWorks(remotePort: number, frps: Proc): Promise<void> {
  const p = randomBytes(256 * 1024);
  const back = await tcpRoundTrip(remotePort, p, 15000);
  assertEquals(await sha256hex(back), await sha256hex(p), "tunnel round trip after the abuse");
  assertEquals(frps.status, undefined, "frps must still be running");
}

const SERVERS: Impl[] = ["ts"];
if (Deno.env.get("FRP_TEST_GO_GO") === "1") SERVERS.push("go");

for (const server of SERVERS) {
  const sLabel = label(server, "frps");

  for (const client of ["ts", "go"] as Impl[]) {
    const skip = skipReason(server) ?? skipReason(client);
    Deno.test({
      name:
        `bad input [${sLabel}] wrong token: ${label(client, "frpc")} prints the reason, exits 1` +
        (skip ? ` (skipped: ${skip})` : ""),
      ignore: skip !== undefined,
      async fn() {
        const [bindPort] = freePorts(1);
        await using frps = await startFrps({
          impl: server,
          config: { bindAddr: "127.0.0.1", bindPort, auth: { token: TOKEN } },
        });
        await using frpc = await startFrpc({
          impl: client,
          config: { serverAddr: "127.0.0.1", serverPort: bindPort, auth: { token: "wrong" } },
          waitFor: null,
        });
        await withLogs([frps, frpc], async () => {
          const status = await frpc.waitExit(15000);
          assertEquals(status.code, 1, "frpc exit code");
          assert(
            frpc.lines.some((l) => l.includes(WRONG_TOKEN_TEXT)),
            `frpc output lacks: ${WRONG_TOKEN_TEXT}`,
          );
        });
      },
    });
  }

  for (const client of ["ts", "go"] as Impl[]) {
    const skip = skipReason(server) ?? skipReason(client);
    Deno.test({
      name: `bad input [${sLabel}] mTLS: ${label(client, "frpc")} without a client certificate ` +
        `is refused, exits 1${skip ? ` (skipped: ${skip})` : ""}`,
      ignore: skip !== undefined,
      async fn() {
        const dir = await Deno.makeTempDir({ prefix: "frp-test-pki-" });
        try {
          const pki = await makeTestPki(dir);
          const [bindPort] = freePorts(1);
          await using frps = await startFrps({
            impl: server,
            config: {
              bindAddr: "127.0.0.1",
              bindPort,
              auth: { token: TOKEN },
              transport: {
                tls: {
                  certFile: pki.serverCert,
                  keyFile: pki.serverKey,
                  trustedCaFile: pki.caCert,
                },
              },
            },
          });
          await using frpc = await startFrpc({
            impl: client,
            config: {
              serverAddr: "127.0.0.1",
              serverPort: bindPort,
              auth: { token: TOKEN },
              transport: { tls: { trustedCaFile: pki.caCert, serverName: "127.0.0.1" } },
            },
            waitFor: null,
          });
          await withLogs([frps, frpc], async () => {
            const status = await frpc.waitExit(15000);
            assertEquals(status.code, 1, "frpc exit code");
            assert(
              frpc.lines.some((l) => l.includes("login to the server failed: ")),
              "frpc output lacks: login to the server failed: ",
            );
            assert(
              !frpc.lines.some((l) => /login to server success/.test(l)),
              "frpc logged in without a client certificate",
            );
          });
        } finally {
          await Deno.remove(dir, { recursive: true }).catch(() => {});
        }
      },
    });
  }

  const skip = skipReason(server);
  const suffix = skip ? ` (skipped: ${skip})` : "";

  Deno.test({
    name: `bad input [${sLabel}] raw v1 abuse, TLS off + tcpMux off; tunnel keeps working${suffix}`,
    ignore: skip !== undefined,
    async fn(t) {
      await using tun = await startTunnel(server, true);
      const { bindPort, remotePort, frps, frpc } = tun;
      await withLogs([frps, frpc], async () => {
        const traffic = backgroundTraffic(remotePort);
        const silent = await connect(bindPort);
        const silentClosed = expectClosed(silent, SILENT_CLOSE_MS);
        silentClosed.catch(() => {}); // awaited in its step

        const abuse = async (bytes: Uint8Array) => {
          const c = await connect(bindPort);
          await writeQuietly(c, bytes);
          return await expectClosed(c, QUICK_CLOSE_MS);
        };
        await t.step(`frame over ${MAX_BODY} bytes is closed`, async () => {
          await abuse(frame("o", "x".repeat(MAX_BODY + 1)));
        });
        // Go's bindPort mux waits for 10 bytes before routing, so header-only frames carry one
        // body byte (the length field still lies).
        await t.step("length field over the limit (header + 1 byte) is closed", async () => {
          await abuse(frame("o", "{", 1 << 30));
        });
        await t.step("negative length is closed", async () => {
          await abuse(frame("o", "{", -1));
        });
        await t.step("unknown type byte is closed", async () => {
          await abuse(frame("z", "{}"));
        });
        await t.step("malformed JSON is closed", async () => {
          await abuse(frame("o", '{"version":"0.70.1",'));
        });
        await t.step("first message not Login (Ping) is closed", async () => {
          await abuse(frame("h", "{}"));
        });
        await t.step("NewWorkConn with an unknown run id is closed", async () => {
          await abuse(frame("w", JSON.stringify({ run_id: "0123456789abcdef" })));
        });
        await t.step("random bytes are closed", async () => {
          const junk = randomBytes(512);
          if (junk[0] === 0x16 || junk[0] === 0x17) junk[0] = 0xff; // TLS is the other test
          await abuse(junk);
        });
        await t.step("Login with a wrong token gets LoginResp error, then close", async () => {
          const c = await connect(bindPort);
          const login = {
            version: "0.70.1",
            os: "linux",
            arch: "amd64",
            privilege_key: "00000000000000000000000000000000",
            timestamp: Math.floor(Date.now() / 1000),
            client_spec: {},
            pool_count: 1,
          };
          await writeQuietly(c, frame("o", JSON.stringify(login)));
          let resp;
          try {
            resp = await readFrame(c, QUICK_CLOSE_MS);
          } catch (e) {
            c.close();
            throw e;
          }
          assert(resp !== null, "frps closed without a LoginResp");
          assertEquals(resp.type, "1", "reply type byte");
          assertEquals(
            resp.body.error,
            "token in login doesn't match token from configuration",
            "LoginResp.error",
          );
          await expectClosed(c, QUICK_CLOSE_MS);
        });
        await t.step("a client that sends nothing is closed (first-message timeout)", async () => {
          const ms = await silentClosed;
          assert(ms >= 3000, `silent client closed after only ${ms} ms`);
        });
        await t.step("the tunnel worked throughout and still works", async () => {
          const { rounds, errors } = await traffic.finish();
          assertEquals(errors, [], `background tunnel traffic (${rounds} rounds)`);
          assert(rounds > 0, "no background round trips ran");
          await assertTunnelWorks(remotePort, frps);
        });
      });
    },
  });

  Deno.test({
    name:
      `bad input [${sLabel}] junk on a default frps (TLS + tcpMux); tunnel keeps working${suffix}`,
    ignore: skip !== undefined,
    async fn(t) {
      await using tun = await startTunnel(server, false);
      const { bindPort, remotePort, frps, frpc } = tun;
      await withLogs([frps, frpc], async () => {
        const traffic = backgroundTraffic(remotePort);
        const silent = await connect(bindPort);
        const silentClosed = expectClosed(silent, SILENT_CLOSE_MS);
        silentClosed.catch(() => {});

        const abuse = async (bytes: Uint8Array) => {
          const c = await connect(bindPort);
          await writeQuietly(c, bytes);
          return await expectClosed(c, QUICK_CLOSE_MS);
        };
        await t.step("random bytes are closed", async () => {
          const junk = randomBytes(512);
          if (junk[0] === 0x16 || junk[0] === 0x17) junk[0] = 0xff;
          await abuse(junk);
        });
        await t.step("0x17 + junk (custom TLS first byte, no handshake) is closed", async () => {
          // Not a TLS record (content type 0xff): rejected at once. Random bytes would start a
          // handshake record 1 time in 256 and leave the server waiting for the rest.
          await abuse(new Uint8Array([0x17, ...new Uint8Array(300).fill(0xff)]));
        });
        await t.step("TLS record header + junk handshake is closed", async () => {
          // A ClientHello whose declared length fits the record exactly and whose body is
          // garbage (a 255-byte session id, …), so every TLS stack rejects it at once; random
          // bytes could declare a longer message and leave the server waiting for more.
          const hello = new Uint8Array(252).fill(0xff);
          await abuse(
            new Uint8Array([0x16, 0x03, 0x01, 0x01, 0x00, 0x01, 0x00, 0x00, 0xfc, ...hello]),
          );
        });
        await t.step("TLS handshake then a bad yamux header is closed", async () => {
          // yamux version must be 0; 0xff... is invalid.
          await expectClosedAfterTlsJunk(bindPort, new Uint8Array(12).fill(0xff), QUICK_CLOSE_MS);
        });
        await t.step("TLS handshake then a v1 Login frame (no yamux) is closed", async () => {
          // What a tcpMux=false frpc sends first; yamux rejects the version byte 'o'.
          const login = frame("o", JSON.stringify({ version: "0.70.1", client_spec: {} }));
          await expectClosedAfterTlsJunk(bindPort, login, QUICK_CLOSE_MS);
        });
        await t.step("a client that sends nothing is closed (TLS-sniff timeout)", async () => {
          const ms = await silentClosed;
          assert(ms >= 3000, `silent client closed after only ${ms} ms`);
        });
        await t.step("the tunnel worked throughout and still works", async () => {
          const { rounds, errors } = await traffic.finish();
          assertEquals(errors, [], `background tunnel traffic (${rounds} rounds)`);
          assert(rounds > 0, "no background round trips ran");
          await assertTunnelWorks(remotePort, frps);
        });
      });
    },
  });
}
