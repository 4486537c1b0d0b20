/**
 * frpc quick proxies (behaviour.md §13.3, cmd/frpc/sub/proxy.go + pkg/config/flags.go):
 * `frpc <type> [flags]` runs one proxy and `frpc stcp|sudp|xtcp visitor [flags]` one visitor,
 * built from cobra-style flags (`_` or `-` spellings), completed and validated like a config
 * file, then run exactly like `frpc -c`. Help and flag errors use cobra's layout.
 *
 * @module
 */
import {
  type Command,
  type Flag,
  flag,
  flagSpec,
  helpFlag,
  helpText,
  printFlagError,
} from "../cli/cobra.ts";
import { FlagError, parseFlags } from "../cli/flags.ts";
import { println } from "../cli/runtime.ts";
import {
  type ClientConfig,
  type ClientConfigInput,
  completeClientConfig,
  ConfigError,
  parseBandwidth,
  type ProxyConfigInput,
  type VisitorConfigInput,
} from "../config/mod.ts";

/** Proxy types with a quick subcommand, in Go's order. */
export const QUICK_PROXY_TYPES = [
  "tcp",
  "udp",
  "tcpmux",
  "http",
  "https",
  "stcp",
  "sudp",
  "xtcp",
] as const;
const VISITOR_TYPES = new Set(["stcp", "sudp", "xtcp"]);

const f = flag;

/** Root persistent flags (cmd/frpc/sub/root.go): "Global Flags". */
export const ROOT_FLAGS: Flag[] = [
  f("allow-unsafe", "strings", "allowed unsafe features, one or more of: TokenSourceExec"),
  f("config", "string", "config file of frpc", "./frpc.ini", "c"),
  f(
    "config-dir",
    "string",
    "config directory, run one frpc service for each file in config directory",
  ),
  f(
    "strict-config",
    "bool",
    "strict config parsing mode, unknown fields will cause an errors",
    true,
  ),
  f("version", "bool", "version of frpc", false, "v"),
];

/** RegisterClientCommonConfigFlags: persistent flags of each type command. */
const COMMON_FLAGS: Flag[] = [
  f("server-addr", "string", "frp server's address", "127.0.0.1", "s"),
  f("server-port", "int", "frp server's port", 7000, "P"),
  f("protocol", "string", "optional values are [tcp kcp quic websocket wss]", "tcp", "p"),
  f("log-level", "string", "log level", "info"),
  f("log-file", "string", "console or file path", "console"),
  f("log-max-days", "int", "log file reversed days", 3),
  f("disable-log-color", "bool", "disable log color in console"),
  f("tls-server-name", "string", "specify the custom server name of tls certificate"),
  f("dns-server", "string", "specify dns server instead of using system default one"),
  f("tls-enable", "bool", "enable frpc tls", true),
  f("user", "string", "user", "", "u"),
  f("client-id", "string", "unique identifier for this frpc instance"),
  f("token", "string", "auth token", "", "t"),
];

const BASE_FLAGS: Flag[] = [
  f("proxy-name", "string", "proxy name", "", "n"),
  f("metadatas", "map", "metadata key-value pairs (e.g., key1=value1,key2=value2)"),
  f("annotations", "map", "annotation key-value pairs (e.g., key1=value1,key2=value2)"),
  f("local-ip", "string", "local ip", "127.0.0.1", "i"),
  f("local-port", "int", "local port", 0, "l"),
  f("ue", "bool", "use encryption"),
  f("uc", "bool", "use compression"),
  f("bandwidth-limit-mode", "string", "bandwidth limit mode", "client"),
  f("bandwidth-limit", "bandwidth", "bandwidth limit (e.g. 100KB or 1MB)"),
];

const DOMAIN_FLAGS: Flag[] = [
  f("custom-domain", "strings", "custom domains", undefined, "d"),
  f("sd", "string", "sub domain"),
];
const SECRET_FLAGS: Flag[] = [
  f("sk", "string", "secret key"),
  f("allow-users", "strings", "allow visitor users"),
];
const HTTP_AUTH: Flag[] = [
  f("http-user", "string", "http auth user"),
  f("http-pwd", "string", "http auth password"),
];

