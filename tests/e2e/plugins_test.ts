/**
 * frpc client plugins end to end (behaviour.md §9): every plugin behind a tcp proxy, driven by
 * real clients (curl --proxy / --socks5, curl -k for the https bridges, TLS and unix-socket
 * echo). Runs for our frps+frpc, our frpc against Go frps (plugins are client-side), and Go
 * frpc against our frps as the reference for the asserted behaviour and raw response bytes.
 */
import { assert, assertEquals } from "../_helpers/assert.ts";
import { freePorts } from "../_helpers/ports.ts";
import { hasGoFrp, hasTsFrp, type Impl } from "../_helpers/proc.ts";
import { tcpRoundTrip, withTimeout } from "../_helpers/services.ts";
import {
  curl,
  type Pair,
  pairName,
  rawExchange,
  type Seen,
  selfSignedCert,
  startEchoBackend,
  startFrp,
  withFrpLogs,
} from "../_helpers/vhost.ts";

const enc = new TextEncoder();

function pairs(): Pair[] {
  const out: Pair[] = [];
  if (hasTsFrp()) out.push({ server: "ts", client: "ts" });
  if (hasTsFrp() && hasGoFrp()) {
    out.push({ server: "go", client: "ts" }, { server: "ts", client: "go" as Impl });
  }
  return out;
}

/** An HTTPS backend reporting what it received (as startEchoBackend). */
function startHttpsEcho(tls: { cert: string; key: string }) {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, cert: tls.cert, key: tls.key, onListen: () => {} },
    async (req, info) => {
      const seen: Seen = {
        method: req.method,
        url: req.url,
        headers: Object.fromEntries(req.headers),
        body: await req.text(),
        peer: `${info.remoteAddr.hostname}:${info.remoteAddr.port}`,
        backend: "TLS",
      };
      return new Response(JSON.stringify(seen), {
        headers: { "content-type": "application/json" },
      });
    },
  );
  const close = () => server.shutdown().catch(() => {});
  return { port: server.addr.port, [Symbol.asyncDispose]: close };
}

/** A unix stream socket echo server. */
function startUnixEcho(path: string) {
  const l = Deno.listen({ transport: "unix", path });
  (async () => {
    for await (const c of l) {
      c.readable.pipeTo(c.writable).catch(() => {});
    }
  })().catch(() => {});
  return { [Symbol.asyncDispose]: () => Promise.resolve(l.close()) };
}

const dropDate = (s: string) => s.replace(/\r\nDate: [^\r\n]*/g, "");

