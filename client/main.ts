/**
 * `frpc` command line, compatible with Go frpc: `frpc -c frpc.toml`, `frpc verify -c …`,
 * `frpc -v` (behaviour.md §13.2). Exit code 1 when the first login fails with loginFailExit.
 *
 * @module
 */
import { type CommandLine, runPrologue } from "../cli/command.ts";
import { createLogger, exitOnSignalWhenProfiling, hostInfo, println } from "../cli/runtime.ts";
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
import { parseQuickCommand, QUICK_PROXY_TYPES, ROOT_FLAGS } from "./quick.ts";
import { flag } from "../cli/cobra.ts";
import { printPermissions } from "../cli/permissions_for.ts";

const API_TIMEOUT = [
  flag("api-timeout", "duration", "Timeout for admin API calls", "30s"),
];

/** Subcommands as Go frpc lists them (cobra sorts them by name). */
const COMMANDS = [
  ...QUICK_PROXY_TYPES.map((t) => ({ name: t, short: `Run frpc with a single ${t} proxy` })),
  { name: "nathole", short: "Actions about nathole" },
  { name: "reload", short: "Hot-Reload frpc configuration", flags: API_TIMEOUT },
  { name: "status", short: "Overview of all proxies status", flags: API_TIMEOUT },
  { name: "stop", short: "Stop the running frpc", flags: API_TIMEOUT },
  { name: "verify", short: "Verify that the configures is valid" },
  // Beyond Go frp: not listed, so `frpc -h` prints Go's text.
  {
    name: "permissions",
    short: "Print the minimal deno run flags for the config",
    hidden: true,
  },
];

/** Runs the frpc CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const cli = await runPrologue(argv, {
    name: "frpc",
    short: "frpc is the client of frp (https://github.com/fatedier/frp)",
    flags: ROOT_FLAGS,
    commands: COMMANDS,
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
async function runClient(
  configPath: string,
  loadOptions: LoadOpts,
  report: (error: string) => void = println,
): Promise<number> {
  let loaded;
  try {
    loaded = await loadClientConfig(configPath, loadOptions);
  } catch (err) {
    report(err instanceof ConfigError ? err.message : String(err));
    return 1;
  }
  for (const w of loaded.warnings) println(`WARNING: ${w}`);
  return await runService(loaded.config, configPath, loadOptions.allowUnsafe, report);
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
    // Go prints only this line for a failed client here, not the error itself.
    if (await runClient(path, loadOptions, () => {}) !== 0) {
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
 * "" for quick proxies: no config-file log lines, no reload). The error that ends it goes to
 * `report` (Go returns it; the single-client path prints it).
 */
async function runService(
  config: ClientConfig,
  configPath: string,
  allowUnsafe: string[],
  report: (error: string) => void = println,
): Promise<number> {
  // store.path (Go's runClientWithAggregator): relative to the config file's directory.
  let store: { store: ConfigStore; base: ClientConfig } | undefined;
  if (config.store.path) {
    let path = config.store.path;
    if (configPath && !path.startsWith("/")) path = absPath(Deno.cwd(), `${configPath}/../${path}`);
    try {
      store = { store: await ConfigStore.open(path), base: config };
    } catch (err) {
      report(`failed to create store source: ${(err as Error).message}`);
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
    stopped();
    report(err instanceof Error ? err.message : String(err));
    return 1;
  }
  // Go frpc closes gracefully on SIGINT/SIGTERM only with kcp or quic (then logs "stopped" and
  // exits 0); otherwise it has no handler and the signal ends it (exit status 130/143).
  if (["kcp", "quic"].includes(config.transport.protocol)) {
    const stop = () => {
      client.close();
      stopped();
      Deno.exit(0);
    };
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
  } else exitOnSignalWhenProfiling();
  try {
    await client.run();
  } catch (err) {
    stopped();
    if (err instanceof LoginError) {
      report(
        `login to the server failed: ${err.message}. With loginFailExit enabled, no additional retries will be attempted`,
      );
      return 1;
    }
    report(err instanceof Error ? err.message : String(err));
    return 1;
  }
  stopped();
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
