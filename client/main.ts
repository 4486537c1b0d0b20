/**
 * `frpc` command line, compatible with Go frpc: `frpc -c frpc.toml`, `frpc verify -c …`,
 * `frpc -v` (behaviour.md §13.2). Exit code 1 when the first login fails with loginFailExit.
 *
 * @module
 */
import { type CommandLine, runPrologue } from "../cli/command.ts";
import { createLogger, hostInfo, println } from "../cli/runtime.ts";
import { ConfigError, loadClientConfig, verifyClientConfig } from "../config/mod.ts";
import { CLIENT_VERSION, LoginError } from "./service.ts";
import { startClient } from "./mod.ts";
import { startAdminApi } from "./api/mod.ts";
import { ADMIN_COMMANDS, runAdminCommand } from "./api/cli.ts";

const FLAGS = {
  string: ["config", "config-dir", "allow-unsafe", "api-timeout"],
  boolean: ["version", "help", "strict-config"],
  alias: { c: "config", v: "version", h: "help" },
};

const USAGE = `frpc is the client of frp (https://github.com/fatedier/frp)

Usage:
  frpc [flags]
  frpc [command]

Available Commands:
  reload      Hot-Reload frpc configuration
  status      Overview of all proxies status
  stop        Stop the running frpc
  verify      Verify that the configures is valid

Flags:
  -c, --config string   config file of frpc (default "./frpc.ini")
  -v, --version         version of frpc
      --strict-config   strict config parsing mode, unknown fields will cause errors (default true)`;

/** Runs the frpc CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const cli = await runPrologue(argv, {
    name: "frpc",
    flags: FLAGS,
    usage: USAGE,
    version: CLIENT_VERSION,
    defaultConfig: "./frpc.ini",
    verify: verifyClientConfig,
    subcommands: Object.fromEntries(ADMIN_COMMANDS.map((c) => [
      c,
      (cli: CommandLine) =>
        runAdminCommand(c, cli.configPath, {
          ...cli.loadOptions,
          apiTimeout: cli.parsed.flags["api-timeout"] as string | undefined,
        }),
    ])),
  });
  if (typeof cli === "number") return cli;
  const { configPath, loadOptions } = cli;
  let loaded;
  try {
    loaded = await loadClientConfig(configPath, loadOptions);
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
  try {
    await startAdminApi({
      service: client,
      configPath,
      allowUnsafe: loadOptions.allowUnsafe,
      log,
    });
  } catch (err) {
    println(err instanceof Error ? err.message : String(err));
    return 1;
  }
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
  log.child("sub/root.ts").info(`frpc service for config file [${configPath}] stopped`);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