const TYPE_FLAGS: Record<string, Flag[]> = {
  tcp: [f("remote-port", "int", "remote port", 0, "r")],
  udp: [f("remote-port", "int", "remote port", 0, "r")],
  http: [
    ...DOMAIN_FLAGS,
    f("locations", "strings", "locations"),
    ...HTTP_AUTH,
    f("host-header-rewrite", "string", "host header rewrite"),
  ],
  https: DOMAIN_FLAGS,
  tcpmux: [...DOMAIN_FLAGS, f("mux", "string", "multiplexer"), ...HTTP_AUTH],
  stcp: SECRET_FLAGS,
  sudp: SECRET_FLAGS,
  xtcp: SECRET_FLAGS,
};

const VISITOR_FLAGS: Flag[] = [
  f("visitor-name", "string", "visitor name", "", "n"),
  f("ue", "bool", "use encryption"),
  f("uc", "bool", "use compression"),
  f("sk", "string", "secret key"),
  f("server-name", "string", "server name"),
  f("server-user", "string", "server user"),
  f("bind-addr", "string", "bind addr"),
  f("bind-port", "int", "bind port"),
];

function commandFor(type: string, visitor: boolean): Command {
  if (visitor) {
    return {
      path: `frpc ${type} visitor`,
      short: `Run frpc with a single ${type} visitor`,
      local: [...VISITOR_FLAGS, helpFlag("visitor")],
      global: [...COMMON_FLAGS, ...ROOT_FLAGS],
    };
  }
  return {
    path: `frpc ${type}`,
    short: `Run frpc with a single ${type} proxy`,
    local: [...COMMON_FLAGS, ...BASE_FLAGS, ...TYPE_FLAGS[type], helpFlag(type)],
    global: ROOT_FLAGS,
    subs: VISITOR_TYPES.has(type)
      ? [{ name: "visitor", short: `Run frpc with a single ${type} visitor` }]
      : undefined,
  };
}

/** `--help` output: the short description, then the usage. */
export function quickHelp(type: string, visitor = false): string {
  return helpText(commandFor(type, visitor));
}

/** The parsed values, typed, with defaults applied. */
class Values {
  constructor(
    readonly flags: Map<string, Flag>,
    readonly raw: Record<string, string | boolean>,
    readonly lists: Record<string, string[]>,
  ) {}

  #label(name: string): string {
    const fl = this.flags.get(name)!;
    return fl.short ? `-${fl.short}, --${name}` : `--${name}`;
  }

  has(name: string): boolean {
    return this.raw[name] !== undefined;
  }

  str(name: string): string {
    const v = this.raw[name];
    return typeof v === "string" ? v : String(this.flags.get(name)?.def ?? "");
  }

  int(name: string): number {
    const v = this.raw[name];
    if (typeof v !== "string") return Number(this.flags.get(name)?.def ?? 0);
    if (!/^[+-]?\d+$/.test(v)) {
      throw new FlagError(
        `invalid argument "${v}" for "${
          this.#label(name)
        }" flag: strconv.ParseInt: parsing "${v}": invalid syntax`,
      );
    }
    return Number(v);
  }

  bool(name: string): boolean {
    const v = this.raw[name];
    return typeof v === "boolean" ? v : this.flags.get(name)?.def === true;
  }

  list(name: string): string[] | undefined {
    return this.lists[name];
  }

  map(name: string): Record<string, string> | undefined {
    const items = this.lists[name];
    if (!items) return undefined;
    const out: Record<string, string> = {};
    for (const pair of items) {
      const i = pair.indexOf("=");
      if (i < 0) {
        throw new FlagError(
          `invalid argument "${this.raw[name]}" for "${
            this.#label(name)
          }" flag: ${pair} must be formatted as key=value`,
        );
      }
      out[pair.slice(0, i)] = pair.slice(i + 1);
    }
    return out;
  }

  bandwidth(name: string): string | undefined {
    if (!this.has(name)) return undefined;
    const v = this.str(name);
    try {
      if (v) parseBandwidth(v);
    } catch (err) {
      throw new FlagError(
        `invalid argument "${v}" for "${this.#label(name)}" flag: ${(err as Error).message}`,
      );
    }
    return v || undefined;
  }
}

function commonInput(v: Values): ClientConfigInput {
  return {
    serverAddr: v.str("server-addr"),
    serverPort: v.int("server-port"),
    user: v.str("user"),
    clientID: v.str("client-id"),
    dnsServer: v.str("dns-server"),
    auth: { token: v.str("token") },
    log: {
      to: v.str("log-file"),
      level: v.str("log-level"),
      maxDays: v.int("log-max-days"),
      disablePrintColor: v.bool("disable-log-color"),
    },
    transport: {
      protocol: v.str("protocol"),
      tls: { enable: v.bool("tls-enable"), serverName: v.str("tls-server-name") },
    },
  } as ClientConfigInput;
}

