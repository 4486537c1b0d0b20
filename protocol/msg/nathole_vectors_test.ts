/** NatHole frames byte for byte as Go frp v0.70.1's msg.WriteMsg writes them. */
import { assertEquals } from "../../tests/_helpers/assert.ts";
import { encodeMessage, readMessage } from "./frame_v1.ts";
import type { Message } from "./messages.ts";

const hex = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

function unhex(s: string): Uint8Array {
  return new Uint8Array(s.match(/../g)!.map((h) => parseInt(h, 16)));
}

// Produced by a Go program linking github.com/fatedier/frp@v0.70.1/pkg/msg.
const VECTORS: Array<[Message, string]> = [
  [
    {
      type: "NatHoleResp",
      body: {
        transaction_id: "1795644069abcdef",
        sid: "1795644069e559e9a38e3921fc",
        protocol: "quic",
        candidate_addrs: ["127.0.0.1:51432"],
        assisted_addrs: ["192.0.2.2:51432"],
        detect_behavior: {
          role: "receiver",
          mode: 1,
          ttl: 7,
          read_timeout: 5000,
          candidate_ports: [{ from: 51422, to: 51442 }],
        },
      },
    },
    "6d000000000000011e7b227472616e73616374696f6e5f6964223a2231373935363434303639616263646566222c22736964223a223137393536343430363965353539653961333865333932316663222c2270726f746f636f6c223a2271756963222c2263616e6469646174655f6164647273223a5b223132372e302e302e313a3531343332225d2c2261737369737465645f6164647273223a5b223139322e302e322e323a3531343332225d2c226465746563745f6265686176696f72223a7b22726f6c65223a227265636569766572222c226d6f6465223a312c2274746c223a372c22726561645f74696d656f7574223a353030302c2263616e6469646174655f706f727473223a5b7b2266726f6d223a35313432322c22746f223a35313434327d5d7d7d",
  ],
  [
    {
      type: "NatHoleResp",
      body: {
        transaction_id: "t1",
        detect_behavior: {},
        error: "xtcp connection of [p2p] auth failed",
      },
    },
    "6d000000000000005b7b227472616e73616374696f6e5f6964223a227431222c226465746563745f6265686176696f72223a7b7d2c226572726f72223a227874637020636f6e6e656374696f6e206f66205b7032705d2061757468206661696c6564227d",
  ],
  [
    { type: "NatHoleSid", body: { sid: "1795644069e559e9a38e3921fc" } },
    "3500000000000000247b22736964223a223137393536343430363965353539653961333865333932316663227d",
  ],
];

Deno.test("NatHoleResp / NatHoleSid frames equal Go's bytes", async () => {
  for (const [m, want] of VECTORS) {
    assertEquals(hex(encodeMessage(m)), want, `${m.type} encoding`);
    const bytes = unhex(want);
    let off = 0;
    const reader = {
      read(p: Uint8Array): Promise<number | null> {
        if (off >= bytes.length) return Promise.resolve(null);
        const n = Math.min(p.length, bytes.length - off);
        p.set(bytes.subarray(off, off + n));
        off += n;
        return Promise.resolve(n);
      },
    };
    assertEquals(await readMessage(reader as never), m, `${m.type} decoding`);
  }
});
