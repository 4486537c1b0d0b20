/**
 * No setting is silently ignored (issue 8). Go frp's own full examples
 * (tests/fixtures/config/go_full/, copied verbatim from Go frp v0.70.1 `conf/`, Apache-2.0)
 * with every commented-out key line switched on must load, pass `verify` (ours and Go's), and
 * every key in them must be either honoured — listed below with the test that covers it — or
 * named in exactly one `WARNING:` line of `verify`. A key Go adds to its examples that is in
 * neither list fails this test.
 */
import { assert, assertEquals } from "../_helpers/assert.ts";
import { hasGoFrp, REPO_ROOT, runToEnd } from "../_helpers/proc.ts";
import { parseConfigText } from "../../config/parse.ts";

const FIX = `${REPO_ROOT}/tests/fixtures/config/go_full`;

/** A commented key line (`# key = value`) or table header (`# [[proxies]]`). */
const KEY_LINE = /^(\s*)#\s?((?:\[\[?[A-Za-z_.]+\]\]?\s*)|(?:[A-Za-z_"][\w.\-"\/]*\s*=\s*\S.*))$/;

/**
 * Lines that stay as they are, each with why: everything else commented out is switched on.
 * (Kept small: their keys are covered by another line of the same file.)
 */
const KEEP: Record<string, string> = {
  // not TOML (an unquoted string); `routeByHTTPUser = "user1"` covers the key
  "# routeByHTTPUser = abc": "invalid TOML",
  // one `transport.proxyURL` per file: the http form stays on
  '# transport.proxyURL = "socks5://user:passwd@192.168.1.128:1080"': "duplicate key",
  '# transport.proxyURL = "ntlm://user:passwd@192.168.1.128:2080"': "duplicate key",
  // `start` would drop most proxies before validation; HONOURED lists it (config tests)
  '# start = ["ssh", "dns"]': "filters proxies",
};
/** Uncommented lines switched off: `auth.tokenSource` replaces the token. */
const DROP = ['auth.token = "12345678"'];

function switchOn(text: string): string {
  return text.split("\n").map((l) => {
    if (DROP.includes(l.trim())) return `# ${l}`;
    if (Object.hasOwn(KEEP, l.trim())) return l;
    const m = KEY_LINE.exec(l);
    return m ? `${m[1]}${m[2]}` : l;
  }).join("\n");
}

/** Keys whose values are user-chosen names (maps): reported as `<key>.*`. */
const MAP_KEYS = new Set([
  "metadatas",
  "annotations",
  "set",
  "additionalEndpointParams",
  "featureGates",
]);

/** Dotted key paths of a parsed config; arrays of tables as `name[]`. */
function keyPaths(v: unknown, prefix = ""): string[] {
  if (Array.isArray(v)) {
    if (v.some((e) => e && typeof e === "object" && !Array.isArray(e))) {
      return [...new Set(v.flatMap((e) => keyPaths(e, `${prefix}[]`)))];
    }
    return [prefix];
  }
  if (v && typeof v === "object" && !(v instanceof Date)) {
    const out: string[] = [];
    for (const [k, x] of Object.entries(v)) {
      const p = prefix ? `${prefix}.${k}` : k;
      if (MAP_KEYS.has(k)) out.push(`${p}.*`);
      else out.push(...keyPaths(x, p));
    }
    return out;
  }
  return [prefix];
}

async function keysOf(side: "frps" | "frpc"): Promise<{ text: string; keys: string[] }> {
  const text = switchOn(await Deno.readTextFile(`${FIX}/${side}_full_example.toml`));
  const parsed = await parseConfigText(text, `${side}.toml`);
  return { text, keys: [...new Set(keyPaths(parsed.value))].sort() };
}

const E = "tests/e2e/";
/** Where a key is read at run time, for keys without a dedicated test (loaded: config_test). */
const wired = (module: string) => `wired in ${module}; loaded by config/config_test.ts`;

