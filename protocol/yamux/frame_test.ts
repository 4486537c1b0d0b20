import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import {
  decodeHeader,
  encodeFrameHeader,
  FLAG_ACK,
  FLAG_FIN,
  FLAG_RST,
  FLAG_SYN,
  formatHeader,
  GO_AWAY_PROTO_ERR,
  HEADER_SIZE,
  TYPE_DATA,
  TYPE_GO_AWAY,
  TYPE_PING,
  TYPE_WINDOW_UPDATE,
} from "./frame.ts";

function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, "");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

// wire-v1.md §5.6 byte examples.
const VECTORS: Array<
  [string, string, { type: number; flags: number; streamId: number; length: number }]
> = [
  ["frpc opens stream 1 (SYN, frp window)", "00 01 00 01 00000001 005c0000", {
    type: TYPE_WINDOW_UPDATE,
    flags: FLAG_SYN,
    streamId: 1,
    length: 0x5c0000,
  }],
  ["frps accepts stream 1 (ACK)", "00 01 00 02 00000001 005c0000", {
    type: TYPE_WINDOW_UPDATE,
    flags: FLAG_ACK,
    streamId: 1,
    length: 6029312,
  }],
  ["data on stream 1, 11 bytes", "00 00 00 00 00000001 0000000b", {
    type: TYPE_DATA,
    flags: 0,
    streamId: 1,
    length: 11,
  }],
  ["ping request id 0", "00 02 00 01 00000000 00000000", {
    type: TYPE_PING,
    flags: FLAG_SYN,
    streamId: 0,
    length: 0,
  }],
  ["ping reply id 0", "00 02 00 02 00000000 00000000", {
    type: TYPE_PING,
    flags: FLAG_ACK,
    streamId: 0,
    length: 0,
  }],
  ["close stream 1 (FIN)", "00 01 00 04 00000001 00000000", {
    type: TYPE_WINDOW_UPDATE,
    flags: FLAG_FIN,
    streamId: 1,
    length: 0,
  }],
];

Deno.test("frame: wire-v1 §5.6 vectors encode and decode", () => {
  for (const [name, bytes, h] of VECTORS) {
    assertEquals(encodeFrameHeader(h), hex(bytes), name);
    assertEquals(decodeHeader(hex(bytes)), { version: 0, ...h }, name);
  }
});

Deno.test("frame: round-trip table", () => {
  const table = [
    { type: TYPE_DATA, flags: FLAG_SYN | FLAG_ACK, streamId: 0xfffffffd, length: 0xffffffff },
    { type: TYPE_WINDOW_UPDATE, flags: FLAG_RST, streamId: 2, length: 0 },
    { type: TYPE_WINDOW_UPDATE, flags: FLAG_FIN | FLAG_ACK, streamId: 3, length: 3145728 },
    { type: TYPE_PING, flags: FLAG_SYN, streamId: 0, length: 0x80000000 },
    { type: TYPE_GO_AWAY, flags: 0, streamId: 0, length: GO_AWAY_PROTO_ERR },
    { type: TYPE_DATA, flags: 0xffff, streamId: 0x12345678, length: 0x9abcdef0 },
  ];
  for (const h of table) {
    const b = encodeFrameHeader(h);
    assertEquals(b.byteLength, HEADER_SIZE);
    assertEquals(decodeHeader(b), { version: 0, ...h });
  }
  // Offsets work inside a larger buffer.
  const big = new Uint8Array(30);
  big.set(encodeFrameHeader(table[2]), 7);
  assertEquals(decodeHeader(big, 7), { version: 0, ...table[2] });
  assertThrows(() => decodeHeader(big, 20), RangeError);
});

Deno.test("frame: formatHeader", () => {
  assertEquals(
    formatHeader(decodeHeader(hex("00 01 00 03 00000001 005c0000"))),
    "WindowUpdate SYN|ACK id=1 len=6029312",
  );
});
