/**
 * frpc ships with `--unsafely-ignore-certificate-errors` (frp's default skip-verify on Deno's
 * fast TLS). This proves, with the shipped flags, that `transport.tls.trustedCaFile` still
 * verifies the server: a server certificate from another CA is refused, the right CA works.
 */
import { assert, assertEquals } from "../_helpers/assert.ts";
import { freePorts } from "../_helpers/ports.ts";
import { makeTestPki } from "../_helpers/pki.ts";
import { startFrpc, startFrps, withLogs } from "../_helpers/proc.ts";

Deno.test("tls verify: our frpc (shipped flags) refuses a server cert not from trustedCaFile", async () => {
  const dirA = await Deno.makeTempDir({ prefix: "frp-pki-a-" });
  const dirB = await Deno.makeTempDir({ prefix: "frp-pki-b-" });
  try {
    const [server, other] = await Promise.all([makeTestPki(dirA), makeTestPki(dirB)]);
    const [bindPort] = freePorts(1);
    await using frps = await startFrps({
      impl: "ts",
      config: {
        bindAddr: "127.0.0.1",
        bindPort,
        transport: { tls: { certFile: server.serverCert, keyFile: server.serverKey } },
      },
    });
    const client = (ca: string) => ({
      serverAddr: "127.0.0.1",
      serverPort: bindPort,
      transport: { tls: { trustedCaFile: ca, serverName: "127.0.0.1" } },
    });
    await using wrong = await startFrpc({
      impl: "ts",
      config: client(other.caCert),
      waitFor: null,
    });
    const status = await wrong.waitExit(20_000);
    await withLogs([frps, wrong], () => {
      assertEquals(status.code, 1);
      assert(
        wrong.lines.some((l) => /login to the server failed: .*(certificate|verify)/i.test(l)),
        "expected a certificate verification failure",
      );
      return Promise.resolve();
    });
    await using right = await startFrpc({ impl: "ts", config: client(server.caCert) });
    assert(right.lines.some((l) => /login to server success/.test(l)), right.output());
  } finally {
    await Deno.remove(dirA, { recursive: true });
    await Deno.remove(dirB, { recursive: true });
  }
});
