import {
  deepStrictEqual as assertEquals,
  notDeepStrictEqual as assertNotEquals,
} from "node:assert";
import { createCipheriv } from "node:crypto";
import { CfbDecrypter, CfbEncrypter, cryptoDuplex, deriveKey, privilegeKey } from "./mod.ts";
import { pipePair, readAll } from "../_test_pipe.ts";
import { deadline } from "../deadline.ts";
import { concatBytes } from "../io.ts";

const hex = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const unhex = (s: string): Uint8Array =>
  new Uint8Array(s.match(/../g)!.map((h) => parseInt(h, 16)));
const IV = unhex("000102030405060708090a0b0c0d0e0f");
const enc = new TextEncoder();

/** Textbook CFB128 from single-block ECB: slow but obviously right. */
function naiveCfb(key: Uint8Array, iv: Uint8Array, data: Uint8Array, decrypt: boolean): Uint8Array {
  const ecb = createCipheriv("aes-128-ecb", key, null);
  ecb.setAutoPadding(false);
  const out = new Uint8Array(data.byteLength);
  let reg = iv.slice();
  for (let off = 0; off < data.byteLength; off += 16) {
    const ks = new Uint8Array(ecb.update(reg));
    const end = Math.min(off + 16, data.byteLength);
    for (let j = off; j < end; j++) out[j] = data[j] ^ ks[j - off];
    reg = (decrypt ? data : out).slice(off, off + 16);
  }
  return out;
}

/**
 * Asserts equal bytes by the first differing index: node:assert's diff of two large arrays
 * takes minutes, which would turn a failure into a hang.
 */
function assertSameBytes(got: Uint8Array, want: Uint8Array, msg?: string): void {
  assertEquals(got.length, want.length, msg);
  assertEquals(want.findIndex((b, i) => got[i] !== b), -1, msg);
}

function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function splits(n: number, seed: number): number[] {
  const sizes = [1, 15, 16, 17, 3, 31, 32, 33, 100, 4095, 7, 65536, 2, 13];
  const out: number[] = [];
  let i = seed;
  for (let left = n; left > 0;) {
    const s = Math.min(left, sizes[i++ % sizes.length]);
    out.push(s);
    left -= s;
  }
  return out;
}

Deno.test("privilegeKey matches wire-v1 §6.2 vector", () => {
  assertEquals(privilegeKey("12345678", 1700000000), "3d8aac6cc09d79da303be74c311e5808");
  assertEquals(privilegeKey("", 0).length, 32);
});

Deno.test("deriveKey matches wire-v1 §17 vectors and returns independent copies", () => {
  assertEquals(hex(deriveKey("")), "cdc9dc4c472c37331281df4c232a8407");
  const k = deriveKey("12345678");
  assertEquals(hex(k), "b7eac3f66310824c114f56f8274fdfea");
  k.fill(0);
  assertEquals(hex(deriveKey("12345678")), "b7eac3f66310824c114f56f8274fdfea");
});

Deno.test("CFB matches the wire-v1 §6.5 vector, whole and split", () => {
  const key = deriveKey("12345678");
  const pt = enc.encode("hello frp world, 0123456789");
  const want = "44fdce2c49c4a935136f3eb1466ed9425bc98eba4b94b7ac999253";
  assertEquals(hex(new CfbEncrypter(key, IV).update(pt.slice())), want);
  assertEquals(hex(naiveCfb(key, IV, pt, false)), want);
  for (let cut = 0; cut <= pt.byteLength; cut++) {
    const e = new CfbEncrypter(key, IV);
    const out = new Uint8Array(pt.byteLength);
    e.update(pt.subarray(0, cut), out.subarray(0, cut));
    e.update(pt.subarray(cut), out.subarray(cut));
    assertEquals(hex(out), want, `cut at ${cut}`);
    const d = new CfbDecrypter(key, IV);
    const back = unhex(want);
    d.update(back.subarray(0, cut));
    d.update(back.subarray(cut));
    assertEquals(back, pt, `decrypt cut at ${cut}`);
  }
});

Deno.test("CFB streaming equals the naive reference at odd split points", () => {
  const key = deriveKey("secret");
  const iv = randomBytes(16, 99);
  const data = randomBytes(300_007, 7);
  const want = naiveCfb(key, iv, data, false);
  assertEquals(naiveCfb(key, iv, want, true), data);
  for (const seed of [0, 3, 5, 11]) {
    const e = new CfbEncrypter(key, iv);
    const d = new CfbDecrypter(key, iv);
    const ct = new Uint8Array(data.byteLength);
    const pt = new Uint8Array(data.byteLength);
    let off = 0;
    for (const s of splits(data.byteLength, seed)) {
      e.update(data.subarray(off, off + s), ct.subarray(off, off + s));
      off += s;
    }
    assertSameBytes(ct, want, `encrypt seed ${seed}`);
    const inPlace = ct.slice();
    off = 0;
    for (const s of splits(data.byteLength, seed + 1)) {
      d.update(inPlace.subarray(off, off + s));
      pt.set(inPlace.subarray(off, off + s), off);
      off += s;
    }
    assertSameBytes(pt, data, `decrypt seed ${seed}`);
  }
});

