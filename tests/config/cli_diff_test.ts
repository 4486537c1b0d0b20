/**
 * Differential CLI test: the same command lines and config files run through Go frp v0.70.1 and
 * ours; stdout, stderr (log lines without timestamp and file:line) and exit codes must match.
 * Where equality is impossible the case says so in `norm` (documented in docs/status.md,
 * "CLI and config errors"). Skips cleanly without the Go binaries.
 */
import { freePorts } from "../_helpers/ports.ts";
import {
  goFrpPath,
  hasGoFrp,
  type Impl,
  REPO_ROOT,
  startFrpc,
  startFrps,
} from "../_helpers/proc.ts";
import { FRPC_FLAGS, FRPS_FLAGS } from "../_helpers/permissions.ts";

type Bin = "frps" | "frpc";

interface Case {
  name: string;
  bin: Bin;
  /** Arguments; `$DIR` is the case's temp dir, `$P0…$P4` free ports. */
  args: string[];
  /** Files to create in the temp dir (same placeholders). */
  files?: Record<string, string>;
  env?: Record<string, string>;
  /** Hold these ports (`$P<n>` indexes) with a listener while the case runs. */
  hold?: number[];
  /** Known, documented differences: applied to both outputs before comparing. */
  norm?: (s: string) => string;
  /** Kill (SIGTERM) after this long (commands that keep running, e.g. frpc retrying). */
  killAfterMs?: number;
  /** Kill (SIGTERM) shortly after the output matches this (a process that came up). */
  killWhen?: RegExp;
  /** Skip when running as root (file permission cases). */
  notRoot?: boolean;
}

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** bindPort of the Go frps (token "right") the login cases talk to. */
let frpsPort = 0;
/** Admin port (user admin, password pw) of the Go frpc the admin-command cases talk to. */
let adminPort = 0;

/** Log line `2026-01-02 03:04:05.678 [I] [file.go:12] msg` → `[I] msg`. */
function normalise(s: string, dir: string): string {
  return s
    // deno-lint-ignore no-control-regex
    .replace(/\x1b\[[0-9;]*m/g, "")
    .replaceAll(dir, "$DIR")
    .replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ (\[[A-Z]\]) \[[^\]]*\] /gm, "$1 ")
    .replace(/^DANGER: TLS certificate validation is disabled.*\n/gm, "")
    // We have no `completion` command (documented): Go lists it in every root usage.
    .replace(
      /^ {2}completion {2}Generate the autocompletion script for the specified shell\n/gm,
      "",
    );
}

async function runOne(impl: Impl, c: Case, dir: string, ports: number[]): Promise<Result> {
  const sub = (s: string) =>
    s.replaceAll("$DIR", dir).replace(/\$P(\d)/g, (_, i) => String(ports[Number(i)]));
  const args = c.args.map(sub);
  const main = `${REPO_ROOT}/${c.bin === "frps" ? "server" : "client"}/main.ts`;
  const flags = c.bin === "frps" ? FRPS_FLAGS : FRPC_FLAGS;
  const child = new Deno.Command(impl === "go" ? goFrpPath(c.bin) : Deno.execPath(), {
    args: impl === "go" ? args : ["run", "--quiet", ...flags, main, ...args],
    cwd: dir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...c.env },
  }).spawn();
  const kill = () => {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
  };
  // Hard bound for every case; long-running ones end earlier, once `killWhen` was printed.
  const timer = setTimeout(kill, c.killAfterMs ?? 20_000);
  let killing: ReturnType<typeof setTimeout> | undefined;
  const texts = { stdout: "", stderr: "" };
  const pump = async (k: "stdout" | "stderr") => {
    for await (const chunk of child[k].pipeThrough(new TextDecoderStream())) {
      texts[k] += chunk;
      if (c.killWhen?.test(texts.stdout + texts.stderr) && killing === undefined) {
        killing = setTimeout(kill, 300); // let the lines that follow arrive
      }
    }
  };
  try {
    const [status] = await Promise.all([child.status, pump("stdout"), pump("stderr")]);
    return {
      code: status.signal ? -1 : status.code,
      stdout: normalise(texts.stdout, dir),
      stderr: normalise(texts.stderr, dir),
    };
  } finally {
    clearTimeout(timer);
    clearTimeout(killing);
  }
}

