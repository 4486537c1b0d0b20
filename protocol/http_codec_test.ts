import { deepStrictEqual as assertEquals } from "node:assert";
import { BufReader, copyBody } from "./http_codec.ts";
import { pipePair } from "./_test_pipe.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Reads from `end` until `want` bytes arrived in total (bounded by a 2 s deadline). */
async function readUntil(end: { read(p: Uint8Array): Promise<number | null> }, want: number) {
  const out: number[] = [];
  const buf = new Uint8Array(4096);
  const deadline = Date.now() + 2000;
  while (out.length < want) {
    if (Date.now() > deadline) throw new Error(`only ${out.length} of ${want} bytes arrived`);
    const t = new Promise<null>((r) => setTimeout(() => r(null), 200));
    const n = await Promise.race([end.read(buf), t]);
    if (n === null) continue;
    out.push(...buf.subarray(0, n));
  }
  return dec.decode(new Uint8Array(out));
}

Deno.test("copyBody: head and a small body leave in one write", async () => {
  const [srcW, srcR] = pipePair();
  const [dst, sink] = pipePair();
  const writes: number[] = [];
  const orig = dst.write.bind(dst);
  dst.write = (p: Uint8Array) => {
    writes.push(p.byteLength);
    return orig(p);
  };
  await srcW.write(enc.encode("hello world"));
  const head = enc.encode("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n");
  // As after parsing a response head: the body's bytes already sit in the reader.
  const rd = new BufReader(srcR);
  await rd.fill();
  const ok = await copyBody(rd, { kind: "length", length: 11 }, dst, { head });
  assertEquals(ok, true);
  assertEquals(writes, [head.byteLength + 11]);
  assertEquals(await readUntil(sink, head.byteLength + 11), dec.decode(head) + "hello world");
});

Deno.test("copyBody: a streamed chunked body is forwarded before the source continues", async () => {
  const [srcW, srcR] = pipePair();
  const [dst, sink] = pipePair();
  const head = enc.encode("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
  const copying = copyBody(new BufReader(srcR), { kind: "chunked" }, dst, { head });
  // First event, then the source stalls: head + event must reach the client meanwhile.
  await srcW.write(enc.encode("6\r\nevent1\r\n"));
  const first = await readUntil(sink, head.byteLength + 11);
  assertEquals(first, dec.decode(head) + "6\r\nevent1\r\n");
  // A chunk-size line split across packets does not hold back what came before it.
  await srcW.write(enc.encode("6\r\nevent2\r\n1"));
  assertEquals(await readUntil(sink, 11), "6\r\nevent2\r\n");
  await srcW.write(enc.encode("\r\nx\r\n0\r\n\r\n"));
  assertEquals(await copying, true);
  assertEquals(await readUntil(sink, 11), "1\r\nx\r\n0\r\n\r\n");
});

Deno.test("copyBody: length body cut short still flushes what arrived", async () => {
  const [srcW, srcR] = pipePair();
  const [dst, sink] = pipePair();
  await srcW.write(enc.encode("abc"));
  await srcW.closeWrite();
  const ok = await copyBody(new BufReader(srcR), { kind: "length", length: 10 }, dst, {
    head: enc.encode("H\r\n\r\n"),
  });
  assertEquals(ok, false);
  assertEquals(await readUntil(sink, 8), "H\r\n\r\nabc");
});
