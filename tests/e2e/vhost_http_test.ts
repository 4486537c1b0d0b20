/**
 * HTTP vhost end to end with real clients (curl, a WebSocket client, raw sockets), for our
 * frps+frpc and both interop directions with Go frp (and Go+Go as the reference).
 */
import { assert, assertEquals } from "../_helpers/assert.ts";
import { freePorts } from "../_helpers/ports.ts";
import {
  curl,
  pairName,
  rawExchange,
  type Seen,
  startEchoBackend,
  startFrp,
  vhostPairs,
  withFrpLogs,
} from "../_helpers/vhost.ts";

const CUSTOM_404 = "<html><body>custom not found page</body></html>\n";

/** A raw TCP backend that answers CONNECT with 200 and then echoes. */
function startConnectBackend(): { port: number; close(): void; heads: string[] } {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const heads: string[] = [];
  (async () => {
    for await (const c of l) {
      (async () => {
        const buf = new Uint8Array(65536);
        let acc = "";
        const dec = new TextDecoder("latin1");
        while (!acc.includes("\r\n\r\n")) {
          const n = await c.read(buf).catch(() => null);
          if (n === null) return c.close();
          acc += dec.decode(buf.subarray(0, n));
        }
        const i = acc.indexOf("\r\n\r\n");
        heads.push(acc.slice(0, i));
        await c.write(new TextEncoder().encode("HTTP/1.1 200 Connection established\r\n\r\n"));
        const rest = acc.slice(i + 4);
        if (rest) await c.write(new TextEncoder().encode(rest));
        for (;;) {
          const n = await c.read(buf).catch(() => null);
          if (n === null) break;
          await c.write(buf.subarray(0, n)).catch(() => {});
        }
        try {
          c.close();
        } catch { /* closed */ }
      })();
    }
  })().catch(() => {});
  return { port: (l.addr as Deno.NetAddr).port, close: () => l.close(), heads };
}

