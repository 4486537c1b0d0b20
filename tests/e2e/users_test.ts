/**
 * Per-user tokens and limits on our frps (`[[auth.users]]`, beyond Go frp,
 * docs/beyond-frp.md): login by the user's own token, unlisted users and login source
 * addresses refused; proxy type, port, subdomain and max-proxies limits at NewProxy (with our
 * frpc and Go frpc v0.70.1 as the client); max connections, user-connection allowlist,
 * connection rate and the aggregate bandwidth cap; `GET /api/users`; a reload adds a user.
 */
import { assert, assertEquals } from "../_helpers/assert.ts";
import { freePorts } from "../_helpers/ports.ts";
import { hasGoFrp, type Impl, type Proc, startFrpc, startFrps } from "../_helpers/proc.ts";
import { startTcpEcho, tcpRoundTrip, withTimeout } from "../_helpers/services.ts";
import { toToml } from "../_helpers/toml.ts";
import { startFakeIdp } from "../_helpers/oidc_idp.ts";

const OPTS = { sanitizeOps: false, sanitizeResources: false };
const IMPLS: Impl[] = hasGoFrp() ? ["ts", "go"] : ["ts"];
const enc = new TextEncoder();
const dec = new TextDecoder();

function frpcConfig(bindPort: number, user: string, token: string, proxies: unknown[] = []) {
  return { serverPort: bindPort, user, auth: { token }, loginFailExit: true, proxies };
}

async function apiUsers(dash: number): Promise<Record<string, Record<string, unknown>>> {
  const res = await fetch(`http://127.0.0.1:${dash}/api/users`, {
    headers: { authorization: `Basic ${btoa("admin:pw")}` },
  });
  assertEquals(res.status, 200);
  const body = await res.json() as { users: Record<string, unknown>[] };
  return Object.fromEntries(body.users.map((u) => [u.user as string, u]));
}

async function waitFor(what: string, fn: () => boolean | Promise<boolean>, ms = 15000) {
  await withTimeout(
    (async () => {
      while (!(await fn())) await new Promise((r) => setTimeout(r, 50));
    })(),
    ms,
    what,
  );
}

/** Whether frps closes a fresh connection to `port` instead of relaying to the echo service. */
async function closedByFrps(port: number): Promise<boolean> {
  const c = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await c.write(enc.encode("x")).catch(() => {});
    const n = await withTimeout(c.read(new Uint8Array(1)).catch(() => null), 10000, "read");
    return n === null;
  } finally {
    c.close();
  }
}

Deno.test({
  name:
    "users: login by the user's token; unlisted user and source address refused; reload adds a user",
  ...OPTS,
  fn: async () => {
    const [bindPort, dash] = freePorts(2);
    const server = {
      bindPort,
      webServer: { addr: "127.0.0.1", port: dash, user: "admin", password: "pw" },
      auth: {
        token: "global",
        users: [
          { user: "alice", token: "alice-secret" },
          { user: "carol", token: "carol-secret", loginAllowIPs: ["10.0.0.0/8"] },
        ],
      },
    };
    await using frps = await startFrps({ impl: "ts", config: server });
    for (const impl of IMPLS) {
      const start = (user: string, token: string, ok: boolean) =>
        startFrpc({
          impl,
          config: frpcConfig(bindPort, user, token),
          waitFor: ok ? undefined : null,
          label: `${impl} frpc ${user}`,
        });
      await using _alice = await start("alice", "alice-secret", true);
      const refused: [Proc, string][] = [
        [await start("alice", "global", false), "token in login doesn't match"],
        [await start("bob", "global", false), "user [bob] is not allowed to log in"],
        [
          await start("carol", "carol-secret", false),
          "login from ip [127.0.0.1] is not allowed for user [carol]",
        ],
      ];
      for (const [p, text] of refused) {
        try {
          assertEquals((await p.waitExit(20000)).code, 1, p.output());
          assert(p.lines.some((l) => l.includes(text)), `${text}\n${p.output()}`);
          assert(frps.lines.some((l) => l.includes(`register control error: ${text}`)), text);
        } finally {
          await p.kill();
        }
      }
    }
    const users = await apiUsers(dash);
    assertEquals((users.alice.rejected as Record<string, number>).logins, IMPLS.length);
    assertEquals((users.carol.rejected as Record<string, number>).logins, IMPLS.length);
    // A reload adds bob; his own token works, the global one does not.
    const next = structuredClone(server);
    next.auth.users.push({ user: "bob", token: "bob-secret" });
    await Deno.writeTextFile(frps.configPath, toToml(next));
    Deno.kill(frps.pid, "SIGHUP");
    await frps.waitForLine(/reload frps config success/);
    await using _bob = await startFrpc({
      impl: "ts",
      config: frpcConfig(bindPort, "bob", "bob-secret"),
    });
    assert("bob" in await apiUsers(dash));
  },
});

