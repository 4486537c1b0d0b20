import { deepStrictEqual as assertEquals, rejects, throws } from "node:assert";
import {
  encodeMessage,
  FrameDecoder,
  type Message,
  MESSAGE_TYPES,
  type MessageName,
  readMessage,
  writeMessage,
} from "./mod.ts";
import {
  FrameTooLargeError,
  MalformedMessageError,
  UnexpectedEofError,
  UnknownMessageTypeError,
} from "../errors.ts";
import { bytesReader, pipePair } from "../_test_pipe.ts";

const hex = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const dec = new TextDecoder();
const json = (m: Message): string => dec.decode(encodeMessage(m).subarray(9));

function frame(typeByte: string, body: string, lengthOverride?: bigint): Uint8Array {
  const b = new TextEncoder().encode(body);
  const out = new Uint8Array(9 + b.byteLength);
  out[0] = typeByte.charCodeAt(0);
  new DataView(out.buffer).setBigInt64(1, lengthOverride ?? BigInt(b.byteLength));
  out.set(b, 9);
  return out;
}

/** One fully populated sample per message type. */
const SAMPLES: Message[] = [
  {
    type: "Login",
    body: {
      version: "0.70.1",
      hostname: "h",
      os: "linux",
      arch: "amd64",
      user: "u",
      privilege_key: "3d8aac6cc09d79da303be74c311e5808",
      timestamp: 1700000000,
      run_id: "abcdef0123456789",
      client_id: "cid",
      metas: { a: "1", empty: "" },
      client_spec: { type: "ssh-tunnel", always_auth_pass: true },
      pool_count: 5,
    },
  },
  { type: "LoginResp", body: { version: "0.70.1", run_id: "r", error: "e" } },
  {
    type: "NewProxy",
    body: {
      proxy_name: "u.web",
      proxy_type: "http",
      use_encryption: true,
      use_compression: true,
      bandwidth_limit: "1MB",
      bandwidth_limit_mode: "server",
      group: "g",
      group_key: "gk",
      metas: { m: "v" },
      annotations: { an: "v" },
      remote_port: 6000,
      custom_domains: ["a.example.com", "b.example.com"],
      subdomain: "sub",
      locations: ["/", "/api"],
      http_user: "hu",
      http_pwd: "hp",
      host_header_rewrite: "x",
      headers: { "X-From": "frp" },
      response_headers: { "X-Resp": "1" },
      route_by_http_user: "ru",
      sk: "sk",
      allow_users: ["*"],
      multiplexer: "httpconnect",
    },
  },
  { type: "NewProxyResp", body: { proxy_name: "u.web", remote_addr: ":6000", error: "e" } },
  { type: "CloseProxy", body: { proxy_name: "u.web" } },
  { type: "NewWorkConn", body: { run_id: "r", privilege_key: "k", timestamp: 1 } },
  { type: "ReqWorkConn", body: {} },
  {
    type: "StartWorkConn",
    body: {
      proxy_name: "p",
      src_addr: "1.2.3.4",
      dst_addr: "5.6.7.8",
      src_port: 1234,
      dst_port: 80,
      error: "x",
    },
  },
  {
    type: "NewVisitorConn",
    body: {
      run_id: "r",
      proxy_name: "p",
      sign_key: "s",
      timestamp: 9,
      use_encryption: true,
      use_compression: true,
    },
  },
  { type: "NewVisitorConnResp", body: { proxy_name: "p", error: "e" } },
  { type: "Ping", body: { privilege_key: "k", timestamp: 2 } },
  { type: "Pong", body: { error: "e" } },
  {
    type: "UDPPacket",
    body: {
      c: "aGVsbG8=",
      l: { IP: "::1", Port: 1, Zone: "eth0" },
      r: { IP: "203.0.113.5", Port: 51234, Zone: "" },
    },
  },
  {
    type: "NatHoleVisitor",
    body: {
      transaction_id: "t",
      proxy_name: "p",
      pre_check: true,
      protocol: "kcp",
      sign_key: "s",
      timestamp: 3,
      mapped_addrs: ["1.1.1.1:1"],
      assisted_addrs: ["10.0.0.1:2"],
    },
  },
  {
    type: "NatHoleClient",
    body: {
      transaction_id: "t",
      proxy_name: "p",
      sid: "s",
      mapped_addrs: ["a"],
      assisted_addrs: ["b"],
    },
  },
  {
    type: "NatHoleResp",
    body: {
      transaction_id: "t",
      sid: "s",
      protocol: "quic",
      candidate_addrs: ["c"],
      assisted_addrs: ["d"],
      detect_behavior: {
        role: "sender",
        mode: 2,
        ttl: 7,
        send_delay_ms: 10,
        read_timeout: 5000,
        candidate_ports: [{ from: 1000, to: 2000 }, { from: 3000 }],
        send_random_ports: 3,
        listen_random_ports: 4,
      },
      error: "e",
    },
  },
  { type: "NatHoleSid", body: { transaction_id: "t", sid: "s", response: true, nonce: "000" } },
  { type: "NatHoleReport", body: { sid: "s", success: true } },
];

