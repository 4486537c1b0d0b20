/**
 * `frpc nathole discover` (Go's cmd/frpc/sub/nathole.go): ask a STUN server for this host's
 * mapped addresses, classify the NAT and print Go's six-line report. The STUN server comes from
 * `--nat-hole-stun-server` or the config's `natHoleStunServer` (a config that does not load is
 * ignored, as in Go: the defaults apply).
 *
 * @module
 */
import { FlagError, parseFlags } from "../../cli/flags.ts";
import { println } from "../../cli/runtime.ts";
import { completeClientConfig, loadClientConfig } from "../../config/mod.ts";
import { classifyNatFeature } from "../../protocol/nathole/classify.ts";
import { discover, localIPsForNatHole } from "./discover.ts";

// cobra's help for the two commands, verbatim from Go frpc v0.70.1.
const NATHOLE_SHORT = "Actions about nathole";
const NATHOLE_USAGE = `Usage:
  frpc nathole [command]

Available Commands:
  discover    Discover nathole information from stun server

Flags:
  -h, --help                          help for nathole
  -l, --nat-hole-local-addr string    local address to connect STUN server
      --nat-hole-stun-server string   STUN server address for nathole

Global Flags:
      --allow-unsafe strings   allowed unsafe features, one or more of: TokenSourceExec
  -c, --config string          config file of frpc (default "./frpc.ini")
      --config-dir string      config directory, run one frpc service for each file in config directory
      --strict-config          strict config parsing mode, unknown fields will cause an errors (default true)
  -v, --version                version of frpc

Use "frpc nathole [command] --help" for more information about a command.`;
const DISCOVER_SHORT = "Discover nathole information from stun server";
const DISCOVER_USAGE = `Usage:
  frpc nathole discover [flags]

Flags:
  -h, --help   help for discover

Global Flags:
      --allow-unsafe strings          allowed unsafe features, one or more of: TokenSourceExec
  -c, --config string                 config file of frpc (default "./frpc.ini")
      --config-dir string             config directory, run one frpc service for each file in config directory
  -l, --nat-hole-local-addr string    local address to connect STUN server
      --nat-hole-stun-server string   STUN server address for nathole
      --strict-config                 strict config parsing mode, unknown fields will cause an errors (default true)
  -v, --version                       version of frpc`;

const SPEC = {
  string: ["config", "config-dir", "allow-unsafe", "nat-hole-stun-server", "nat-hole-local-addr"],
  boolean: ["help", "version", "strict-config"],
  alias: { c: "config", h: "help", v: "version", l: "nat-hole-local-addr" },
};

/** cobra prints a flag error and the usage on stderr. */
function usageError(message: string, usage: string): number {
  console.error(`Error: ${message}\n${usage}\n`);
  return 1;
}

/** `frpc nathole …`; resolves to the exit code. */
export async function runNathole(argv: string[]): Promise<number> {
  const isDiscover = argv[0] === "discover";
  const usage = isDiscover ? DISCOVER_USAGE : NATHOLE_USAGE;
  let parsed;
  try {
    parsed = parseFlags(isDiscover ? argv.slice(1) : argv, SPEC);
  } catch (err) {
    if (err instanceof FlagError) return usageError(err.message, usage);
    throw err;
  }
  const { flags } = parsed;
  // `frpc nathole` alone (or with an unknown word) is not runnable: cobra prints its help.
  if (flags.help || !isDiscover) {
    println(`${isDiscover ? DISCOVER_SHORT : NATHOLE_SHORT}\n\n${usage}`);
    return 0;
  }
  const configPath = typeof flags.config === "string" ? flags.config : "./frpc.ini";
  const loadOptions = {
    strict: flags["strict-config"] !== false,
    allowUnsafe: parsed.lists["allow-unsafe"] ?? [],
  };
  let stunServer: string;
  try {
    stunServer = (await loadClientConfig(configPath, loadOptions)).config.natHoleStunServer;
  } catch {
    stunServer = completeClientConfig({}).natHoleStunServer;
  }
  const flagServer = flags["nat-hole-stun-server"];
  if (typeof flagServer === "string" && flagServer !== "") stunServer = flagServer;
  if (stunServer === "") {
    println("nat_hole_stun_server can not be empty");
    return 1;
  }
  const localAddr = typeof flags["nat-hole-local-addr"] === "string"
    ? flags["nat-hole-local-addr"]
    : "";
  let found;
  try {
    found = await discover(stunServer, localAddr);
  } catch (err) {
    println(`discover error: ${(err as Error).message}`);
    return 1;
  }
  const { addrs, sock } = found;
  const local = `${sock.addr.hostname}:${sock.addr.port}`;
  sock.close();
  if (addrs.length < 2) {
    println(`discover error: can not get enough addresses, need 2, got: [${addrs.join(" ")}]`);
    return 1;
  }
  let feature;
  try {
    feature = classifyNatFeature(addrs, localIPsForNatHole());
  } catch (err) {
    println(`classify nat feature error: ${(err as Error).message}`);
    return 1;
  }
  println(`STUN server: ${stunServer}`);
  println(`Your NAT type is: ${feature.natType}`);
  println(`Behavior is: ${feature.behavior}`);
  println(`External address is: [${addrs.join(" ")}]`);
  println(`Local address is: ${local}`);
  println(`Public Network: ${feature.publicNetwork}`);
  return 0;
}
