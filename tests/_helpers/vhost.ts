/**
 * Helpers for the vhost/tcpmux/group/health/bandwidth e2e suites: an frps+frpc fixture for any
 * (server impl, client impl) pair, an HTTP backend that reports what it received, a curl
 * runner and raw-socket helpers.
 */
import { freePorts } from "./ports.ts";
import { hasGoFrp, hasTsFrp, type Impl, type Proc, startFrpc, startFrps } from "./proc.ts";
import { withTimeout } from "./services.ts";

/** A (frps, frpc) implementation pair. */
export interface Pair {
  server: Impl;
  client: Impl;
}

/** Pairs to run: ours, and the two interop directions when Go frp is built. */
export function vhostPairs(opts: { goGo?: boolean } = {}): Pair[] {
  const out: Pair[] = [];
  if (hasTsFrp()) out.push({ server: "ts", client: "ts" });
  if (hasTsFrp() && hasGoFrp()) {
    out.push({ server: "ts", client: "go" }, { server: "go", client: "ts" });
  }
  if (opts.goGo && hasGoFrp()) out.push({ server: "go", client: "go" });
  return out;
}

/** Label of a pair for test names. */
export function pairName(p: Pair): string {
  return `frps=${p.server} frpc=${p.client}`;
}

/** A running frps with one or more frpc. */
export interface Frp extends AsyncDisposable {
  frps: Proc;
  frpcs: Proc[];
  bindPort: number;
  /** Starts another frpc with these proxies. */
  addClient(
    proxies: Record<string, unknown>[],
    impl?: Impl,
    extra?: Record<string, unknown>,
    waitProxies?: boolean,
  ): Promise<Proc>;
  /** All process output, for failure messages. */
  logs(): string;
}

/** Options of {@link startFrp}. */
export interface FrpOptions {
  pair: Pair;
  /** Extra frps settings (vhostHTTPPort etc.). */
  server?: Record<string, unknown>;
  /** Proxies of the first frpc. Omit or [] to start no frpc. */
  proxies?: Record<string, unknown>[];
  /** Extra frpc settings. */
  client?: Record<string, unknown>;
  /** Wait until every proxy of the first frpc reports success. @default true */
  waitProxies?: boolean;
}

const TOKEN = "vhost-test-token";

/** Starts frps (+ frpc) for `pair`; dispose to stop everything. */
export async function startFrp(o: FrpOptions): Promise<Frp> {
  const [bindPort] = freePorts(1);
  const frps = await startFrps({
    impl: o.pair.server,
    config: { bindAddr: "127.0.0.1", bindPort, auth: { token: TOKEN }, ...o.server },
  });
  const frpcs: Proc[] = [];
  const frp: Frp = {
    frps,
    frpcs,
    bindPort,
    async addClient(proxies, impl = o.pair.client, extra = {}, waitProxies = o.waitProxies) {
      const c = await startFrpc({
        impl,
        config: {
          serverAddr: "127.0.0.1",
          serverPort: bindPort,
          auth: { token: TOKEN },
          loginFailExit: false,
          log: { level: "debug" },
          ...o.client,
          ...extra,
          proxies,
        },
      }).catch(async (e) => {
        await frps.kill();
        for (const c of frpcs) await c.kill();
        throw e;
      });
      frpcs.push(c);
      if (waitProxies !== false) {
        for (const p of proxies) {
          if ((p as { healthCheck?: unknown }).healthCheck) continue;
          await c.waitForLine(new RegExp(`\\[${p.name}\\] start proxy success`), 15000);
        }
      }
      return c;
    },
    logs() {
      return [frps, ...frpcs].map((p) => p.output()).join("\n");
    },
    async [Symbol.asyncDispose]() {
      for (const c of frpcs) await c.kill();
      await frps.kill();
    },
  };
  if (o.proxies && o.proxies.length > 0) await frp.addClient(o.proxies);
  return frp;
}

/** Runs `fn`, appending process logs to any error. */
export async function withFrpLogs<T>(frp: Frp, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    err.message += "\n" + frp.logs();
    throw err;
  }
}

/** What the echo backend saw for one request. */
export interface Seen {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  /** `ip:port` of the TCP peer (the frpc side), to count connections. */
  peer: string;
  backend: string;
}