Deno.test("every message type has a sample", () => {
  assertEquals(SAMPLES.map((m) => m.type).sort(), Object.keys(MESSAGE_TYPES).sort());
});

Deno.test("wire-v1 §1.4 example frames", () => {
  assertEquals(hex(encodeMessage({ type: "Ping", body: {} })), "6800000000000000027b7d");
  assertEquals(hex(encodeMessage({ type: "ReqWorkConn", body: {} })), "7200000000000000027b7d");
  assertEquals(hex(encodeMessage({ type: "Pong", body: {} })), "3400000000000000027b7d");
});

Deno.test("round trip of every message type through readMessage", async () => {
  const [a, b] = pipePair({ maxRead: 5 });
  for (const m of SAMPLES) await writeMessage(a, m);
  for (const m of SAMPLES) {
    const got = await readMessage(b);
    assertEquals(got, m, m.type);
    assertEquals(encodeMessage(got)[0], MESSAGE_TYPES[m.type].charCodeAt(0));
  }
});

Deno.test("round trip through FrameDecoder split at every byte", () => {
  const all = SAMPLES.map(encodeMessage);
  const stream = new Uint8Array(all.reduce((n, f) => n + f.byteLength, 0));
  let off = 0;
  for (const f of all) {
    stream.set(f, off);
    off += f.byteLength;
  }
  for (const step of [1, 2, 7, 100, stream.byteLength]) {
    const d = new FrameDecoder();
    const got: Message[] = [];
    for (let i = 0; i < stream.byteLength; i += step) {
      got.push(...d.push(stream.slice(i, i + step)));
    }
    assertEquals(got, SAMPLES, `step ${step}`);
    assertEquals(d.pending, 0);
  }
  const d = new FrameDecoder();
  const tail = new Uint8Array([0x68, 0, 0]);
  const withTail = new Uint8Array(all[0].byteLength + 3);
  withTail.set(all[0]);
  withTail.set(tail, all[0].byteLength);
  assertEquals(d.push(withTail).length, 1);
  assertEquals(d.takeRest(), tail);
});

Deno.test("omitempty: zero values dropped, client_spec and detect_behavior always emitted", () => {
  assertEquals(json({ type: "Login", body: { client_spec: {} } }), '{"client_spec":{}}');
  assertEquals(
    json({
      type: "Login",
      body: {
        version: "",
        timestamp: 0,
        metas: {},
        pool_count: 1,
        client_spec: { type: "", always_auth_pass: false },
      },
    }),
    '{"client_spec":{},"pool_count":1}',
  );
  assertEquals(
    json({ type: "NatHoleResp", body: { sid: "s" } as never }),
    '{"sid":"s","detect_behavior":{}}',
  );
  assertEquals(
    json({
      type: "NatHoleResp",
      body: { detect_behavior: { mode: 0, candidate_ports: [] }, candidate_addrs: [] },
    }),
    '{"detect_behavior":{}}',
  );
  assertEquals(
    json({ type: "NewProxy", body: { use_encryption: false, custom_domains: [], remote_port: 0 } }),
    "{}",
  );
  // Map values are not omitempty; keys follow Go struct order.
  assertEquals(
    json({ type: "NewProxy", body: { metas: { k: "" }, proxy_name: "n" } }),
    '{"proxy_name":"n","metas":{"k":""}}',
  );
  // UDPAddr is a pointer: omitted when absent, all three keys when present.
  assertEquals(
    json({ type: "UDPPacket", body: { r: { IP: "1.2.3.4", Port: 0, Zone: "" } } }),
    '{"r":{"IP":"1.2.3.4","Port":0,"Zone":""}}',
  );
  // Unknown keys are not sent.
  assertEquals(json({ type: "Pong", body: { bogus: 1 } as never }), "{}");
});

