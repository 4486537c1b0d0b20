/**
 * `frpc` command line, compatible with Go frpc: `frpc -c frpc.toml`, `frpc verify -c …`,
 * `frpc -v` (behaviour.md §13.2). Exit code 1 when the first login fails with loginFailExit.
 *
 * @module
 */
import { type CommandLine, runPrologue } from "../cli/command.ts";
import { createLogger, hostInfo, println } from "../cli/runtime.ts";
import {
  type ClientConfig,
  ConfigError,
  loadClientConfig,
  verifyClientConfig,
} from "../config/mod.ts";
import { CLIENT_VERSION, LoginError } from "./service.ts";
import { startClient } from "./mod.ts";
import { ADMIN_COMMANDS, runAdminCommand } from "./api/cli.ts";
import { parseQuickCommand, QUICK_PROXY_TYPES } from "./quick.ts";
import { printPermissions } from "../cli/permissions_for.ts";

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
  http        Run frpc with a single http proxy
  https       Run frpc with a single https proxy
  permissions Print the minimal deno run flags for the config
  reload      Hot-Reload frpc configuration
  status      Overview of all proxies status
  stcp        Run frpc with a single stcp proxy
  stop        Stop the running frpc
  sudp        Run frpc with a single sudp proxy
  tcp         Run frpc with a single tcp proxy
  tcpmux      Run frpc with a single tcpmux proxy
  udp         Run frpc with a single udp proxy
  verify      Verify that the configures is valid
  xtcp        Run frpc with a single xtcp proxy

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
    subcommands: {
      ...Object.fromEntries(ADMIN_COMMANDS.map((c) => [
        c,
        (cli: CommandLine) =>
          runAdminCommand(c, cli.configPath, {
            ...cli.loadOptions,
            apiTimeout: cli.parsed.flags["api-timeout"] as string | undefined,
          }),
      ])),
      permissions: (cli: CommandLine) =>
        printPermissions(
          "frpc",
          cli.configPath,
          async (p) => (await loadClientConfig(p, cli.loadOptions)).config,
        ),
    },
    rawSubcommands: Object.fromEntries(
      QUICK_PROXY_TYPES.map((t) => [t, (argv: string[]) => runQuick(t, argv)]),
    ),
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
  return await runService(loaded.config, configPath, loadOptions.allowUnsafe);
}

/** `frpc <type> …` / `frpc <type> visitor …`: one proxy or visitor from flags. */
async function runQuick(type: string, argv: string[]): Promise<number> {
  const r = parseQuickCommand(type, argv);
  if ("exitCode" in r) return r.exitCode;
  return await runService(r.config, "", r.allowUnsafe);
}

/**
 * Runs the client service until it stops, like Go's startServiceWithAggregator (`configPath`
 * "" for quick proxies: no config-file log lines, no reload).
 */
async function runService(
  config: ClientConfig,
  configPath: string,
  allowUnsafe: string[],
): Promise<number> {
  const log = createLogger(config.log);
  const rootLog = log.child("sub/root.ts");
  if (configPath) {
    rootLog.info(
      `start frpc service for config file [${configPath}] with aggregated configuration`,
    );
  }
  const stopped = () => {
    if (configPath) rootLog.info(`frpc service for config file [${configPath}] stopped`);
  };
  const client = startClient(config, { log, host: hostInfo() });
  try {
    if (config.webServer.port > 0) {
      // Lazy: the admin API (and the embedded web UI) costs idle RSS; load it only when enabled.
      const { startAdminApi } = await import("./api/mod.ts");
      await startAdminApi({ service: client, configPath, allowUnsafe, log });
    }
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
    stopped();
    if (err instanceof LoginError) {
      println(
        `login to the server failed: ${err.message}. With loginFailExit enabled, no additional retries will be attempted`,
      );
      return 1;
    }
    println(err instanceof Error ? err.message : String(err));
    return 1;
  }
  stopped();
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
