import { deepStrictEqual as assertEquals, rejects } from "node:assert";
import {
  crc32c,
  decodeSnappyBlock,
  encodeSnappyBlock,
  maskedCrc32c,
  maxEncodedLen,
  snappyDuplex,
} from "./mod.ts";
import { MalformedMessageError, UnexpectedEofError } from "../errors.ts";
import { bytesReader, pipePair, readAll } from "../_test_pipe.ts";

const hex = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const unhex = (s: string): Uint8Array =>
  new Uint8Array(s.replace(/\s/g, "").match(/../g)!.map((h) => parseInt(h, 16)));
const enc = new TextEncoder();

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

function compressible(n: number): Uint8Array {
  const words = ["frp ", "proxy ", "tunnel ", '{"level":"info"} ', "127.0.0.1:7000 ", "\n"];
  const out = new Uint8Array(n);
  let off = 0;
  for (let i = 0; off < n; i = (i * 7 + 3) % 101) {
    const w = enc.encode(words[i % words.length] + (i % 13));
    out.set(w.subarray(0, Math.min(w.byteLength, n - off)), off);
    off += w.byteLength;
  }
  return out;
}

/** A Duplex that records every write and serves nothing. */
function sink(): { d: Parameters<typeof snappyDuplex>[0]; writes: Uint8Array[] } {
  const writes: Uint8Array[] = [];
  return {
    writes,
    d: {
      read: () => Promise.resolve(null),
      write: (p) => {
        writes.push(p.slice());
        return Promise.resolve(p.byteLength);
      },
      closeWrite: () => Promise.resolve(),
      close: () => {},
    },
  };
}

Deno.test("crc32c known values", () => {
  assertEquals(crc32c(enc.encode("123456789")), 0xe3069283);
  assertEquals(crc32c(enc.encode("hello")), 0x9a71bb4c);
  assertEquals(maskedCrc32c(enc.encode("hello")), 0x191c1fbb);
  assertEquals(crc32c(new Uint8Array(0)), 0);
  // Slicing-by-8 path agrees with itself at every length/offset.
  const data = randomBytes(100, 5);
  const bitwise = (b: Uint8Array): number => {
    let c = 0xffffffff;
    for (const x of b) {
      c ^= x;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    }
    return ~c >>> 0;
  };
  for (let i = 0; i < 20; i++) {
    assertEquals(crc32c(data.subarray(i, 100 - i)), bitwise(data.subarray(i, 100 - i)));
  }
});

Deno.test("snappy stream of 'hello' matches wire-v1 §17", async () => {
  const s = sink();
  await snappyDuplex(s.d).write(enc.encode("hello"));
  assertEquals(hex(s.writes[0]), "ff060000734e61507059" + "01090000" + "bb1f1c19" + "68656c6c6f");
  assertEquals(s.writes.length, 1);
  const back = await readAll(snappyDuplex(bytesReader(s.writes[0])));
  assertEquals(new TextDecoder().decode(back), "hello");
});

Deno.test("snappy writer: header once, 64 KiB chunks, compressed when worth it", async () => {
  const s = sink();
  const w = snappyDuplex(s.d);
  await w.write(compressible(65536 * 2 + 100));
  await w.write(randomBytes(1000, 9));
  // One inner write per call (up to 4 chunks each), Go's chunk boundaries inside.
  assertEquals(s.writes.length, 2);
  assertEquals(hex(s.writes[0].subarray(0, 10)), "ff060000734e61507059");
  const chunks = (b: Uint8Array): { type: number; len: number }[] => {
    const out = [];
    for (let off = 0; off < b.byteLength;) {
      const len = b[off + 1] | (b[off + 2] << 8) | (b[off + 3] << 16);
      out.push({ type: b[off], len });
      off += 4 + len;
    }
    return out;
  };
  const first = chunks(s.writes[0].subarray(10));
  assertEquals(first.map((c) => c.type), [0x00, 0x00, 0x00], "compressible → type 0x00");
  assertEquals(chunks(s.writes[1]), [{ type: 0x01, len: 4 + 1000 }], "random → type 0x01");
  // A write of more than 4 chunks is split into several inner writes.
  const t = sink();
  await snappyDuplex(t.d).write(randomBytes(65536 * 5, 2));
  assertEquals(t.writes.length, 2);
  assertEquals(chunks(t.writes[0].subarray(10)).length, 4);
  assertEquals(chunks(t.writes[1]).length, 1);
});

