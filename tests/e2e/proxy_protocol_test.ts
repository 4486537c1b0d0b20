/**
 * PROXY protocol v1/v2 written by frpc, checked by a real nginx that listens with
 * `proxy_protocol` and logs/returns `$proxy_protocol_addr:$proxy_protocol_port`.
 * Runs for ours and both interop directions; skipped when nginx is not installed.
 */
import { assert, assertEquals } from "../_helpers/assert.ts";
import { freePorts } from "../_helpers/ports.ts";
import { pairName, startFrp, vhostPairs, waitUntil, withFrpLogs } from "../_helpers/vhost.ts";
import { withTimeout } from "../_helpers/services.ts";

const NGINX = ["/usr/sbin/nginx", "/usr/bin/nginx"].find((p) => {
  try {
    return Deno.statSync(p).isFile;
  } catch {
    return false;
  }
});

interface Nginx extends AsyncDisposable {
  port: number;
  log(): Promise<string>;
}

async function startNginx(): Promise<Nginx> {
  const dir = await Deno.makeTempDir({ prefix: "frp-test-nginx-" });
  const [port] = freePorts(1);
  const conf = `
worker_processes 1;
daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  log_format pp '$proxy_protocol_addr $proxy_protocol_port';
  server {
    listen 127.0.0.1:${port} proxy_protocol;
    access_log ${dir}/access.log pp;
    location / {
      default_type text/plain;
      return 200 "$proxy_protocol_addr:$proxy_protocol_port\\n";
    }
  }
}
`;
  await Deno.writeTextFile(`${dir}/nginx.conf`, conf);
  const child = new Deno.Command(NGINX!, {
    args: ["-p", dir, "-c", `${dir}/nginx.conf`],
    stdout: "null",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  await waitUntil(
    async () => {
      try {
        (await Deno.connect({ hostname: "127.0.0.1", port })).close();
        return true;
      } catch {
        return false;
      }
    },
    10000,
    "nginx to listen",
  );
  return {
    port,
    log: () => Deno.readTextFile(`${dir}/access.log`).catch(() => ""),
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      await child.status;
      await child.stderr.cancel().catch(() => {});
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** Sends a GET over a fresh connection; returns the body and our local port. */
async function getVia(port: number, host = "x"): Promise<{ body: string; localPort: number }> {
  const c = await Deno.connect({ hostname: "127.0.0.1", port });
  const localPort = (c.localAddr as Deno.NetAddr).port;
  await c.write(
    new TextEncoder().encode(`GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`),
  );
  let text = "";
  const buf = new Uint8Array(4096);
  for (;;) {
    const n = await withTimeout(c.read(buf), 10000, "nginx response");
    if (n === null) break;
    text += new TextDecoder().decode(buf.subarray(0, n));
  }
  c.close();
  return { body: text.slice(text.indexOf("\r\n\r\n") + 4).trim(), localPort };
}

for (const pair of vhostPairs()) {
  Deno.test({
    name: `proxy protocol with nginx: ${pairName(pair)}`,
    ignore: !NGINX,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      await using nginx = await startNginx();
      const [r1, r2, vport] = freePorts(3);
      await using frp = await startFrp({
        pair,
        server: { vhostHTTPPort: vport },
        proxies: [
          {
            name: "pp1",
            type: "tcp",
            localPort: nginx.port,
            remotePort: r1,
            transport: { proxyProtocolVersion: "v1" },
          },
          {
            name: "pp2",
            type: "tcp",
            localPort: nginx.port,
            remotePort: r2,
            transport: { proxyProtocolVersion: "v2" },
          },
          {
            name: "pph",
            type: "http",
            localPort: nginx.port,
            customDomains: ["pp.test"],
            transport: { proxyProtocolVersion: "v2" },
          },
        ],
      });
      await withFrpLogs(frp, async () => {
        const v1 = await getVia(r1);
        assertEquals(v1.body, `127.0.0.1:${v1.localPort}`);
        const v2 = await getVia(r2);
        assertEquals(v2.body, `127.0.0.1:${v2.localPort}`);
        const h = await getVia(vport, "pp.test");
        assertEquals(h.body, `127.0.0.1:${h.localPort}`);
        const log = await nginx.log();
        assert(log.includes(`127.0.0.1 ${v1.localPort}`), log);
        assert(log.includes(`127.0.0.1 ${v2.localPort}`), log);
      });
    },
  });
}