async function runCase(c: Case): Promise<string | undefined> {
  const ports = freePorts(5);
  const held = (c.hold ?? []).map((i) => Deno.listen({ hostname: "0.0.0.0", port: ports[i] }));
  const dirs: string[] = [];
  try {
    const res: Result[] = [];
    for (const impl of ["go", "ts"] as const) {
      // Separate dirs, but the same path length and name: `$DIR` is normalised anyway.
      const dir = await Deno.makeTempDir({ prefix: "frp-clidiff-" });
      dirs.push(dir);
      for (const [name, text] of Object.entries(c.files ?? {})) {
        const path = `${dir}/${name}`;
        await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
        await Deno.writeTextFile(
          path,
          text.replaceAll("$DIR", dir).replaceAll("$FRPS", String(frpsPort)).replaceAll(
            "$ADMIN",
            String(adminPort),
          ).replace(
            /\$P(\d)/g,
            (_, i) => String(ports[Number(i)]),
          ),
        );
      }
      res.push(await runOne(impl, c, dir, ports));
    }
    const [go, ts] = res.map((r) => {
      const f = c.norm ?? ((s: string) => s);
      return { ...r, stdout: f(r.stdout), stderr: f(r.stderr) };
    });
    const diffs: string[] = [];
    if (go.code !== ts.code) diffs.push(`exit: go ${go.code}, ts ${ts.code}`);
    for (const k of ["stdout", "stderr"] as const) {
      if (go[k] !== ts[k]) {
        diffs.push(`${k}:\n--- go\n${go[k]}--- ts\n${ts[k]}---`);
      }
    }
    return diffs.length
      ? `[${c.name}] ${c.bin} ${c.args.join(" ")}\n${diffs.join("\n")}`
      : undefined;
  } finally {
    for (const l of held) l.close();
    for (const d of dirs) await Deno.remove(d, { recursive: true }).catch(() => {});
  }
}

/** Runs `cases` with at most `limit` at a time; returns the mismatch reports. */
async function runAll(cases: Case[], limit: number): Promise<string[]> {
  const out: string[] = [];
  let next = 0;
  const isRoot = Deno.uid() === 0;
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++];
      if (c.notRoot && isRoot) continue;
      const r = await runCase(c);
      if (r) out.push(r);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Cases

const bins: Bin[] = ["frps", "frpc"];

/** Minimal valid configs per binary and format. */
const VALID: Record<Bin, Record<string, string>> = {
  frps: {
    toml: "bindPort = $P0\n",
    yaml: "bindPort: $P0\n",
    json: '{"bindPort": $P0}\n',
    ini: "[common]\nbind_port = $P0\n",
  },
  frpc: {
    toml: 'serverPort = $P0\n[[proxies]]\nname = "a"\ntype = "tcp"\nlocalPort = 22\n',
    yaml: "serverPort: $P0\nproxies:\n  - name: a\n    type: tcp\n    localPort: 22\n",
    json: '{"serverPort": $P0, "proxies": [{"name": "a", "type": "tcp", "localPort": 22}]}\n',
    ini: "[common]\nserver_port = $P0\n[a]\ntype = tcp\nlocal_port = 22\n",
  },
};

/** Syntax errors per format. */
const SYNTAX: Record<string, string> = {
  toml: "bindPort = 7000\nfoo = = 1\n",
  yaml: "bindPort: 7000\n  foo: [1\n",
  json: '{"bindPort": 7000,\n "x": }\n',
  ini: "[common\nbind_port = 7000\n",
};

const CASES: Case[] = [];