Deno.test("snappy block round trip, edge sizes", () => {
  for (
    const n of [0, 1, 16, 17, 18, 59, 60, 61, 255, 256, 257, 1000, 65535, 65536, 65537, 200000]
  ) {
    for (const data of [randomBytes(n, n + 1), compressible(n), new Uint8Array(n).fill(7)]) {
      const buf = new Uint8Array(maxEncodedLen(n));
      const c = encodeSnappyBlock(data, buf);
      const out = new Uint8Array(n);
      assertEquals(decodeSnappyBlock(buf.subarray(0, c), out), n);
      assertEquals(out, data, `n=${n}`);
    }
  }
  const zeros = new Uint8Array(65536);
  const buf = new Uint8Array(maxEncodedLen(zeros.byteLength));
  const c = encodeSnappyBlock(zeros, buf);
  if (c > 4000) throw new Error(`zeros compressed to ${c}`);
});

Deno.test("snappy stream round trip at odd split sizes (random + compressible)", async () => {
  const data = new Uint8Array(400_000);
  data.set(randomBytes(150_000, 3));
  data.set(compressible(250_000), 150_000);
  const sizes = [1, 7, 65535, 65536, 65537, 3, 100_001, 4096, 13];
  for (const readSize of [17, 333, 70000]) {
    const [a, b] = pipePair({ maxRead: 5000 });
    const w = snappyDuplex(a);
    const writer = (async () => {
      let off = 0;
      for (let i = 0; off < data.byteLength; i++) {
        const s = Math.min(sizes[i % sizes.length], data.byteLength - off);
        await w.write(data.subarray(off, off + s));
        off += s;
      }
      await w.closeWrite();
    })();
    const got = await readAll(snappyDuplex(b), readSize);
    await writer;
    assertEquals(got, data, `read size ${readSize}`);
  }
});

Deno.test("snappy reader: big reads decode straight into caller buffer", async () => {
  const [a, b] = pipePair();
  const w = snappyDuplex(a);
  const data = compressible(100_000);
  await w.write(data);
  await w.closeWrite();
  const got = await readAll(snappyDuplex(b), 70000);
  assertEquals(got, data);
});

async function readErr(bytes: Uint8Array): Promise<unknown> {
  try {
    await readAll(snappyDuplex(bytesReader(bytes)));
  } catch (err) {
    return err;
  }
  return null;
}

Deno.test("snappy reader enforces Go's rules", async () => {
  const id = "ff060000734e61507059";
  const hello = "01090000bb1f1c1968656c6c6f";
  assertEquals(await readErr(unhex(id)), null, "identifier only");
  assertEquals(await readErr(unhex(id + hello + id + hello)), null, "repeated identifier");
  assertEquals(await readErr(unhex(id + "fe030000aabbcc" + "80000000" + hello)), null, "skippable");
  const mal = async (hexs: string, re: RegExp) => {
    const err = await readErr(unhex(hexs));
    if (!(err instanceof MalformedMessageError) || !re.test(err.message)) {
      throw new Error(`expected ${re} for ${hexs}, got ${err}`);
    }
  };
  await mal(hello, /stream identifier/);
  await mal(id + "02000000", /reserved/);
  await mal(id + "7f000000", /reserved/);
  await mal(id + "01090000bb1f1c1968656c6c70", /checksum/);
  await mal(id + "ff060000734e61507058", /stream identifier/);
  await mal(id + "feCF2A01", /exceeds 76494/); // 0x012ACF = 76495
  await mal(id + "00070000" + "00000000" + "818004", /exceeds 65536/); // varint 65537
  await mal(id + "0105000100000000", /exceeds 65536/); // uncompressed 65537 bytes
  await mal(id + "00020000aabb", /short compressed/);
  const eof = await readErr(unhex(id + "01090000bb1f1c1968656c"));
  assertEquals(eof instanceof UnexpectedEofError && !eof.atBoundary, true);
  const eof2 = await readErr(unhex(id + "0109"));
  assertEquals(eof2 instanceof UnexpectedEofError, true);
});

Deno.test("snappy reader: corrupt stream stays failed", async () => {
  const r = snappyDuplex(bytesReader(unhex("02000000")));
  await rejects(r.read(new Uint8Array(10)), MalformedMessageError);
  await rejects(r.read(new Uint8Array(10)), MalformedMessageError);
});
