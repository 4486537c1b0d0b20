/**
 * Wire v2 framing and hello handshake, checked against bytes produced by Go frp v0.70.1
 * (tests/wirev2_peer prints them; `go run .` there regenerates).
 */
import { deepStrictEqual as assertEquals, rejects, throws } from "node:assert";
import {
  clientCryptoContext,
  type ClientHello,
  codecFor,
  decodeClientHello,
  decodeServerHello,
  encodeClientHello,
  encodeFrameV2,
  encodeMessageV2,
  encodeServerHello,
  errorServerHello,
  FRAME_TYPE_CLIENT_HELLO,
  hashCryptoTranscript,
  isWireV2Magic,
  type Message,
  newServerHello,
  readFrameV2,
  readMessage,
  readMessageAfter,
  readMessageV2,
  V1_CODEC,
  V2_CODEC,
  WIRE_V2_MAGIC,
} from "./mod.ts";
import { UnexpectedEofError } from "../errors.ts";
import { bytesReader } from "../_test_pipe.ts";

const hex = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const unhex = (s: string): Uint8Array =>
  new Uint8Array(s.match(/../g)!.map((h) => parseInt(h, 16)));
const enc = new TextEncoder();
const seq = (start: number, n: number) => new Uint8Array(n).map((_, i) => start + i);

/** Go frp v0.70.1 output (msg.NewV2ReadWriter(...).WriteMsg, json.Marshal, HashCryptoTranscript). */
const GO = {
  ping: "0010000000000004000b7b7d",
  newWorkConn: "001000000000001200067b2272756e5f6964223a22616263227d",
  login:
    "001000000000005100017b2276657273696f6e223a22302e37302e31222c226f73223a226c696e7578222c2272756e5f6964223a227231222c22636c69656e745f73706563223a7b7d2c22706f6f6c5f636f756e74223a317d",
  udpPacket:
    "0010000000000036000d7b2263223a2261476b3d222c2272223a7b224950223a22312e322e332e34222c22506f7274223a352c225a6f6e65223a22227d7d",
  clientHelloFrame:
    "00010000000000e47b22626f6f747374726170223a7b227472616e73706f7274223a22746370222c22746c73223a747275652c227463704d7578223a747275657d2c226361706162696c6974696573223a7b226d657373616765223a7b22636f64656373223a5b226a736f6e225d7d2c2263727970746f223a7b22616c676f726974686d73223a5b226165732d3235362d67636d222c227863686163686132302d706f6c7931333035225d2c22636c69656e7452616e646f6d223a2241414543417751464267634943516f4c4441304f4478415245684d554652595847426b61477877644868383d227d7d7d",
  transcript: "5ccf90b805bdc0b770f583b4244b2512db50418790b323924394ec5014df66a0",
  clientHello:
    '{"bootstrap":{"transport":"tcp","tls":true,"tcpMux":true},"capabilities":{"message":{"codecs":["json"]},"crypto":{"algorithms":["aes-256-gcm","xchacha20-poly1305"],"clientRandom":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}}}',
  serverHello:
    '{"selected":{"message":{"codec":"json"},"crypto":{"algorithm":"aes-256-gcm","serverRandom":"ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="}}}',
  emptyClientHello: '{"bootstrap":{},"capabilities":{"message":{},"crypto":{}}}',
  errorServerHello:
    '{"selected":{"message":{"codec":"json"},"crypto":{}},"error":"no supported crypto algorithm"}',
};

const MESSAGES: [keyof typeof GO, Message][] = [
  ["ping", { type: "Ping", body: {} }],
  ["newWorkConn", { type: "NewWorkConn", body: { run_id: "abc" } }],
  [
    "login",
    {
      type: "Login",
      body: { version: "0.70.1", os: "linux", run_id: "r1", pool_count: 1, client_spec: {} },
    },
  ],
  [
    "udpPacket",
    {
      type: "UDPPacket",
      body: { c: "aGk=", r: { IP: "1.2.3.4", Port: 5, Zone: "" } },
    },
  ],
];

for (const [key, m] of MESSAGES) {
  Deno.test(`v2 frame ${m.type}: bytes equal Go's, and decode back`, async () => {
    assertEquals(hex(encodeMessageV2(m)), GO[key]);
    const r = bytesReader(unhex(GO[key]));
    assertEquals(await readMessageV2(r), m);
    await rejects(readMessageV2(r), (e) => e instanceof UnexpectedEofError && e.atBoundary);
  });
}

Deno.test("v2 magic", () => {
  assertEquals(new TextDecoder().decode(WIRE_V2_MAGIC), "FRP\0\x02\r\n");
  assertEquals(isWireV2Magic(WIRE_V2_MAGIC), true);
  assertEquals(isWireV2Magic(unhex("6f000000000000")), false);
});

