import { deepStrictEqual as assertEquals, throws } from "node:assert";
import { canonicalAddr, canonicalHost, Routers } from "./router.ts";
import { parseBasicAuth } from "./http_request.ts";
import { BufReader, canonicalKey, parseRequestHead } from "../../protocol/http_codec.ts";
import { parseClientHelloBody, unknownSniAlert } from "./muxer.ts";
import { bytesReader } from "../../protocol/_test_pipe.ts";

Deno.test("router: exact beats wildcard, wildcard walk, catch-all *", () => {
  const r = new Routers<string>();
  r.add("*.example.com", "", "", "wild");
  r.add("a.example.com", "", "", "exact");
  r.add("*", "", "", "all");
  assertEquals(r.lookup("a.example.com", "/", ""), "exact");
  assertEquals(r.lookup("b.example.com", "/", ""), "wild");
  assertEquals(r.lookup("x.b.example.com", "/", ""), "wild");
  assertEquals(r.lookup("example.com", "/", ""), "all");
  assertEquals(r.lookup("other.org", "/", ""), "all");
});

Deno.test("router: two-label hosts never try *.tld", () => {
  const r = new Routers<string>();
  r.add("*.com", "", "", "tld");
  assertEquals(r.lookup("example.com", "/", ""), undefined);
  assertEquals(r.lookup("a.example.com", "/", ""), undefined);
});

Deno.test("router: longest location prefix, plain string prefix", () => {
  const r = new Routers<string>();
  r.add("h", "", "", "root");
  r.add("h", "/api", "", "api");
  r.add("h", "/api/v2", "", "v2");
  assertEquals(r.lookup("h", "/api/v2/x", ""), "v2");
  assertEquals(r.lookup("h", "/apix", ""), "api");
  assertEquals(r.lookup("h", "/", ""), "root");
  assertEquals(r.lookup("h", "", ""), "root");
});

Deno.test("router: user route beats all-users route within the same domain", () => {
  const r = new Routers<string>();
  r.add("h", "/long/location", "", "any");
  r.add("h", "", "alice", "alice");
  assertEquals(r.lookup("h", "/long/location", "alice"), "alice");
  assertEquals(r.lookup("h", "/long/location", "bob"), "any");
});

Deno.test("router: conflicts and deletion", () => {
  const r = new Routers<string>();
  r.add("A.test", "", "", "x");
  throws(() => r.add("a.test", "", "", "y"), /router config conflict/);
  r.add("a.test", "/p", "", "y");
  r.del("a.test", "", "");
  assertEquals(r.lookup("a.test", "/q", ""), undefined);
  assertEquals(r.lookup("a.test", "/p", ""), "y");
  assertEquals(r.size, 1);
});

Deno.test("canonicalHost / canonicalAddr", () => {
  assertEquals(canonicalHost("A.Test:8080"), "a.test");
  assertEquals(canonicalHost("a.test."), "a.test");
  assertEquals(canonicalHost("[::1]:80"), "::1");
  assertEquals(canonicalHost("::1"), "::1");
  assertEquals(canonicalAddr("a.test", 80), "a.test");
  assertEquals(canonicalAddr("a.test", 443), "a.test");
  assertEquals(canonicalAddr("a.test", 8080), "a.test:8080");
});

Deno.test("parseBasicAuth", () => {
  assertEquals(parseBasicAuth("Basic " + btoa("u:p:q")), { user: "u", pass: "p:q" });
  assertEquals(parseBasicAuth("basic " + btoa("u:")), { user: "u", pass: "" });
  assertEquals(parseBasicAuth("Basic " + btoa("nocolon")), null);
  assertEquals(parseBasicAuth("Bearer x"), null);
  assertEquals(parseBasicAuth(undefined), null);
});

Deno.test("http codec: heads, canonical keys, limits", async () => {
  const req = parseRequestHead("GET /a?b HTTP/1.1\r\nhost: x\r\nsec-websocket-key: k\r\n");
  assertEquals(req.method, "GET");
  assertEquals(req.headers.get("Host"), "x");
  assertEquals(canonicalKey("sec-websocket-key"), "Sec-Websocket-Key");
  assertEquals(canonicalKey("x_y z"), "x_y z");
  throws(() => parseRequestHead("NOT HTTP\r\n"), /malformed/);
  const rd = new BufReader(bytesReader(new TextEncoder().encode("GET / HTTP/1.1\r\n\r\nrest")));
  const head = await rd.readHead();
  assertEquals(head, "GET / HTTP/1.1\r\n");
  assertEquals(new TextDecoder().decode(rd.take(rd.buffered)), "rest");
});

function clientHello(sni: string | null, versions: number[] = [0x0304, 0x0303]): Uint8Array {
  const ext: number[] = [];
  if (sni !== null) {
    const name = [...new TextEncoder().encode(sni)];
    const entry = [0, name.length >> 8, name.length & 0xff, ...name];
    const list = [entry.length >> 8, entry.length & 0xff, ...entry];
    ext.push(0, 0, list.length >> 8, list.length & 0xff, ...list);
  }
  const sv = [versions.length * 2, ...versions.flatMap((v) => [v >> 8, v & 0xff])];
  ext.push(0, 43, 0, sv.length, ...sv);
  return Uint8Array.from([
    3,
    3,
    ...new Array(32).fill(1),
    0,
    0,
    2,
    0x13,
    0x01,
    1,
    0,
    ext.length >> 8,
    ext.length & 0xff,
    ...ext,
  ]);
}

Deno.test("ClientHello: SNI, no SNI, trailing dot, version", () => {
  assertEquals(parseClientHelloBody(clientHello("A.example.com")).serverName, "A.example.com");
  assertEquals(parseClientHelloBody(clientHello(null)).serverName, "");
  throws(() => parseClientHelloBody(clientHello("a.example.com.")), /trailing dot/);
  assertEquals(parseClientHelloBody(clientHello("x")).maxVersion, 0x0304);
  assertEquals([...unknownSniAlert(0x0304)], [0x15, 3, 3, 0, 2, 2, 112]);
});
