import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import { FrameDecoder, type FrameHandler } from "./decode.ts";
import { encodeFrameHeader, FLAG_SYN, TYPE_DATA, TYPE_PING, TYPE_WINDOW_UPDATE } from "./frame.ts";
import { YamuxProtocolError } from "./errors.ts";
import { concatBytes } from "../io.ts";

type Ev = ["h", number, number, number, number] | ["d", number[]];

function collect(): { h: FrameHandler; ev: Ev[] } {
  const ev: Ev[] = [];
  return {
    ev,
    h: {
      onHeader: (t, f, id, len) => ev.push(["h", t, f, id, len]),
      onData: (c) => ev.push(["d", [...c]]),
    },
  };
}

const concat = (...parts: Uint8Array[]): Uint8Array => concatBytes(parts);

const stream = concat(
  encodeFrameHeader({ type: TYPE_WINDOW_UPDATE, flags: FLAG_SYN, streamId: 1, length: 0x5c0000 }),
  encodeFrameHeader({ type: TYPE_DATA, flags: 0, streamId: 1, length: 5 }),
  new Uint8Array([1, 2, 3, 4, 5]),
  encodeFrameHeader({ type: TYPE_DATA, flags: 0, streamId: 3, length: 0 }),
  encodeFrameHeader({ type: TYPE_PING, flags: FLAG_SYN, streamId: 0, length: 7 }),
);

function merged(ev: Ev[]): Ev[] {
  // Join consecutive data events so results do not depend on chunking.
  const out: Ev[] = [];
  for (const e of ev) {
    const last = out[out.length - 1];
    if (e[0] === "d" && last?.[0] === "d") last[1].push(...e[1]);
    else out.push(e[0] === "d" ? ["d", [...e[1]]] : e);
  }
  return out;
}

Deno.test("decode: every chunking yields the same frames", () => {
  const whole = collect();
  new FrameDecoder(whole.h).push(stream);
  assertEquals(whole.ev, [
    ["h", TYPE_WINDOW_UPDATE, FLAG_SYN, 1, 0x5c0000],
    ["h", TYPE_DATA, 0, 1, 5],
    ["d", [1, 2, 3, 4, 5]],
    ["h", TYPE_DATA, 0, 3, 0],
    ["h", TYPE_PING, FLAG_SYN, 0, 7],
  ]);
  for (let size = 1; size <= stream.byteLength; size++) {
    const c = collect();
    const d = new FrameDecoder(c.h);
    for (let o = 0; o < stream.byteLength; o += size) d.push(stream.subarray(o, o + size));
    assertEquals(merged(c.ev), whole.ev, `chunk size ${size}`);
    assertEquals(d.payloadRemaining, 0);
  }
});

Deno.test("decode: bad version and bad type are protocol errors", () => {
  const c = collect();
  const bad = encodeFrameHeader({ type: TYPE_PING, flags: 0, streamId: 0, length: 0 });
  bad[0] = 1;
  assertThrows(() => new FrameDecoder(c.h).push(bad), YamuxProtocolError);
  const badType = encodeFrameHeader({ type: 4, flags: 0, streamId: 0, length: 0 });
  assertThrows(() => new FrameDecoder(c.h).push(badType), YamuxProtocolError);
  // frp's first message byte 'o' (Login) is rejected as a bad version.
  assertThrows(() =>
    new FrameDecoder(c.h).push(new TextEncoder().encode("o\0\0\0\0\0\0\0\0\0\0\0"))
  );
});
