/**
 * Wire v2 AEAD stream and key derivation, checked against bytes produced by Go frp v0.70.1 /
 * golib v0.8.1 (tests/wirev2_peer: token "12345678", the transcript of
 * protocol/msg/frame_v2_test.ts's hellos; the client role wrote "hello" then "world!").
 */
import { deepStrictEqual as assertEquals, rejects } from "node:assert";
import { aeadControlDuplex, aeadStreamDuplex, deriveAeadControlKey, hchacha20 } from "./mod.ts";
import { bytesReader, pipePair } from "../_test_pipe.ts";

const hex = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const unhex = (s: string): Uint8Array =>
  new Uint8Array(s.match(/../g)!.map((h) => parseInt(h, 16)));

const TRANSCRIPT = unhex("5ccf90b805bdc0b770f583b4244b2512db50418790b323924394ec5014df66a0");

const GO: Record<string, { c2s: string; s2c: string; stream: string }> = {
  "aes-256-gcm": {
    c2s: "8f7fa4dc15696cf370c174d1a2fdc8d0c9bb99cb3d943fb79094e0928a278293",
    s2c: "c35dffdfa348d68a1e5099de3027c78c2bebeb88aec19824ee70ba1b54ba3a05",
    stream:
      "ce41bb819b2692d2e108fde100000015f7500e1277fa030ba5ea449d7b80bd944a34dc7f1100000016c894d2c598707ad175e2880c6152a3237db3289cbcdd",
  },
  "xchacha20-poly1305": {
    c2s: "850ae0799578739239b99e0688ff1f5e101c57437cbf648454c9ab3c223a5564",
    s2c: "104c40377f60af2b5e44a1f220b647791df334eea7fe165a751eb06476d01d49",
    stream:
      "edad009f677afb07733b38b61eaf51083839f37249cc1a6500000015a565accf5f84a7b4ce5f70caad51970208e32c31cd000000165dc7db9df99207666537a1f3df65a1bbdc32a186fb01",
  },
};

async function readAll(d: { read(p: Uint8Array): Promise<number | null> }): Promise<string> {
  const chunks: number[] = [];
  const buf = new Uint8Array(7);
  for (;;) {
    const n = await d.read(buf);
    if (n === null) break;
    chunks.push(...buf.subarray(0, n));
  }
  return new TextDecoder().decode(new Uint8Array(chunks));
}

for (const [alg, v] of Object.entries(GO)) {
  Deno.test(`aead ${alg}: HKDF control keys match Go`, () => {
    assertEquals(hex(deriveAeadControlKey("12345678", alg, TRANSCRIPT, "client-to-server")), v.c2s);
    assertEquals(hex(deriveAeadControlKey("12345678", alg, TRANSCRIPT, "server-to-client")), v.s2c);
  });

  Deno.test(`aead ${alg}: the server role decrypts Go frpc's stream`, async () => {
    const d = aeadControlDuplex(
      bytesReader(unhex(v.stream)),
      "12345678",
      "server",
      alg,
      TRANSCRIPT,
    );
    assertEquals(await readAll(d), "helloworld!");
  });

  Deno.test(`aead ${alg}: a flipped bit fails authentication`, async () => {
    const bytes = unhex(v.stream);
    bytes[bytes.byteLength - 1] ^= 1;
    const d = aeadControlDuplex(bytesReader(bytes), "12345678", "server", alg, TRANSCRIPT);
    await rejects(readAll(d), /message authentication failed/);
  });

  Deno.test(`aead ${alg}: round trip, records split at 64 KiB, nonce increments`, async () => {
    const [a, b] = pipePair();
    const key1 = new Uint8Array(32).fill(1);
    const key2 = new Uint8Array(32).fill(2);
    const w = aeadStreamDuplex(a, alg, key2, key1);
    const r = aeadStreamDuplex(b, alg, key1, key2);
    const big = new Uint8Array(150_000).map((_, i) => i % 251);
    const wrote = (async () => {
      await w.write(new TextEncoder().encode("x"));
      await w.write(big);
      await w.closeWrite();
    })();
    const got: Uint8Array[] = [];
    const buf = new Uint8Array(100_000);
    let total = 0;
    for (;;) {
      const n = await r.read(buf);
      if (n === null) break;
      got.push(buf.slice(0, n));
      total += n;
    }
    await wrote;
    assertEquals(total, 150_001);
    const all = new Uint8Array(total);
    let off = 0;
    for (const g of got) {
      all.set(g, off);
      off += g.byteLength;
    }
    assertEquals(all[0], "x".charCodeAt(0));
    assertEquals(all.subarray(1), big);
    const nonce = alg === "aes-256-gcm" ? 12 : 24;
    // nonce + 1 + 3 records of 4-byte header and 16-byte tag each
    assertEquals(a.bytesWritten, nonce + 150_001 + 4 * 20);
  });
}

Deno.test("aead: a record longer than 64 KiB + tag is refused with golib's text", async () => {
  const bytes = new Uint8Array(12 + 4);
  new DataView(bytes.buffer).setUint32(12, 65536 + 17);
  const d = aeadStreamDuplex(
    bytesReader(bytes),
    "aes-256-gcm",
    new Uint8Array(32),
    new Uint8Array(32),
  );
  await rejects(
    d.read(new Uint8Array(10)),
    /aead stream ciphertext length 65553 exceeds limit 65552/,
  );
});

Deno.test("aead: a clean EOF before any record is a plain EOF", async () => {
  const d = aeadStreamDuplex(
    bytesReader(new Uint8Array(0)),
    "aes-256-gcm",
    new Uint8Array(32),
    new Uint8Array(32),
  );
  assertEquals(await d.read(new Uint8Array(10)), null);
});

Deno.test("hchacha20: draft-irtf-cfrg-xchacha §2.2.1 test vector", () => {
  const key = unhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  const nonce = unhex("000000090000004a0000000031415927");
  assertEquals(
    hex(hchacha20(key, nonce)),
    "82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc",
  );
});
