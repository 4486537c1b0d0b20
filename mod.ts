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
export { type StartServerOptions, startServer } from "./server/mod.ts";
export { Service as ServerService } from "./server/service.ts";
export {
  CLIENT_VERSION,
  ClientService,
  type HostInfo,
  LoginError,
  type StartClientOptions,
  startClient,
} from "./client/mod.ts";
export {
  completeClientConfig,
  completeServerConfig,
  ConfigError,
  loadClientConfig,
  loadServerConfig,
} from "./config/mod.ts";
export type {
  ClientConfig,
  ClientConfigInput,
  ProxyConfig,
  ServerConfig,
  ServerConfigInput,
  VisitorConfig,
} from "./config/types.ts";
export { type LogLevel, Logger, type LogSink, MemorySink } from "./log/logger.ts";
