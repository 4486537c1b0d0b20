/**
 * Small forward proxies for tests of frpc's `transport.proxyURL`: an HTTP CONNECT proxy and a
 * SOCKS5 proxy (RFC 1928/1929), both optionally requiring credentials, both counting the
 * tunnels they opened and recording what clients sent. 127.0.0.1 only.
 */

/** A running forward proxy. */
export interface ForwardProxy extends AsyncDisposable {
  port: number;
  /** Tunnels successfully opened to a target. */
  readonly tunnels: number;
  /** Handshakes rejected for bad or missing credentials. */
  readonly authFailures: number;
  /** HTTP: raw request heads received. SOCKS5: "host:port" targets requested. */
  readonly seen: string[];
  close(): Promise<void>;
}

async function readSome(c: Deno.Conn, buf: Uint8Array): Promise<number | null> {
  return await c.read(buf).catch(() => null);
}

async function readExactly(c: Deno.Conn, n: number): Promise<Uint8Array | null> {
  const out = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const r = await readSome(c, out.subarray(got));
    if (r === null) return null;
    got += r;
  }
  return out;
}

function pipeBoth(a: Deno.Conn, b: Deno.Conn, prefix?: Uint8Array): Promise<unknown> {
  const close = () => {
    for (const c of [a, b]) {
      try {
        c.close();
      } catch { /* closed */ }
    }
  };
  return (async () => {
    if (prefix && prefix.length > 0) await b.write(prefix);
    await Promise.race([
      a.readable.pipeTo(b.writable, { preventClose: true }).catch(() => {}),
      b.readable.pipeTo(a.writable, { preventClose: true }).catch(() => {}),
    ]);
  })().catch(() => {}).finally(close);
}

function serve(
  handle: (c: Deno.Conn) => Promise<void>,
  state: { tunnels: number; authFailures: number; seen: string[] },
): ForwardProxy {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const accepting = (async () => {
    for await (const c of l) {
      conns.add(c);
      handle(c).catch(() => {}).finally(() => conns.delete(c));
    }
  })().catch(() => {});
  let closed: Promise<void> | undefined;
  const close = () =>
    closed ??= (async () => {
      l.close();
      await accepting;
      for (const c of conns) {
        try {
          c.close();
        } catch { /* gone */ }
      }
    })();
  return {
    port: (l.addr as Deno.NetAddr).port,
    get tunnels() {
      return state.tunnels;
    },
    get authFailures() {
      return state.authFailures;
    },
    seen: state.seen,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** An HTTP CONNECT proxy; with `auth`, requires `Proxy-Authorization: Basic user:pass`. */
export function startHttpConnectProxy(auth?: { user: string; pass: string }): ForwardProxy {
  const state = { tunnels: 0, authFailures: 0, seen: [] as string[] };
  const enc = new TextEncoder();
  return serve(async (c) => {
    const buf = new Uint8Array(16384);
    let got = 0;
    let end = -1;
    while (end < 0) {
      const n = await readSome(c, buf.subarray(got));
      if (n === null) return c.close();
      got += n;
      end = new TextDecoder("latin1").decode(buf.subarray(0, got)).indexOf("\r\n\r\n");
    }
    const head = new TextDecoder("latin1").decode(buf.subarray(0, end));
    state.seen.push(head);
    const m = /^CONNECT (\S+) HTTP\/1\.[01]$/.exec(head.split("\r\n")[0]);
    if (!m) {
      await c.write(enc.encode("HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n"));
      return c.close();
    }
    if (auth) {
      const want = `Basic ${btoa(`${auth.user}:${auth.pass}`)}`;
      const got = /\r\nProxy-Authorization: ([^\r\n]*)/i.exec(head)?.[1];
      if (got !== want) {
        state.authFailures++;
        await c.write(
          enc.encode(
            "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n" +
              "Content-Length: 0\r\n\r\n",
          ),
        );
        return c.close();
      }
    }
    const i = m[1].lastIndexOf(":");
    let target: Deno.Conn;
    try {
      target = await Deno.connect({ hostname: m[1].slice(0, i), port: Number(m[1].slice(i + 1)) });
    } catch {
      await c.write(enc.encode("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n"));
      return c.close();
    }
    state.tunnels++;
    await c.write(enc.encode("HTTP/1.1 200 Connection established\r\n\r\n"));
    await pipeBoth(c, target, buf.slice(end + 4, got));
  }, state);
}

/** A SOCKS5 proxy (CONNECT only); with `auth`, only RFC 1929 username/password is accepted. */
export function startSocks5Proxy(auth?: { user: string; pass: string }): ForwardProxy {
  const state = { tunnels: 0, authFailures: 0, seen: [] as string[] };
  const dec = new TextDecoder();
  return serve(async (c) => {
    const hello = await readExactly(c, 2);
    if (!hello || hello[0] !== 5) return c.close();
    const methods = await readExactly(c, hello[1]);
    if (!methods) return c.close();
    const want = auth ? 2 : 0;
    if (!methods.includes(want)) {
      await c.write(Uint8Array.from([5, 0xff]));
      return c.close();
    }
    await c.write(Uint8Array.from([5, want]));
    if (auth) {
      const h = await readExactly(c, 2);
      if (!h) return c.close();
      const u = await readExactly(c, h[1]);
      const pl = await readExactly(c, 1);
      const p = pl && await readExactly(c, pl[0]);
      if (!u || !p || dec.decode(u) !== auth.user || dec.decode(p) !== auth.pass) {
        state.authFailures++;
        await c.write(Uint8Array.from([1, 1]));
        return c.close();
      }
      await c.write(Uint8Array.from([1, 0]));
    }
    const req = await readExactly(c, 4);
    if (!req || req[1] !== 1) return c.close();
    let host: string;
    if (req[3] === 1) host = [...(await readExactly(c, 4)) ?? []].join(".");
    else if (req[3] === 3) {
      const n = await readExactly(c, 1);
      host = dec.decode((n && await readExactly(c, n[0])) ?? new Uint8Array());
    } else return c.close();
    const pb = await readExactly(c, 2);
    if (!pb) return c.close();
    const port = (pb[0] << 8) | pb[1];
    state.seen.push(`${host}:${port}`);
    let target: Deno.Conn;
    try {
      target = await Deno.connect({ hostname: host, port });
    } catch {
      await c.write(Uint8Array.from([5, 5, 0, 1, 0, 0, 0, 0, 0, 0]));
      return c.close();
    }
    state.tunnels++;
    await c.write(Uint8Array.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 0]));
    await pipeBoth(c, target);
  }, state);
}