Deno.test("CFB updateAsync (WebCrypto for large calls) equals the reference, mixed with update", async () => {
  const key = deriveKey("secret");
  const iv = randomBytes(16, 42);
  const data = randomBytes(700_003, 9);
  const want = naiveCfb(key, iv, data, false);
  // Large odd sizes take the WebCrypto path from any block position; small ones stay sync.
  const sizes = [5, 65_536, 33_000, 1, 131_071, 17, 40_000, 3, 262_144];
  for (const inPlace of [false, true]) {
    const e = new CfbEncrypter(key, iv);
    const buf = data.slice();
    const ct = inPlace ? buf : new Uint8Array(data.byteLength);
    let off = 0;
    for (let i = 0; off < data.byteLength; i++) {
      const s = Math.min(sizes[i % sizes.length], data.byteLength - off);
      const src = buf.subarray(off, off + s);
      const dst = ct.subarray(off, off + s);
      if (i % 4 === 3) e.update(src, dst);
      else await e.updateAsync(src, dst);
      off += s;
    }
    assertSameBytes(ct, want, inPlace ? "in place" : "to dst");
  }
});

Deno.test("cryptoDuplex: concurrent large and small writes keep their order", async () => {
  const key = deriveKey("order");
  const [a, b] = pipePair();
  const w = cryptoDuplex(a, key);
  const r = cryptoDuplex(b, key);
  const parts = [
    randomBytes(100_000, 1),
    randomBytes(10, 2),
    randomBytes(70_001, 3),
    randomBytes(7, 4),
  ];
  const reading = readAll(r);
  await Promise.all(parts.map((p) => w.write(p)));
  await w.closeWrite();
  const got = await deadline(reading, 5000, "reading the concurrent writes");
  const want = concatBytes(parts);
  assertSameBytes(got, want);
});

Deno.test("CFB encrypts in place", () => {
  const key = deriveKey("x");
  const data = randomBytes(1000, 1);
  const buf = data.slice();
  const e = new CfbEncrypter(key, IV);
  e.update(buf.subarray(0, 5));
  e.update(buf.subarray(5));
  assertEquals(buf, naiveCfb(key, IV, data, false));
});

Deno.test("cryptoDuplex: IV and first data in one write, round trip both ways", async () => {
  const key = deriveKey("12345678");
  const [a, b] = pipePair({ maxRead: 7 });
  const ca = cryptoDuplex(a, key);
  const cb = cryptoDuplex(b, key);
  const writes: number[] = [];
  const origWrite = a.write.bind(a);
  a.write = (p: Uint8Array) => {
    writes.push(p.byteLength);
    return origWrite(p);
  };
  const msg = enc.encode("hello frp world, 0123456789");
  assertEquals(await ca.write(msg), msg.byteLength);
  assertEquals(writes, [16 + msg.byteLength]);
  const big = randomBytes(200_001, 3);
  await ca.write(big);
  await ca.closeWrite();
  const got = await readAll(cb, 333);
  assertEquals(got.subarray(0, msg.byteLength), msg);
  assertEquals(got.subarray(msg.byteLength), big);

  await cb.write(enc.encode("pong"));
  await cb.closeWrite();
  assertEquals(new TextDecoder().decode(await readAll(ca)), "pong");
});

Deno.test("cryptoDuplex: wire bytes are IV then the CFB stream", async () => {
  const key = deriveKey("12345678");
  const [a, b] = pipePair();
  const ca = cryptoDuplex(a, key);
  const msg = enc.encode("hello frp world, 0123456789");
  await ca.write(msg.subarray(0, 10));
  await ca.write(msg.subarray(10));
  await a.closeWrite();
  const wire = await readAll(b);
  const iv = wire.subarray(0, 16);
  assertEquals(wire.byteLength, 16 + msg.byteLength);
  assertEquals(wire.subarray(16), naiveCfb(key, iv, msg, false));
  assertNotEquals(hex(iv), "00000000000000000000000000000000");
  assertEquals(msg, enc.encode("hello frp world, 0123456789"), "caller buffer untouched");
});

Deno.test("cryptoDuplex: direction without data reads as clean EOF", async () => {
  const [a, b] = pipePair();
  const cb = cryptoDuplex(b, deriveKey(""));
  await a.closeWrite();
  assertEquals(await cb.read(new Uint8Array(10)), null);
});

Deno.test("cryptoDuplex: EOF inside the IV is an error", async () => {
  const [a, b] = pipePair();
  const cb = cryptoDuplex(b, deriveKey(""));
  await a.write(new Uint8Array(5));
  await a.closeWrite();
  let caught: unknown;
  try {
    await cb.read(new Uint8Array(10));
  } catch (err) {
    caught = err;
  }
  assertEquals((caught as Error)?.name, "UnexpectedEofError");
});
