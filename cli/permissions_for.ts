/**
 * `frps permissions -c frps.toml` / `frpc permissions -c frpc.toml`: the narrowest `deno run`
 * flags one config needs — the hosts and ports it listens on and dials, the files it reads and
 * writes, the environment variables its templates use, the sys calls — instead of the broad
 * shipped sets (cli/permissions.ts). Deno grants whole hosts or single ports, not ranges, so a
 * port range becomes its host.
 *
 * @module
 */
import type { ClientConfig, ServerConfig, TLSConfig } from "../config/types.ts";
import { FRPC_FLAGS, FRPS_FLAGS } from "./permissions.ts";

/** Grants collected from a config, rendered by {@link renderFlags}. */
interface Grants {
  /** `host` (any port) or `host:port`; `"*"` for unrestricted. */
  net: Set<string>;
  read: Set<string>;
  write: Set<string>;
  env: Set<string>;
  sys: string[];
  run: boolean;
}

/** Ranges larger than this are granted as their host (one flag entry per port otherwise). */
const MAX_LISTED_PORTS = 64;

function abs(path: string, cwd: string): string {
  return path.startsWith("/") ? path : `${cwd.replace(/\/$/, "")}/${path}`;
}

function dirOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

/** `host:port` as Deno's --allow-net spells it (IPv6 in brackets). */
function hostPort(host: string, port?: number): string {
  const h = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  return port ? `${h}:${port}` : h;
}

/** `host:port` of a URL or a bare `host:port` address. */
function urlHost(url: string): string | undefined {
  try {
    const u = new URL(url.includes("://") ? url : `tcp://${url}`);
    const port = u.port || (u.protocol === "https:" ? "443" : u.protocol === "http:" ? "80" : "");
    return port ? `${u.hostname}:${port}` : u.hostname;
  } catch {
    return undefined;
  }
}

/** Template variables (`{{ .Envs.NAME }}`) a config text reads. */
export function templateEnvs(text: string): string[] {
  return [...new Set([...text.matchAll(/\.Envs\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]))];
}

function addTls(g: Grants, tls: TLSConfig | undefined, cwd: string): void {
  for (const f of [tls?.certFile, tls?.keyFile, tls?.trustedCaFile]) {
    if (f) g.read.add(abs(f, cwd));
  }
}

function addLog(g: Grants, to: string, cwd: string): void {
  if (!to || to === "console") return;
  // The file sink creates the directory and lists it to delete files older than maxDays.
  const dir = dirOf(abs(to, cwd));
  g.read.add(dir);
  g.write.add(dir);
}

/** Grants every config needs: its own file, its template variables, the Login sys calls. */
function newGrants(configPath: string, text: string, cwd: string): Grants {
  const g: Grants = {
    net: new Set(),
    read: new Set(),
    write: new Set(),
    env: new Set(templateEnvs(text)),
    sys: ["hostname", "osRelease"],
    run: false,
  };
  if (configPath) g.read.add(abs(configPath, cwd));
  return g;
}

/** The grants frps needs for `config` loaded from `configPath` (text: the raw file). */
export function serverGrants(
  config: ServerConfig,
  configPath: string,
  text: string,
  cwd: string,
): Grants {
  const g = newGrants(configPath, text, cwd);
  const bind = config.bindAddr;
  g.net.add(hostPort(bind, config.bindPort));
  for (const p of [config.kcpBindPort, config.quicBindPort, config.sshTunnelGateway.bindPort]) {
    if (p > 0) g.net.add(hostPort(bind, p));
  }
  // vhost and tcpmux listeners bind proxyBindAddr, as Go does.
  const proxyAddr = config.proxyBindAddr || bind;
  for (const p of [config.vhostHTTPPort, config.vhostHTTPSPort, config.tcpmuxHTTPConnectPort]) {
    if (p > 0) g.net.add(hostPort(proxyAddr, p));
  }
  // tcp/udp proxies listen on remote ports the clients choose: allowPorts bounds them.
  const ports: number[] = [];
  let anyPort = config.allowPorts.length === 0;
  for (const r of config.allowPorts) {
    const lo = r.single ?? r.start ?? 0;
    const hi = r.single ?? r.end ?? lo;
    if (hi - lo + 1 + ports.length > MAX_LISTED_PORTS) anyPort = true;
    else for (let p = lo; p <= hi; p++) ports.push(p);
  }
  if (anyPort) g.net.add(hostPort(proxyAddr));
  else for (const p of ports) g.net.add(hostPort(proxyAddr, p));
  if (config.webServer.port > 0) {
    g.net.add(hostPort(config.webServer.addr, config.webServer.port));
    addTls(g, config.webServer.tls, cwd);
    if (config.webServer.assetsDir) g.read.add(abs(config.webServer.assetsDir, cwd));
  }
  for (const p of config.httpPlugins) {
    const h = urlHost(p.addr);
    if (h) g.net.add(h);
  }
  if (config.auth.method === "oidc" && config.auth.oidc.issuer) {
    const h = urlHost(config.auth.oidc.issuer);
    if (h) g.net.add(h);
  }
  if (config.auth.tokenSource?.file) g.read.add(abs(config.auth.tokenSource.file.path, cwd));
  if (config.auth.tokenSource?.type === "exec") g.run = true;
  addTls(g, config.transport.tls, cwd);
  if (config.custom404Page) g.read.add(abs(config.custom404Page, cwd));
  const ssh = config.sshTunnelGateway;
  if (ssh.bindPort > 0) {
    for (const f of [ssh.privateKeyFile, ssh.authorizedKeysFile]) if (f) g.read.add(abs(f, cwd));
    if (ssh.autoGenPrivateKeyPath) {
      g.read.add(abs(ssh.autoGenPrivateKeyPath, cwd));
      g.write.add(abs(ssh.autoGenPrivateKeyPath, cwd));
    }
  }
  addLog(g, config.log.to, cwd);
  return g;
}

