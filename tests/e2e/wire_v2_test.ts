/**
 * Wire protocol v2 handshake details on a raw connection (tcpMux off, no TLS), checked against
 * our frps and, for reference, Go frps v0.70.1: algorithm choice, the ServerHello refusal, a
 * Login without ClientHello, bad frame flags, and Ping/Pong inside the XChaCha20 AEAD stream.
 */
import { assertEquals } from "../_helpers/assert.ts";
import { freePorts } from "../_helpers/ports.ts";
import { hasGoFrp, type Impl, startFrps, withLogs } from "../_helpers/proc.ts";
import { withTimeout } from "../_helpers/services.ts";
import {
  clientCryptoContext,
  type ClientHello,
  decodeServerHello,
  encodeClientHello,
  encodeFrameV2,
  encodeMessageV2,
  FRAME_TYPE_CLIENT_HELLO,
  FRAME_TYPE_SERVER_HELLO,
  newClientHello,
  readFrameV2,
  readMessageV2,
  WIRE_V2_MAGIC,
} from "../../protocol/msg/mod.ts";
import { aeadControlDuplex, privilegeKey } from "../../protocol/crypto/mod.ts";
import { concatBytes, writeAll } from "../../protocol/io.ts";

const TOKEN = "frp-test-token";
const GO_VERSION = "v0.70.1";

const concat = (...parts: Uint8Array[]): Uint8Array => concatBytes(parts);

function loginFrame(): Uint8Array {
  const timestamp = Math.floor(Date.now() / 1000);
  return encodeMessageV2({
    type: "Login",
    body: {
      version: "0.70.1",
      privilege_key: privilegeKey(TOKEN, timestamp),
      timestamp,
      client_spec: {},
    },
  });
}

function helloFrame(h: ClientHello): [Uint8Array, Uint8Array] {
  const payload = encodeClientHello(h);
  return [encodeFrameV2(FRAME_TYPE_CLIENT_HELLO, payload), payload];
}

/** Resolves true once the peer closes (EOF or reset) within `ms`. */
async function closedWithin(conn: Deno.Conn, ms: number): Promise<boolean> {
  try {
    return await withTimeout(
      (async () => {
        const buf = new Uint8Array(256);
        for (;;) if ((await conn.read(buf)) === null) return true;
      })(),
      ms,
      "wait for close",
    );
  } catch (err) {
    return !/timed out|timeout/i.test(String(err));
  }
}

async function run(impl: Impl): Promise<void> {
  const [bindPort] = freePorts(1);
  await using frps = await startFrps({
    impl,
    goVersion: GO_VERSION,
    config: {
      bindAddr: "127.0.0.1",
      bindPort,
      auth: { token: TOKEN },
      log: { level: "info", disablePrintColor: true },
      transport: { tcpMux: false },
    },
  });
  const dial = () => Deno.connect({ hostname: "127.0.0.1", port: bindPort });

  await withLogs([frps], async () => {
    // 1. No algorithm frps knows: ServerHello carries the error, then frps closes.
    {
      using conn = await dial();
      const [hello] = helloFrame({ ...newClientHello({ transport: "tcp" }), algorithms: ["foo"] });
      await writeAll(conn, concat(WIRE_V2_MAGIC, hello, loginFrame()));
      const f = await withTimeout(readFrameV2(conn), 5000, "ServerHello");
      assertEquals(f.type, FRAME_TYPE_SERVER_HELLO, "refusal frame type");
      const sh = decodeServerHello(f.payload);
      assertEquals([sh.error, sh.codec], ["no supported crypto algorithm", "json"], "refusal");
      assertEquals(await closedWithin(conn, 5000), true, "closed after refusal");
    }

    // 2. A v2 Login without ClientHello: LoginResp error, then close.
    {
      using conn = await dial();
      await writeAll(conn, concat(WIRE_V2_MAGIC, loginFrame()));
      const m = await withTimeout(readMessageV2(conn), 5000, "LoginResp");
      assertEquals(m.type, "LoginResp");
      assertEquals(
        m.type === "LoginResp" ? m.body.error : "",
        "missing v2 crypto negotiation",
        "LoginResp error",
      );
      assertEquals(await closedWithin(conn, 5000), true, "closed after LoginResp error");
    }

    // 3. Non-zero frame flags: dropped without an answer.
    {
      using conn = await dial();
      const bad = loginFrame();
      bad[3] = 1;
      await writeAll(conn, concat(WIRE_V2_MAGIC, bad));
      assertEquals(await closedWithin(conn, 5000), true, "closed on bad flags");
    }

    // 4. The client prefers XChaCha20: frps takes the client's first supported algorithm;
    //    then Ping → Pong inside the AEAD stream.
    {
      using conn = await dial();
      const hello = {
        ...newClientHello({ transport: "tcp" }),
        algorithms: ["xchacha20-poly1305", "aes-256-gcm"],
      };
      const [frame, payload] = helloFrame(hello);
      await writeAll(conn, concat(WIRE_V2_MAGIC, frame, loginFrame()));
      const sh = await withTimeout(readFrameV2(conn), 5000, "ServerHello");
      assertEquals(sh.type, FRAME_TYPE_SERVER_HELLO);
      const crypto = clientCryptoContext(hello, payload, sh.payload);
      assertEquals(crypto.algorithm, "xchacha20-poly1305", "selected algorithm");
      const resp = await withTimeout(readMessageV2(conn), 5000, "LoginResp");
      assertEquals(resp.type, "LoginResp");
      if (resp.type === "LoginResp") assertEquals(resp.body.error ?? "", "", "login error");
      const secured = aeadControlDuplex(
        conn,
        TOKEN,
        "client",
        crypto.algorithm,
        crypto.transcriptHash,
      );
      await writeAll(secured, encodeMessageV2({ type: "Ping", body: {} }));
      const pong = await withTimeout(readMessageV2(secured), 5000, "Pong");
      assertEquals(pong.type, "Pong", "answer to Ping");
    }
  });
}

for (const impl of ["ts", "go"] as const) {
  const skip = impl === "go" && !hasGoFrp(GO_VERSION);
  Deno.test({
    name: `wire v2 handshake details [${impl} frps]${skip ? " (skipped: no Go frp)" : ""}`,
    ignore: skip,
    fn: () => run(impl),
  });
}
