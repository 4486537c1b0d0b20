import { assert, assertEquals } from "../tests/_helpers/assert.ts";
import { apiHandler } from "../httpapi/mod.ts";
import { Logger, NULL_SINK } from "../log/logger.ts";
import { CSP, staticRoutes } from "./serve.ts";
import { FRPS_ASSETS } from "./frps/mod.ts";
import { FRPC_ASSETS } from "./frpc/mod.ts";

const log = new Logger({ sink: NULL_SINK });
const AUTH = { authorization: "Basic " + btoa("u:p") };

function handler(opts: Parameters<typeof staticRoutes>[1] = {}) {
  return apiHandler({ routes: staticRoutes(FRPS_ASSETS, opts), user: "u", password: "p", log });
}

Deno.test("web: embedded assets, redirects, CSP, auth", async () => {
  const h = handler({ vars: () => ({ started: "1700000000" }) });
  const get = (path: string, headers: HeadersInit = AUTH) =>
    h(new Request(`http://x${path}`, { headers }));

  const root = await get("/");
  assertEquals(root.status, 301);
  assertEquals(root.headers.get("location"), "/static/");
  assertEquals((await get("/static")).headers.get("location"), "/static/");

  const index = await get("/static/");
  assertEquals(index.status, 200);
  assertEquals(index.headers.get("content-type"), "text/html; charset=utf-8");
  assertEquals(index.headers.get("content-security-policy"), CSP);
  const html = await index.text();
  assert(html.includes('content="1700000000"'), "start time substituted");
  assertEquals(await (await get("/static/index.html")).text(), html);

  for (const [path, type] of [["app.js", "text/javascript"], ["style.css", "text/css"]]) {
    const r = await get(`/static/${path}`);
    assertEquals(r.status, 200, path);
    assert(r.headers.get("content-type")!.startsWith(type), path);
    await r.body?.cancel();
  }
  assertEquals((await get("/static/nope.js")).status, 404);
  assertEquals((await get("/static/constructor")).status, 404);
  assertEquals((await get("/static/", {})).status, 401);
});

Deno.test("web: no asset uses innerHTML, eval or inline handlers", () => {
  for (const assets of [FRPS_ASSETS, FRPC_ASSETS]) {
    for (const [name, a] of Object.entries(assets)) {
      assert(!/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/.test(a.body), name);
      if (name.endsWith(".html")) {
        assert(!/<script(?![^>]*\bsrc=)/.test(a.body), `${name}: inline script`);
        assert(!/\son[a-z]+=/.test(a.body), `${name}: inline handler`);
      }
    }
  }
});

Deno.test("web: webServer.assetsDir replaces the embedded files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/index.html`, "custom");
    await Deno.mkdir(`${dir}/js`);
    await Deno.writeTextFile(`${dir}/js/a.js`, "x");
    const h = handler({ assetsDir: dir });
    const get = (path: string) => h(new Request(`http://x${path}`, { headers: AUTH }));
    assertEquals(await (await get("/static/")).text(), "custom");
    const js = await get("/static/js/a.js");
    assertEquals(js.headers.get("content-type"), "text/javascript; charset=utf-8");
    assertEquals(await js.text(), "x");
    assertEquals((await get("/static/app.js")).status, 404);
    assertEquals((await get("/static/..%2f..%2fetc%2fpasswd")).status, 404);
    assertEquals((await get("/static/js/%2e%2e/%2e%2e/x")).status, 404);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
