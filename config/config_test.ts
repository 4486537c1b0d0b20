import {
  completeClientConfig,
  completeServerConfig,
  ConfigError,
  denoHost,
  loadClientConfig,
  loadServerConfig,
  parseNumberRange,
  renderTemplate,
  serverConfigFromFlags,
  verifyClientConfig,
  verifyServerConfig,
} from "./mod.ts";

const FIX = new URL("../tests/fixtures/config/", import.meta.url).pathname;
const ENV = { FRP_SERVER_ADDR: "1.2.3.4", FRP_SSH_REMOTE_PORT: "6000", FRPC_SECRET_KEY: "s3cret" };

function assert(cond: unknown, msg = "assertion failed"): asserts cond {
  if (!cond) throw new Error(msg);
}
function assertEquals(a: unknown, b: unknown, msg = "") {
  const sa = JSON.stringify(a);
  const sb = JSON.stringify(b);
  if (sa !== sb) throw new Error(`${msg}\nactual:   ${sa}\nexpected: ${sb}`);
}
/** Deep equality that ignores key order. */
function sortDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortDeep);
  if (v && typeof v === "object") {
    return Object.fromEntries(
      Object.keys(v).sort().map((k) => [k, sortDeep((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}
function assertModelEquals(a: unknown, b: unknown, msg = "") {
  assertEquals(sortDeep(a), sortDeep(b), msg);
}
async function assertConfigError(p: Promise<unknown>, includes: string | RegExp) {
  try {
    await p;
  } catch (e) {
    assert(e instanceof ConfigError, `expected ConfigError, got ${e}`);
    const m = (e as Error).message;
    assert(
      typeof includes === "string" ? m.includes(includes) : includes.test(m),
      `message ${JSON.stringify(m)} does not match ${includes}`,
    );
    return m;
  }
  throw new Error("expected an error");
}

// ------------------------------------------------------------------ seed examples

interface SeedEntry {
  file: string;
  side: "frps" | "frpc";
  line: number;
  cwd?: string;
}
const manifest: SeedEntry[] = JSON.parse(
  await Deno.readTextFile(`${FIX}seed/manifest.json`),
);

Deno.test("seed: every config example loads and verifies", async () => {
  assert(manifest.length >= 70, `only ${manifest.length} seed fixtures`);
  for (const e of manifest) {
    const path = `${FIX}seed/${e.file}`;
    const host = e.cwd ? { ...denoHost, cwd: () => `${FIX}seed/${e.cwd}` } : denoHost;
    const opts = { env: ENV, host, resolveTokenSource: false };
    const r = e.side === "frps"
      ? await verifyServerConfig(path, opts)
      : await verifyClientConfig(path, opts);
    assert(r.ok && r.exitCode === 0, `${e.file} (seed line ${e.line}): ${r.output.join("\n")}`);
    assertEquals(
      r.output[r.output.length - 1],
      `${e.side}: the configuration file ${path} syntax is ok`,
    );
    if (e.side === "frps") await loadServerConfig(path, opts);
    else await loadClientConfig(path, opts);
  }
});

Deno.test("seed: template range example expands to 8 proxies with env-rendered values", async () => {
  const r = await loadClientConfig(`${FIX}seed/frpc_L482.toml`, { env: {} });
  assertEquals(r.config.proxies.map((p) => p.name), [
    "tcp-6000",
    "tcp-6001",
    "tcp-6002",
    "tcp-6003",
    "tcp-6004",
    "tcp-6005",
    "tcp-6006",
    "tcp-6007",
  ]);
  const t = await loadClientConfig(`${FIX}seed/frpc_L274.toml`, { env: ENV });
  assertEquals(t.config.serverAddr, "1.2.3.4");
  assertEquals((t.config.proxies[0] as { remotePort?: number }).remotePort, 6000);
});

Deno.test("seed: YAML anchors, merge keys and dot-prefixed keys (strict)", async () => {
  const r = await loadClientConfig(`${FIX}seed/frpc_L283.yaml`, { env: ENV });
  assertEquals(r.config.proxies.length, 2);
  for (const p of r.config.proxies) {
    assertEquals(p.type, "stcp");
    assertEquals((p as { secretKey?: string }).secretKey, "s3cret");
  }
});

Deno.test("seed: includes resolved relative to the process cwd", async () => {
  const host = { ...denoHost, cwd: () => `${FIX}seed/includes` };
  const r = await loadClientConfig(`${FIX}seed/includes/frpc.toml`, { host });
  assertEquals(r.config.proxies.map((p) => p.name), ["ssh"]);
});

// ------------------------------------------------------------------ full examples

for (const side of ["frps", "frpc"] as const) {
  const load = side === "frps" ? loadServerConfig : loadClientConfig;
  Deno.test(`full ${side}: TOML → model → JSON → model round-trips`, async () => {
    const a = await load(`${FIX}full/${side}.toml`, { env: {}, resolveTokenSource: false });
    const json = JSON.stringify(a.config);
    const tmp = await Deno.makeTempFile({ suffix: ".json" });
    try {
      await Deno.writeTextFile(tmp, json);
      const b = await load(tmp, { env: {}, resolveTokenSource: false });
      assertModelEquals(b.config, a.config);
      const c = side === "frps"
        ? completeServerConfig(JSON.parse(json))
        : completeClientConfig(JSON.parse(json));
      assertModelEquals(c, a.config);
    } finally {
      await Deno.remove(tmp);
    }
  });
  Deno.test(`full ${side}: TOML, YAML and JSON produce the same model`, async () => {
    const o = { env: {}, resolveTokenSource: false };
    const t = await load(`${FIX}full/${side}.toml`, o);
    const y = await load(`${FIX}full/${side}.yaml`, o);
    const j = await load(`${FIX}full/${side}.json`, o);
    assertModelEquals(y.config, t.config, "yaml");
    assertModelEquals(j.config, t.config, "json");
  });
}

Deno.test("full frpc: start filter and enabled=false drop proxies; every field kept", async () => {
  const r = await loadClientConfig(`${FIX}full/frpc.toml`, { env: {}, resolveTokenSource: false });
  const c = r.config;
  assert(!c.proxies.some((p) => p.name === "disabled"));
  assertEquals(c.proxies.length, 8);
  assertEquals(c.visitors.length, 3);
  assertEquals(c.transport.wireProtocol, "v2");
  const web = c.proxies.find((p) => p.name === "web")!;
  assert(web.type === "http");
  assertEquals(web.responseHeaders, { set: { foo: "bar" } });
  assertModelEquals(web.plugin, {
    type: "https2http",
    localAddr: "127.0.0.1:80",
    crtPath: "./server.crt",
    keyPath: "./server.key",
    hostHeaderRewrite: "127.0.0.1",
    enableHTTP2: false,
    requestHeaders: { set: { "x-from-where": "frp" } },
  });
});

// ------------------------------------------------------------------ defaults

Deno.test("defaults: server", () => {
  const s = completeServerConfig({});
  assertEquals(s.bindAddr, "0.0.0.0");
  assertEquals(s.bindPort, 7000);
  assertEquals(s.proxyBindAddr, "0.0.0.0");
  assertEquals(s.vhostHTTPPort, 0);
  assertEquals(s.vhostHTTPTimeout, 60);
  assertEquals(s.transport.heartbeatTimeout, -1);
  assertEquals(s.transport.maxPoolCount, 5);
  assertEquals(s.transport.quic, {
    keepalivePeriod: 10,
    maxIdleTimeout: 30,
    maxIncomingStreams: 100000,
  });
  assertEquals(s.log, { to: "console", level: "info", maxDays: 3, disablePrintColor: false });
  assertEquals(s.webServer.addr, "127.0.0.1");
  assertEquals(s.detailedErrorsToClient, true);
  assertEquals(s.userConnTimeout, 10);
  assertEquals(s.udpPacketSize, 1500);
  assertEquals(s.natholeAnalysisDataReserveHours, 168);
  assertEquals(s.auth.method, "token");
  assertEquals(s.sshTunnelGateway.autoGenPrivateKeyPath, "./.autogen_ssh_key");
  assertEquals(
    completeServerConfig({ transport: { tcpMux: false } }).transport.heartbeatTimeout,
    90,
  );
  assertEquals(
    completeServerConfig({ transport: { tls: { trustedCaFile: "x" } } }).transport.tls.force,
    true,
  );
});

Deno.test("defaults: client, proxies, visitors", () => {
  const c = completeClientConfig({
    proxies: [
      { name: "a", type: "tcp", localPort: 22 },
      {
        name: "h",
        type: "https",
        customDomains: ["x"],
        plugin: { type: "https2http", localAddr: "a:1" },
      },
    ],
    visitors: [{ name: "v", type: "xtcp", serverName: "a", bindPort: 1 }],
  }, { env: { http_proxy: "http://p:1" } });
  assertEquals(c.serverAddr, "0.0.0.0");
  assertEquals(c.serverPort, 7000);
  assertEquals(c.loginFailExit, true);
  assertEquals(c.natHoleStunServer, "stun.easyvoip.com:3478");
  assertEquals(c.transport.protocol, "tcp");
  assertEquals(c.transport.wireProtocol, "v1");
  assertEquals(c.transport.poolCount, 1);
  assertEquals(c.transport.heartbeatInterval, -1);
  assertEquals(c.transport.heartbeatTimeout, -1);
  assertEquals(c.transport.tls.enable, true);
  assertEquals(c.transport.tls.disableCustomTLSFirstByte, true);
  assertEquals(c.transport.proxyURL, "http://p:1");
  assertEquals(c.proxies[0].localIP, "127.0.0.1");
  assertEquals(c.proxies[0].enabled, true);
  assertEquals(c.proxies[0].transport.bandwidthLimitMode, "client");
  assertEquals((c.proxies[1].plugin as { enableHTTP2: boolean }).enableHTTP2, true);
  const v = c.visitors[0];
  assert(v.type === "xtcp");
  assertEquals([
    v.bindAddr,
    v.protocol,
    v.maxRetriesAnHour,
    v.minRetryInterval,
    v.fallbackTimeoutMs,
  ], [
    "127.0.0.1",
    "quic",
    8,
    90,
    1000,
  ]);
  const nomux = completeClientConfig({ transport: { tcpMux: false } });
  assertEquals([nomux.transport.heartbeatInterval, nomux.transport.heartbeatTimeout], [30, 90]);
});

Deno.test("field names match case-insensitively like encoding/json", () => {
  const s = completeServerConfig({ BINDPORT: 7001, WebServer: { PORT: 7500 } } as never);
  assertEquals(s.bindPort, 7001);
  assertEquals(s.webServer.port, 7500);
});

// ------------------------------------------------------------------ legacy INI

for (const side of ["frps", "frpc"] as const) {
  Deno.test(`legacy INI ${side} converts to the same model as TOML`, async () => {
    const load = side === "frps" ? loadServerConfig : loadClientConfig;
    const ini = await load(`${FIX}legacy/${side}.ini`, { env: {} });
    const toml = await load(`${FIX}legacy/${side}.toml`, { env: {} });
    assert(ini.legacyIni && !toml.legacyIni);
    assert(ini.warnings.some((w) => w.startsWith("ini format is deprecated")));
    assertModelEquals(ini.config, toml.config);
  });
}

// ------------------------------------------------------------------ bad input

Deno.test("bad: syntax errors in Go's words (TOML and YAML with the line)", async () => {
  await assertConfigError(loadServerConfig(`${FIX}bad/syntax.toml`), /^toml: line \d+, column \d+/);
  await assertConfigError(
    loadServerConfig(`${FIX}bad/syntax-yaml.conf`),
    /^error converting YAML to JSON: yaml: line \d+: /,
  );
  await assertConfigError(
    loadServerConfig(`${FIX}bad/syntax-json.conf`),
    /^invalid character '.+' (looking for|after) /,
  );
});

Deno.test("bad: unknown fields (strict and relaxed)", async () => {
  const m = await assertConfigError(
    loadServerConfig(`${FIX}bad/unknown.toml`),
    'json: unknown field "noSuchField"',
  );
  assertEquals(m, 'json: unknown field "noSuchField"'); // Go's text: no file or position
  const r = await loadServerConfig(`${FIX}bad/unknown.toml`, { strict: false });
  assertEquals(r.config.bindPort, 7000);
  const v = await verifyServerConfig(`${FIX}bad/unknown.toml`, { strict: false });
  assertEquals(v.exitCode, 0);
});

Deno.test("bad: wrong types, ports, missing fields, unknown type, duplicates, includes, templates", async () => {
  await assertConfigError(
    loadServerConfig(`${FIX}bad/wrongtype.toml`),
    'field "bindPort": cannot unmarshal string into int',
  );
  await assertConfigError(
    loadServerConfig(`${FIX}bad/port.toml`),
    "bindPort: port number 70000 must be in the range 0..65535",
  );
  await assertConfigError(
    loadClientConfig(`${FIX}bad/missing.toml`),
    "visitor v: server name is required",
  );
  await assertConfigError(
    loadClientConfig(`${FIX}bad/unknowntype.toml`),
    "decode proxy at index 0: unknown proxy type: tcpx",
  );
  await assertConfigError(loadClientConfig(`${FIX}bad/dup.toml`), "proxy name [a] is duplicated");
  await assertConfigError(
    loadClientConfig(`${FIX}bad/include.toml`),
    /stat .*does-not-exist: no such file or directory/,
  );
  await assertConfigError(
    loadClientConfig(`${FIX}bad/template.toml`, { env: {} }),
    "template: frp:1:",
  );
  await assertConfigError(
    loadClientConfig(`${FIX}bad/template2.toml`, { env: {} }),
    'function "nosuchfunc" not defined',
  );
  await assertConfigError(
    loadClientConfig(`${FIX}bad/no-such-file.toml`),
    "no such file or directory",
  );
});

Deno.test("verify: not specified, warnings, exit codes", async () => {
  assertEquals(await verifyServerConfig(undefined), {
    ok: true,
    output: ["frps: the configuration file is not specified"],
    exitCode: 0,
  });
  const tmp = await Deno.makeTempFile({ suffix: ".toml" });
  try {
    await Deno.writeTextFile(tmp, 'transport.tls.enable = false\ntransport.tls.certFile = "a"\n');
    const r = await verifyClientConfig(tmp);
    assertEquals(r.output, [
      "WARNING: transport.tls.certFile is invalid when transport.tls.enable is false",
      `frpc: the configuration file ${tmp} syntax is ok`,
    ]);
    const bad = await verifyClientConfig(`${FIX}bad/dup.toml`);
    assertEquals([bad.ok, bad.exitCode], [false, 1]);
  } finally {
    await Deno.remove(tmp);
  }
});

Deno.test("tokenSource: file (trimmed), mutual exclusion, exec needs --allow-unsafe", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/token`, "  tok123\n");
    await Deno.writeTextFile(
      `${dir}/a.toml`,
      `auth.tokenSource.type = "file"\nauth.tokenSource.file.path = "${dir}/token"\n`,
    );
    assertEquals((await loadClientConfig(`${dir}/a.toml`)).config.auth.token, "tok123");
    assertEquals((await loadServerConfig(`${dir}/a.toml`)).config.auth.token, "tok123");
    await Deno.writeTextFile(
      `${dir}/b.toml`,
      `auth.token = "x"\nauth.tokenSource.type = "file"\nauth.tokenSource.file.path = "x"\n`,
    );
    await assertConfigError(
      loadClientConfig(`${dir}/b.toml`),
      "cannot specify both auth.token and auth.tokenSource",
    );
    await Deno.writeTextFile(
      `${dir}/c.toml`,
      `auth.tokenSource.type = "exec"\nauth.tokenSource.exec.command = "echo"\nauth.tokenSource.exec.args = ["hi"]\n`,
    );
    await assertConfigError(
      loadClientConfig(`${dir}/c.toml`),
      'unsafe feature "TokenSourceExec" is not enabled',
    );
    const ok = await loadClientConfig(`${dir}/c.toml`, { allowUnsafe: ["TokenSourceExec"] });
    assertEquals(ok.config.auth.token, "hi");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// ------------------------------------------------------------------ templates

Deno.test("template: Go text/template subset", () => {
  const env = { A: "x" };
  assertEquals(renderTemplate("{{ .Envs.A }}-{{ .Envs.NOPE }}", env), "x-<no value>");
  assertEquals(renderTemplate("a  {{- 1 -}}  b", env), "a1b");
  assertEquals(
    renderTemplate(`{{ $v := 3 }}{{ if and (gt $v 2) (ne $v 5) }}y{{ else }}n{{ end }}`, env),
    "y",
  );
  assertEquals(
    renderTemplate(
      `{{ range $i, $e := parseNumberRange "1-2,5" }}{{ $i }}={{ $e }};{{ end }}`,
      env,
    ),
    "0=1;1=2;2=5;",
  );
  assertEquals(
    renderTemplate(
      `{{ printf "%s:%d" "h" 7 }}{{ len "abc" }}{{ index (parseNumberRange "4,9") 1 }}`,
      env,
    ),
    "h:739",
  );
  assertEquals(
    renderTemplate(
      `{{ range parseNumberRangePair "1" "2" }}{{ .First }}/{{ .Second }}{{ end }}`,
      env,
    ),
    "1/2",
  );
  assertEquals(renderTemplate(`{{ if not (eq .Envs.A "y") }}ok{{ end }}{{/* c */}}`, env), "ok");
  assertEquals(parseNumberRange(" 1 - 3 , 7"), [1, 2, 3, 7]);
});

Deno.test("flags: frps flags map to config", () => {
  const c = completeServerConfig(
    serverConfigFromFlags({
      p: "7100",
      token: "t",
      allow_ports: "1000-2000,3001",
      "vhost-http-port": "80",
    }),
  );
  assertEquals(c.bindPort, 7100);
  assertEquals(c.auth.token, "t");
  assertEquals(c.vhostHTTPPort, 80);
  assertEquals(c.allowPorts, [{ start: 1000, end: 2000 }, { single: 3001 }]);
  assertEquals(c.webServer.user, "admin");
});

Deno.test("a template-expanded key too long to locate gives the config error, not a SyntaxError", async () => {
  // Found by scripts/torture/fuzz.ts: the unknown key below renders to ~600 KB, and building
  // the regular expression that locates it threw "Regular expression too large".
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/frps.json`;
    await Deno.writeTextFile(
      file,
      '{"bindPort": 7000, "http{{ parseNumberRange "1-99999" }}Plugins": []}',
    );
    let err: unknown;
    try {
      await loadServerConfig(file, { env: {} });
    } catch (e) {
      err = e;
    }
    assert(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
