// TLS interop with Go frp v0.70.1 (skipped when the binaries are not in .cache/gofrp).
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { dialTcp, listenTcp } from "./tcp.ts";
import { setNativeInsecureTls, startClientTls } from "./tls_client.ts";
import { acceptServerTls, createTlsServerContext } from "./tls_server.ts";
import { readAtLeast, writeAll } from "./_util.ts";

// Tests run without --unsafely-ignore-certificate-errors: skip-verify goes through node:tls.
setNativeInsecureTls(false);

const GO_DIR = new URL("../.cache/gofrp/v0.70.1/", import.meta.url).pathname;
const haveGo = (() => {
  try {
    return Deno.statSync(GO_DIR + "frpc").isFile && Deno.statSync(GO_DIR + "frps").isFile;
  } catch {
    return false;
  }
})();

async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "frp-transport-go-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const p = (l.addr as Deno.NetAddr).port;
  l.close();
  return p;
}

for (const customByte of [false, true]) {
  Deno.test({
    name: `go interop: Go frpc (TLS, 0x17=${customByte}) handshakes with acceptServerTls`,
    ignore: !haveGo,
    fn: () =>
      withTempDir(async (dir) => {
        const ctx = await createTlsServerContext({});
        const l = listenTcp({ hostname: "127.0.0.1", port: 0 });
        await Deno.writeTextFile(
          `${dir}/frpc.toml`,
          [
            `serverAddr = "127.0.0.1"`,
            `serverPort = ${l.addr.port}`,
            `loginFailExit = true`,
            `log.level = "debug"`,
            `transport.tls.disableCustomTLSFirstByte = ${!customByte}`,
          ].join("\n") + "\n",
        );
        const proc = new Deno.Command(GO_DIR + "frpc", {
          args: ["-c", `${dir}/frpc.toml`],
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        try {
          const raw = (await l.accept())!;
          const conn = await acceptServerTls(raw, ctx, { force: true, timeoutMs: 5000 });
          // tcpMux: the first thing frpc sends inside TLS is a 12-byte yamux header (SYN)
          const hdr = await readAtLeast(conn, 12, 5000);
          assertEquals(hdr.byteLength, 12);
          assertEquals(hdr[0], 0); // yamux version
          assert(hdr[1] === 1 || hdr[1] === 0, `yamux type ${hdr[1]}`);
          assertEquals(hdr[3] & 1, 1); // SYN flag
          conn.close();
        } finally {
          l.close();
          proc.kill("SIGKILL");
          await proc.output();
        }
      }),
  });
}

for (const customByte of [false, true]) {
  Deno.test({
    name: `go interop: startClientTls (0x17=${customByte}) handshakes with Go frps`,
    ignore: !haveGo,
    fn: () =>
      withTempDir(async (dir) => {
        const port = freePort();
        await Deno.writeTextFile(
          `${dir}/frps.toml`,
          [
            `bindAddr = "127.0.0.1"`,
            `bindPort = ${port}`,
            `log.level = "trace"`,
            `transport.tls.force = true`,
          ].join("\n") + "\n",
        );
        const proc = new Deno.Command(GO_DIR + "frps", {
          args: ["-c", `${dir}/frps.toml`],
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        try {
          // wait for frps to listen
          let raw = null;
          for (let i = 0; i < 100 && !raw; i++) {
            try {
              raw = await dialTcp({ hostname: "127.0.0.1", port, timeoutMs: 1000 });
            } catch {
              await new Promise((r) => setTimeout(r, 50));
            }
          }
          assert(raw, "frps did not start");
          const conn = await startClientTls(raw, {
            hostname: "127.0.0.1",
            sendCustomFirstByte: customByte,
          });
          // yamux SYN (window update, stream 1, delta 0): frps accepts the stream and then
          // waits for a Login that never comes
          await writeAll(conn, new Uint8Array([0, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0]));
          await new Promise((r) => setTimeout(r, 200));
          conn.close();
          await new Promise((r) => setTimeout(r, 200));
        } finally {
          proc.kill("SIGTERM");
        }
        const out = await proc.output();
        const log = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
        assert(
          log.includes(`check TLS connection success, isTLS: true custom: ${customByte}`),
          log,
        );
        assert(!/\[[WE]\]|tls: |[Hh]andshake|first record/.test(log), log);
        // our close() sends close_notify, so Go sees a clean EOF on the mux
        assert(log.includes("accept new mux stream error: EOF"), log);
      }),
  });
}
