/**
 * frp in TypeScript: embed frps or frpc, load frp configs, and reuse the typed config model.
 *
 * @example Start a server and a client in-process
 * ```ts ignore
 * import { completeClientConfig, completeServerConfig, startClient, startServer } from "./mod.ts";
 * const server = await startServer(completeServerConfig({ bindPort: 7000 }));
 * const client = startClient(completeClientConfig({
 *   serverPort: 7000,
 *   proxies: [{ name: "ssh", type: "tcp", localPort: 22, remotePort: 6000 }],
 * }));
 * client.run();
 * ```
 *
 * @module
 */
export { startServer, type StartServerOptions } from "./server/mod.ts";
export { Service as ServerService } from "./server/service.ts";
export {
  CLIENT_VERSION,
  ClientService,
  type HostInfo,
  type LocalHandler,
  LoginError,
  startClient,
  type StartClientOptions,
} from "./client/mod.ts";
export {
  completeClientConfig,
  completeServerConfig,
  ConfigError,
  loadClientConfig,
  loadServerConfig,
} from "./config/mod.ts";
export type { LoadedConfig, LoadOptions } from "./config/load.ts";
export type * from "./config/types.ts";
export type {
  ClientConfig,
  ClientConfigInput,
  ProxyConfig,
  ServerConfig,
  ServerConfigInput,
  VisitorConfig,
} from "./config/types.ts";
export { Logger, type LogLevel, type LogSink, MemorySink } from "./log/logger.ts";
export {
  fromWebStreams,
  toWebStreams,
  type WebStreamPair,
  WebStreamsDuplex,
} from "./protocol/web_streams.ts";
export type { Duplex } from "./protocol/duplex.ts";

// `deno run jsr:@frp/client -c frpc.toml` runs frpc's command line (the server's is the
// package's `./frps` entry: `deno run jsr:@frp/client/frps -c frps.toml`).
if (import.meta.main) {
  const { main } = await import("./client/main.ts");
  Deno.exit(await main(Deno.args));
}
