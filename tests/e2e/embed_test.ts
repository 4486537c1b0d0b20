/**
 * The library as an embedder uses it (mod.ts only): a server and a client in one process, and a
 * custom local service — a handler function instead of localPort — reached through a real
 * tunnel. The same in-process client also runs against Go frps.
 */
import {
  completeClientConfig,
  completeServerConfig,
  fromWebStreams,
  Logger,
  MemorySink,
  startClient,
  startServer,
  toWebStreams,
} from "../../mod.ts";
import { assert, assertEquals } from "../_helpers/assert.ts";
import { freePorts } from "../_helpers/ports.ts";
import { hasGoFrp, startFrps } from "../_helpers/proc.ts";
import { randomBytes, sha256hex, tcpRoundTrip, withTimeout } from "../_helpers/services.ts";
import { relay } from "../../protocol/io.ts";

const TOKEN = "embed-token";

/** Resolves once a line matching `re` was logged (bounded). */
async function waitLogged(sink: MemorySink, re: RegExp, ms = 15000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (sink.lines.some((l) => re.test(l))) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`not logged within ${ms} ms: ${re}\n${sink.lines.join("")}`);
}

/**
 * Runs our in-process frpc against frps at `bindPort` with two handler-served proxies:
 * `echo` (Web Streams piped back) and `upper` (an HTTP-ish reply written from the handler),
 * and a `bridge` proxy whose handler reaches a real TCP echo through fromWebStreams + relay.
 */
async function runHandlers(bindPort: number, remotes: number[]): Promise<void> {
  const [echoPort, helloPort, bridgePort] = remotes;
  const echoSrv = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const echoing = (async () => {
    for await (const c of echoSrv) c.readable.pipeTo(c.writable).catch(() => {});
  })();
  const sink = new MemorySink();
  const seen: string[] = [];
  const client = startClient(
    completeClientConfig({
      serverAddr: "127.0.0.1",
      serverPort: bindPort,
      auth: { token: TOKEN },
      proxies: [
        { name: "echo", type: "tcp", remotePort: echoPort },
        { name: "hello", type: "tcp", remotePort: helloPort },
        { name: "bridge", type: "tcp", remotePort: bridgePort },
      ],
    }),
    {
      log: new Logger({ sink, level: "debug" }),
      localHandlers: {
        // A byte-exact echo over the Web Streams pair.
        echo: ({ readable, writable }) => readable.pipeTo(writable),
        hello: async ({ readable, writable }, info) => {
          seen.push(`${info.proxyName} ${info.srcAddr?.hostname}`);
          await readable.cancel();
          await new Response("hello from a function\n").body!.pipeTo(writable);
        },
        // Any stream pair can carry the proxy: here a TCP socket's streams, back as a Duplex.
        bridge: async (conn) => {
          const port = (echoSrv.addr as Deno.NetAddr).port;
          const upstream = await Deno.connect({ hostname: "127.0.0.1", port });
          await relay(fromWebStreams(conn), fromWebStreams(upstream));
        },
      },
    },
  );
  const running = client.run().catch(() => {});
  try {
    for (const n of ["echo", "hello", "bridge"]) {
      await waitLogged(sink, new RegExp(`\\[${n}\\] start proxy success`));
    }
    const big = randomBytes(4 << 20);
    const back = await tcpRoundTrip(echoPort, big, 30000);
    assertEquals(await sha256hex(back), await sha256hex(big), "4 MiB through the echo handler");
    const viaBridge = await tcpRoundTrip(bridgePort, big.subarray(0, 1 << 20), 30000);
    assertEquals(
      await sha256hex(viaBridge),
      await sha256hex(big.subarray(0, 1 << 20)),
      "1 MiB through fromWebStreams + relay",
    );
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: helloPort });
    const text = await withTimeout(new Response(conn.readable).text(), 15000, "hello reply");
    assertEquals(text, "hello from a function\n");
    assertEquals(seen, ["hello 127.0.0.1"], "handler info: proxy name and user address");
  } finally {
    client.close();
    await running;
    echoSrv.close();
    await echoing;
  }
}

Deno.test("embed: server and client in one process; handler functions serve proxies", async () => {
  const [bindPort, ...remotes] = freePorts(4);
  const server = await startServer(
    completeServerConfig({ bindAddr: "127.0.0.1", bindPort, auth: { token: TOKEN } }),
  );
  try {
    await runHandlers(bindPort, remotes);
  } finally {
    server.close();
  }
});

Deno.test({
  name: "embed: handler-served proxies through Go frps",
  ignore: !hasGoFrp(),
  fn: async () => {
    const [bindPort, ...remotes] = freePorts(4);
    await using _frps = await startFrps({
      impl: "go",
      config: { bindAddr: "127.0.0.1", bindPort, auth: { token: TOKEN } },
    });
    await runHandlers(bindPort, remotes);
  },
});

Deno.test("embed: localHandlers naming an unknown or a udp proxy throw at start", () => {
  const config = completeClientConfig({
    proxies: [{ name: "dns", type: "udp", localPort: 53, remotePort: 6053 }],
  });
  const noop = () => {};
  let msg = "";
  try {
    startClient(config, { localHandlers: { nope: noop } });
  } catch (e) {
    msg = (e as Error).message;
  }
  assert(/no proxy named \[nope\]/.test(msg), msg);
  try {
    startClient(config, { localHandlers: { dns: noop } });
  } catch (e) {
    msg = (e as Error).message;
  }
  assert(/proxy \[dns\] is udp/.test(msg), msg);
  // toWebStreams is exported for embedders too.
  assertEquals(typeof toWebStreams, "function");
});
