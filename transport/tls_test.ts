import {
  deepStrictEqual as assertEquals,
  ok as assert,
  rejects as assertRejects,
} from "node:assert/strict";
import type { Conn } from "../protocol/duplex.ts";
import { setNativeInsecureTls, startClientTls, TlsEngineFallbackError } from "./tls_client.ts";
import {
  acceptServerTls,
  createTlsServerContext,
  TlsRequiredError,
  type TlsServerContext,
} from "./tls_server.ts";
import { TimeoutError, writeAll } from "./_util.ts";
import { makePki, readAll, sha256, tcpPair } from "./_test_util.ts";

const selfSigned = await createTlsServerContext({});
const pkiDir = await Deno.makeTempDir({ prefix: "frp-transport-pki-" });
await makePki(pkiDir);
const f = (n: string) => `${pkiDir}/${n}`;
const caSigned = await createTlsServerContext({ certFile: f("srv.crt"), keyFile: f("srv.key") });
const mtls = await createTlsServerContext({
  certFile: f("srv.crt"),
  keyFile: f("srv.key"),
  trustedCaFile: f("ca.crt"),
});
globalThis.addEventListener("unload", () => Deno.removeSync(pkiDir, { recursive: true }));

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** Server echoes "echo:" + everything it reads, then half-closes; returns the bytes it read. */
async function echoServer(c: Conn): Promise<Uint8Array> {
  const data = await readAll(c);
  await writeAll(c, enc("echo:"));
  await writeAll(c, data);
  await c.closeWrite();
  c.close();
  return data;
}

async function roundTrip(
  ctx: TlsServerContext,
  clientOpts: Omit<Parameters<typeof startClientTls>[1], "hostname"> & { hostname?: string },
) {
  const [cRaw, sRaw] = await tcpPair();
  const server = acceptServerTls(sRaw, ctx, { force: false, timeoutMs: 5000 }).then(echoServer);
  const c = await startClientTls(cRaw, { hostname: "127.0.0.1", ...clientOpts });
  await writeAll(c, enc("hello tls"));
  await c.closeWrite();
  const got = dec(await readAll(c));
  c.close();
  assertEquals(dec(await server), "hello tls");
  assertEquals(got, "echo:hello tls");
}

// Tests run without --unsafely-ignore-certificate-errors: skip-verify must go through node:tls.
setNativeInsecureTls(false);

Deno.test("tls: auto engine learns once that native skip-verify is unavailable", async () => {
  setNativeInsecureTls(undefined);
  try {
    const [cRaw, sRaw] = await tcpPair();
    const server = acceptServerTls(sRaw, selfSigned, { force: false, timeoutMs: 5000 })
      .then((c) => c.close(), () => {});
    let fell = false;
    try {
      await startClientTls(cRaw, { hostname: "127.0.0.1", sendCustomFirstByte: false });
    } catch (e) {
      fell = e instanceof TlsEngineFallbackError;
    }
    await server;
    assertEquals(fell, true);
    // The redial now uses node:tls and succeeds.
    await roundTrip(selfSigned, { sendCustomFirstByte: false });
  } finally {
    setNativeInsecureTls(false);
  }
});

Deno.test("tls: self-signed, node engine, with 0x17", async () => {
  await roundTrip(selfSigned, { sendCustomFirstByte: true });
});

Deno.test("tls: self-signed, node engine, without 0x17 (plain ClientHello)", async () => {
  await roundTrip(selfSigned, { sendCustomFirstByte: false });
});

Deno.test("tls: trustedCaFile, auto → node engine (verifies), IP and serverName", async () => {
  await roundTrip(caSigned, { sendCustomFirstByte: false, trustedCaFile: f("ca.crt") });
  await roundTrip(caSigned, {
    sendCustomFirstByte: true,
    trustedCaFile: f("ca.crt"),
    serverName: "localhost",
  });
});

Deno.test("tls: trustedCaFile with node engine verifies too", async () => {
  await roundTrip(caSigned, {
    sendCustomFirstByte: true,
    trustedCaFile: f("ca.crt"),
    engine: "node",
  });
  await roundTrip(caSigned, {
    sendCustomFirstByte: false,
    trustedCaFile: f("ca.crt"),
    serverName: "localhost",
    engine: "node",
  });
});

