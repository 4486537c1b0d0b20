/**
 * The SSH gateway's command line: `ssh -R … v0@frps <type> [flags]` (Go's
 * parseClientAndProxyConfigurer with cobra/pflag in "ssh mode", pkg/config/flags.go). The
 * parse rules, error texts and `-h` usage are pflag's, byte for byte: users see them in their
 * terminal.
 *
 * @module
 */

/** Proxy types the gateway creates, in Go's order (its error message lists them). */
export const SSH_PROXY_TYPES: readonly string[] = ["tcp", "http", "https", "tcpmux", "stcp"];

type Kind = "string" | "int" | "strings" | "stringToString";

/** One pflag flag; `name` is the normalized (dash) form. */
interface FlagDef {
  name: string;
  short?: string;
  kind: Kind;
  usage: string;
  key: keyof SshCommand;
}

/** What the exec payload asks for: the proxy and the few client settings ssh mode has. */
export interface SshCommand {
  type: string;
  proxyName: string;
  metadatas?: Record<string, string>;
  annotations?: Record<string, string>;
  user: string;
  clientId: string;
  token: string;
  remotePort: number;
  customDomains: string[];
  subDomain: string;
  locations: string[];
  httpUser: string;
  httpPwd: string;
  hostHeaderRewrite: string;
  multiplexer: string;
  sk: string;
  allowUsers: string[];
}

/** The parse outcome: a command, the `-h` usage text, or pflag's error text. */
export type ParseResult =
  | { kind: "ok"; cmd: SshCommand }
  | { kind: "help"; text: string }
  | { kind: "error"; message: string };

const BASE: FlagDef[] = [
  { name: "proxy-name", short: "n", kind: "string", usage: "proxy name", key: "proxyName" },
  {
    name: "metadatas",
    kind: "stringToString",
    usage: "metadata key-value pairs (e.g., key1=value1,key2=value2)",
    key: "metadatas",
  },
  {
    name: "annotations",
    kind: "stringToString",
    usage: "annotation key-value pairs (e.g., key1=value1,key2=value2)",
    key: "annotations",
  },
];
const CLIENT: FlagDef[] = [
  { name: "user", short: "u", kind: "string", usage: "user", key: "user" },
  {
    name: "client-id",
    kind: "string",
    usage: "unique identifier for this frpc instance",
    key: "clientId",
  },
  { name: "token", short: "t", kind: "string", usage: "auth token", key: "token" },
];
const DOMAIN: FlagDef[] = [
  {
    name: "custom-domain",
    short: "d",
    kind: "strings",
    usage: "custom domains",
    key: "customDomains",
  },
  { name: "sd", kind: "string", usage: "sub domain", key: "subDomain" },
];
const HTTP_AUTH: FlagDef[] = [
  { name: "http-user", kind: "string", usage: "http auth user", key: "httpUser" },
  { name: "http-pwd", kind: "string", usage: "http auth password", key: "httpPwd" },
];
const BY_TYPE: Record<string, FlagDef[]> = {
  tcp: [{ name: "remote-port", short: "r", kind: "int", usage: "remote port", key: "remotePort" }],
  http: [
    ...DOMAIN,
    { name: "locations", kind: "strings", usage: "locations", key: "locations" },
    ...HTTP_AUTH,
    {
      name: "host-header-rewrite",
      kind: "string",
      usage: "host header rewrite",
      key: "hostHeaderRewrite",
    },
  ],
  https: DOMAIN,
  tcpmux: [
    ...DOMAIN,
    { name: "mux", kind: "string", usage: "multiplexer", key: "multiplexer" },
    ...HTTP_AUTH,
  ],
  stcp: [
    { name: "sk", kind: "string", usage: "secret key", key: "sk" },
    { name: "allow-users", kind: "strings", usage: "allow visitor users", key: "allowUsers" },
  ],
};

const USAGE_HEAD = "Usage:\n  ssh v0@{address} [command] [flags]\n\nFlags:\n";

/** cobra's UsageString for the type's flags (sorted by name, pflag's column layout). */
function usageText(defs: FlagDef[]): string {
  const sorted = [...defs].sort((a, b) => a.name < b.name ? -1 : 1);
  const heads = sorted.map((f) => `${f.short ? `  -${f.short}, ` : "      "}--${f.name} ${f.kind}`);
  const width = Math.max(...heads.map((h) => h.length));
  const lines = sorted.map((f, i) =>
    `${heads[i].padEnd(width)}   ${f.usage}${f.kind === "stringToString" ? " (default [])" : ""}`
  );
  return `${USAGE_HEAD}${lines.join("\n")}\n`;
}

function emptyCommand(type: string): SshCommand {
  return {
    type,
    proxyName: "",
    user: "",
    clientId: "",
    token: "",
    remotePort: 0,
    customDomains: [],
    subDomain: "",
    locations: [],
    httpUser: "",
    httpPwd: "",
    hostHeaderRewrite: "",
    multiplexer: "",
    sk: "",
    allowUsers: [],
  };
}