/** Keys frps honours, each with the test (or module) that covers it. */
const FRPS_HONOURED: Record<string, string> = {
  "allowPorts[].end": `${E}api_test.ts`,
  "allowPorts[].single": wired("server/ports.ts"),
  "allowPorts[].start": `${E}api_test.ts`,
  "auth.additionalScopes": `${E}oidc_test.ts`,
  "auth.method": `${E}oidc_test.ts`,
  "auth.oidc.audience": `${E}oidc_test.ts`,
  "auth.oidc.issuer": `${E}oidc_test.ts`,
  "auth.oidc.skipExpiryCheck": wired("server/oidc.ts"),
  "auth.oidc.skipIssuerCheck": wired("server/oidc.ts"),
  "auth.tokenSource.file.path": `${E}least_privilege_test.ts`,
  "auth.tokenSource.type": `${E}least_privilege_test.ts`,
  bindAddr: `${E}tunnel_test.ts`,
  bindPort: `${E}tunnel_test.ts`,
  custom404Page: `${E}vhost_http_test.ts`,
  detailedErrorsToClient: wired("server/context.ts"),
  enablePrometheus: `${E}api_test.ts`,
  "httpPlugins[].addr": `${E}server_plugins_test.ts`,
  "httpPlugins[].name": `${E}server_plugins_test.ts`,
  "httpPlugins[].ops": `${E}server_plugins_test.ts`,
  "httpPlugins[].path": `${E}server_plugins_test.ts`,
  kcpBindPort: `${E}kcp_test.ts`,
  "log.disablePrintColor": wired("cli/runtime.ts"),
  "log.level": `${E}settings_test.ts`,
  "log.maxDays": wired("log/sinks.ts"),
  "log.to": wired("cli/runtime.ts"),
  maxPortsPerClient: wired("server/control.ts"),
  natholeAnalysisDataReserveHours: "server/nathole/analysis_test.ts",
  proxyBindAddr: `${E}api_test.ts`,
  quicBindPort: `${E}tunnel_test.ts (tests/_helpers/tunnel_cases.ts quic row)`,
  "sshTunnelGateway.authorizedKeysFile": `${E}ssh_gateway_test.ts`,
  "sshTunnelGateway.autoGenPrivateKeyPath": `${E}ssh_gateway_test.ts`,
  "sshTunnelGateway.bindPort": `${E}ssh_gateway_test.ts`,
  "sshTunnelGateway.privateKeyFile": `${E}ssh_gateway_test.ts`,
  subDomainHost: `${E}vhost_http_test.ts`,
  tcpmuxHTTPConnectPort: `${E}vhost_tcpmux_test.ts`,
  tcpmuxPassthrough: `${E}vhost_tcpmux_test.ts`,
  "transport.heartbeatTimeout": `${E}lifecycle_test.ts`,
  "transport.maxPoolCount": wired("server/control.ts"),
  "transport.quic.keepalivePeriod": wired("transport/quic.ts"),
  "transport.quic.maxIdleTimeout": wired("transport/quic.ts"),
  "transport.quic.maxIncomingStreams": wired("transport/quic.ts"),
  "transport.tcpKeepalive": `${E}settings_test.ts`,
  "transport.tcpMux": `${E}lifecycle_test.ts`,
  "transport.tcpMuxKeepaliveInterval": wired("server/service.ts"),
  "transport.tls.certFile": `${E}tls_verify_test.ts`,
  "transport.tls.force": "transport/tls_test.ts",
  "transport.tls.keyFile": `${E}tls_verify_test.ts`,
  "transport.tls.trustedCaFile": `${E}tls_verify_test.ts`,
  udpPacketSize: wired("server/proxy/udp.ts"),
  userConnTimeout: wired("server/control.ts"),
  vhostHTTPPort: `${E}vhost_http_test.ts`,
  vhostHTTPSPort: `${E}vhost_https_test.ts`,
  vhostHTTPTimeout: `${E}vhost_http_test.ts`,
  "webServer.addr": `${E}dashboard_test.ts`,
  "webServer.assetsDir": "web/serve_test.ts",
  "webServer.password": `${E}api_test.ts`,
  "webServer.port": `${E}api_test.ts`,
  "webServer.pprofEnable": `false here; true is warned (${E}settings_test.ts)`,
  "webServer.tls.certFile": `${E}dashboard_test.ts`,
  "webServer.tls.keyFile": `${E}dashboard_test.ts`,
  "webServer.user": `${E}api_test.ts`,
};