for (const bin of bins) {
  const run = (name: string, args: string[], extra: Partial<Case> = {}) =>
    CASES.push({ name: `${bin} ${name}`, bin, args, ...extra });
  // Flags and subcommands.
  run("-v", ["-v"]);
  run("--version", ["--version"]);
  run("-h", ["-h"]);
  run("--help", ["--help"]);
  run("verify -h", ["verify", "-h"]);
  run("unknown flag", ["--no-such-flag"]);
  run("unknown shorthand", ["-x"]);
  run("unknown command", ["frobnicate"]);
  run("-c without value", ["-c"]);
  run("bad bool", ["--strict_config=maybe", "verify", "-c", "x.toml"]);
  // Config files through verify.
  run("verify no -c", ["verify"]);
  run("verify missing file", ["verify", "-c", "nope.toml"]);
  run("verify directory", ["verify", "-c", "$DIR"]);
  run("verify unreadable", ["verify", "-c", "u.toml"], {
    files: { "u.toml": "" },
    notRoot: true,
  });
  run("verify empty toml", ["verify", "-c", "e.toml"], { files: { "e.toml": "" } });
  run("verify empty ini", ["verify", "-c", "e.ini"], { files: { "e.ini": "" } });
  for (const [fmt, text] of Object.entries(VALID[bin])) {
    run(`verify valid ${fmt}`, ["verify", "-c", `ok.${fmt}`], { files: { [`ok.${fmt}`]: text } });
  }
  for (const [fmt, text] of Object.entries(SYNTAX)) {
    run(`verify syntax ${fmt}`, ["verify", "-c", `bad.${fmt}`], {
      files: { [`bad.${fmt}`]: text },
    });
  }
  run("verify unknown key strict", ["verify", "-c", "u.toml"], {
    files: { "u.toml": VALID[bin].toml + "" },
  });
  // Running without verify: the same load errors, exit 1.
  run("run missing file", ["-c", "nope.toml"]);
  run("run directory", ["-c", "$DIR"]);
  run("run syntax toml", ["-c", "bad.toml"], { files: { "bad.toml": SYNTAX.toml } });
}

// TOML syntax errors whose go-toml wording we reproduce (config/toml_error.ts).
const TOML_SYNTAX = [
  'a = "x\n',
  "a\n",
  "a = 1\na = 2\n",
  "[a\nb=1\n",
  "x = 1 2\n",
  "[[proxies]\n",
  "[a]\n[a]\n",
  "a.b = 1\na = 2\n",
  "x = 1\n[x]\n",
  'bindPort = 7000 # c\nfoo = "a" b\n',
  'a = "x\\q"\n',
  "a = 'x\n",
  "= 1\n",
];

// YAML syntax errors whose go-yaml wording we reproduce (config/parse.ts), and duplicate
// keys (go-yaml v2 keeps the last).
const YAML_SYNTAX = [
  "a:\n\tb: 1\n",
  "a: [1, 2\n",
  'a: "x\n',
  "a: 'x\n",
  "a: {b: 1\n",
  "{a: 1\n",
  "bindPort: 1\nbindPort: 2\n",
  "a: [1,\n\n  2\n",
];
for (const [fmt, texts] of [["toml", TOML_SYNTAX], ["yaml", YAML_SYNTAX]] as const) {
  texts.forEach((text, i) =>
    CASES.push({
      name: `frps verify ${fmt} syntax #${i}`,
      bin: "frps",
      args: ["verify", "-c", `t.${fmt}`],
      files: { [`t.${fmt}`]: text },
    })
  );
}

// Unknown keys, strict on and off.
for (const bin of bins) {
  const cfg = bin === "frps"
    ? "bindPort = $P0\nnoSuchKey = 1\n"
    : 'serverPort = $P0\nnoSuchKey = 1\n[[proxies]]\nname = "a"\ntype = "tcp"\nlocalPort = 22\nfoo = 2\n';
  CASES.push({
    name: `${bin} unknown key strict`,
    bin,
    args: ["verify", "-c", "u.toml"],
    files: { "u.toml": cfg },
  });
  CASES.push({
    name: `${bin} unknown key not strict`,
    bin,
    args: ["verify", "-c", "u.toml", "--strict_config=false"],
    files: { "u.toml": cfg },
  });
  CASES.push({
    name: `${bin} unknown key yaml`,
    bin,
    args: ["verify", "-c", "u.yaml"],
    files: { "u.yaml": "noSuchKey: 1\n" },
  });
  CASES.push({
    name: `${bin} unknown key json`,
    bin,
    args: ["verify", "-c", "u.json"],
    files: { "u.json": '{"noSuchKey": 1}' },
  });
}

/** frpc config with one tcp proxy plus `extra` top-level lines and `proxy` lines. */
const frpc = (extra = "", proxy = 'name = "a"\ntype = "tcp"\nlocalPort = 22\n') =>
  `serverPort = $P0\n${extra}[[proxies]]\n${proxy}`;

/** frpc config with one tcp proxy `a` plus `lines` in it. */
const tcp = (lines: string) => frpc("", `name = "a"\ntype = "tcp"\n${lines}`);