Deno.test("v2 frame reader refuses what Go refuses, with Go's texts", async () => {
  const flags = unhex("001000010000000000");
  await rejects(readFrameV2(bytesReader(flags)), /unsupported frame flags: 1/);
  const big = unhex("0010000000010001");
  await rejects(readFrameV2(bytesReader(big)), /frame payload length 65537 exceeds limit 65536/);
  const hello = encodeFrameV2(FRAME_TYPE_CLIENT_HELLO, enc.encode("{}"));
  await rejects(readMessageV2(bytesReader(hello)), /unexpected frame type 1, want 16/);
  await rejects(readMessageV2(bytesReader(unhex("001000000000000100"))), /payload too short/);
  await rejects(
    readMessageV2(bytesReader(unhex("00100000000000040063" + "7b7d"))),
    /unknown v2 message type 99/,
  );
  throws(() => encodeFrameV2(16, new Uint8Array(65537)), /exceeds limit 65536/);
  // a frame of exactly 64 KiB is fine
  const max = encodeFrameV2(16, new Uint8Array(65536));
  assertEquals((await readFrameV2(bytesReader(max))).payload.byteLength, 65536);
});

Deno.test("readMessageAfter: a v1 frame whose first 7 bytes were sniffed", async () => {
  const frame = V1_CODEC.encodeMessage({ type: "NewWorkConn", body: { run_id: "abc" } });
  const r = bytesReader(frame.subarray(7));
  assertEquals(await readMessageAfter(r, frame.subarray(0, 7)), {
    type: "NewWorkConn",
    body: { run_id: "abc" },
  });
  await rejects(readMessage(r), (e) => e instanceof UnexpectedEofError && e.atBoundary);
});

Deno.test("codecFor", () => {
  assertEquals(codecFor("v2"), V2_CODEC);
  assertEquals(codecFor("v1"), V1_CODEC);
  assertEquals(codecFor(undefined), V1_CODEC);
});

const CLIENT_HELLO: ClientHello = {
  bootstrap: { transport: "tcp", tls: true, tcpMux: true },
  codecs: ["json"],
  algorithms: ["aes-256-gcm", "xchacha20-poly1305"],
  clientRandom: seq(0, 32),
};

Deno.test("hello JSON and frame bytes equal Go's", () => {
  assertEquals(new TextDecoder().decode(encodeClientHello(CLIENT_HELLO)), GO.clientHello);
  assertEquals(
    hex(encodeFrameV2(FRAME_TYPE_CLIENT_HELLO, encodeClientHello(CLIENT_HELLO))),
    GO.clientHelloFrame,
  );
  assertEquals(
    new TextDecoder().decode(encodeServerHello({
      codec: "json",
      algorithm: "aes-256-gcm",
      serverRandom: seq(32, 32),
      error: "",
    })),
    GO.serverHello,
  );
  assertEquals(
    new TextDecoder().decode(encodeClientHello({
      bootstrap: {},
      codecs: [],
      algorithms: [],
      clientRandom: new Uint8Array(0),
    })),
    GO.emptyClientHello,
  );
  assertEquals(
    new TextDecoder().decode(encodeServerHello(errorServerHello("no supported crypto algorithm"))),
    GO.errorServerHello,
  );
  assertEquals(decodeClientHello(enc.encode(GO.clientHello)), CLIENT_HELLO);
  assertEquals(decodeServerHello(enc.encode(GO.serverHello)).algorithm, "aes-256-gcm");
});

Deno.test("transcript hash equals Go's", () => {
  assertEquals(
    hex(hashCryptoTranscript(enc.encode(GO.clientHello), enc.encode(GO.serverHello))),
    GO.transcript,
  );
  const ctx = clientCryptoContext(
    CLIENT_HELLO,
    enc.encode(GO.clientHello),
    enc.encode(GO.serverHello),
  );
  assertEquals(ctx.algorithm, "aes-256-gcm");
  assertEquals(hex(ctx.transcriptHash), GO.transcript);
});

Deno.test("server picks the client's first supported algorithm; Go's refusal texts", () => {
  const pick = (algorithms: string[]) => newServerHello({ ...CLIENT_HELLO, algorithms }).algorithm;
  assertEquals(pick(["xchacha20-poly1305", "aes-256-gcm"]), "xchacha20-poly1305");
  assertEquals(pick(["foo", "aes-256-gcm"]), "aes-256-gcm");
  throws(() => pick(["foo"]), /^WireV2HandshakeError: no supported crypto algorithm$/);
  throws(
    () => newServerHello({ ...CLIENT_HELLO, codecs: ["proto"] }),
    /unsupported message codec/,
  );
  throws(
    () => newServerHello({ ...CLIENT_HELLO, clientRandom: new Uint8Array(3) }),
    /invalid crypto client random length 3, want 32/,
  );
});

Deno.test("client checks of ServerHello, with Go's texts", () => {
  const check = (sh: string) =>
    clientCryptoContext(
      { ...CLIENT_HELLO, algorithms: ["aes-256-gcm"] },
      enc.encode("{}"),
      enc.encode(sh),
    );
  throws(() => check(GO.errorServerHello), /no supported crypto algorithm/);
  throws(
    () => check(GO.serverHello.replace('"json"', '"xml"')),
    /unsupported selected message codec: xml/,
  );
  throws(
    () => check(GO.serverHello.replace("aes-256-gcm", "rot13")),
    /unknown selected crypto algorithm: rot13/,
  );
  throws(
    () => check(GO.serverHello.replace("aes-256-gcm", "xchacha20-poly1305")),
    /selected crypto algorithm was not advertised by client: xchacha20-poly1305/,
  );
  throws(
    () => check('{"selected":{"message":{"codec":"json"},"crypto":{"algorithm":"aes-256-gcm"}}}'),
    /invalid crypto server random length 0, want 32/,
  );
});
