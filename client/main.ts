/**
 * `frpc` command line, compatible with Go frpc: `frpc -c frpc.toml`, `frpc verify -c …`,
 * `frpc -v` (behaviour.md §13.2). Exit code 1 when the first login fails with loginFailExit.
 *
 * @module
 */
import { FlagError, parseFlags } from "../cli/flags.ts";
import { createLogger, hostInfo, println } from "../cli/runtime.ts";
import { ConfigError, loadClientConfig, verifyClientConfig } from "../config/mod.ts";
import { CLIENT_VERSION, LoginError } from "./service.ts";
import { startClient } from "./mod.ts";

const FLAGS = {
  string: ["config", "config-dir", "allow-unsafe"],
  boolean: ["version", "help", "strict-config"],
  alias: { c: "config", v: "version", h: "help" },
};

const USAGE = `frpc is the client of frp (https://github.com/fatedier/frp)

Usage:
  frpc [flags]
  frpc [command]

Available Commands:
  verify      Verify that the configures is valid

Flags:
  -c, --config string   config file of frpc (default "./frpc.ini")
  -v, --version         version of frpc
      --strict-config   strict config parsing mode, unknown fields will cause errors (default true)`;

/** Runs the frpc CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseFlags(argv, FLAGS);
  } catch (err) {
    if (err instanceof FlagError) {
      println(`Error: ${err.message}`);
      println(USAGE);
      return 1;
    }
    throw err;
  }
  const { flags, lists, args } = parsed;
  if (flags.help) {
    println(USAGE);
    return 0;
  }
  if (flags.version) {
    println(CLIENT_VERSION);
    return 0;
  }
  const strict = flags["strict-config"] !== false;
  const allowUnsafe = lists["allow-unsafe"] ?? [];
  const configPath = typeof flags.config === "string" ? flags.config : "./frpc.ini";
  if (args[0] === "verify") {
    const r = await verifyClientConfig(configPath, { strict, allowUnsafe });
    for (const line of r.output) println(line);
    return r.exitCode;
  }
  if (args.length > 0) {
    println(`Error: unknown command "${args[0]}" for "frpc"`);
    return 1;
  }
  let loaded;
  try {
    loaded = await loadClientConfig(configPath, { strict, allowUnsafe });
  } catch (err) {
    println(err instanceof ConfigError ? err.message : String(err));
    return 1;
  }
  for (const w of loaded.warnings) println(`WARNING: ${w}`);
  const config = loaded.config;
  const log = createLogger(config.log);
  log.child("sub/root.ts").info(
    `start frpc service for config file [${configPath}] with aggregated configuration`,
  );
  const client = startClient(config, { log, host: hostInfo() });
  const stop = () => {
    client.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  try {
    await client.run();
  } catch (err) {
    log.child("sub/root.ts").info(`frpc service for config file [${configPath}] stopped`);
    if (err instanceof LoginError) {
      println(
        `login to the server failed: ${err.message}. With loginFailExit enabled, no additional retries will be attempted`,
      );
      return 1;
    }
    println(err instanceof Error ? err.message : String(err));
    return 1;
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