const CONFIG_CASES: [string, Bin, string, string][] = [
  // [name, bin, file name, text]
  ["wrong type toml", "frps", "c.toml", 'bindPort = "abc"\n'],
  ["wrong type yaml", "frps", "c.yaml", "bindPort: abc\n"],
  ["wrong type json", "frps", "c.json", '{"bindPort": "abc"}'],
  ["wrong type nested", "frpc", "c.toml", tcp('localPort = "x"\n')],
  ["wrong type bool", "frps", "c.toml", 'bindPort = 7000\ntransport.tcpMux = "yes"\n'],
  ["port out of range", "frps", "c.toml", "bindPort = 70000\n"],
  ["negative port", "frps", "c.toml", "bindPort = -1\n"],
  ["vhost port out of range", "frps", "c.toml", "vhostHTTPPort = 65536\n"],
  ["server port out of range", "frpc", "c.toml", "serverPort = 70000\n"],
  [
    "remote port out of range",
    "frpc",
    "c.toml",
    tcp("localPort = 22\nremotePort = 70000\n"),
  ],
  [
    "local port out of range",
    "frpc",
    "c.toml",
    tcp("localPort = 99999\n"),
  ],
  [
    "duplicate proxy",
    "frpc",
    "c.toml",
    frpc() + '[[proxies]]\nname = "a"\ntype = "tcp"\nlocalPort = 23\n',
  ],
  [
    "duplicate visitor",
    "frpc",
    "c.toml",
    'serverPort = 7000\n[[visitors]]\nname = "v"\ntype = "stcp"\nserverName = "a"\nbindPort = 9000\n[[visitors]]\nname = "v"\ntype = "stcp"\nserverName = "a"\nbindPort = 9001\n',
  ],
  ["invalid proxy type", "frpc", "c.toml", frpc("", 'name = "a"\ntype = "ftp"\nlocalPort = 22\n')],
  [
    "invalid visitor type",
    "frpc",
    "c.toml",
    'serverPort = 7000\n[[visitors]]\nname = "v"\ntype = "tcp"\n',
  ],
  ["proxy without type", "frpc", "c.toml", frpc("", 'name = "a"\nlocalPort = 22\n')],
  ["proxy without name", "frpc", "c.toml", frpc("", 'type = "tcp"\nlocalPort = 22\n')],
  [
    "http without domain",
    "frpc",
    "c.toml",
    frpc("", 'name = "a"\ntype = "http"\nlocalPort = 80\n'),
  ],
  [
    "visitor without server name",
    "frpc",
    "c.toml",
    'serverPort = 7000\n[[visitors]]\nname = "v"\ntype = "stcp"\nbindPort = 9000\n',
  ],
  ["invalid protocol", "frpc", "c.toml", 'serverPort = 7000\ntransport.protocol = "sctp"\n'],
  ["invalid log level", "frps", "c.toml", 'log.level = "loud"\n'],
  ["invalid auth method", "frps", "c.toml", 'auth.method = "magic"\n'],
  [
    "template unset env",
    "frps",
    "c.toml",
    'bindPort = 7000\nauth.token = "{{ .Envs.FRP_CLIDIFF_UNSET }}"\n',
  ],
  ["template env", "frps", "c.toml", "bindPort = {{ .Envs.FRP_CLIDIFF_PORT }}\n"],
  ["template bad syntax", "frps", "c.toml", 'bindPort = 7000\nauth.token = "{{ .Envs.X "\n'],
  ["template unknown function", "frps", "c.toml", 'auth.token = "{{ nosuch 1 }}"\n'],
  ["template unclosed action", "frpc", "c.toml", frpc('user = "{{ if true }}x"\n')],
  ["includes missing file", "frpc", "c.toml", frpc('includes = ["$DIR/nope.toml"]\n')],
  ["includes missing glob", "frpc", "c.toml", frpc('includes = ["$DIR/nope/*.toml"]\n')],
  ["includes bad file", "frpc", "c.toml", frpc('includes = ["$DIR/inc.toml"]\n')],
  ["ini without common", "frpc", "c.ini", "[ssh]\ntype = tcp\nlocal_port = 22\n"],
  ["ini frps without common", "frps", "c.ini", "[other]\nbind_port = 7000\n"],
  ["ini bad value", "frps", "c.ini", "[common]\nbind_port = abc\n"],
  [
    "ini unknown key",
    "frpc",
    "c.ini",
    "[common]\nserver_port = 7000\nno_such = 1\n[ssh]\ntype = tcp\nlocal_port = 22\n",
  ],
  [
    "ini bad proxy type",
    "frpc",
    "c.ini",
    "[common]\nserver_port = 7000\n[ssh]\ntype = ftp\nlocal_port = 22\n",
  ],
  ["yaml wrong shape", "frpc", "c.yaml", "proxies: 3\n"],
  ["json array", "frps", "c.json", "[1, 2]\n"],
  ["toml unknown table", "frps", "c.toml", "[nosuch]\na = 1\n"],
  ["crlf toml", "frps", "c.toml", 'bindPort = 7000\r\nauth.token = "x"\r\n'],
  ["bom toml", "frps", "c.toml", "\ufeffbindPort = 7000\n"],
  ["bom yaml", "frps", "c.yaml", "\ufeffbindPort: 7000\n"],
  ["tabs yaml", "frps", "c.yaml", "bindPort:\t7000\n"],
  ["empty yaml", "frpc", "c.yaml", ""],
  ["empty json", "frps", "c.json", ""],
  ["json null", "frps", "c.json", "null"],
  ["no proxies", "frpc", "c.toml", "serverPort = 7000\n"],
  ["bad allowPorts", "frps", "c.toml", "allowPorts = [{ start = 10, end = 5 }]\n"],
  ["allowPorts string", "frps", "c.ini", "[common]\nallow_ports = 1-x\n"],
  [
    "bad plugin type",
    "frpc",
    "c.toml",
    tcp('plugin.type = "nosuch"\n'),
  ],
  [
    "plugin without type",
    "frpc",
    "c.toml",
    tcp('plugin.unixPath = "/x"\n'),
  ],
  [
    "plugin missing field",
    "frpc",
    "c.toml",
    tcp('plugin.type = "unix_domain_socket"\n'),
  ],
  [
    "bad bandwidth",
    "frpc",
    "c.toml",
    tcp('localPort = 22\ntransport.bandwidthLimit = "10XB"\n'),
  ],
  [
    "bad proxy protocol version",
    "frpc",
    "c.toml",
    tcp('localPort = 22\ntransport.proxyProtocolVersion = "v9"\n'),
  ],
  [
    "bad health check",
    "frpc",
    "c.toml",
    tcp('localPort = 22\nhealthCheck.type = "udp"\n'),
  ],
  [
    "visitor without bind port",
    "frpc",
    "c.toml",
    'serverPort = 7000\n[[visitors]]\nname = "v"\ntype = "stcp"\nserverName = "a"\n',
  ],
  [
    "xtcp visitor bad protocol",
    "frpc",
    "c.toml",
    'serverPort = 7000\n[[visitors]]\nname = "v"\ntype = "xtcp"\nserverName = "a"\nbindPort = 9000\nprotocol = "tcp"\n',
  ],
  [
    "tcpmux bad multiplexer",
    "frpc",
    "c.toml",
    frpc(
      "",
      'name = "a"\ntype = "tcpmux"\nlocalPort = 22\nmultiplexer = "x"\ncustomDomains = ["a.com"]\n',
    ),
  ],
  ["bad tls files", "frps", "c.toml", 'transport.tls.certFile = "/nonexistent.crt"\n'],
  ["oidc without issuer", "frps", "c.toml", 'auth.method = "oidc"\n'],
  [
    "token source without unsafe",
    "frpc",
    "c.toml",
    frpc('auth.tokenSource.type = "exec"\nauth.tokenSource.exec.command = "echo"\n'),
  ],
  [
    "token and token source",
    "frpc",
    "c.toml",
    frpc('auth.token = "x"\nauth.tokenSource.type = "file"\nauth.tokenSource.file.path = "t"\n'),
  ],
  [
    "negative heartbeat",
    "frpc",
    "c.toml",
    frpc("transport.heartbeatInterval = -5\ntransport.heartbeatTimeout = 1\n"),
  ],
  ["bad login fail exit type", "frpc", "c.toml", frpc('loginFailExit = "no"\n')],
  ["bad webserver port", "frpc", "c.toml", frpc("webServer.port = 70000\n")],
  ["bad log max days", "frps", "c.toml", 'log.maxDays = "x"\n'],
  [
    "ini legacy frpc ok",
    "frpc",
    "c.ini",
    "[common]\nserver_addr = 1.2.3.4\nserver_port = 7000\ntoken = x\n[ssh]\ntype = tcp\nlocal_port = 22\nremote_port = 6000\n",
  ],
  [
    "ini legacy visitor",
    "frpc",
    "c.ini",
    "[common]\n[v]\ntype = stcp\nrole = visitor\nserver_name = s\nbind_port = 9000\n",
  ],
  [
    "ini legacy range",
    "frpc",
    "c.ini",
    "[common]\n[range:r]\ntype = tcp\nlocal_port = 1000-1002\nremote_port = 2000-2001\n",
  ],
];