/** Keys frpc honours, each with the test (or module) that covers it. */
const FRPC_HONOURED: Record<string, string> = {
  "auth.additionalScopes": `${E}oidc_test.ts`,
  "auth.method": `${E}oidc_test.ts`,
  "auth.oidc.additionalEndpointParams.*": wired("client/auth.ts"),
  "auth.oidc.audience": `${E}oidc_test.ts`,
  "auth.oidc.clientID": `${E}oidc_test.ts`,
  "auth.oidc.clientSecret": `${E}oidc_test.ts`,
  "auth.oidc.insecureSkipVerify": wired("client/auth.ts"),
  "auth.oidc.proxyURL": wired("client/auth.ts"),
  "auth.oidc.scope": `${E}oidc_test.ts`,
  "auth.oidc.tokenEndpointURL": `${E}oidc_test.ts`,
  "auth.oidc.trustedCaFile": `${E}oidc_test.ts`,
  "auth.tokenSource.file.path": `${E}least_privilege_test.ts`,
  "auth.tokenSource.type": `${E}least_privilege_test.ts`,
  clientID: `${E}api_test.ts`,
  dnsServer: `${E}settings_test.ts`,
  "featureGates.*": "config/config_test.ts (validation)",
  includes: "config/config_test.ts",
  "log.disablePrintColor": wired("cli/runtime.ts"),
  "log.level": `${E}settings_test.ts`,
  "log.maxDays": wired("log/sinks.ts"),
  "log.to": wired("cli/runtime.ts"),
  loginFailExit: `${E}lifecycle_test.ts`,
  "metadatas.*": `${E}server_plugins_test.ts`,
  natHoleStunServer: `${E}xtcp_client_test.ts`,
  "proxies[].allowUsers": `${E}visitors_test.ts`,
  "proxies[].annotations.*": `${E}api_test.ts`,
  "proxies[].customDomains": `${E}vhost_http_test.ts`,
  "proxies[].enabled": "config/config_test.ts",
  "proxies[].healthCheck.httpHeaders[].name": `${E}health_test.ts`,
  "proxies[].healthCheck.httpHeaders[].value": `${E}health_test.ts`,
  "proxies[].healthCheck.intervalSeconds": `${E}health_test.ts`,
  "proxies[].healthCheck.maxFailed": `${E}health_test.ts`,
  "proxies[].healthCheck.path": `${E}health_test.ts`,
  "proxies[].healthCheck.timeoutSeconds": `${E}health_test.ts`,
  "proxies[].healthCheck.type": `${E}health_test.ts`,
  "proxies[].hostHeaderRewrite": `${E}vhost_http_test.ts`,
  "proxies[].httpPassword": `${E}vhost_http_test.ts`,
  "proxies[].httpUser": `${E}vhost_http_test.ts`,
  "proxies[].loadBalancer.group": `${E}groups_test.ts`,
  "proxies[].loadBalancer.groupKey": `${E}groups_test.ts`,
  "proxies[].localIP": `${E}tunnel_test.ts`,
  "proxies[].localPort": `${E}tunnel_test.ts`,
  "proxies[].locations": `${E}vhost_http_test.ts`,
  "proxies[].metadatas.*": `${E}server_plugins_test.ts`,
  "proxies[].multiplexer": `${E}vhost_tcpmux_test.ts`,
  "proxies[].name": `${E}tunnel_test.ts`,
  "proxies[].natTraversal.disableAssistedAddrs": wired("client/proxy/xtcp.ts"),
  "proxies[].plugin.crtPath": `${E}plugins_test.ts`,
  "proxies[].plugin.hostHeaderRewrite": `${E}plugins_test.ts`,
  "proxies[].plugin.httpPassword": `${E}plugins_test.ts`,
  "proxies[].plugin.httpUser": `${E}plugins_test.ts`,
  "proxies[].plugin.keyPath": `${E}plugins_test.ts`,
  "proxies[].plugin.localAddr": `${E}plugins_test.ts`,
  "proxies[].plugin.localPath": `${E}plugins_test.ts`,
  "proxies[].plugin.password": `${E}plugins_test.ts`,
  "proxies[].plugin.requestHeaders.set.*": `${E}plugins_test.ts`,
  "proxies[].plugin.stripPrefix": `${E}plugins_test.ts`,
  "proxies[].plugin.type": `${E}plugins_test.ts (virtual_net is warned)`,
  "proxies[].plugin.unixPath": `${E}plugins_test.ts`,
  "proxies[].plugin.username": `${E}plugins_test.ts`,
  "proxies[].remotePort": `${E}tunnel_test.ts`,
  "proxies[].requestHeaders.set.*": `${E}vhost_http_test.ts`,
  "proxies[].responseHeaders.set.*": `${E}vhost_http_test.ts`,
  "proxies[].routeByHTTPUser": `${E}vhost_http_test.ts`,
  "proxies[].secretKey": `${E}visitors_test.ts`,
  "proxies[].subdomain": `${E}vhost_http_test.ts`,
  "proxies[].transport.bandwidthLimit": `${E}bandwidth_test.ts`,
  "proxies[].transport.bandwidthLimitMode": `${E}bandwidth_test.ts`,
  "proxies[].transport.proxyProtocolVersion": `${E}proxy_protocol_test.ts`,
  "proxies[].transport.useCompression": `${E}visitors_test.ts`,
  "proxies[].transport.useEncryption": `${E}visitors_test.ts`,
  "proxies[].type": `${E}tunnel_test.ts`,
  serverAddr: `${E}settings_test.ts`,
  serverPort: `${E}tunnel_test.ts`,
  "transport.connectServerLocalIP": wired("client/connector.ts"),
  "transport.dialServerKeepalive": `${E}settings_test.ts`,
  "transport.dialServerTimeout": wired("client/connector.ts"),
  "transport.heartbeatInterval": `${E}lifecycle_test.ts`,
  "transport.heartbeatTimeout": `${E}lifecycle_test.ts`,
  "transport.poolCount": `${E}kcp_test.ts`,
  "transport.protocol": `${E}kcp_test.ts`,
  "transport.proxyURL": `${E}proxy_url_test.ts`,
  "transport.quic.keepalivePeriod": wired("transport/quic.ts"),
  "transport.quic.maxIdleTimeout": wired("transport/quic.ts"),
  "transport.quic.maxIncomingStreams": wired("transport/quic.ts"),
  "transport.tcpMux": `${E}lifecycle_test.ts`,
  "transport.tcpMuxKeepaliveInterval": wired("client/connector.ts"),
  "transport.tls.certFile": `${E}tls_verify_test.ts`,
  "transport.tls.disableCustomTLSFirstByte": `${E}vhost_https_test.ts`,
  "transport.tls.enable": `${E}tunnel_test.ts`,
  "transport.tls.keyFile": `${E}tls_verify_test.ts`,
  "transport.tls.serverName": `${E}tls_verify_test.ts`,
  "transport.tls.trustedCaFile": `${E}tls_verify_test.ts`,
  "transport.wireProtocol": `${E}wire_v2_test.ts`,
  udpPacketSize: wired("client/proxy/udp.ts"),
  user: `${E}settings_test.ts`,
  "visitors[].bindAddr": `${E}visitors_test.ts`,
  "visitors[].bindPort": `${E}visitors_test.ts`,
  "visitors[].fallbackTimeoutMs": `${E}xtcp_client_test.ts`,
  "visitors[].fallbackTo": `${E}xtcp_client_test.ts`,
  "visitors[].keepTunnelOpen": `${E}xtcp_client_test.ts`,
  "visitors[].maxRetriesAnHour": `${E}xtcp_client_test.ts`,
  "visitors[].minRetryInterval": `${E}xtcp_client_test.ts`,
  "visitors[].name": `${E}visitors_test.ts`,
  "visitors[].natTraversal.disableAssistedAddrs": wired("client/visitor/xtcp.ts"),
  "visitors[].secretKey": `${E}visitors_test.ts`,
  "visitors[].serverName": `${E}visitors_test.ts`,
  "visitors[].serverUser": `${E}visitors_test.ts`,
  "visitors[].type": `${E}visitors_test.ts`,
  "webServer.addr": `${E}api_test.ts`,
  "webServer.assetsDir": "web/serve_test.ts",
  "webServer.password": `${E}api_test.ts`,
  "webServer.port": `${E}api_test.ts`,
  "webServer.pprofEnable": `false here; true is warned (${E}settings_test.ts)`,
  "webServer.user": `${E}api_test.ts`,
};

