/**
 * Interop with real hashicorp/yamux (tests/yamux_peer, built with `go build` into
 * .cache/yamux_peer). Skipped with a message when `go` is not installed.
 *
 * Needs: --allow-run --allow-net --allow-read --allow-write --allow-env
 */

import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { writeAll } from "../io.ts";
import { readAll } from "../_test_pipe.ts";
import { YamuxSession } from "./session.ts";
import type { YamuxStream } from "./stream.ts";

const PEER_DIR = new URL("../../tests/yamux_peer/", import.meta.url);
const CACHE_DIR = new URL("../../.cache/", import.meta.url);
const BIN = new URL("yamux_peer", CACHE_DIR);
const BIG = 16 << 20;

async function goAvailable(): Promise<boolean> {
  try {
    const out = await new Deno.Command("go", { args: ["version"], stdout: "null", stderr: "null" })
      .output();
    return out.success;
  } catch {
    return false;
  }
}

const HAVE_GO = await goAvailable();
if (!HAVE_GO) {
  console.warn("go_interop_test: `go` not found on PATH, skipping the Go yamux interop tests");
}

let built: Promise<void> | null = null;
function buildPeer(): Promise<void> {
  return built ??= (async () => {
    await Deno.mkdir(CACHE_DIR, { recursive: true });
    const out = await new Deno.Command("go", {
      args: ["build", "-o", BIN.pathname, "."],
      cwd: PEER_DIR.pathname,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(`go build failed:\n${new TextDecoder().decode(out.stderr)}`);
    }
  })();
}

/** A running Go peer with line-oriented stdout. */
class Peer {
  readonly proc: Deno.ChildProcess;
  readonly lines: string[] = [];
  stderr = "";
  #waiters: Array<() => void> = [];
  readonly done: Promise<void>;

  constructor(args: string[]) {
    const proc = new Deno.Command(BIN.pathname, { args, stdout: "piped", stderr: "piped" }).spawn();
    this.proc = proc;
    const out = (async () => {
      let buf = "";
      for await (const t of proc.stdout.pipeThrough(new TextDecoderStream())) {
        buf += t;
        let i;
        while ((i = buf.indexOf("\n")) >= 0) {
          this.lines.push(buf.slice(0, i));
          buf = buf.slice(i + 1);
          for (const w of this.#waiters.splice(0)) w();
        }
      }
      for (const w of this.#waiters.splice(0)) w();
    })();
    const err = (async () => {
      for await (const t of proc.stderr.pipeThrough(new TextDecoderStream())) this.stderr += t;
    })();
    this.done = Promise.all([out, err]).then(() => {});
  }

  async waitLine(prefix: string, ms = 60_000): Promise<string> {
    const deadline = Date.now() + ms;
    while (true) {
      const l = this.lines.find((x) => x.startsWith(prefix));
      if (l !== undefined) return l;
      const fail = this.lines.find((x) => x.startsWith("DRIVE FAIL"));
      if (fail !== undefined) throw new Error(`Go peer: ${fail}\n${this.stderr}`);
      if (Date.now() > deadline) {
        throw new Error(
          `Timed out waiting for "${prefix}": ${this.lines.join(" | ")}\n${this.stderr}`,
        );
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((res) => {
        this.#waiters.push(res);
        timer = setTimeout(res, 200);
      });
      clearTimeout(timer);
    }
  }
}

async function sha256(b: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", b as Uint8Array<ArrayBuffer>));
  return [...d].map((x) => x.toString(16).padStart(2, "0")).join("");
}

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let o = 0; o < n; o += 65536) {
    crypto.getRandomValues(out.subarray(o, Math.min(n, o + 65536)));
  }
  return out;
}

/** Echoes every stream the Go side opens. */
async function echoAccepted(session: YamuxSession): Promise<void> {
  const tasks: Promise<void>[] = [];
  while (true) {
    const s = await session.accept();
    if (s === null) break;
    tasks.push((async () => {
      const buf = new Uint8Array(64 * 1024);
      try {
        while (true) {
          const n = await s.read(buf);
          if (n === null) break;
          await writeAll(s, buf.subarray(0, n));
        }
        await s.closeWrite();
      } catch {
        // session ended
      }
    })());
  }
  await Promise.all(tasks);
}

async function roundTrip(s: YamuxStream, payload: Uint8Array): Promise<void> {
  const [, back] = await Promise.all([
    (async () => {
      for (let o = 0; o < payload.byteLength;) {
        const n = Math.min(payload.byteLength - o, 1 + Math.floor(Math.random() * 100_000));
        await writeAll(s, payload.subarray(o, o + n));
        o += n;
      }
      await s.closeWrite();
    })(),
    readAll(s, 64 * 1024),
  ]);
  assertEquals(back.byteLength, payload.byteLength, `stream ${s.id} length`);
  assertEquals(await sha256(back), await sha256(payload), `stream ${s.id} content`);
  s.close();
}

/** TS drives: many small streams plus one 16 MiB stream through the Go echo. */
async function driveFromTs(session: YamuxSession, streams: number): Promise<number> {
  const small = Array.from(
    { length: streams },
    () => randomBytes(1 + Math.floor(Math.random() * 200_000)),
  );
  const big = randomBytes(BIG);
  const t0 = performance.now();
  await Promise.all([
    ...small.map(async (p) => roundTrip(await session.openStream(), p)),
    (async () => roundTrip(await session.openStream(), big))(),
  ]);
  return performance.now() - t0;
}

async function runCase(role: "client" | "server"): Promise<void> {
  await buildPeer();
  const errors: Error[] = [];
  let peer: Peer;
  let conn: Deno.Conn;
  if (role === "client") {
    // TS = yamux client (frpc), Go = yamux server (frps).
    peer = new Peer([
      "-mode",
      "server",
      "-drive",
      "32",
      "-big",
      String(BIG),
      "-keepalive",
      "100ms",
    ]);
    const addr = (await peer.waitLine("ADDR ")).slice(5);
    const [host, port] = [
      addr.slice(0, addr.lastIndexOf(":")),
      addr.slice(addr.lastIndexOf(":") + 1),
    ];
    conn = await Deno.connect({ hostname: host, port: Number(port) });
  } else {
    // TS = yamux server (frps), Go = yamux client (frpc): Go opens odd ids.
    const ln = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    peer = new Peer([
      "-mode",
      "client",
      "-addr",
      `127.0.0.1:${(ln.addr as Deno.NetAddr).port}`,
      "-drive",
      "32",
      "-big",
      String(BIG),
      "-keepalive",
      "100ms",
    ]);
    conn = await ln.accept();
    ln.close();
  }
  const session = new YamuxSession(conn, {
    role,
    keepAliveIntervalMs: 50,
    onError: (e) => errors.push(e),
  });
  const echo = echoAccepted(session);
  try {
    const ms = await driveFromTs(session, 64);
    console.log(
      `  TS ${role}: 64 streams + 16 MiB echoed through Go yamux in ${ms.toFixed(0)} ms`,
    );
    await peer.waitLine("DRIVE OK");
    // Let both keepalives (Go every 100 ms, TS every 50 ms) run a few rounds.
    await new Promise((r) => setTimeout(r, 350));
    // Both keepalives ran meanwhile; make sure pings still work both ways.
    await session.ping();
    assert(!session.isClosed);
  } finally {
    session.close();
    await echo;
    await peer.waitLine("SESSION CLOSED", 10_000).catch(() => {});
    const status = await peer.proc.status;
    await peer.done;
    assertEquals(status.success, true, `Go peer exit ${status.code}\n${peer.stderr}`);
  }
  assertEquals(errors.map(String), []);
  assert(!/\[ERR\]/.test(peer.stderr), `Go peer logged errors:\n${peer.stderr}`);
}

Deno.test({
  name: "go interop: TS client <-> Go yamux server (many streams + 16 MiB, both directions)",
  ignore: !HAVE_GO,
  fn: () => runCase("client"),
});

Deno.test({
  name: "go interop: TS server <-> Go yamux client (many streams + 16 MiB, both directions)",
  ignore: !HAVE_GO,
  fn: () => runCase("server"),
});