Deno.test("decoding: defaults, nulls, unknown keys, case-insensitive keys", async () => {
  const read = (f: Uint8Array) => readMessage(bytesReader(f));
  assertEquals(await read(frame("o", "{}")), { type: "Login", body: { client_spec: {} } });
  assertEquals(await read(frame("m", "{}")), {
    type: "NatHoleResp",
    body: { detect_behavior: {} },
  });
  assertEquals(
    await read(frame("o", '{"Version":"1","RUN_ID":null,"x":1,"client_spec":{"Type":"t"}}')),
    { type: "Login", body: { version: "1", client_spec: { type: "t" } } },
  );
  assertEquals(
    await read(frame("u", '{"r":{"ip":"1.2.3.4","port":5}}')),
    { type: "UDPPacket", body: { r: { IP: "1.2.3.4", Port: 5, Zone: "" } } },
  );
  assertEquals(await read(frame("h", '{"constructor":1,"__proto__":{"x":1}}')), {
    type: "Ping",
    body: {},
  });
});

Deno.test("readMessage never reads past the frame", async () => {
  const f = encodeMessage({ type: "StartWorkConn", body: { proxy_name: "p" } });
  const data = new Uint8Array(f.byteLength + 4);
  data.set(f);
  data.set([1, 2, 3, 4], f.byteLength);
  const r = bytesReader(data);
  assertEquals((await readMessage(r)).type, "StartWorkConn");
  const rest = new Uint8Array(100);
  assertEquals(await r.read(rest), 4);
  assertEquals(rest.subarray(0, 4), new Uint8Array([1, 2, 3, 4]));
});

Deno.test("frame errors", async () => {
  const read = (f: Uint8Array) => readMessage(bytesReader(f));
  await rejects(read(frame("h", "{}", 10241n)), FrameTooLargeError);
  await rejects(read(frame("h", "{}", 10241n)), /length 10241 exceeds 10240/);
  await rejects(read(frame("h", "{}", -1n)), FrameTooLargeError);
  await rejects(read(frame("h", "{}", -(2n ** 63n))), FrameTooLargeError);
  await rejects(read(frame("z", "{}")), UnknownMessageTypeError);
  await rejects(read(new Uint8Array([0x00])), /0x00/);
  await rejects(read(frame("h", "{nope")), MalformedMessageError);
  await rejects(read(frame("h", "[1,2]")), MalformedMessageError);
  await rejects(read(frame("h", "null")), MalformedMessageError);
  await rejects(read(frame("h", '{"timestamp":"soon"}')), MalformedMessageError);
  await rejects(read(frame("h", '{"timestamp":1.5}')), MalformedMessageError);
  await rejects(read(frame("p", '{"custom_domains":[1]}')), MalformedMessageError);
  await rejects(read(frame("p", '{"metas":{"a":1}}')), MalformedMessageError);
  await rejects(
    read(frame("m", '{"detect_behavior":{"candidate_ports":[3]}}')),
    MalformedMessageError,
  );

  // EOF: before the first byte (clean), inside the header, inside the body.
  const eof = async (bytes: Uint8Array): Promise<UnexpectedEofError> => {
    try {
      await read(bytes);
    } catch (err) {
      if (err instanceof UnexpectedEofError) return err;
      throw err;
    }
    throw new Error("no error");
  };
  assertEquals((await eof(new Uint8Array(0))).atBoundary, true);
  assertEquals((await eof(new Uint8Array([0x68]))).atBoundary, false);
  assertEquals((await eof(new Uint8Array([0x68, 0, 0, 0]))).atBoundary, false);
  assertEquals((await eof(frame("h", "{}").subarray(0, 10))).atBoundary, false);

  throws(() => new FrameDecoder().push(new Uint8Array([0x7a])), UnknownMessageTypeError);
  throws(
    () => encodeMessage({ type: "CloseProxy", body: { proxy_name: "x".repeat(10240) } }),
    FrameTooLargeError,
  );
});

Deno.test("MessageName table is complete and bytes are unique", () => {
  const names = Object.keys(MESSAGE_TYPES) as MessageName[];
  assertEquals(names.length, 18);
  assertEquals(new Set(names.map((n) => MESSAGE_TYPES[n])).size, 18);
});