/** Keys we accept but cannot honour: the warning (regex) that names each, exactly once. */
const FRPC_WARNED: Record<string, RegExp> = {
  "virtualNet.address": /^WARNING: virtualNet\.address is not supported/,
  "proxies[].plugin.type = virtual_net": /^WARNING: proxy vnet-server: plugin virtual_net/,
  "visitors[].plugin.type": /^WARNING: visitor vnet-visitor: plugin virtual_net/,
  "visitors[].plugin.destinationIP": /^WARNING: visitor vnet-visitor: plugin virtual_net/,
};
const FRPS_WARNED: Record<string, RegExp> = {};

/**
 * Implemented on another branch (the SSH tunnel gateway helper): exempt here until merged —
 * the integrator moves these to FRPS_HONOURED.
 */
const PENDING: Record<string, string> = {};

/** Keys only on lines left off above (KEEP/DROP). */
const ALSO_HONOURED: Record<string, string> = {
  start: "config/config_test.ts (start filter)",
  "auth.token": `${E}tunnel_test.ts`,
};

const SIDES = [
  { side: "frps", honoured: FRPS_HONOURED, warned: FRPS_WARNED },
  { side: "frpc", honoured: FRPC_HONOURED, warned: FRPC_WARNED },
] as const;

for (const { side, honoured, warned } of SIDES) {
  Deno.test(`full example ${side}: every key loads, passes verify, and is honoured or warned`, async () => {
    const { text, keys } = await keysOf(side);
    const dir = await Deno.makeTempDir({ prefix: "frp-full-example-" });
    try {
      // `includes = ["./confd/*.ini"]` needs its directory (relative to the working directory).
      await Deno.mkdir(`${dir}/confd`);
      await Deno.writeTextFile(`${dir}/${side}.toml`, text);
      const r = await runToEnd("ts", side, ["verify", "-c", `${side}.toml`], dir);
      const lines = r.out.trim().split("\n");
      assertEquals(r.code, 0, r.out);
      assertEquals(lines.at(-1), `${side}: the configuration file ${side}.toml syntax is ok`);
      const warnings = lines.slice(0, -1);
      assert(warnings.every((w) => w.startsWith("WARNING: ")), r.out);

      const unknown = keys.filter((k) =>
        !Object.hasOwn(honoured, k) && !Object.hasOwn(warned, k) && !Object.hasOwn(PENDING, k)
      );
      assertEquals(unknown, [], "keys neither honoured nor warned (add a warning or a test)");
      for (const [key, re] of Object.entries(warned)) {
        const base = key.replace(/ = .*/, "");
        assert(keys.includes(base), `${key}: not in the example any more`);
        const hits = warnings.filter((w) => re.test(w));
        assertEquals(hits.length, 1, `${key}: warnings naming it:\n${warnings.join("\n")}`);
      }
      const stray = warnings.filter((w) => !Object.values(warned).some((re) => re.test(w)));
      assertEquals(stray, [], "warnings no key accounts for");

      if (!hasGoFrp()) return;
      // Go's verify: same file (minus virtualNet.address, which Go's verify rejects because it
      // does not apply featureGates)
      const goText = text.replace(/^virtualNet\.address = .*$/m, "");
      await Deno.writeTextFile(`${dir}/${side}.toml`, goText);
      const g = await runToEnd("go", side, ["verify", "-c", `${side}.toml`], dir);
      assertEquals(g.code, 0, g.out);
      assert(g.out.includes("syntax is ok"), g.out);
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  });
}

Deno.test("full examples: lines left off are still in Go's files and their keys are covered", async () => {
  const all = (await Deno.readTextFile(`${FIX}/frpc_full_example.toml`)) +
    (await Deno.readTextFile(`${FIX}/frps_full_example.toml`));
  const lines = all.split("\n").map((l) => l.trim());
  for (const line of [...Object.keys(KEEP), ...DROP]) {
    assert(lines.includes(line), `no longer in Go's example: ${line}`);
    const key = line.replace(/^#\s*/, "").replace(/\s*=.*$/, "");
    const inMap = (m: Record<string, unknown>) =>
      Object.hasOwn(m, key) || Object.hasOwn(m, `proxies[].${key}`);
    assert(
      inMap(FRPC_HONOURED) || inMap(FRPS_HONOURED) || inMap(ALSO_HONOURED),
      `${key}: left off, so it needs an entry`,
    );
  }
});
