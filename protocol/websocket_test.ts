import { assertEquals } from "../tests/_helpers/assert.ts";
import type { Conn } from "./duplex.ts";
import { pipePair, readAll } from "./_test_pipe.ts";
import {
  encodeFrameHeader,
  websocketAccept,
  websocketClient,
  WebSocketConn,
  websocketServer,
} from "./websocket.ts";

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join(" ");
const addr = { hostname: "127.0.0.1", port: 1 };

function asConn(d: ReturnType<typeof pipePair>[0]): Conn {
  return Object.assign(d, { localAddr: addr, remoteAddr: addr });
}

Deno.test("websocketAccept: RFC 6455 §1.3 example", () => {
  assertEquals(websocketAccept("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
});

Deno.test("encodeFrameHeader: RFC 6455 §5.7 examples and extended lengths", () => {
  const out = new Uint8Array(14);
  let n = encodeFrameHeader(out, 0x1, 5, null);
  assertEquals(hex(out.subarray(0, n)), "81 05");
  n = encodeFrameHeader(out, 0x1, 5, new Uint8Array([0x37, 0xfa, 0x21, 0x3d]));
  assertEquals(hex(out.subarray(0, n)), "81 85 37 fa 21 3d");
  n = encodeFrameHeader(out, 0x2, 256, null);
  assertEquals(hex(out.subarray(0, n)), "82 7e 01 00");
  n = encodeFrameHeader(out, 0x2, 65536, null);
  assertEquals(hex(out.subarray(0, n)), "82 7f 00 00 00 00 00 01 00 00");
});

Deno.test("WebSocketConn: reads the RFC's masked 'Hello', a text frame with binary bytes, fragments", async () => {
  const [a, b] = pipePair();
  const ws = new WebSocketConn(asConn(b), false, new Uint8Array(0));
  const frames = new Uint8Array([
    0x81,
    0x85,
    0x37,
    0xfa,
    0x21,
    0x3d,
    0x7f,
    0x9f,
    0x4d,
    0x51,
    0x58, // masked "Hello"
    0x81,
    0x03,
    0xff,
    0xfe,
    0x00, // text opcode, non-UTF-8 payload (Go ≤0.69 does this)
    0x02,
    0x02,
    0x41,
    0x42, // binary, FIN clear: first fragment "AB"
    0x89,
    0x00, // a ping between fragments: answered with a pong
    0x80,
    0x01,
    0x43, // continuation, FIN: "C"
    0x88,
    0x02,
    0x03,
    0xe8, // close ⇒ EOF
  ]);
  await a.write(frames);
  const got = await readAll(ws);
  assertEquals(
    hex(got),
    hex(new Uint8Array([...new TextEncoder().encode("Hello"), 0xff, 0xfe, 0x00, 0x41, 0x42, 0x43])),
  );
  // the pong the ping asked for (server side: unmasked)
  const pong = new Uint8Array(2);
  await a.read(pong);
  assertEquals(hex(pong), "8a 00");
  a.close();
  ws.close();
});

Deno.test("websocket handshake + 1 MiB client → server, client frames masked", async () => {
  const [a, b] = pipePair();
  const [client, server] = await Promise.all([
    websocketClient(asConn(a), "127.0.0.1:7000"),
    websocketServer(asConn(b)),
  ]);
  const data = crypto.getRandomValues(new Uint8Array(64 * 1024));
  const big = new Uint8Array(1024 * 1024);
  for (let i = 0; i < 16; i++) big.set(data, i * data.length);
  const serverRead = readAll(server);
  for (let off = 0; off < big.length; off += 100_000) {
    await client.write(big.subarray(off, off + 100_000));
  }
  await client.closeWrite();
  const got = await serverRead;
  assertEquals(got.length, big.length);
  assertEquals(hex(got.subarray(0, 64)), hex(big.subarray(0, 64)));
  assertEquals(hex(got.subarray(got.length - 64)), hex(big.subarray(big.length - 64)));
  client.close();
  server.close();
});

Deno.test("websocketServer: missing Origin is refused with 403, as x/net does", async () => {
  const [a, b] = pipePair();
  const req = "GET /~!frp HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  await a.write(new TextEncoder().encode(req));
  let failed = false;
  await websocketServer(asConn(b)).catch(() => (failed = true));
  assertEquals(failed, true);
  const resp = new Uint8Array(64);
  const n = await a.read(resp);
  assertEquals(
    new TextDecoder().decode(resp.subarray(0, n!)).split("\r\n")[0],
    "HTTP/1.1 403 Forbidden",
  );
  a.close();
  b.close();
});
