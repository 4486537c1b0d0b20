import { deepStrictEqual as assertEquals, throws } from "node:assert";
import { parseBandwidth, RateLimiter } from "./bandwidth.ts";

Deno.test("parseBandwidth: MB/KB, floats, errors", () => {
  assertEquals(parseBandwidth("1MB"), 1048576);
  assertEquals(parseBandwidth(" 512KB "), 524288);
  assertEquals(parseBandwidth("1.5MB"), 1572864);
  assertEquals(parseBandwidth(""), 0);
  throws(() => parseBandwidth("1GB"), /unit not support/);
  throws(() => parseBandwidth("1mb"), /unit not support/);
});

Deno.test("RateLimiter: full bucket, then rate-paced reservations", () => {
  let now = 0;
  const l = new RateLimiter(1000, () => now);
  assertEquals(l.reserve(1000), 0); // starts full
  assertEquals(l.reserve(500), 500); // 500 tokens short ⇒ 0.5 s
  now = 1500;
  assertEquals(l.reserve(100), 0);
  throws(() => l.reserve(1001), /burst/);
});
