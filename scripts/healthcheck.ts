/**
 * Container HEALTHCHECK: `healthcheck.ts frps|frpc <config>` exits 0 when the process serves.
 * frps: its bindPort accepts a TCP connection. frpc: the admin API answers /healthz when
 * webServer.port is set (Go frpc's endpoint); without an admin API the process being up is all
 * there is to check. Needs --allow-read=<config dir> --allow-net (and --allow-env for templates).
 *
 * @module
 */
import { loadClientConfig, loadServerConfig } from "../config/mod.ts";

/** A wildcard bind address is reached on loopback. */
function dialHost(addr: string): string {
  return addr === "" || addr === "0.0.0.0" ? "127.0.0.1" : addr === "::" ? "::1" : addr;
}

async function check(side: string, path: string): Promise<void> {
  if (side === "frps") {
    const { config } = await loadServerConfig(path);
    const conn = await Deno.connect({ hostname: dialHost(config.bindAddr), port: config.bindPort });
    conn.close();
    return;
  }
  const { config } = await loadClientConfig(path);
  if (config.webServer.port <= 0) return;
  const host = dialHost(config.webServer.addr);
  const res = await fetch(`http://${host}:${config.webServer.port}/healthz`, {
    signal: AbortSignal.timeout(4000),
  });
  await res.body?.cancel();
  if (!res.ok) throw new Error(`admin API /healthz answered ${res.status}`);
}

if (import.meta.main) {
  const [side, path] = Deno.args;
  try {
    await check(side, path ?? `/etc/frp/${side}.toml`);
  } catch (err) {
    console.error(`unhealthy: ${err instanceof Error ? err.message : err}`);
    Deno.exit(1);
  }
}