function proxyInput(type: string, v: Values): Record<string, unknown> {
  const p: Record<string, unknown> = {
    name: v.str("proxy-name"),
    type,
    localIP: v.str("local-ip"),
    localPort: v.int("local-port"),
    transport: {
      useEncryption: v.bool("ue"),
      useCompression: v.bool("uc"),
      bandwidthLimitMode: v.str("bandwidth-limit-mode"),
      bandwidthLimit: v.bandwidth("bandwidth-limit"),
    },
    metadatas: v.map("metadatas"),
    annotations: v.map("annotations"),
  };
  const set = (key: string, val: unknown) => {
    if (val !== undefined && val !== "") p[key] = val;
  };
  switch (type) {
    case "tcp":
    case "udp":
      set("remotePort", v.int("remote-port"));
      break;
    case "http":
      set("locations", v.list("locations"));
      set("httpUser", v.str("http-user"));
      set("httpPassword", v.str("http-pwd"));
      set("hostHeaderRewrite", v.str("host-header-rewrite"));
      break;
    case "tcpmux":
      set("multiplexer", v.str("mux"));
      set("httpUser", v.str("http-user"));
      set("httpPassword", v.str("http-pwd"));
      break;
    case "stcp":
    case "sudp":
    case "xtcp":
      set("secretKey", v.str("sk"));
      set("allowUsers", v.list("allow-users"));
      break;
  }
  if (type === "http" || type === "https" || type === "tcpmux") {
    set("customDomains", v.list("custom-domain"));
    set("subdomain", v.str("sd"));
  }
  return p;
}

function visitorInput(type: string, v: Values): Record<string, unknown> {
  const o: Record<string, unknown> = {
    name: v.str("visitor-name"),
    type,
    transport: { useEncryption: v.bool("ue"), useCompression: v.bool("uc") },
    secretKey: v.str("sk"),
    serverName: v.str("server-name"),
    serverUser: v.str("server-user"),
    bindPort: v.int("bind-port"),
  };
  if (v.str("bind-addr")) o.bindAddr = v.str("bind-addr");
  return o;
}

/** What a quick command resolved to. */
export type QuickResult =
  | { exitCode: number }
  | { config: ClientConfig; allowUnsafe: string[] };

/**
 * Parses `frpc <type> …` (argv after the type). Prints help, flag errors (cobra's text plus
 * usage) and validation errors (bare, as Go prints them) and returns their exit code, or the
 * completed config to run.
 */
export function parseQuickCommand(type: string, argv: string[]): QuickResult {
  const visitor = VISITOR_TYPES.has(type) && argv[0] === "visitor";
  if (visitor) argv = argv.slice(1);
  const cmd = commandFor(type, visitor);
  const all = [...cmd.local, ...cmd.global];
  const flags = new Map(all.map((x) => [x.name, x]));
  let values: Values;
  let input: ClientConfigInput;
  try {
    const parsed = parseFlags(argv, flagSpec(all));
    values = new Values(flags, parsed.flags, parsed.lists);
    if (values.bool("help")) {
      println(quickHelp(type, visitor));
      return { exitCode: 0 };
    }
    input = commonInput(values);
    if (visitor) {
      input.visitors = [visitorInput(type, values) as VisitorConfigInput];
    } else input.proxies = [proxyInput(type, values) as ProxyConfigInput];
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    printFlagError(cmd, err.message);
    return { exitCode: 1 };
  }
  const allowUnsafe = values.list("allow-unsafe") ?? [];
  try {
    const config = completeClientConfig(input, { allowUnsafe, env: Deno.env.toObject() });
    return { config, allowUnsafe };
  } catch (err) {
    let msg = err instanceof Error ? err.message : String(err);
    // Go prints the proxy/visitor validation error without the config's name prefix.
    const prefix = visitor
      ? `visitor ${values.str("visitor-name")}: `
      : `proxy ${values.str("proxy-name")}: `;
    if (err instanceof ConfigError && msg.startsWith(prefix)) msg = msg.slice(prefix.length);
    println(msg);
    return { exitCode: 1 };
  }
}
