/**
 * Health checks: a tcp proxy whose backend is stopped is removed from frps within
 * interval × maxFailed (+ slack) and comes back after the backend restarts. tcp and http
 * check types; ours and both interop directions.
 */
import { assert } from "../_helpers/assert.ts";
import { freePorts } from "../_helpers/ports.ts";
import { pairName, startFrp, vhostPairs, waitUntil, withFrpLogs } from "../_helpers/vhost.ts";

function startBackend(port: number): Deno.HttpServer {
  return Deno.serve(
    { hostname: "127.0.0.1", port, onListen: () => {} },
    () => new Response("alive"),
  );
}

async function reachable(port: number): Promise<boolean> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) });
    return (await r.text()) === "alive";
  } catch {
    return false;
  }
}

for (const pair of vhostPairs()) {
  for (const type of ["tcp", "http"] as const) {
    Deno.test({
      name: `health check ${type}: ${pairName(pair)}`,
      sanitizeOps: false,
      sanitizeResources: false,
      fn: async () => {
        const [local, remote] = freePorts(2);
        let backend = startBackend(local);
        const interval = 1;
        const maxFailed = 2;
        try {
          await using frp = await startFrp({
            pair,
            proxies: [{
              name: "hc",
              type: "tcp",
              localPort: local,
              remotePort: remote,
              healthCheck: {
                type,
                intervalSeconds: interval,
                maxFailed,
                timeoutSeconds: 1,
                ...(type === "http" ? { path: "/health" } : {}),
              },
            }],
          });
          await withFrpLogs(frp, async () => {
            await waitUntil(() => reachable(remote), 10000, "proxy registered after first check");
            await backend.shutdown();
            const t0 = Date.now();
            // frps must drop the proxy (listener closed ⇒ connection refused).
            await waitUntil(
              async () => {
                try {
                  (await Deno.connect({ hostname: "127.0.0.1", port: remote })).close();
                  return false;
                } catch {
                  return true;
                }
              },
              (interval * maxFailed + 4) * 1000,
              "proxy removed after backend stopped",
            );
            const took = Date.now() - t0;
            assert(took <= (interval * maxFailed + 4) * 1000, `removal took ${took} ms`);
            backend = startBackend(local);
            await waitUntil(() => reachable(remote), 10000, "proxy back after backend restart");
          });
        } finally {
          await backend.shutdown().catch(() => {});
        }
      },
    });
  }
}