for (const [name, bin, file, text] of CONFIG_CASES) {
  const files = { [file]: text, "inc.toml": "[[proxies]]\nname = 1\n" };
  const env = { FRP_CLIDIFF_PORT: "7123" };
  CASES.push({ name: `${bin} verify ${name}`, bin, args: ["verify", "-c", file], files, env });
}
// The same load errors when starting (no verify): exit code and text.
for (const [name, bin, file, text] of CONFIG_CASES.slice(0, 6)) {
  CASES.push({
    name: `${bin} run ${name}`,
    bin,
    args: ["-c", file],
    files: { [file]: text },
  });
}

// frpc admin commands.
for (const sub of ["status", "reload", "stop"]) {
  CASES.push({ name: `frpc ${sub} -h`, bin: "frpc", args: [sub, "-h"] });
  CASES.push({
    name: `frpc ${sub} no admin`,
    bin: "frpc",
    args: [sub, "-c", "c.toml"],
    files: { "c.toml": frpc() },
  });
  CASES.push({
    name: `frpc ${sub} admin unreachable`,
    bin: "frpc",
    args: [sub, "-c", "c.toml"],
    files: { "c.toml": frpc('webServer.addr = "127.0.0.1"\nwebServer.port = $P1\n') },
  });
  CASES.push({ name: `frpc ${sub} missing file`, bin: "frpc", args: [sub, "-c", "nope.toml"] });
}
// Admin commands against a running (Go) frpc: the status table, reload, wrong password.
for (
  const [sub, pwd] of [["status", "pw"], ["reload", "pw"], ["status", "bad"], ["reload", "bad"]]
) {
  CASES.push({
    name: `frpc ${sub} admin password ${pwd}`,
    bin: "frpc",
    args: [sub, "-c", "c.toml"],
    files: {
      "c.toml": frpc(
        `webServer.addr = "127.0.0.1"\nwebServer.port = $ADMIN\nwebServer.user = "admin"\nwebServer.password = "${pwd}"\n`,
      ),
    },
  });
}
CASES.push({
  name: "frpc --config_dir one bad file",
  bin: "frpc",
  args: ["--config_dir", "$DIR/cfgs"],
  files: { "cfgs/a.toml": "serverPort = 70000\n" },
});
CASES.push({
  name: "frpc --config_dir load error",
  bin: "frpc",
  args: ["--config_dir", "$DIR/cfgs"],
  files: { "cfgs/sub/a.toml": "nosuch = 1\n" },
});
for (
  const args of [
    ["-p", "abc", "verify"],
    ["--bind_port=70000", "verify"],
    ["--log_max_days", "x", "verify"],
    ["--vhost_http_timeout=1.5", "verify"],
    ["--dashboard_tls_mode=yes", "verify"],
    ["--allow_unsafe", "Nope", "verify", "-c", "nope.toml"],
  ]
) CASES.push({ name: `frps flag value ${args.join(" ")}`, bin: "frps", args });
CASES.push({
  name: "frpc --allow_unsafe unknown",
  bin: "frpc",
  args: ["--allow-unsafe", "Nope", "verify", "-c", "nope.toml"],
});
CASES.push({ name: "frpc nathole -h", bin: "frpc", args: ["nathole", "-h"] });
CASES.push({ name: "frps help verify", bin: "frps", args: ["help", "verify"] });
CASES.push({ name: "frpc help", bin: "frpc", args: ["help"] });
CASES.push({ name: "frpc help tcp", bin: "frpc", args: ["help", "tcp"] });
CASES.push({ name: "frpc help nathole", bin: "frpc", args: ["help", "nathole"] });
CASES.push({ name: "frpc help status", bin: "frpc", args: ["help", "status"] });
CASES.push({ name: "frpc -c dir", bin: "frpc", args: ["-c", "$DIR"] });
CASES.push({ name: "frpc no args", bin: "frpc", args: [] });
CASES.push({ name: "frpc verify extra args", bin: "frpc", args: ["verify", "a", "b"] });
CASES.push({ name: "frps verify flags only", bin: "frps", args: ["verify", "--bind_port", "1"] });
CASES.push({ name: "frpc --api_timeout on root", bin: "frpc", args: ["--api_timeout", "1s"] });
CASES.push({
  name: "frpc status bad api timeout",
  bin: "frpc",
  args: ["status", "--api_timeout", "x"],
});
for (const d of ["1", "5x", "1h2m", ".5s", ""]) {
  CASES.push({
    name: `frpc stop api timeout '${d}'`,
    bin: "frpc",
    args: ["stop", "--api-timeout", d],
  });
}
CASES.push({ name: "frps help nosuch", bin: "frps", args: ["help", "nosuch"] });
CASES.push({ name: "frpc -v with other flags", bin: "frpc", args: ["-c", "nope.toml", "-v"] });
CASES.push({ name: "frpc --config_dir missing", bin: "frpc", args: ["--config_dir", "$DIR/nope"] });
CASES.push({
  name: "frps legacy flags -p -t",
  bin: "frps",
  args: ["-p", "$P0", "-t", "x", "verify"],
});

