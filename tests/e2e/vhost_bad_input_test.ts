/**
 * Bad input on the vhost ports: oversized and malformed request heads, slowloris clients
 * (others still served), unknown Host (frp's built-in 404), unknown/garbage SNI, CONNECT to
 * an unknown host. Our frps (Go frps as the reference), our frpc.
 */
import { assert, assertEquals } from "../_helpers/assert.ts";
import { freePorts } from "../_helpers/ports.ts";
import { hasGoFrp, hasTsFrp } from "../_helpers/proc.ts";
import {
  curl,
  opensslSClient,
  type Pair,
  pairName,
  rawExchange,
  startEchoBackend,
  startFrp,
  withFrpLogs,
} from "../_helpers/vhost.ts";
import { NOT_FOUND_PAGE } from "../../server/vhost/resource.ts";

const pairs: Pair[] = [];
if (hasTsFrp()) pairs.push({ server: "ts", client: "ts" });
if (hasTsFrp() && hasGoFrp()) pairs.push({ server: "go", client: "ts" });

for (const pair of pairs) {
  Deno.test({
    name: `vhost bad input: ${pairName(pair)}`,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async (t) => {
      const [vport, hport] = freePorts(2);
      await using a = startEchoBackend("A");
      await using frp = await startFrp({
        pair,
        server: { vhostHTTPPort: vport, vhostHTTPSPort: hport },
        proxies: [{ name: "web", type: "http", localPort: a.port, customDomains: ["a.test"] }],
      });
      await withFrpLogs(frp, async () => {
        await t.step("unknown Host ⇒ frp's built-in 404 page", async () => {
          const r = await curl(["-H", "Host: nobody.test", `http://127.0.0.1:${vport}/`]);
          assertEquals(r.status, 404);
          assertEquals(r.body, NOT_FOUND_PAGE);
          assertEquals(r.headers["content-type"], "text/html; charset=utf-8");
        });
        await t.step("oversized request head ⇒ 431 and close", async () => {
          const big = "X-Big: " + "a".repeat(8192) + "\r\n";
          const head = "GET / HTTP/1.1\r\nHost: a.test\r\n" + big.repeat(160) + "\r\n";
          const r = await rawExchange(vport, head, { ms: 10000 });
          assert(r.text.startsWith("HTTP/1.1 431"), r.text.slice(0, 200));
          assert(r.closed);
        });
        await t.step("malformed request line / missing Host ⇒ 400", async () => {
          const r = await rawExchange(vport, "THIS IS NOT HTTP\r\n\r\n");
          assert(r.text.startsWith("HTTP/1.1 400"), r.text);
          assert(r.closed);
          const h = await rawExchange(vport, "GET / HTTP/1.1\r\n\r\n");
          assert(h.text.startsWith("HTTP/1.1 400"), h.text);
          const bad = await rawExchange(
            vport,
            "GET / HTTP/1.1\r\nHost: a.test\r\nBad Header\r\n\r\n",
          );
          assert(bad.text.startsWith("HTTP/1.1 400"), bad.text);
        });
        await t.step("slowloris clients do not block others", async () => {
          const slow: Deno.TcpConn[] = [];
          for (let i = 0; i < 50; i++) {
            const c = await Deno.connect({ hostname: "127.0.0.1", port: vport });
            await c.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: a.te"));
            slow.push(c);
          }
          try {
            for (let i = 0; i < 5; i++) {
              const r = await curl(
                ["-H", "Host: a.test", `http://127.0.0.1:${vport}/ok${i}`],
                5000,
              );
              assertEquals(r.status, 200);
              for (const c of slow.slice(0, 10)) {
                await c.write(new Uint8Array([0x73])).catch(() => {});
              }
            }
          } finally {
            for (const c of slow) {
              try {
                c.close();
              } catch { /* closed */ }
            }
          }
        });
        await t.step("CONNECT to an unknown host ⇒ raw 404 and close", async () => {
          const r = await rawExchange(
            vport,
            "CONNECT nowhere.test:443 HTTP/1.1\r\nHost: nowhere.test:443\r\n\r\n",
          );
          assert(r.text.startsWith("HTTP/1.1 404 Not Found\r\nContent-Length: "), r.text);
          assert(r.text.endsWith(NOT_FOUND_PAGE), r.text);
          assert(r.closed);
        });
        await t.step("unknown SNI ⇒ alert and close; garbage ⇒ closed silently", async () => {
          const out = await opensslSClient(hport, "nobody.test");
          assert(/unrecognized name/i.test(out), out);
          const g = await rawExchange(hport, "\x16\x03\x01\x00\x05hello-not-a-hello");
          assert(g.closed);
          assertEquals(g.text, "");
        });
        await t.step("the vhost still serves afterwards", async () => {
          const r = await curl(["-H", "Host: a.test", `http://127.0.0.1:${vport}/`]);
          assertEquals(r.status, 200);
        });
      });
    },
  });
}
