/**
 * HTTPS vhost (SNI routing, no TLS termination) end to end: a Deno TLS client and
 * `openssl s_client -servername`, for our frps+frpc and both interop directions.
 */
import { assert, assertEquals } from "../_helpers/assert.ts";
import { freePorts } from "../_helpers/ports.ts";
import {
  opensslSClient,
  pairName,
  selfSignedCert,
  startFrp,
  startTlsGreeter,
  tlsGreeting,
  vhostPairs,
  withFrpLogs,
} from "../_helpers/vhost.ts";

for (const pair of vhostPairs()) {
  Deno.test({
    name: `vhost https: ${pairName(pair)}`,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async (t) => {
      const tls = await selfSignedCert([
        "a.sni.test",
        "*.wild.sni.test",
        "x.wild.sni.test",
        "shared.test",
      ]);
      const s1 = startTlsGreeter("S1", tls);
      const s2 = startTlsGreeter("S2", tls);
      const s3 = startTlsGreeter("S3", tls);
      const [hport] = freePorts(1);
      const proxies = [
        { name: "s1", type: "https", localPort: s1.port, customDomains: ["a.sni.test"] },
        { name: "s2", type: "https", localPort: s2.port, customDomains: ["*.wild.sni.test"] },
        { name: "s3", type: "https", localPort: s3.port, customDomains: ["x.wild.sni.test"] },
      ];
      try {
        {
          await using frp = await startFrp({ pair, server: { vhostHTTPSPort: hport }, proxies });
          await withFrpLogs(frp, async () => {
            await t.step("SNI routing with wildcards (Deno TLS client)", async () => {
              assertEquals(await tlsGreeting(hport, "a.sni.test", tls.ca), "S1");
              assertEquals(await tlsGreeting(hport, "y.wild.sni.test", tls.ca), "S2");
              assertEquals(await tlsGreeting(hport, "x.wild.sni.test", tls.ca), "S3");
            });
            await t.step("openssl s_client -servername", async () => {
              const ok = await opensslSClient(hport, "a.sni.test");
              assert(/CONNECTION ESTABLISHED|Protocol version/i.test(ok), ok);
              const bad = await opensslSClient(hport, "unknown.sni.test");
              assert(/unrecognized name/i.test(bad), bad);
            });
          });
        }
        await t.step("vhostHTTPSPort shared with bindPort", async () => {
          // frps binds bindPort itself; the helper picks it, so share by setting both equal.
          const [p] = freePorts(1);
          await using frp = await startFrp({
            pair,
            server: { bindPort: p, vhostHTTPSPort: p },
            proxies: [{
              name: "sh",
              type: "https",
              localPort: s1.port,
              customDomains: ["shared.test"],
            }],
            // A shared port sends 0x16 to the HTTPS vhost, so frpc must mark its TLS with 0x17.
            client: { serverPort: p, transport: { tls: { disableCustomTLSFirstByte: false } } },
          });
          await withFrpLogs(frp, async () => {
            assertEquals(await tlsGreeting(p, "shared.test", tls.ca), "S1");
          });
        });
      } finally {
        s1.close();
        s2.close();
        s3.close();
      }
    },
  });
}