/** An HTTP backend (Deno.serve) that answers JSON {@link Seen}; `/ws` echoes WebSocket text. */
export interface EchoBackend extends AsyncDisposable {
  port: number;
  name: string;
  /** Distinct TCP peers seen so far. */
  peers: Set<string>;
  requests: number;
  close(): Promise<void>;
}

/** Starts an {@link EchoBackend}. `delayMs` delays every response (for timeouts). */
export function startEchoBackend(name = "backend", opts: { delayMs?: number } = {}): EchoBackend {
  const peers = new Set<string>();
  const b = { requests: 0 };
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req, info) => {
      const peer = `${info.remoteAddr.hostname}:${info.remoteAddr.port}`;
      peers.add(peer);
      b.requests++;
      const url = new URL(req.url);
      if (url.pathname === "/ws" && req.headers.get("upgrade")?.toLowerCase() === "websocket") {
        const { socket, response } = Deno.upgradeWebSocket(req);
        socket.onmessage = (e) => socket.send(`${name}:${e.data}`);
        return response;
      }
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
      const seen: Seen = {
        method: req.method,
        url: req.url,
        headers: Object.fromEntries(req.headers),
        body: await req.text(),
        peer,
        backend: name,
      };
      return new Response(JSON.stringify(seen), {
        headers: { "content-type": "application/json", "x-backend": name },
      });
    },
  );
  let closed: Promise<void> | undefined;
  const close = () => closed ??= server.shutdown().catch(() => {});
  return {
    port: server.addr.port,
    name,
    peers,
    get requests() {
      return b.requests;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Result of {@link curl}. */
export interface CurlResult {
  status: number;
  /** Lower-case header names of the last response. */
  headers: Record<string, string>;
  body: string;
  code: number;
  stderr: string;
}

/** Runs curl with `-s -i` and parses the final response. */
export async function curl(args: string[], timeoutMs = 20000): Promise<CurlResult> {
  const out = await withTimeout(
    new Deno.Command("curl", {
      args: ["-s", "-i", "--max-time", String(Math.ceil(timeoutMs / 1000)), ...args],
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    }).output(),
    timeoutMs + 2000,
    `curl ${args.join(" ")}`,
  );
  const text = new TextDecoder("latin1").decode(out.stdout);
  return {
    ...parseRawResponses(text),
    code: out.code,
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/** Parses the last response head (+ body) out of curl -i output (skips 1xx / proxy 200s). */
export function parseRawResponses(
  text: string,
): { status: number; headers: Record<string, string>; body: string } {
  let rest = text;
  for (;;) {
    const m = /^HTTP\/[\d.]+ (\d{3})[^\r\n]*\r?\n/.exec(rest);
    if (!m) return { status: 0, headers: {}, body: rest };
    const end = rest.search(/\r?\n\r?\n/);
    const head = rest.slice(0, end);
    const sep = rest.slice(end).match(/^\r?\n\r?\n/)![0];
    const body = rest.slice(end + sep.length);
    const status = Number(m[1]);
    if (status < 300 && /^HTTP\/[\d.]+ \d{3}/.test(body)) {
      rest = body;
      continue;
    }
    const headers: Record<string, string> = {};
    for (const line of head.split(/\r?\n/).slice(1)) {
      const i = line.indexOf(":");
      if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
    }
    return { status, headers, body };
  }
}

/**
 * Opens a TCP connection, writes `data`, and collects what comes back until the peer closes,
 * `until` matches the collected text, or `ms` passes.
 */
export async function rawExchange(
  port: number,
  data: Uint8Array | string,
  opts: { ms?: number; until?: (s: string) => boolean; keepOpen?: boolean } = {},
): Promise<{ text: string; bytes: Uint8Array; closed: boolean; conn?: Deno.TcpConn }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const bytesIn = typeof data === "string" ? new TextEncoder().encode(data) : data;
  if (bytesIn.length > 0) await conn.write(bytesIn);
  const chunks: Uint8Array[] = [];
  let closed = false;
  const deadline = Date.now() + (opts.ms ?? 5000);
  const buf = new Uint8Array(65536);
  const dec = new TextDecoder("latin1");
  let text = "";
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const r = await Promise.race([
      conn.read(buf).catch(() => null),
      new Promise<"t">((res) => timer = setTimeout(() => res("t"), left)),
    ]);
    clearTimeout(timer);
    if (r === "t") break;
    if (r === null) {
      closed = true;
      break;
    }
    chunks.push(buf.slice(0, r));
    text += dec.decode(buf.subarray(0, r));
    if (opts.until?.(text)) break;
  }
  const len = chunks.reduce((n, c) => n + c.length, 0);
  const bytes = new Uint8Array(len);
  let off = 0;
  for (const c of chunks) {
    bytes.set(c, off);
    off += c.length;
  }
  if (!opts.keepOpen) {
    try {
      conn.close();
    } catch { /* closed */ }
    return { text, bytes, closed };
  }
  return { text, bytes, closed, conn };
}

/** Polls `fn` until it returns true or `ms` passes; throws `what` on timeout. */
export async function waitUntil(fn: () => Promise<boolean> | boolean, ms: number, what: string) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

/**
 * A CA and a leaf certificate for `names` (SANs), made with the openssl CLI. `cert` is the
 * leaf (what servers present), `ca` the trust anchor for clients.
 */
export async function selfSignedCert(
  names: string[],
): Promise<{ cert: string; key: string; ca: string }> {
  const dir = await Deno.makeTempDir({ prefix: "frp-test-cert-" });
  const run = async (args: string[]) => {
    const out = await new Deno.Command("openssl", {
      args,
      cwd: dir,
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  };
  try {
    const san = names.map((n) => `DNS:${n}`).join(",");
    await run([
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "2",
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      "-subj",
      "/CN=frp test ca",
    ]);
    await run([
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "leaf.key",
      "-out",
      "leaf.csr",
      "-subj",
      `/CN=${names[0]}`,
    ]);
    await Deno.writeTextFile(
      `${dir}/ext.cnf`,
      `basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=${san}\n`,
    );
    await run([
      "x509",
      "-req",
      "-in",
      "leaf.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "2",
      "-out",
      "leaf.pem",
      "-extfile",
      "ext.cnf",
    ]);
    return {
      cert: await Deno.readTextFile(`${dir}/leaf.pem`),
      key: await Deno.readTextFile(`${dir}/leaf.key`),
      ca: await Deno.readTextFile(`${dir}/ca.pem`),
    };
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** A TLS server that greets with `<name>\n` and then echoes. */
export function startTlsGreeter(
  name: string,
  tls: { cert: string; key: string },
): { port: number; close(): void } {
  const l = Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert: tls.cert, key: tls.key });
  (async () => {
    for await (const c of l) {
      (async () => {
        try {
          await c.handshake();
          await c.write(new TextEncoder().encode(`${name}\n`));
          const buf = new Uint8Array(16384);
          for (;;) {
            const n = await c.read(buf);
            if (n === null) break;
            await c.write(buf.subarray(0, n));
          }
        } catch { /* client went away */ }
        try {
          c.close();
        } catch { /* closed */ }
      })();
    }
  })().catch(() => {});
  return { port: (l.addr as Deno.NetAddr).port, close: () => l.close() };
}

/** Connects to 127.0.0.1:`port`, TLS with SNI `sni`, returns the greeting line. */
export async function tlsGreeting(port: number, sni: string, caCert: string): Promise<string> {
  const tcp = await Deno.connect({ hostname: "127.0.0.1", port });
  const conn = await withTimeout(
    Deno.startTls(tcp, { hostname: sni, caCerts: [caCert] }),
    10000,
    `TLS to ${sni}`,
  );
  try {
    const buf = new Uint8Array(1024);
    let text = "";
    while (!text.includes("\n")) {
      const n = await withTimeout(conn.read(buf), 10000, `greeting from ${sni}`);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    await conn.write(new TextEncoder().encode("echo-me"));
    let echo = "";
    while (echo.length < 7) {
      const n = await withTimeout(conn.read(buf), 10000, "echo");
      if (n === null) break;
      echo += new TextDecoder().decode(buf.subarray(0, n));
    }
    if (echo !== "echo-me") throw new Error(`bad echo ${JSON.stringify(echo)}`);
    return text.trim();
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

/** Runs `openssl s_client` with SNI; returns its combined output. */
export async function opensslSClient(port: number, sni: string): Promise<string> {
  const out = await withTimeout(
    new Deno.Command("openssl", {
      args: ["s_client", "-connect", `127.0.0.1:${port}`, "-servername", sni, "-brief"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output(),
    15000,
    "openssl s_client",
  );
  const d = new TextDecoder();
  return d.decode(out.stdout) + d.decode(out.stderr);
}
