/**
 * Bandwidth limit "1MB": 4 MiB through a tcp proxy takes 3–5 s, in client and server mode;
 * ours and both interop directions.
 */
import { assert, assertEquals } from "../_helpers/assert.ts";
import { freePorts } from "../_helpers/ports.ts";
import { pairName, startFrp, vhostPairs, withFrpLogs } from "../_helpers/vhost.ts";
import { withTimeout } from "../_helpers/services.ts";

const SIZE = 4 * 1024 * 1024;

/** Sends SIZE bytes to every connection, then closes. */
function source(): { port: number; close(): void } {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const chunk = new Uint8Array(64 * 1024).fill(7);
  (async () => {
    for await (const c of l) {
      (async () => {
        try {
          for (let sent = 0; sent < SIZE; sent += chunk.length) {
            let off = 0;
            while (off < chunk.length) off += await c.write(chunk.subarray(off));
          }
        } catch { /* reader gone */ }
        try {
          c.close();
        } catch { /* closed */ }
      })();
    }
  })().catch(() => {});
  return { port: (l.addr as Deno.NetAddr).port, close: () => l.close() };
}

for (const pair of vhostPairs()) {
  for (const mode of ["client", "server"] as const) {
    Deno.test({
      name: `bandwidth limit 1MB (${mode} mode): ${pairName(pair)}`,
      sanitizeOps: false,
      sanitizeResources: false,
      fn: async () => {
        const src = source();
        const [remote] = freePorts(1);
        try {
          await using frp = await startFrp({
            pair,
            proxies: [{
              name: "bw",
              type: "tcp",
              localPort: src.port,
              remotePort: remote,
              transport: { bandwidthLimit: "1MB", bandwidthLimitMode: mode },
            }],
          });
          await withFrpLogs(frp, async () => {
            const t0 = performance.now();
            const c = await Deno.connect({ hostname: "127.0.0.1", port: remote });
            let got = 0;
            const buf = new Uint8Array(256 * 1024);
            await withTimeout(
              (async () => {
                for (;;) {
                  const n = await c.read(buf);
                  if (n === null) break;
                  got += n;
                }
              })(),
              15000,
              "4 MiB download",
            );
            c.close();
            const secs = (performance.now() - t0) / 1000;
            assertEquals(got, SIZE);
            assert(secs >= 2.5 && secs <= 5.5, `4 MiB at 1MB took ${secs.toFixed(2)} s`);
          });
        } finally {
          src.close();
        }
      },
    });
  }
}