for (const pair of vhostPairs({ goGo: true })) {
  Deno.test({
    name: `vhost http: ${pairName(pair)}`,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async (t) => {
      const [vport] = freePorts(1);
      const dir = await Deno.makeTempDir();
      const page404 = `${dir}/404.html`;
      await Deno.writeTextFile(page404, CUSTOM_404);
      await using a = startEchoBackend("A");
      await using w = startEchoBackend("W");
      await using e = startEchoBackend("E");
      await using l0 = startEchoBackend("L0");
      await using l1 = startEchoBackend("L1");
      await using l2 = startEchoBackend("L2");
      await using ua = startEchoBackend("UA");
      await using uany = startEchoBackend("UANY");
      await using slow = startEchoBackend("SLOW", { delayMs: 4000 });
      const cb = startConnectBackend();
      const http = (name: string, port: number, extra: Record<string, unknown>) => ({
        name,
        type: "http",
        localPort: port,
        ...extra,
      });
      await using frp = await startFrp({
        pair,
        server: {
          vhostHTTPPort: vport,
          subDomainHost: "example.com",
          vhostHTTPTimeout: 2,
          custom404Page: page404,
        },
        proxies: [
          http("web", a.port, { customDomains: ["a.test", "localhost"], subdomain: "sub" }),
          http("wild", w.port, { customDomains: ["*.wild.test"] }),
          http("exact", e.port, { customDomains: ["x.wild.test"] }),
          http("loc0", l0.port, { customDomains: ["loc.test"] }),
          http("loc1", l1.port, { customDomains: ["loc.test"], locations: ["/api"] }),
          http("loc2", l2.port, { customDomains: ["loc.test"], locations: ["/api/v2"] }),
          http("ua", ua.port, {
            customDomains: ["user.test"],
            routeByHTTPUser: "alice",
            httpUser: "alice",
            httpPassword: "pa",
          }),
          http("uany", uany.port, { customDomains: ["user.test"] }),
          http("auth", a.port, { customDomains: ["auth.test"], httpUser: "u", httpPassword: "p" }),
          http("hdr", a.port, {
            customDomains: ["hdr.test"],
            hostHeaderRewrite: "rewritten.local",
            requestHeaders: { set: { "x-from-frp": "yes", "X-Forwarded-Proto": "overridden" } },
            responseHeaders: { set: { "X-Resp": "set" } },
          }),
          http("slow", slow.port, { customDomains: ["slow.test"] }),
          http("conn", cb.port, { customDomains: ["connect.test"] }),
        ],
      });
      const base = `http://127.0.0.1:${vport}`;
      const get = async (host: string, path = "/", args: string[] = []) => {
        const r = await curl(["-H", `Host: ${host}`, ...args, `${base}${path}`]);
        return { ...r, seen: r.status === 200 ? JSON.parse(r.body) as Seen : undefined };
      };
      await withFrpLogs(frp, async () => {
        await t.step(
          "routing: custom domains, subdomain, wildcards, locations, users",
          async () => {
            assertEquals((await get("a.test")).seen?.backend, "A");
            assertEquals((await get("A.TEST:1234")).seen?.backend, "A");
            assertEquals((await get("sub.example.com")).seen?.backend, "A");
            assertEquals((await get("y.wild.test")).seen?.backend, "W");
            assertEquals((await get("deep.y.wild.test")).seen?.backend, "W");
            assertEquals((await get("x.wild.test")).seen?.backend, "E");
            assertEquals((await get("loc.test", "/api/v2/x")).seen?.backend, "L2");
            assertEquals((await get("loc.test", "/api/x")).seen?.backend, "L1");
            assertEquals((await get("loc.test", "/apix")).seen?.backend, "L1");
            assertEquals((await get("loc.test", "/other")).seen?.backend, "L0");
            assertEquals((await get("user.test", "/", ["-u", "alice:pa"])).seen?.backend, "UA");
            assertEquals((await get("user.test", "/", ["-u", "bob:x"])).seen?.backend, "UANY");
            assertEquals((await get("user.test")).seen?.backend, "UANY");
            // routed as alice but wrong password ⇒ 401 from alice's route
            assertEquals((await get("user.test", "/", ["-u", "alice:bad"])).status, 401);
          },
        );

        await t.step("unknown host ⇒ 404 with custom404Page", async () => {
          const r = await get("unknown.test");
          assertEquals(r.status, 404);
          assertEquals(r.body, CUSTOM_404);
        });

        await t.step("basic auth 401, and proxy-style 407", async () => {
          const r = await get("auth.test");
          assertEquals(r.status, 401);
          assertEquals(r.headers["www-authenticate"], 'Basic realm="Restricted"');
          assertEquals(r.body, "Unauthorized\n");
          assertEquals((await get("auth.test", "/", ["-u", "u:p"])).status, 200);
          assertEquals((await get("auth.test", "/", ["-u", "u:wrong"])).status, 401);
          const p = await curl(["-x", `127.0.0.1:${vport}`, "http://auth.test/x"]);
          assertEquals(p.status, 407);
          assertEquals(p.headers["proxy-authenticate"], 'Basic realm="Restricted"');
          assertEquals(p.body, "Proxy Authentication Required\n");
          const ok = await curl(["-x", `http://u:p@127.0.0.1:${vport}`, "http://auth.test/x?q=1"]);
          assertEquals(ok.status, 200);
          const seen = JSON.parse(ok.body) as Seen;
          assertEquals(new URL(seen.url).pathname, "/x");
          assertEquals(seen.headers["proxy-authorization"], undefined);
        });

        await t.step("header rewrite, request/response headers, X-Forwarded-*", async () => {
          const r = await get(`hdr.test:${vport}`, "/h?a=1", ["-H", "X-Forwarded-For: 9.9.9.9"]);
          const s = r.seen!;
          assertEquals(s.headers["host"], "rewritten.local");
          assertEquals(s.headers["x-from-frp"], "yes");
          assertEquals(s.headers["x-forwarded-for"], "9.9.9.9, 127.0.0.1");
          assertEquals(s.headers["x-forwarded-host"], `hdr.test:${vport}`);
          assertEquals(s.headers["x-forwarded-proto"], "overridden");
          assertEquals(new URL(s.url).search, "?a=1");
          assertEquals(r.headers["x-resp"], "set");
          const plain = (await get("a.test")).seen!;
          assertEquals(plain.headers["x-forwarded-for"], "127.0.0.1");
          assertEquals(plain.headers["x-forwarded-host"], "a.test");
          assertEquals(plain.headers["x-forwarded-proto"], "http");
          assertEquals(plain.headers["host"], "a.test");
        });

        await t.step("POST body and chunked request body", async () => {
          const r = await get("a.test", "/post", ["--data-binary", "hello-body"]);
          assertEquals(r.seen?.body, "hello-body");
          assertEquals(r.seen?.method, "POST");
          const c = await get("a.test", "/post", [
            "-H",
            "Transfer-Encoding: chunked",
            "--data-binary",
            "chunky",
          ]);
          assertEquals(c.seen?.body, "chunky");
        });

        await t.step("keep-alive: work connections are reused", async () => {
          const before = a.peers.size;
          const urls = Array.from({ length: 20 }, (_, i) => ["-o", "/dev/null", `${base}/k${i}`]);
          const out = await new Deno.Command("curl", {
            args: ["-s", "-w", "%{http_code}\\n", "-H", "Host: a.test", ...urls.flat()],
            stdout: "piped",
          }).output();
          const codes = new TextDecoder().decode(out.stdout).trim().split("\n");
          assertEquals(codes.length, 20);
          assert(codes.every((c) => c === "200"), codes.join(","));
          const used = a.peers.size - before;
          assert(used <= 2, `20 sequential requests used ${used} backend connections`);
        });

        await t.step("WebSocket upgrade pass-through", async () => {
          const ws = new WebSocket(`ws://localhost:${vport}/ws`);
          const got = await new Promise<string>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error("ws timeout")), 10000);
            ws.onopen = () => ws.send("ping");
            ws.onmessage = (m) => {
              clearTimeout(timer);
              resolve(String(m.data));
            };
            ws.onerror = (e) => {
              clearTimeout(timer);
              reject(new Error(`ws error ${(e as ErrorEvent).message}`));
            };
          });
          assertEquals(got, "A:ping");
          ws.close();
        });

        await t.step("vhostHTTPTimeout ⇒ 504", async () => {
          const r = await get("slow.test");
          assertEquals(r.status, 504);
          assertEquals(r.body, "");
        });

        await t.step("CONNECT on the vhost port", async () => {
          const r = await rawExchange(
            vport,
            "CONNECT connect.test:443 HTTP/1.1\r\nHost: connect.test:443\r\n\r\n",
            { until: (s) => s.includes("\r\n\r\n") },
          );
          assert(r.text.startsWith("HTTP/1.1 200 Connection established"), r.text);
          assert(cb.heads.some((h) => h.startsWith("CONNECT connect.test:443 HTTP/1.1")));
          const un = await rawExchange(
            vport,
            "CONNECT nope.test:443 HTTP/1.1\r\nHost: nope.test:443\r\n\r\n",
          );
          assert(un.text.startsWith("HTTP/1.1 404 Not Found\r\n"), un.text);
          assert(un.text.includes("Server: frp/"), un.text);
          assert(un.closed, "connection should be closed after the 404");
        });
      });
      cb.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  });
}