for (const pair of pairs()) {
  Deno.test({
    name: `client plugins: ${pairName(pair)}`,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async (t) => {
      const dir = await Deno.makeTempDir({ prefix: "frp-plugins-" });
      await Deno.mkdir(`${dir}/www/sub`, { recursive: true });
      await Deno.writeTextFile(`${dir}/www/hello.txt`, "hello static\n");
      await Deno.writeTextFile(`${dir}/www/sub/a b.txt`, "0123456789");
      const sock = `${dir}/echo.sock`;
      const leaf = await selfSignedCert(["localhost"]);
      await Deno.writeTextFile(`${dir}/leaf.pem`, leaf.cert);
      await Deno.writeTextFile(`${dir}/leaf.key`, leaf.key);
      await using echo = startEchoBackend("E");
      await using tlsEcho = startHttpsEcho(leaf);
      await using _unix = startUnixEcho(sock);
      const rawEcho = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      (async () => {
        for await (const c of rawEcho) c.readable.pipeTo(c.writable).catch(() => {});
      })().catch(() => {});
      const [pHttp, pSocks, pStatic, pUnix, pH2h, pH2hs, pHs2h, pHs2hs, pTls, pOpen] = freePorts(
        10,
      );
      const tcp = (name: string, remotePort: number, plugin: Record<string, unknown>) => ({
        name,
        type: "tcp",
        remotePort,
        plugin,
      });
      const rewrite = {
        hostHeaderRewrite: "rewritten.test",
        requestHeaders: { set: { "x-added": "yes" } },
      };
      await using frp = await startFrp({
        pair,
        proxies: [
          tcp("hp", pHttp, { type: "http_proxy", httpUser: "u", httpPassword: "p" }),
          tcp("hpopen", pOpen, { type: "http_proxy" }),
          tcp("s5", pSocks, { type: "socks5", username: "su", password: "sp" }),
          tcp("sf", pStatic, {
            type: "static_file",
            localPath: `${dir}/www`,
            stripPrefix: "static",
            httpUser: "fu",
            httpPassword: "fp",
          }),
          tcp("uds", pUnix, { type: "unix_domain_socket", unixPath: sock }),
          tcp("h2h", pH2h, { type: "http2http", localAddr: `127.0.0.1:${echo.port}`, ...rewrite }),
          tcp("h2hs", pH2hs, {
            type: "http2https",
            localAddr: `127.0.0.1:${tlsEcho.port}`,
            ...rewrite,
          }),
          tcp("hs2h", pHs2h, {
            type: "https2http",
            localAddr: `127.0.0.1:${echo.port}`,
            ...rewrite,
          }),
          tcp("hs2hs", pHs2hs, {
            type: "https2https",
            localAddr: `127.0.0.1:${tlsEcho.port}`,
          }),
          tcp("tls", pTls, {
            type: "tls2raw",
            localAddr: `127.0.0.1:${(rawEcho.addr as Deno.NetAddr).port}`,
            crtPath: `${dir}/leaf.pem`,
            keyPath: `${dir}/leaf.key`,
          }),
        ],
      });
      const target = `http://127.0.0.1:${echo.port}`;
      try {
        await withFrpLogs(frp, async () => {
          await t.step("http_proxy: forward + CONNECT with auth", async () => {
            const fwd = await curl(["-x", `http://u:p@127.0.0.1:${pHttp}`, `${target}/fwd?q=1`]);
            assertEquals(fwd.status, 200, fwd.stderr);
            const seen = JSON.parse(fwd.body) as Seen;
            assertEquals(seen.url, `http://127.0.0.1:${echo.port}/fwd?q=1`);
            assertEquals(seen.headers["proxy-authorization"], undefined);
            const tun = await curl(["-p", "-x", `http://u:p@127.0.0.1:${pHttp}`, `${target}/tun`]);
            assertEquals(tun.status, 200, tun.stderr);
            assertEquals((JSON.parse(tun.body) as Seen).url, `http://127.0.0.1:${echo.port}/tun`);
            const post = await curl(["-x", `http://127.0.0.1:${pOpen}`, "-d", "body!", target]);
            assertEquals((JSON.parse(post.body) as Seen).body, "body!");
          });
          await t.step("http_proxy: auth failures and dial errors (Go bytes)", async () => {
            const bad = await curl(["-x", `http://u:x@127.0.0.1:${pHttp}`, target]);
            assertEquals(bad.status, 407);
            assertEquals(bad.headers["proxy-authenticate"], "Basic");
            const c407 = await rawExchange(
              pHttp,
              `CONNECT 127.0.0.1:${echo.port} HTTP/1.1\r\nHost: x\r\n\r\n`,
            );
            assertEquals(
              c407.text,
              "HTTP/1.1 407 Not authorized\r\nConnection: close\r\nProxy-Authenticate: Basic\r\n" +
                "Content-Length: 0\r\n\r\n",
            );
            const [dead] = freePorts(1);
            const c400 = await rawExchange(
              pOpen,
              `CONNECT 127.0.0.1:${dead} HTTP/1.1\r\nHost: x\r\n\r\n`,
            );
            assertEquals(c400.text, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
            const plain407 = await rawExchange(
              pHttp,
              `GET ${target}/ HTTP/1.1\r\nHost: x\r\n\r\n`,
              {
                until: (s) => s.includes("\r\n\r\n"),
              },
            );
            assertEquals(
              dropDate(plain407.text),
              "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n" +
                "Content-Length: 0\r\n\r\n",
            );
          });
          await t.step("http_proxy: origin-form request is a transport error (500)", async () => {
            const r = await rawExchange(pOpen, "GET /x HTTP/1.1\r\nHost: a\r\n\r\n", {
              until: (s) => s.endsWith("\n\n") || /scheme ""\n$/.test(s),
            });
            assert(r.text.startsWith("HTTP/1.1 500 Internal Server Error\r\n"), r.text);
            assert(r.text.endsWith('\r\n\r\nunsupported protocol scheme ""\n'), r.text);
          });
          await t.step("socks5: user/pass, domain names, wrong password", async () => {
            const ok = await curl([
              "--socks5",
              `127.0.0.1:${pSocks}`,
              "--proxy-user",
              "su:sp",
              `${target}/s5`,
            ]);
            assertEquals(ok.status, 200, ok.stderr);
            const host = await curl([
              "--socks5-hostname",
              `127.0.0.1:${pSocks}`,
              "--proxy-user",
              "su:sp",
              `http://localhost:${echo.port}/name`,
            ]);
            assertEquals(host.status, 200, host.stderr);
            const bad = await curl([
              "--socks5",
              `127.0.0.1:${pSocks}`,
              "--proxy-user",
              "su:nope",
              target,
            ]);
            assert(bad.code !== 0 && bad.status === 0, `expected failure: ${bad.code}`);
            // No acceptable method: only "no auth" offered while auth is required.
            const noAuth = await rawExchange(pSocks, new Uint8Array([5, 1, 0]), { ms: 3000 });
            assertEquals([...noAuth.bytes], [5, 0xff]);
          });
          await t.step("static_file: files, listing, redirects, auth, 404", async () => {
            const auth = ["-u", "fu:fp"];
            const base = `http://127.0.0.1:${pStatic}`;
            const f = await curl([...auth, `${base}/static/hello.txt`]);
            assertEquals(f.status, 200);
            assertEquals(f.body, "hello static\n");
            assertEquals(f.headers["content-type"], "text/plain; charset=utf-8");
            const r = await curl([...auth, "-r", "2-4", `${base}/static/sub/a%20b.txt`]);
            assertEquals(r.status, 206);
            assertEquals(r.body, "234");
            const redir = await curl([...auth, `${base}/static/sub`]);
            assertEquals(redir.status, 301);
            assertEquals(redir.headers["location"], "sub/");
            const list = await curl([...auth, `${base}/static/sub/`]);
            assertEquals(list.status, 200);
            assert(list.body.includes('<a href="a%20b.txt">a b.txt</a>'), list.body);
            const top = await curl([...auth, `${base}/static/`]);
            assert(top.body.includes('<a href="sub/">sub/</a>'), top.body);
            const gz = await curl([...auth, "--compressed", `${base}/static/hello.txt`]);
            assertEquals(gz.headers["content-encoding"], "gzip");
            assertEquals(gz.body, "hello static\n");
            const noAuth = await curl([`${base}/static/hello.txt`]);
            assertEquals(noAuth.status, 401);
            assertEquals(noAuth.body, "Unauthorized\n");
            assertEquals(noAuth.headers["www-authenticate"], 'Basic realm="Restricted"');
            const missing = await curl([...auth, `${base}/static/nope.txt`]);
            assertEquals(missing.status, 404);
            const outside = await rawExchange(pStatic, "GET /other HTTP/1.1\r\nHost: x\r\n\r\n", {
              until: (s) => s.endsWith("404 page not found\n"),
            });
            assertEquals(
              dropDate(outside.text),
              "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\n" +
                "X-Content-Type-Options: nosniff\r\nContent-Length: 19\r\n\r\n" +
                "404 page not found\n",
            );
            const post = await curl(["-X", "POST", `${base}/static/hello.txt`]);
            assertEquals(post.status, 405);
          });
          await t.step("unix_domain_socket: echo", async () => {
            const data = enc.encode("over a unix socket");
            assertEquals(await tcpRoundTrip(pUnix, data), data);
          });
          await t.step("http2http: rewrite, headers, X-Forwarded stripped", async () => {
            const r = await curl(["-H", "X-Forwarded-For: 1.2.3.4", `http://127.0.0.1:${pH2h}/a`]);
            assertEquals(r.status, 200, r.stderr);
            const seen = JSON.parse(r.body) as Seen;
            assertEquals(seen.headers["host"], "rewritten.test");
            assertEquals(seen.headers["x-added"], "yes");
            assertEquals(seen.headers["x-forwarded-for"], undefined);
          });
          await t.step("http2https: to a TLS backend, X-Forwarded copied", async () => {
            const r = await curl(["-H", "X-Forwarded-For: 1.2.3.4", `http://127.0.0.1:${pH2hs}/b`]);
            assertEquals(r.status, 200, r.stderr);
            const seen = JSON.parse(r.body) as Seen;
            assertEquals(seen.backend, "TLS");
            assertEquals(seen.headers["host"], "rewritten.test");
            assertEquals(seen.headers["x-forwarded-for"], "1.2.3.4");
          });
          await t.step("https2http: TLS termination, X-Forwarded appended, 421", async () => {
            const r = await curl([
              "-k",
              "-H",
              "X-Forwarded-For: 1.2.3.4",
              `https://127.0.0.1:${pHs2h}/c`,
            ]);
            assertEquals(r.status, 200, r.stderr);
            const seen = JSON.parse(r.body) as Seen;
            assertEquals(seen.headers["host"], "rewritten.test");
            assertEquals(seen.headers["x-forwarded-for"], "1.2.3.4, 127.0.0.1");
            assertEquals(seen.headers["x-forwarded-host"], `127.0.0.1:${pHs2h}`);
            assertEquals(seen.headers["x-forwarded-proto"], "https");
            const mis = await curl([
              "-k",
              "--http1.1",
              "--resolve",
              `a.test:${pHs2h}:127.0.0.1`,
              "-H",
              "Host: b.test",
              `https://a.test:${pHs2h}/`,
            ]);
            assertEquals(mis.status, 421);
          });
          await t.step("https2https: TLS both sides", async () => {
            const r = await curl(["-k", "--http1.1", `https://127.0.0.1:${pHs2hs}/d`]);
            assertEquals(r.status, 200, r.stderr);
            assertEquals((JSON.parse(r.body) as Seen).backend, "TLS");
          });
          await t.step("tls2raw: TLS in, raw bytes to the local service", async () => {
            const tcpConn = await Deno.connect({ hostname: "127.0.0.1", port: pTls });
            const c = await withTimeout(
              Deno.startTls(tcpConn, { hostname: "localhost", caCerts: [leaf.ca] }),
              10000,
              "tls2raw handshake",
            );
            try {
              await c.write(enc.encode("raw!"));
              const buf = new Uint8Array(16);
              const n = await withTimeout(c.read(buf), 10000, "tls2raw echo");
              assertEquals(new TextDecoder().decode(buf.subarray(0, n ?? 0)), "raw!");
            } finally {
              c.close();
            }
          });
        });
      } finally {
        rawEcho.close();
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    },
  });
}
