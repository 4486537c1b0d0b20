/**
 * The request inspector (beyond frp, docs/beyond-frp.md): our frps with `[inspector]`, an http
 * proxy captured by pattern and one not, driven by curl, fetch and a WebSocket, with our frpc
 * and Go frpc v0.70.1 as clients (capture is frps-side: both must give the same records).
 * Asserts the recorded fields, secret masking, body preview bounds (request and response,
 * chunked both ways, large bodies passing whole), the upgrade record, replay (a new entry, the
 * local service hit again), the ring bound, the dashboard toggle, clear, and API auth.
 */
import { assert, assertEquals } from "../_helpers/assert.ts";
import { freePorts } from "../_helpers/ports.ts";
import { hasGoFrp, hasTsFrp, type Impl } from "../_helpers/proc.ts";
import { randomBytes, sha256hex, withTimeout } from "../_helpers/services.ts";
import { curl, startFrp, waitUntil, withFrpLogs } from "../_helpers/vhost.ts";

const USER = "admin";
const PASSWORD = "insp-pass";
const AUTH = { authorization: "Basic " + btoa(`${USER}:${PASSWORD}`) };
const PREVIEW = 64;
const MAX_REQUESTS = 8;
const BIG = 100_000;
const GZ_TEXT = Array.from({ length: 2000 }, (_, i) => `line ${i}\n`).join("");

interface Backend extends AsyncDisposable {
  port: number;
  hits: () => number;
  /** Lets `/stream` send the rest of its answer. */
  release: () => void;
}

/** The local service: echoes bodies, streams a chunked answer, sets a cookie, echoes WS. */
function startBackend(): Backend {
  let hits = 0;
  let release = () => {};
  const gate = new Promise<void>((r) => (release = r));
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    hits++;
    const url = new URL(req.url);
    if (url.pathname === "/ws") {
      const { socket, response } = Deno.upgradeWebSocket(req);
      socket.onmessage = (e) => socket.send(`echo:${e.data}`);
      return response;
    }
    if (url.pathname === "/gz") {
      const gz = new Blob([GZ_TEXT]).stream().pipeThrough(new CompressionStream("gzip"));
      return new Response(gz, {
        headers: { "content-type": "text/plain", "content-encoding": "gzip" },
      });
    }
    if (url.pathname === "/cookie") {
      return new Response("cookie set", { headers: { "set-cookie": "session=topsecret" } });
    }
    if (url.pathname === "/stream") {
      const enc = new TextEncoder();
      const body = new ReadableStream({
        async start(c) {
          for (let i = 0; i < 5; i++) {
            c.enqueue(enc.encode(`part${i};`));
            if (i === 0) await gate;
            await new Promise((r) => setTimeout(r, 5));
          }
          c.close();
        },
      });
      return new Response(body, { headers: { "content-type": "application/octet-stream" } });
    }
    const body = new Uint8Array(await req.arrayBuffer());
    return new Response(body, {
      headers: {
        "content-type": req.headers.get("content-type") ?? "text/plain",
        "x-hit": `${hits}`,
      },
    });
  });
  const close = () => server.shutdown();
  return {
    port: server.addr.port,
    hits: () => hits,
    release: () => release(),
    [Symbol.asyncDispose]: close,
  };
}

// deno-lint-ignore no-explicit-any
type Json = any;