for (const engine of ["native", "node"] as const) {
  Deno.test(`tls: client rejects a server not signed by trustedCaFile (${engine})`, async () => {
    const [cRaw, sRaw] = await tcpPair();
    const server = settle(acceptServerTls(sRaw, caSigned, { force: false, timeoutMs: 5000 }));
    const t0 = performance.now();
    await assertRejects(() =>
      startClientTls(cRaw, {
        hostname: "127.0.0.1",
        sendCustomFirstByte: false,
        trustedCaFile: f("ca2.crt"),
        engine,
      })
    );
    assert(performance.now() - t0 < 2000, "client rejection took too long");
    assert((await server) instanceof Error);
  });

  Deno.test(`tls: client rejects a wrong server name (${engine})`, async () => {
    const [cRaw, sRaw] = await tcpPair();
    const server = settle(acceptServerTls(sRaw, caSigned, { force: false, timeoutMs: 5000 }));
    const t0 = performance.now();
    await assertRejects(() =>
      startClientTls(cRaw, {
        hostname: "127.0.0.1",
        serverName: "not-the-server.example",
        sendCustomFirstByte: false,
        trustedCaFile: f("ca.crt"),
        engine,
      })
    );
    assert(performance.now() - t0 < 2000, "client rejection took too long");
    assert((await server) instanceof Error);
  });
}

Deno.test("tls: plain conn passes through acceptServerTls with its first byte", async () => {
  const [c, sRaw] = await tcpPair();
  const server = acceptServerTls(sRaw, selfSigned, { force: false, timeoutMs: 5000 });
  await writeAll(c, enc("o{plain}"));
  await c.closeWrite();
  const s = await server;
  assertEquals(dec(await readAll(s)), "o{plain}");
  s.close();
  c.close();
});

Deno.test("tls: force rejects a plain conn", async () => {
  const [c, sRaw] = await tcpPair();
  await writeAll(c, enc("o{plain}"));
  await assertRejects(
    () => acceptServerTls(sRaw, selfSigned, { force: true, timeoutMs: 5000 }),
    TlsRequiredError,
  );
  assertEquals(await readAll(c), new Uint8Array(0)); // server closed it
  c.close();
});

Deno.test("tls: first-byte timeout and handshake timeout", async () => {
  {
    const [c, sRaw] = await tcpPair();
    await assertRejects(
      () => acceptServerTls(sRaw, selfSigned, { force: false, timeoutMs: 100 }),
      TimeoutError,
    );
    c.close();
  }
  {
    const [c, sRaw] = await tcpPair();
    await writeAll(c, new Uint8Array([0x17, 0x16, 0x03])); // starts, then stalls
    await assertRejects(
      () => acceptServerTls(sRaw, selfSigned, { force: false, timeoutMs: 150 }),
      TimeoutError,
    );
    c.close();
  }
  {
    const [c, sRaw] = await tcpPair();
    c.close();
    await assertRejects(() => acceptServerTls(sRaw, selfSigned, { force: false, timeoutMs: 1000 }));
  }
});

Deno.test("mtls: client with a CA-signed cert is accepted", async () => {
  const [cRaw, sRaw] = await tcpPair();
  const server = acceptServerTls(sRaw, mtls, { force: false, timeoutMs: 5000 }).then(echoServer);
  const c = await startClientTls(cRaw, {
    hostname: "127.0.0.1",
    serverName: "localhost",
    sendCustomFirstByte: true,
    trustedCaFile: f("ca.crt"),
    certFile: f("cli.crt"),
    keyFile: f("cli.key"),
  });
  await writeAll(c, enc("mutual"));
  await c.closeWrite();
  assertEquals(dec(await readAll(c)), "echo:mutual");
  c.close();
  assertEquals(dec(await server), "mutual");
});

/** Settles to the error (or null) so that an early rejection is never unhandled. */
function settle(p: Promise<unknown>): Promise<Error | null> {
  return p.then((v) => {
    (v as Conn | undefined)?.close?.();
    return null;
  }, (e) => e as Error);
}

