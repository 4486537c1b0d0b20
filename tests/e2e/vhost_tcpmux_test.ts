/**
 * tcpmux httpconnect end to end with raw sockets: byte-exact 200 / 407 / 404, routing by host
 * and routeByHTTPUser, passthrough; ours and both interop directions.
 */
import { assert, assertEquals } from "../_helpers/assert.ts";
import { freePorts } from "../_helpers/ports.ts";
import { startTcpEcho } from "../_helpers/services.ts";
import { pairName, rawExchange, startFrp, vhostPairs, withFrpLogs } from "../_helpers/vhost.ts";

const OK = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
const DENIED =
  'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="Restricted"\r\nContent-Length: 0\r\n\r\n';

function connectHead(host: string, auth?: string): string {
  const pa = auth ? `Proxy-Authorization: Basic ${btoa(auth)}\r\n` : "";
  return `CONNECT ${host} HTTP/1.1\r\nHost: ${host}\r\n${pa}\r\n`;
}

/** A backend that greets with its name, then echoes. */
function greeter(name: string): { port: number; close(): void } {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const c of l) {
      (async () => {
        await c.write(new TextEncoder().encode(`[${name}]`)).catch(() => {});
        await c.readable.pipeTo(c.writable).catch(() => {});
      })();
    }
  })().catch(() => {});
  return { port: (l.addr as Deno.NetAddr).port, close: () => l.close() };
}

for (const pair of vhostPairs()) {
  Deno.test({
    name: `vhost tcpmux: ${pairName(pair)}`,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async (t) => {
      const [mport, pport] = freePorts(2);
      const g1 = greeter("G1");
      const g2 = greeter("G2");
      const g3 = greeter("G3");
      await using echo = startTcpEcho();
      const mux = (name: string, port: number, extra: Record<string, unknown>) => ({
        name,
        type: "tcpmux",
        multiplexer: "httpconnect",
        localPort: port,
        ...extra,
      });
      try {
        {
          await using frp = await startFrp({
            pair,
            server: { tcpmuxHTTPConnectPort: mport },
            proxies: [
              mux("m1", g1.port, { customDomains: ["m1.test", "*.wild.mux"] }),
              mux("m2", g2.port, {
                customDomains: ["m2.test"],
                httpUser: "alice",
                httpPassword: "pw",
                routeByHTTPUser: "alice",
              }),
              mux("m3", g3.port, { customDomains: ["m2.test"] }),
            ],
          });
          await withFrpLogs(frp, async () => {
            await t.step("CONNECT routes by host; 200 then the raw stream", async () => {
              const r = await rawExchange(mport, connectHead("m1.test:80"), {
                until: (s) => s.includes("[G1]"),
              });
              assertEquals(r.text, OK + "[G1]");
              const w = await rawExchange(mport, connectHead("a.wild.mux:443"), {
                until: (s) => s.includes("]"),
              });
              assertEquals(w.text, OK + "[G1]");
              const c = await rawExchange(mport, connectHead("m1.test:80"), {
                keepOpen: true,
                until: (s) => s.includes("[G1]"),
              });
              await c.conn!.write(new TextEncoder().encode("ping"));
              const buf = new Uint8Array(16);
              const n = await c.conn!.read(buf);
              assertEquals(new TextDecoder().decode(buf.subarray(0, n ?? 0)), "ping");
              c.conn!.close();
            });
            await t.step(
              "routeByHTTPUser and auth: 200 followed by 407 on bad credentials",
              async () => {
                const ok = await rawExchange(mport, connectHead("m2.test:80", "alice:pw"), {
                  until: (s) => s.includes("]"),
                });
                assertEquals(ok.text, OK + "[G2]");
                const other = await rawExchange(mport, connectHead("m2.test:80", "bob:x"), {
                  until: (s) => s.includes("]"),
                });
                assertEquals(other.text, OK + "[G3]");
                const bad = await rawExchange(mport, connectHead("m2.test:80", "alice:wrong"));
                assertEquals(bad.text, OK + DENIED);
                assert(bad.closed);
              },
            );
            await t.step("unknown host ⇒ raw 404; non-CONNECT ⇒ closed", async () => {
              const r = await rawExchange(mport, connectHead("nope.test:80"));
              assert(r.closed);
              const m =
                /^HTTP\/1\.1 404 Not Found\r\nContent-Length: (\d+)\r\nContent-Type: text\/html\r\nServer: frp\/[\d.]+\r\n\r\n/
                  .exec(r.text);
              assert(m, r.text);
              assertEquals(r.text.length - m[0].length, Number(m[1]));
              assert(r.text.includes("<title>Not Found</title>"));
              const g = await rawExchange(mport, "GET / HTTP/1.1\r\nHost: m1.test\r\n\r\n");
              assertEquals(g.text, "");
              assert(g.closed);
            });
          });
        }
        await t.step("tcpmuxPassthrough: backend sees the CONNECT request", async () => {
          await using frp = await startFrp({
            pair,
            server: { tcpmuxHTTPConnectPort: pport, tcpmuxPassthrough: true },
            proxies: [mux("pt", echo.port, { customDomains: ["pt.test"] })],
          });
          await withFrpLogs(frp, async () => {
            const head = connectHead("pt.test:80");
            const r = await rawExchange(pport, head, { until: (s) => s.length >= head.length });
            assertEquals(r.text, head);
          });
        });
      } finally {
        g1.close();
        g2.close();
        g3.close();
      }
    },
  });
}
