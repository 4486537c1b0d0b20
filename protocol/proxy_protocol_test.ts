import { deepStrictEqual as assertEquals, throws } from "node:assert";
import { buildProxyProtocolHeader, formatIp, parseIp } from "./proxy_protocol.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const SIG = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];

Deno.test("proxy protocol v1 TCP4 / TCP6", () => {
  assertEquals(
    text(
      buildProxyProtocolHeader("v1", "tcp", { ip: "1.2.3.4", port: 5 }, {
        ip: "6.7.8.9",
        port: 10,
      }),
    ),
    "PROXY TCP4 1.2.3.4 6.7.8.9 5 10\r\n",
  );
  assertEquals(
    text(
      buildProxyProtocolHeader("v1", "tcp", { ip: "2001:db8::1", port: 1 }, { ip: "::1", port: 0 }),
    ),
    "PROXY TCP6 2001:db8::1 ::1 1 0\r\n",
  );
  throws(() =>
    buildProxyProtocolHeader("v1", "tcp", { ip: "1.2.3.4", port: 1 }, { ip: "::1", port: 2 })
  );
});

Deno.test("proxy protocol v2 TCP4 bytes", () => {
  const h = buildProxyProtocolHeader("v2", "tcp", { ip: "127.0.0.1", port: 0x1234 }, {
    ip: "127.0.0.1",
    port: 80,
  });
  assertEquals([...h], [
    ...SIG,
    0x21,
    0x11,
    0,
    12,
    127,
    0,
    0,
    1,
    127,
    0,
    0,
    1,
    0x12,
    0x34,
    0,
    80,
  ]);
});

Deno.test("proxy protocol v2 TCP6 and UDP", () => {
  const h = buildProxyProtocolHeader("v2", "tcp", { ip: "::1", port: 1 }, { ip: "::2", port: 2 });
  assertEquals(h[13], 0x21);
  assertEquals(h.length, 16 + 36);
  const u = buildProxyProtocolHeader("v2", "udp", { ip: "10.0.0.1", port: 1 }, {
    ip: "10.0.0.2",
    port: 2,
  });
  assertEquals(u[13], 0x12);
  assertEquals(
    text(
      buildProxyProtocolHeader("v1", "udp", { ip: "10.0.0.1", port: 1 }, {
        ip: "10.0.0.2",
        port: 2,
      }),
    ),
    "PROXY UNKNOWN\r\n",
  );
});

Deno.test("IP parsing and Go-style formatting", () => {
  assertEquals(formatIp(parseIp("2001:0db8:0:0:0:0:0:1")!), "2001:db8::1");
  assertEquals(formatIp(parseIp("::ffff:1.2.3.4")!), "1.2.3.4");
  assertEquals(formatIp(parseIp("1:0:0:2:0:0:0:3")!), "1:0:0:2::3");
  assertEquals(parseIp("300.1.1.1"), undefined);
  assertEquals(parseIp("nothost"), undefined);
});