/** The grants frpc needs for `config` loaded from `configPath` (text: the raw file). */
export function clientGrants(
  config: ClientConfig,
  configPath: string,
  text: string,
  cwd: string,
): Grants {
  const g = newGrants(configPath, text, cwd);
  for (const inc of config.includes) g.read.add(dirOf(abs(inc, cwd)));
  g.net.add(hostPort(config.serverAddr, config.serverPort));
  if (config.transport.connectServerLocalIP) g.net.add(config.transport.connectServerLocalIP);
  if (config.transport.proxyURL) {
    const h = urlHost(config.transport.proxyURL);
    if (h) g.net.add(h);
  }
  addTls(g, config.transport.tls, cwd);
  const oidc = config.auth.oidc;
  if (config.auth.method === "oidc" && oidc.tokenEndpointURL) {
    const h = urlHost(oidc.tokenEndpointURL);
    if (h) g.net.add(h);
    if (oidc.trustedCaFile) g.read.add(abs(oidc.trustedCaFile, cwd));
  }
  for (const src of [config.auth.tokenSource, oidc.tokenSource]) {
    if (src?.file) g.read.add(abs(src.file.path, cwd));
    if (src?.type === "exec") g.run = true;
  }
  if (config.webServer.port > 0) {
    g.net.add(hostPort(config.webServer.addr, config.webServer.port));
    addTls(g, config.webServer.tls, cwd);
    if (config.webServer.assetsDir) g.read.add(abs(config.webServer.assetsDir, cwd));
  }
  let xtcp = false;
  for (const p of config.proxies) {
    if (p.type === "xtcp") xtcp = true;
    const plugin = p.plugin;
    if (!plugin) {
      g.net.add(hostPort(p.localIP, p.localPort));
      continue;
    }
    switch (plugin.type) {
      case "http_proxy":
      case "socks5":
      case "virtual_net":
        g.net.add("*"); // the user names the destination
        break;
      case "static_file":
        g.read.add(abs(plugin.localPath, cwd));
        break;
      case "unix_domain_socket":
        g.read.add(abs(plugin.unixPath, cwd));
        g.write.add(abs(plugin.unixPath, cwd));
        break;
      default: {
        const h = plugin.localAddr ? urlHost(plugin.localAddr) : undefined;
        if (h) g.net.add(h);
        for (const f of ["crtPath", "keyPath"] as const) {
          const v = (plugin as { [k in typeof f]?: string })[f];
          if (v) g.read.add(abs(v, cwd));
        }
      }
    }
  }
  for (const v of config.visitors) {
    if (v.type === "xtcp") xtcp = true;
    if (v.bindPort > 0) g.net.add(hostPort(v.bindAddr, v.bindPort));
  }
  if (xtcp) {
    // Hole punching: any UDP port, to peers only frps knows; LAN candidates need the interfaces.
    g.net.add("*");
    g.sys = [...g.sys, "networkInterfaces"];
  }
  addLog(g, config.log.to, cwd);
  return g;
}

/**
 * The `deno run` flags for a set of grants: the shipped set's non-permission flags (V8, unstable
 * APIs, TLS) followed by the narrowed permissions.
 */
export function renderFlags(g: Grants, side: "frps" | "frpc"): string[] {
  const base = (side === "frps" ? FRPS_FLAGS : FRPC_FLAGS).filter((f) =>
    !/^--allow-(net|read|write|env|sys|run)/.test(f)
  );
  const list = (s: Set<string>) => [...s].sort().join(",");
  // A whole-host grant covers that host's port grants.
  for (const e of [...g.net]) {
    const host = e.replace(/:\d+$/, "");
    if (host !== e && g.net.has(host)) g.net.delete(e);
  }
  const out = [...base];
  out.push(g.net.has("*") ? "--allow-net" : `--allow-net=${list(g.net)}`);
  if (g.read.size) out.push(`--allow-read=${list(g.read)}`);
  if (g.write.size) out.push(`--allow-write=${list(g.write)}`);
  if (g.env.size) out.push(`--allow-env=${list(g.env)}`);
  out.push(`--allow-sys=${g.sys.join(",")}`);
  if (g.run) out.push("--allow-run");
  return out;
}

/**
 * Runs `<side> permissions -c <path>`: loads the config and prints its flags on one line (so
 * `deno run $(frps permissions -c frps.toml) …` works). Resolves to the exit code.
 */
export async function printPermissions(
  side: "frps" | "frpc",
  configPath: string,
  load: (path: string) => Promise<ServerConfig | ClientConfig>,
): Promise<number> {
  let config, text;
  try {
    text = await Deno.readTextFile(configPath);
    config = await load(configPath);
  } catch (err) {
    console.log(err instanceof Error ? err.message : String(err));
    return 1;
  }
  const cwd = Deno.cwd();
  const g = side === "frps"
    ? serverGrants(config as ServerConfig, configPath, text, cwd)
    : clientGrants(config as ClientConfig, configPath, text, cwd);
  console.log(renderFlags(g, side).join(" "));
  return 0;
}