// Runtime start errors.
CASES.push({
  name: "frps bindPort in use",
  bin: "frps",
  args: ["-c", "c.toml"],
  files: { "c.toml": 'bindAddr = "0.0.0.0"\nbindPort = $P0\n' },
  hold: [0],
});

for (
  const [name, text] of [
    ["vhost http port in use", "bindPort = $P0\nvhostHTTPPort = $P1\n"],
    ["vhost https port in use", "bindPort = $P0\nvhostHTTPSPort = $P1\n"],
    ["tcpmux port in use", "bindPort = $P0\ntcpmuxHTTPConnectPort = $P1\n"],
    ["dashboard port in use", "bindPort = $P0\nwebServer.port = $P1\n"],
  ]
) {
  CASES.push({
    name: `frps ${name}`,
    bin: "frps",
    args: ["-c", "c.toml"],
    files: { "c.toml": text },
    hold: [1],
  });
}
// Startup lines of a server that comes up (killed after a few seconds; exit -1 both).
CASES.push({
  name: "frps startup lines",
  bin: "frps",
  args: ["-c", "c.toml"],
  files: {
    "c.toml": "bindPort = $P0\nkcpBindPort = $P0\nvhostHTTPPort = $P1\nvhostHTTPSPort = $P2\n" +
      "tcpmuxHTTPConnectPort = $P3\nwebServer.port = $P4\n",
  },
  killWhen: /dashboard listen on/,
});
CASES.push({
  name: "frps legacy flags startup",
  bin: "frps",
  args: ["--bind_port", "$P0", "-t", "x", "--vhost_http_port=$P1", "--dashboard_port", "$P2"],
  killWhen: /dashboard listen on/,
});
CASES.push({
  name: "frps legacy flags port in use",
  bin: "frps",
  args: ["-p", "$P0", "--dashboard_port", "$P1", "--dashboard_addr", "127.0.0.1"],
  hold: [1],
});
for (
  const [name, bin, text] of [
    [
      "missing tls cert",
      "frps",
      'bindPort = $P0\ntransport.tls.certFile = "nope.crt"\ntransport.tls.keyFile = "nope.key"\n',
    ],
    [
      "missing trusted ca",
      "frpc",
      tcp("localPort = 22\n").replace(
        "[[proxies]]",
        'transport.tls.trustedCaFile = "nope.ca"\n[[proxies]]',
      ),
    ],
    [
      "missing client cert",
      "frpc",
      tcp("localPort = 22\n").replace(
        "[[proxies]]",
        'transport.tls.certFile = "a.crt"\ntransport.tls.keyFile = "a.key"\n[[proxies]]',
      ),
    ],
    [
      "dashboard tls missing",
      "frps",
      'bindPort = $P0\nwebServer.port = $P1\nwebServer.tls.certFile = "a.crt"\nwebServer.tls.keyFile = "a.key"\n',
    ],
  ] as [string, Bin, string][]
) {
  CASES.push({
    name: `${bin} run ${name}`,
    bin,
    args: ["-c", "c.toml"],
    files: { "c.toml": text },
    killWhen: /started successfully|start proxy success/,
  });
}
CASES.push({
  name: "frpc admin port in use",
  bin: "frpc",
  args: ["-c", "c.toml"],
  files: { "c.toml": frpc("loginFailExit = true\nwebServer.port = $P1\n") },
  hold: [1],
});
CASES.push({
  name: "frpc loginFailExit connection refused",
  bin: "frpc",
  args: ["-c", "c.toml"],
  files: { "c.toml": frpc('serverAddr = "127.0.0.1"\n') },
});
CASES.push({
  name: "frpc loginFailExit wrong token",
  bin: "frpc",
  args: ["-c", "c.toml"],
  files: {
    "c.toml": frpc('serverAddr = "127.0.0.1"\nauth.token = "wrong"\n').replace("$P0", "$FRPS"),
  },
});
CASES.push({
  name: "frpc running, then SIGTERM",
  bin: "frpc",
  args: ["-c", "c.toml"],
  files: {
    "c.toml": frpc(
      'serverAddr = "127.0.0.1"\nauth.token = "right"\n',
      'name = "a"\ntype = "tcp"\nlocalPort = 22\nremotePort = $P1\n',
    ).replace("$P0", "$FRPS"),
  },
  killWhen: /start proxy success/,
});
CASES.push({
  name: "frpc DNS failure",
  bin: "frpc",
  args: ["-c", "c.toml"],
  files: { "c.toml": frpc('serverAddr = "no-such-host.invalid"\n') },
});

