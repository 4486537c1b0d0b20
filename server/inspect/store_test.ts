import { assertEquals } from "../../tests/_helpers/assert.ts";
import { type Exchange, exchangeBytes, ExchangeRing } from "./store.ts";
import { maskHeaders } from "./view.ts";

function ex(id: number, previewBytes = 0): Exchange {
  const body = (n: number) => ({ size: n, preview: new Uint8Array(n), truncated: false });
  return {
    id,
    proxy: "web",
    startedAt: 0,
    durationMs: null,
    method: "GET",
    target: "/",
    host: "h",
    remoteAddr: "",
    httpVersion: "HTTP/1.1",
    requestHeaders: [["Host", "h"]],
    requestBody: body(previewBytes),
    status: null,
    reason: "",
    responseHeaders: [],
    responseBody: body(0),
    upgrade: "",
    state: "pending",
    error: "",
    replayOf: null,
  };
}

Deno.test("inspector ring: count bound keeps the newest, newest first", () => {
  const r = new ExchangeRing(3, 1 << 20);
  for (let i = 1; i <= 5; i++) r.add(ex(i));
  assertEquals(r.list().map((e) => e.id), [5, 4, 3]);
  assertEquals(r.get(1), undefined);
  r.clear();
  assertEquals([r.size, r.bytes], [0, 0]);
});

Deno.test("inspector ring: byte bound evicts oldest, recounts grown previews, keeps the newest", () => {
  const one = exchangeBytes(ex(0, 1000));
  const r = new ExchangeRing(100, one * 2 + exchangeBytes(ex(0)) + 20);
  r.add(ex(1, 1000));
  r.add(ex(2, 1000));
  assertEquals(r.list().map((e) => e.id), [2, 1]);
  r.add(ex(3, 1000));
  assertEquals(r.list().map((e) => e.id), [3, 2]);
  // A preview that grew after add is counted on update.
  const e4 = ex(4);
  r.add(e4);
  assertEquals(r.size, 3);
  e4.responseBody.preview = new Uint8Array(1000);
  r.update(e4);
  assertEquals(r.list().map((e) => e.id), [4, 3]);
  // One exchange larger than the bound still stays (the newest is never evicted).
  r.add(ex(5, one * 3));
  assertEquals(r.list().map((e) => e.id), [5]);
  assertEquals(r.bytes, exchangeBytes(ex(5, one * 3)));
});

Deno.test("inspector: secrets masked in any case", () => {
  assertEquals(
    maskHeaders([
      ["authorization", "Bearer x"],
      ["Proxy-Authorization", "Basic y"],
      ["COOKIE", "a=b"],
      ["Set-Cookie", "s=1"],
      ["X-Other", "kept"],
    ]),
    [
      ["authorization", "***"],
      ["Proxy-Authorization", "***"],
      ["COOKIE", "***"],
      ["Set-Cookie", "***"],
      ["X-Other", "kept"],
    ],
  );
});