async function api(web: number, path: string, init: RequestInit = {}): Promise<Json> {
  const res = await fetch(`http://127.0.0.1:${web}${path}`, {
    ...init,
    headers: { ...AUTH, ...(init.headers ?? {}) },
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

/** The newest recorded request of `proxy` once it is no longer pending. */
async function newest(web: number, proxy: string, after: number): Promise<Json> {
  let got: Json;
  await waitUntil(
    async () => {
      const list = await api(web, `/api/inspect/${proxy}/requests`);
      got = list.requests[0];
      return !!got && got.id > after && got.state !== "pending";
    },
    10000,
    `a new request of ${proxy} after id ${after}`,
  );
  return got;
}

const clients: Impl[] = hasGoFrp() ? ["ts", "go"] : ["ts"];

for (const client of clients) {
  Deno.test({
    name: `inspector: frps=ts frpc=${client}`,
    ignore: !hasTsFrp(),
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const [vport, web] = freePorts(2);
      await using backend = startBackend();
      await using frp = await startFrp({
        pair: { server: "ts", client },
        server: {
          vhostHTTPPort: vport,
          webServer: { addr: "127.0.0.1", port: web, user: USER, password: PASSWORD },
          inspector: {
            enable: true,
            proxies: ["web*"],
            maxRequests: MAX_REQUESTS,
            maxBodyPreviewBytes: PREVIEW,
          },
        },
        proxies: [
          {
            name: "web",
            type: "http",
            localPort: backend.port,
            customDomains: ["web.test", "127.0.0.1"],
            // The tap sees the plain stream, inside encryption and compression.
            transport: { useEncryption: true, useCompression: true },
          },
          { name: "plain", type: "http", localPort: backend.port, customDomains: ["plain.test"] },
          ...["grp1", "grp2"].map((name) => ({
            name,
            type: "http",
            localPort: backend.port,
            customDomains: ["grp.test"],
            loadBalancer: { group: "g", groupKey: "k" },
          })),
        ],
      });
      const base = `http://127.0.0.1:${vport}`;
      await withFrpLogs(frp, async () => {
        // Authenticated like the rest of the dashboard API.
        const anon = await fetch(`http://127.0.0.1:${web}/api/inspect/web/requests`);
        await anon.body?.cancel();
        assertEquals(anon.status, 401);
        const ps = await api(web, "/api/inspect");
        assertEquals(ps.proxies.map((p: Json) => [p.name, p.enabled]), [
          ["grp1", false],
          ["grp2", false],
          ["plain", false],
          ["web", true],
        ]);

        // 1. Fields and masking.
        const r1 = await curl([
          `${base}/echo?x=1`,
          "-H",
          "Host: web.test",
          "-H",
          "Authorization: Bearer secret-token",
          "-H",
          "Cookie: sid=abc",
          "-H",
          "X-Custom: visible",
          "--data-binary",
          "hello-body",
        ]);
        assertEquals(r1.status, 200);
        assertEquals(r1.body, "hello-body");
        const e1 = await newest(web, "web", 0);
        assertEquals(
          [e1.method, e1.host, e1.path, e1.status, e1.requestSize, e1.responseSize, e1.state],
          ["POST", "web.test", "/echo?x=1", 200, 10, 10, "complete"],
        );
        assert(
          typeof e1.durationMs === "number" && e1.durationMs >= 0,
          `duration ${e1.durationMs}`,
        );
        assertEquals(e1.remoteAddr, "127.0.0.1");
        const d1 = await api(web, `/api/inspect/web/requests/${e1.id}`);
        const reqH = Object.fromEntries(
          d1.request.headers.map(([k, v]: string[]) => [k.toLowerCase(), v]),
        );
        assertEquals(reqH["authorization"], "***");
        assertEquals(reqH["cookie"], "***");
        assertEquals(reqH["x-custom"], "visible");
        assert(!JSON.stringify(d1).includes("secret-token"), "secret leaked");
        assertEquals(d1.request.body, {
          size: 10,
          truncated: false,
          encoding: "utf8",
          preview: "hello-body",
        });
        assertEquals(d1.response.body.preview, "hello-body");
        const resH = Object.fromEntries(
          d1.response.headers.map(([k, v]: string[]) => [k.toLowerCase(), v]),
        );
        assertEquals(resH["content-type"], "application/x-www-form-urlencoded");

        // 2. Set-Cookie masked.
        const r2 = await curl([`${base}/cookie`, "-H", "Host: web.test"]);
        assertEquals(r2.headers["set-cookie"], "session=topsecret");
        const e2 = await newest(web, "web", e1.id);
        const d2 = await api(web, `/api/inspect/web/requests/${e2.id}`);
        assert(
          d2.response.headers.some(([k, v]: string[]) =>
            k.toLowerCase() === "set-cookie" && v === "***"
          ),
        );
        assert(!JSON.stringify(d2).includes("topsecret"), "cookie leaked");

        // A gzip answer: recorded as sent (compressed), its preview inflated for display;
        // the client still gets frps's own decompression (it sent no Accept-Encoding).
        const rg = await curl([`${base}/gz`, "-H", "Host: web.test"]);
        assertEquals(rg.body, GZ_TEXT);
        const eg = await newest(web, "web", e2.id);
        const dg = await api(web, `/api/inspect/web/requests/${eg.id}`);
        assert(eg.responseSize > PREVIEW && eg.responseSize < GZ_TEXT.length, `${eg.responseSize}`);
        assertEquals(dg.response.body.decodedFrom, "gzip");
        assertEquals(dg.response.body.truncated, true);
        assert(dg.response.body.preview.length > 0, "inflated nothing");
        assert(GZ_TEXT.startsWith(dg.response.body.preview), dg.response.body.preview);

        // 3. A large body both ways passes whole; only a bounded preview is kept.
        const big = randomBytes(BIG);
        const tmp = await Deno.makeTempFile();
        await Deno.writeFile(tmp, big);
        const got = await withTimeout(
          fetch(`${base}/echo`, {
            method: "POST",
            body: big as Uint8Array<ArrayBuffer>,
            headers: { "content-type": "application/octet-stream" },
          }),
          15000,
          "big echo",
        );
        const back = new Uint8Array(await got.arrayBuffer());
        assertEquals(back.length, BIG);
        assertEquals(await sha256hex(back), await sha256hex(big));
        const e3 = await newest(web, "web", eg.id);
        assertEquals([e3.host, e3.requestSize, e3.responseSize], [`127.0.0.1:${vport}`, BIG, BIG]);
        const d3 = await api(web, `/api/inspect/web/requests/${e3.id}`);
        assertEquals([d3.request.body.truncated, d3.response.body.truncated], [true, true]);
        assertEquals(d3.request.body.encoding, "base64");
        assertEquals(atob(d3.request.body.preview).length, PREVIEW);
        assertEquals(atob(d3.response.body.preview).length, PREVIEW);
        // A truncated request cannot be replayed.
        const rr = await fetch(`http://127.0.0.1:${web}/api/inspect/web/requests/${e3.id}/replay`, {
          method: "POST",
          headers: AUTH,
        });
        assertEquals(rr.status, 409);
        await rr.body?.cancel();

        // 4. Chunked upload and a streamed (chunked) response.
        const r4 = await curl([
          `${base}/echo`,
          "-H",
          "Host: web.test",
          "-H",
          "Transfer-Encoding: chunked",
          "--data-binary",
          `@${tmp}`,
        ]);
        assertEquals(r4.status, 200);
        assertEquals(r4.body.length, BIG);
        await Deno.remove(tmp);
        const e4 = await newest(web, "web", e3.id);
        assertEquals([e4.requestSize, e4.responseSize, e4.status], [BIG, BIG, 200]);
        // The first chunk reaches the user while the service still holds the rest, and the
        // exchange is listed (pending) meanwhile: the tap never holds data back.
        const res5 = await fetch(`${base}/stream`, { headers: { "accept-encoding": "identity" } });
        const rd5 = res5.body!.getReader();
        const first = await withTimeout(rd5.read(), 10000, "first streamed chunk");
        assertEquals(new TextDecoder().decode(first.value), "part0;");
        const live = (await api(web, "/api/inspect/web/requests")).requests[0];
        assertEquals([live.path, live.status, live.state], ["/stream", 200, "pending"]);
        backend.release();
        let rest5 = "";
        for (;;) {
          const { value, done } = await withTimeout(rd5.read(), 10000, "streamed chunks");
          if (done) break;
          rest5 += new TextDecoder().decode(value);
        }
        assertEquals(rest5, "part1;part2;part3;part4;");
        const e5 = await newest(web, "web", e4.id);
        assertEquals(e5.responseSize, 30);
        const d5 = await api(web, `/api/inspect/web/requests/${e5.id}`);
        assertEquals(d5.response.body.preview, "part0;part1;part2;part3;part4;");

        // 5. A WebSocket upgrade is recorded; frames pass but are not.
        const ws = new WebSocket(`ws://127.0.0.1:${vport}/ws`);
        const echoed = await withTimeout(
          new Promise<string>((resolve, reject) => {
            ws.onopen = () => ws.send("ping");
            ws.onmessage = (m) => resolve(String(m.data));
            ws.onerror = () => reject(new Error("websocket error"));
          }),
          10000,
          "websocket echo",
        );
        assertEquals(echoed, "echo:ping");
        ws.close();
        const e6 = await newest(web, "web", e5.id);
        assertEquals([e6.path, e6.status, e6.upgrade.toLowerCase()], ["/ws", 101, "websocket"]);

        // 6. Replay: a new entry, the local service hit again.
        const hitsBefore = backend.hits();
        const rep = await api(web, `/api/inspect/web/requests/${e1.id}/replay`, { method: "POST" });
        assert(rep.id > e6.id, `replay id ${rep.id}`);
        assertEquals([rep.replayOf, rep.status, rep.method, rep.path], [
          e1.id,
          200,
          "POST",
          "/echo?x=1",
        ]);
        assertEquals(rep.response.body.preview, "hello-body");
        assertEquals(backend.hits(), hitsBefore + 1);
        const afterReplay = await api(web, "/api/inspect/web/requests");
        assertEquals(afterReplay.requests[0].id, rep.id);

        // 7. Keep-alive: several requests over fetch's pooled conns, all recorded; ring bound.
        for (let i = 0; i < MAX_REQUESTS + 2; i++) {
          const r = await fetch(`${base}/n/${i}`);
          assertEquals(await r.text(), "");
        }
        await waitUntil(
          async () => {
            const l = await api(web, "/api/inspect/web/requests");
            return l.requests[0]?.path === `/n/${MAX_REQUESTS + 1}` &&
              l.requests[0].state !== "pending";
          },
          10000,
          "the last keep-alive request",
        );
        const ring = await api(web, "/api/inspect/web/requests");
        assertEquals(ring.requests.length, MAX_REQUESTS);
        assertEquals(
          ring.requests.map((e: Json) => e.path),
          Array.from({ length: MAX_REQUESTS }, (_, i) => `/n/${MAX_REQUESTS + 1 - i}`),
        );

        // 8. The un-opted proxy records nothing until toggled on, and stops when toggled off.
        const plain = async () => {
          const r = await curl([`${base}/p`, "-H", "Host: plain.test", "--data-binary", "x"]);
          assertEquals(r.status, 200);
        };
        await plain();
        const p0 = await api(web, "/api/inspect/plain/requests");
        assertEquals([p0.enabled, p0.requests.length], [false, 0]);
        await api(web, "/api/inspect/plain", { method: "PUT", body: '{"enable":true}' });
        await plain();
        const p1 = await newest(web, "plain", 0);
        assertEquals([p1.host, p1.path, p1.status], ["plain.test", "/p", 200]);
        await api(web, "/api/inspect/plain", { method: "PUT", body: '{"enable":false}' });
        await plain();
        await plain();
        const p2 = await api(web, "/api/inspect/plain/requests");
        assertEquals([p2.enabled, p2.requests.length], [false, 1]);

        // 9. Load-balancing group: capture is per member (round robin, 2 of 4 requests each).
        await api(web, "/api/inspect/grp1", { method: "PUT", body: '{"enable":true}' });
        for (let i = 0; i < 4; i++) {
          const r = await curl([`${base}/g${i}`, "-H", "Host: grp.test"]);
          assertEquals(r.status, 200);
        }
        await waitUntil(
          async () => {
            const l = await api(web, "/api/inspect/grp1/requests");
            return l.requests.length === 2 && l.requests.every((e: Json) => e.state === "complete");
          },
          10000,
          "two requests of grp1",
        );
        assertEquals((await api(web, "/api/inspect/grp2/requests")).requests, []);

        // 10. Clear.
        assertEquals(
          (await api(web, "/api/inspect/web/requests", { method: "DELETE" })).cleared,
          MAX_REQUESTS,
        );
        assertEquals((await api(web, "/api/inspect/web/requests")).requests, []);
      });
    },
  });
}