/**
 * Known differences (docs/status.md, "CLI and config errors"), normalised on both sides: the
 * parser's own wording where we have no go-toml/go-yaml equivalent (SYNTAX); a legacy
 * INI without `[common]` (Go's YAML parser reads `[ssh]` as a list); random run ids.
 */
const KNOWN: [RegExp, (s: string) => string][] = [
  [
    /syntax (toml|yaml)$/,
    (s) =>
      s.replace(
        /^(toml: line \d+, column \d+: |error converting YAML to JSON: yaml: ).*$/m,
        "$1<parser text>",
      ),
  ],
  [
    /ini without common$/,
    (s) =>
      s.replace(
        /^(json: cannot unmarshal array into|error converting YAML to JSON: yaml: line \d+:) .*$/m,
        "<legacy ini without [common]>",
      ),
  ],
  [/SIGTERM$/, (s) => s.replaceAll(/\b[0-9a-f]{16}\b/g, "<run id>")],
];
for (const c of CASES) {
  const k = KNOWN.find(([re]) => re.test(c.name));
  if (k) c.norm = k[1];
}

/** Runs the cases (a Go frps with token "right" serves the login cases); mismatch reports. */
async function runWithFrps(cases: Case[]): Promise<string[]> {
  [frpsPort, adminPort] = freePorts(2);
  await using _frps = await startFrps({
    impl: "go",
    config: { bindAddr: "127.0.0.1", bindPort: frpsPort, auth: { token: "right" } },
  });
  await using _frpc = await startFrpc({
    impl: "go",
    config: {
      serverAddr: "127.0.0.1",
      serverPort: frpsPort,
      auth: { token: "right" },
      webServer: { addr: "127.0.0.1", port: adminPort, user: "admin", password: "pw" },
      proxies: [
        { name: "t1", type: "tcp", localPort: 22, remotePort: freePorts(1)[0] },
        { name: "h1", type: "http", localPort: 80, customDomains: ["a.example"] },
      ],
    },
  });
  return (await runAll(cases, 4)).sort();
}

if (import.meta.main) {
  const only = Deno.args[0];
  const sel = only ? CASES.filter((c) => c.name.includes(only)) : CASES;
  const t0 = Date.now();
  const r = await runWithFrps(sel);
  console.log(r.join("\n\n"));
  console.log(`${sel.length} cases, ${r.length} differ, ${Date.now() - t0} ms`);
  Deno.exit(0);
}

Deno.test({
  name: "cli diff: same stdout, stderr and exit code as Go frp v0.70.1",
  ignore: !hasGoFrp(),
  async fn() {
    const r = await runWithFrps(CASES);
    if (r.length) {
      throw new Error(`${r.length} of ${CASES.length} cases differ:\n\n${r.join("\n\n")}`);
    }
  },
});