Deno.test({
  name: "users: proxy type, port, subdomain and max proxies limits (ts and Go frpc)",
  ...OPTS,
  fn: async () => {
    await using echo = startTcpEcho();
    const [bindPort, dash, vhost, p1, p2, p3] = freePorts(6);
    await using frps = await startFrps({
      impl: "ts",
      config: {
        bindPort,
        vhostHTTPPort: vhost,
        subDomainHost: "example.test",
        webServer: { addr: "127.0.0.1", port: dash, user: "admin", password: "pw" },
        auth: {
          token: "global",
          users: [{
            user: "alice",
            token: "alice-secret",
            proxyTypes: ["tcp", "http"],
            allowPorts: [{ single: p1 }, { single: p2 }],
            subdomains: ["alice*"],
            maxProxies: 2,
          }],
        },
      },
    });
    const tcp = (name: string, remotePort: number, type = "tcp") => ({
      name,
      type,
      localPort: echo.port,
      remotePort,
    });
    const http = (name: string, subdomain: string) => ({
      name,
      type: "http",
      localPort: echo.port,
      subdomain,
    });
    const proxies = [
      tcp("u", p3, "udp"),
      tcp("t3", p3),
      http("hb", "bob"),
      tcp("t1", p1),
      tcp("t2", p2),
      http("ha", "alice"),
    ];
    for (const [i, impl] of IMPLS.entries()) {
      const from = frps.lines.length;
      const newProxy = () => frps.lines.slice(from).filter((l) => /new proxy \[alice\./.test(l));
      const frpc = await startFrpc({
        impl,
        config: frpcConfig(bindPort, "alice", "alice-secret", proxies),
      });
      try {
        await waitFor("six NewProxy answers", () => newProxy().length >= 6);
        const lines = newProxy();
        const has = (text: string) => lines.some((l) => l.includes(text));
        assert(has("[alice.u] type [udp] error: proxy type [udp] is not allowed for user [alice]"));
        assert(has(`[alice.t3] type [tcp] error: port [${p3}] is not allowed for user [alice]`));
        assert(
          has("[alice.hb] type [http] error: subdomain [bob] is not allowed for user [alice]"),
        );
        // Go frpc sends its proxies in map order: which valid one hits the limit varies.
        assertEquals(lines.filter((l) => l.includes("success")).length, 2, lines.join("\n"));
        assertEquals(
          lines.filter((l) => l.includes("error: exceed the max proxies [2] of user [alice]"))
            .length,
          1,
          lines.join("\n"),
        );
        // frpc was told why.
        await frpc.waitForLine(/proxy type \[udp\] is not allowed for user \[alice\]/);
        const u = (await apiUsers(dash)).alice;
        assertEquals(u.proxies, 2);
        assertEquals((u.rejected as Record<string, number>).proxies, 4 * (i + 1));
      } finally {
        await frpc.kill();
      }
      await waitFor("proxies released", async () => (await apiUsers(dash)).alice.proxies === 0);
    }
  },
});

/** Sends `size` bytes to every connection, then closes. */
function source(size: number): { port: number; close(): void } {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const c of l) {
      c.write(new Uint8Array(size)).then(async (n) => {
        let off = n;
        while (off < size) off += await c.write(new Uint8Array(size - off));
      }).catch(() => {}).finally(() => {
        try {
          c.close();
        } catch { /* closed */ }
      });
    }
  })().catch(() => {});
  return { port: (l.addr as Deno.NetAddr).port, close: () => l.close() };
}

async function download(port: number): Promise<number> {
  const c = await Deno.connect({ hostname: "127.0.0.1", port });
  let got = 0;
  const buf = new Uint8Array(64 * 1024);
  try {
    for (;;) {
      const n = await c.read(buf);
      if (n === null) return got;
      got += n;
    }
  } finally {
    c.close();
  }
}

