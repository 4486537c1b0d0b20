/**
 * `frpc` command line, compatible with Go frpc: `frpc -c frpc.toml`, `frpc verify -c …`,
 * `frpc -v` (behaviour.md §13.2). Exit code 1 when the first login fails with loginFailExit.
 *
 * @module
 */
import { type CommandLine, runPrologue } from "../cli/command.ts";
import { createLogger, hostInfo, println } from "../cli/runtime.ts";
import {
  absPath,
  type ClientConfig,
  ConfigError,
  loadClientConfig,
  unsupportedSettings,
  verifyClientConfig,
} from "../config/mod.ts";
import { CLIENT_VERSION, LoginError } from "./service.ts";
import { startClient } from "./mod.ts";
import { ConfigStore } from "./store.ts";
import { ADMIN_COMMANDS, runAdminCommand } from "./api/cli.ts";
import { runNathole } from "./nathole/cli.ts";
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
  nathole     Actions about nathole
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
  -c, --config string       config file of frpc (default "./frpc.ini")
      --config-dir string   config directory, run one frpc service for each file in config directory
  -v, --version             version of frpc
      --strict-config       strict config parsing mode, unknown fields will cause errors (default true)`;

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
    rawSubcommands: {
      ...Object.fromEntries(
        QUICK_PROXY_TYPES.map((t) => [t, (argv: string[]) => runQuick(t, argv)]),
      ),
      nathole: runNathole,
    },
  });
  if (typeof cli === "number") return cli;
  const { configPath, loadOptions } = cli;
  const configDir = cli.parsed.flags["config-dir"];
  if (typeof configDir === "string" && configDir !== "") {
    return await runMultipleClients(configDir, loadOptions);
  }
  return await runClient(configPath, loadOptions);
}

type LoadOpts = { strict: boolean; allowUnsafe: string[] };

/** Go's runClient: load one config file and run a client for it. */
async function runClient(configPath: string, loadOptions: LoadOpts): Promise<number> {
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

/**
 * `--config_dir`: Go's runMultipleClients — one client per regular file under `dir` (walked
 * recursively in lexical order), all in this process; exit 0 once every client has ended.
 */
async function runMultipleClients(dir: string, loadOptions: LoadOpts): Promise<number> {
  const files: string[] = [];
  const walk = async (d: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(d));
    } catch {
      return; // Go's WalkDir callback skips unreadable entries
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.isDirectory) await walk(`${d}/${e.name}`);
      else files.push(`${d}/${e.name}`);
    }
  };
  await walk(dir.replace(/\/+$/, "") || "/");
  await Promise.all(files.map(async (path) => {
    if (await runClient(path, loadOptions) !== 0) {
      println(`frpc service error for config file [${path}]`);
    }
  }));
  return 0;
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
  // store.path (Go's runClientWithAggregator): relative to the config file's directory.
  let store: { store: ConfigStore; base: ClientConfig } | undefined;
  if (config.store.path) {
    let path = config.store.path;
    if (configPath && !path.startsWith("/")) path = absPath(Deno.cwd(), `${configPath}/../${path}`);
    try {
      store = { store: await ConfigStore.open(path), base: config };
    } catch (err) {
      println(`failed to create store source: ${(err as Error).message}`);
      return 1;
    }
    config = store.store.merge(config);
  }
  const log = createLogger(config.log);
  const rootLog = log.child("sub/root.ts");
  for (const w of unsupportedSettings("client", config)) rootLog.warn(w);
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
      await startAdminApi({ service: client, configPath, allowUnsafe, log, store });
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