/** Go's strconv.ParseInt(s, 0, 64) error text, or the value. */
function parseGoInt(s: string): number | string {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (!m) return `strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax`;
  const body = m[2];
  let v: bigint;
  if (/^0[0-7]+$/.test(body)) v = BigInt(`0o${body.slice(1)}`);
  else v = BigInt(body.toLowerCase());
  if (m[1] === "-") v = -v;
  if (v > 9223372036854775807n || v < -9223372036854775808n) {
    return `strconv.ParseInt: parsing ${JSON.stringify(s)}: value out of range`;
  }
  return Number(v);
}

/** pflag's readAsCSV, enough for comma lists (quotes group commas). */
function readCsv(s: string): string[] {
  if (s === "") return [];
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '"' && s[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"' && cur === "") quoted = true;
    else if (c === ",") {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}

class FlagError extends Error {}
class HelpRequested extends Error {}

/** Applies one value as pflag's Value.Set does (slices and maps replace, then append). */
function setFlag(cmd: SshCommand, f: FlagDef, value: string, seen: Set<string>): void {
  const label = f.short ? `-${f.short}, --${f.name}` : `--${f.name}`;
  const fail = (why: string) => {
    throw new FlagError(
      `invalid argument ${JSON.stringify(value)} for ${JSON.stringify(label)} flag: ${why}`,
    );
  };
  const first = !seen.has(f.name);
  seen.add(f.name);
  const rec = cmd as unknown as Record<string, unknown>;
  switch (f.kind) {
    case "string":
      rec[f.key] = value;
      break;
    case "int": {
      const v = parseGoInt(value);
      if (typeof v === "string") fail(v);
      rec[f.key] = v;
      break;
    }
    case "strings": {
      const v = readCsv(value);
      rec[f.key] = first ? v : [...(rec[f.key] as string[]), ...v];
      break;
    }
    case "stringToString": {
      const out: Record<string, string> = first
        ? {}
        : { ...(rec[f.key] as Record<string, string>) };
      for (const pair of readCsv(value)) {
        const eq = pair.indexOf("=");
        if (eq < 0) fail(`${pair} must be formatted as key=value`);
        out[pair.slice(0, eq)] = pair.slice(eq + 1);
      }
      rec[f.key] = out;
      break;
    }
  }
}

/** pflag's FlagSet.Parse over the words (interspersed positionals are ignored). */
function parseWords(cmd: SshCommand, defs: FlagDef[], words: string[]): void {
  const byName = new Map(defs.map((f) => [f.name, f]));
  const byShort = new Map(defs.filter((f) => f.short).map((f) => [f.short!, f]));
  const seen = new Set<string>();
  let i = 0;
  while (i < words.length) {
    const s = words[i++];
    if (s.length === 0 || s[0] !== "-" || s.length === 1) continue;
    if (s[1] === "-") {
      if (s.length === 2) return; // "--" ends the flags
      const body = s.slice(2);
      const eq = body.indexOf("=");
      const name = eq < 0 ? body : body.slice(0, eq);
      if (name.length === 0 || name[0] === "-" || name[0] === "=") {
        throw new FlagError(`bad flag syntax: ${s}`);
      }
      const f = byName.get(name.replaceAll("_", "-"));
      if (!f) {
        if (name === "help") throw new HelpRequested();
        throw new FlagError(`unknown flag: --${name}`);
      }
      let value: string;
      if (eq >= 0) value = body.slice(eq + 1);
      else if (i < words.length) value = words[i++];
      else throw new FlagError(`flag needs an argument: ${s}`);
      setFlag(cmd, f, value, seen);
      continue;
    }
    // shorthands: -abc, -r5000, -r=5000, -r 5000
    let shorts = s.slice(1);
    while (shorts.length > 0) {
      const c = shorts[0];
      const f = byShort.get(c);
      if (!f) {
        if (c === "h") throw new HelpRequested();
        throw new FlagError(`unknown shorthand flag: '${c}' in -${shorts}`);
      }
      let value: string;
      if (shorts.length > 2 && shorts[1] === "=") value = shorts.slice(2);
      else if (shorts.length > 1) value = shorts.slice(1);
      else if (i < words.length) value = words[i++];
      else throw new FlagError(`flag needs an argument: '${c}' in -${shorts}`);
      setFlag(cmd, f, value, seen);
      shorts = "";
    }
  }
}

/** Parses an exec payload the way Go's SSH tunnel server does. */
export function parseSshCommand(payload: string): ParseResult {
  const words = payload.split(" ");
  const type = words[0].trim();
  if (!SSH_PROXY_TYPES.includes(type)) {
    return {
      kind: "error",
      message: `invalid proxy type: ${type}, support types: [${SSH_PROXY_TYPES.join(" ")}]`,
    };
  }
  const defs = [...BASE, ...BY_TYPE[type], ...CLIENT];
  const cmd = emptyCommand(type);
  try {
    parseWords(cmd, defs, words);
  } catch (err) {
    if (err instanceof HelpRequested) return { kind: "help", text: usageText(defs) };
    if (err instanceof FlagError) return { kind: "error", message: err.message };
    throw err;
  }
  return { kind: "ok", cmd };
}