Deno.test({
  name: "users: max connections, user-connection allowlist, connection rate, aggregate bandwidth",
  ...OPTS,
  fn: async () => {
    await using echo = startTcpEcho();
    const SIZE = 768 * 1024;
    const src = source(SIZE);
    const [bindPort, dash, pa, pd, pe, pf1, pf2] = freePorts(7);
    const user = (name: string, extra: Record<string, unknown>) => ({
      user: name,
      token: `${name}-secret`,
      ...extra,
    });
    try {
      await using frps = await startFrps({
        impl: "ts",
        config: {
          bindPort,
          webServer: { addr: "127.0.0.1", port: dash, user: "admin", password: "pw" },
          auth: {
            token: "global",
            users: [
              user("alice", { maxConnections: 2 }),
              user("dave", { userConnAllowIPs: ["10.0.0.0/8"] }),
              user("erin", { connRateLimit: 1 }),
              user("fred", { bandwidthLimit: "512KB" }),
            ],
          },
        },
      });
      const client = (name: string, proxies: [string, number, number][]) =>
        startFrpc({
          impl: "ts",
          config: frpcConfig(
            bindPort,
            name,
            `${name}-secret`,
            proxies.map(([n, local, remotePort]) => ({
              name: n,
              type: "tcp",
              localPort: local,
              remotePort,
            })),
          ),
          waitFor: /start proxy success/,
        });
      await using _c = await Promise.all([
        client("alice", [["a", echo.port, pa]]),
        client("dave", [["d", echo.port, pd]]),
        client("erin", [["e", echo.port, pe]]),
        client("fred", [["f1", src.port, pf1], ["f2", src.port, pf2]]),
      ]).then((ps) => ({
        [Symbol.asyncDispose]: async () => {
          await Promise.all(ps.map((p) => p.kill()));
        },
      }));
      await waitFor(
        "fred's two proxies",
        () => frps.lines.filter((l) => /new proxy \[fred\.f\d\].*success/.test(l)).length === 2,
      );

      // alice: two connections at once, the third is closed; after one ends, a new one works.
      const c1 = await Deno.connect({ hostname: "127.0.0.1", port: pa });
      const c2 = await Deno.connect({ hostname: "127.0.0.1", port: pa });
      for (const c of [c1, c2]) {
        await c.write(enc.encode("hi"));
        const b = new Uint8Array(2);
        await withTimeout(c.read(b), 10000, "echo");
        assertEquals(dec.decode(b), "hi");
      }
      assertEquals((await apiUsers(dash)).alice.curConns, 2);
      assert(await closedByFrps(pa), "third connection of alice must be closed");
      await frps.waitForLine(/rejected: exceed the max connections \[2\] of user \[alice\]/);
      c1.close();
      await waitFor(
        "alice back to one connection",
        async () => (await apiUsers(dash)).alice.curConns === 1,
      );
      assertEquals(dec.decode(await tcpRoundTrip(pa, enc.encode("again"))), "again");
      c2.close();

      // dave: user connections only from 10.0.0.0/8.
      assert(await closedByFrps(pd), "dave's proxy must refuse 127.0.0.1");
      await frps.waitForLine(
        /rejected: user connection from ip \[127\.0\.0\.1\] is not allowed for user \[dave\]/,
      );

      // erin: 1 connection per second; two at once → exactly one is served.
      const served = await Promise.all([0, 1].map(async () => !(await closedByFrps(pe))));
      assertEquals(served.filter(Boolean).length, 1, `served: ${served}`);
      await frps.waitForLine(/exceed the connection rate limit \[1\/s\] of user \[erin\]/);

      // fred: 512KB/s across both proxies; 1.5 MiB (0.5 MiB burst) needs at least 2 s.
      const t0 = performance.now();
      const got = await withTimeout(
        Promise.all([download(pf1), download(pf2)]),
        20000,
        "downloads",
      );
      const secs = (performance.now() - t0) / 1000;
      assertEquals(got, [SIZE, SIZE]);
      assert(secs >= 1.5, `1.5 MiB under a 512KB/s aggregate cap took only ${secs.toFixed(2)} s`);
    } finally {
      src.close();
    }
  },
});

Deno.test({
  name: "users: with auth.method oidc, a user's oidcSubject must match the token's subject",
  ...OPTS,
  fn: async () => {
    const client = { id: "frpc-test", secret: "s3cret", audience: "frp" };
    await using idp = await startFakeIdp(client);
    const [bindPort] = freePorts(1);
    await using frps = await startFrps({
      impl: "ts",
      config: {
        bindPort,
        auth: {
          method: "oidc",
          oidc: { issuer: idp.issuer, audience: client.audience },
          users: [
            { user: "alice", oidcSubject: "frpc-test" },
            { user: "mallory", oidcSubject: "someone-else" },
          ],
        },
      },
    });
    const start = (user: string, ok: boolean) =>
      startFrpc({
        impl: "ts",
        config: {
          serverPort: bindPort,
          user,
          loginFailExit: true,
          auth: {
            method: "oidc",
            oidc: {
              clientID: client.id,
              clientSecret: client.secret,
              audience: client.audience,
              tokenEndpointURL: idp.tokenURL,
            },
          },
        },
        waitFor: ok ? undefined : null,
      });
    await using _alice = await start("alice", true);
    await using mallory = await start("mallory", false);
    assertEquals((await mallory.waitExit(20000)).code, 1, mallory.output());
    await frps.waitForLine(/OIDC subject \[frpc-test\] is not allowed for user \[mallory\]/);
  },
});