async function expectMtlsReject(clientCert: { certFile?: string; keyFile?: string }) {
  const [cRaw, sRaw] = await tcpPair();
  const server = settle(acceptServerTls(sRaw, mtls, { force: false, timeoutMs: 5000 }));
  let clientFailed = false;
  try {
    const c = await startClientTls(cRaw, {
      hostname: "127.0.0.1",
      sendCustomFirstByte: false,
      ...clientCert,
    });
    // TLS 1.3: the client may finish its side before the server rejects the certificate.
    try {
      await writeAll(c, enc("x"));
      const r = await c.read(new Uint8Array(16));
      assertEquals(r, null);
    } catch {
      // error instead of EOF is fine
    }
    c.close();
  } catch {
    clientFailed = true;
  }
  assert((await server) instanceof Error);
  return clientFailed;
}

Deno.test("mtls: client without a certificate is rejected", async () => {
  await expectMtlsReject({});
});

Deno.test("mtls: client cert from another CA is rejected", async () => {
  await expectMtlsReject({ certFile: f("bad.crt"), keyFile: f("bad.key") });
});

Deno.test("mtls: plain conn is rejected (force implied)", async () => {
  const [c, sRaw] = await tcpPair();
  await writeAll(c, enc("o{plain}"));
  await assertRejects(
    () => acceptServerTls(sRaw, mtls, { force: false, timeoutMs: 5000 }),
    TlsRequiredError,
  );
  c.close();
});

function pattern(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i += 4) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    b[i] = x;
    b[i + 1] = x >>> 8;
    b[i + 2] = x >>> 16;
    b[i + 3] = x >>> 24;
  }
  return b;
}

async function sendChunked(c: Conn, data: Uint8Array, chunk: number) {
  for (let off = 0; off < data.byteLength; off += chunk) {
    await writeAll(c, data.subarray(off, Math.min(off + chunk, data.byteLength)));
  }
}

for (
  const [label, ctx, opts] of [
    ["node engine, self-signed", selfSigned, { sendCustomFirstByte: true }],
    ["native engine, CA", caSigned, { sendCustomFirstByte: false, trustedCaFile: "ca.crt" }],
  ] as const
) {
  Deno.test(`tls: 16 MiB both ways with half-close, SHA-256 (${label})`, async () => {
    const size = 16 << 20;
    const up = pattern(size, 1);
    const down = pattern(size + 12345, 2);
    const [cRaw, sRaw] = await tcpPair();
    const server = (async () => {
      const s = await acceptServerTls(sRaw, ctx, { force: false, timeoutMs: 5000 });
      // server sends its whole payload while concurrently reading the client's
      const reading = readAll(s);
      await sendChunked(s, down, 100_000);
      await s.closeWrite();
      const got = await reading;
      s.close();
      return got;
    })();
    const tlsOpts = "trustedCaFile" in opts
      ? { ...opts, trustedCaFile: f(opts.trustedCaFile) }
      : opts;
    const c = await startClientTls(cRaw, { hostname: "127.0.0.1", ...tlsOpts });
    const reading = readAll(c);
    await sendChunked(c, up, 65536 + 7);
    await c.closeWrite();
    const gotDown = await reading;
    c.close();
    const gotUp = await server;
    assertEquals(gotUp.byteLength, up.byteLength);
    assertEquals(await sha256(gotUp), await sha256(up));
    assertEquals(gotDown.byteLength, down.byteLength);
    assertEquals(await sha256(gotDown), await sha256(down));
  });
}

Deno.test("tls: server half-closes first, client keeps writing", async () => {
  const [cRaw, sRaw] = await tcpPair();
  const server = (async () => {
    const s = await acceptServerTls(sRaw, selfSigned, { force: false, timeoutMs: 5000 });
    await writeAll(s, enc("bye-first"));
    await s.closeWrite();
    const got = await readAll(s);
    s.close();
    return dec(got);
  })();
  const c = await startClientTls(cRaw, { hostname: "localhost", sendCustomFirstByte: true });
  assertEquals(dec(await readAll(c)), "bye-first");
  await writeAll(c, enc("still-writing"));
  await c.closeWrite();
  c.close();
  assertEquals(await server, "still-writing");
});

Deno.test("tls: self-signed context is a fresh RSA cert", () => {
  assert(selfSigned.selfSigned);
  assert(selfSigned.certPem.includes("BEGIN CERTIFICATE"));
  assert(!selfSigned.requireClientCert);
  assert(mtls.requireClientCert);
});
