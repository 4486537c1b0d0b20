/**
 * xtcp's pure pieces: the NatHoleSid punching packet (byte-exact against Go frp v0.70.1's
 * nathole.EncodeMessage) and the STUN Binding codec (classification: classify_test.ts).
 */
import { assert, assertEquals } from "../../tests/_helpers/assert.ts";
import { decodeSidPacket, encodeSidPacket } from "./sid_packet.ts";
import { encodeBindingRequest, isResponseTo, parseBindingResponse } from "./stun.ts";

function unhex(s: string): Uint8Array {
  return new Uint8Array(s.match(/../g)!.map((h) => parseInt(h, 16)));
}
const hex = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

// Go: crypto.DefaultSalt = "frp"; nathole.EncodeMessage(&msg.NatHoleSid{TransactionID:
// "17956440751234567890abcdef", Sid: "1795644069e559e9a38e3921fc", Nonce: "0000000"},
// []byte("xtcp-secret")) — random IV, so the TS side reuses the vector's first 16 bytes.
const GO_SID_PACKET =
  "737fd917ca4b3c1004b6855bed71f1a26dc0cab537b295753459d8ad95828a76a5513d60b017e6788a00b53224d12b67d9e73267bbc2c0d283c1ec8169276405f5549769994df020baecf233a71c76d34a2dab8db752766869d11f92eaeebfecc80197526bf9dafac86d4351dc3c138be288a9dc7f8fe33f742fb8074b";
const SID = {
  transaction_id: "17956440751234567890abcdef",
  sid: "1795644069e559e9a38e3921fc",
  nonce: "0000000",
};

Deno.test("sid packet: decodes Go's packet and re-encodes it byte for byte", () => {
  const pkt = unhex(GO_SID_PACKET);
  assertEquals(decodeSidPacket(pkt, "xtcp-secret"), SID);
  assertEquals(hex(encodeSidPacket(SID, "xtcp-secret", pkt.subarray(0, 16))), GO_SID_PACKET);
});

Deno.test("sid packet: round trip with response flag, random IVs differ", () => {
  const a = encodeSidPacket({ ...SID, response: true }, "k");
  const b = encodeSidPacket({ ...SID, response: true }, "k");
  assert(hex(a) !== hex(b), "fresh IV per packet");
  assertEquals(decodeSidPacket(a, "k"), {
    transaction_id: SID.transaction_id,
    sid: SID.sid,
    response: true,
    nonce: SID.nonce,
  });
});

Deno.test("sid packet: wrong key, truncation and garbage throw Errors, never crash", () => {
  const pkt = unhex(GO_SID_PACKET);
  const bad = (data: Uint8Array, key = "xtcp-secret") => {
    try {
      const m = decodeSidPacket(data, key);
      // A garbage packet that happens to decode must still not match a real sid.
      return m.sid === SID.sid ? "decoded" : "other";
    } catch (err) {
      assert(err instanceof Error);
      return "error";
    }
  };
  assertEquals(bad(pkt, "wrong-key"), "error");
  assertEquals(bad(pkt.subarray(0, 10)), "error");
  assertEquals(bad(pkt.subarray(0, 30)), "error");
  assertEquals(bad(pkt.subarray(0, pkt.length - 1)), "error");
  for (let i = 0; i < 2000; i++) {
    const junk = crypto.getRandomValues(new Uint8Array(i % 200));
    assert(bad(junk) !== "decoded");
  }
});

Deno.test("stun: request layout and response parsing (XOR-MAPPED, OTHER-ADDRESS)", () => {
  const txid = unhex("0102030405060708090a0b0c");
  const req = encodeBindingRequest(txid);
  assertEquals(hex(req), "000100002112a442" + "0102030405060708090a0b0c");
  // success: XOR-MAPPED 127.0.0.1:40000, MAPPED 9.9.9.9:1, OTHER-ADDRESS 127.0.0.1:3479
  const xport = (40000 ^ 0x2112).toString(16).padStart(4, "0");
  const xip = hex(new Uint8Array([127 ^ 0x21, 0 ^ 0x12, 0 ^ 0xa4, 1 ^ 0x42]));
  const attrs = `00200008 0001${xport}${xip}` + "00010008 00010001 09090909" +
    `802c0008 0001${(3479).toString(16).padStart(4, "0")}7f000001`;
  const body = attrs.replace(/ /g, "");
  const resp = unhex(
    "0101" + (body.length / 2).toString(16).padStart(4, "0") + "2112a442" + hex(txid) + body,
  );
  assert(isResponseTo(resp, txid));
  assert(!isResponseTo(resp, new Uint8Array(12)));
  assertEquals(parseBindingResponse(resp, txid), {
    mappedAddr: "127.0.0.1:40000",
    otherAddr: "127.0.0.1:3479",
  });
  // truncated attribute / length mismatch are errors, not crashes
  let threw = 0;
  for (const cut of [21, 24, 30, resp.length - 1]) {
    try {
      const r = resp.slice(0, cut);
      r[3] = cut - 20;
      parseBindingResponse(r, txid);
    } catch {
      threw++;
    }
  }
  assertEquals(threw, 4);
});
