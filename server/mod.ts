/**
 * Embedding frps: `startServer(config)` runs a server in-process.
 *
 * @module
 */
import type { ServerConfig } from "../config/types.ts";
import { Logger, NULL_SINK } from "../log/logger.ts";
import { Service } from "./service.ts";

export { Service } from "./service.ts";
export { FRP_VERSION } from "./context.ts";

/** Options for {@link startServer}. */
export interface StartServerOptions {
  /** Where log lines go. @default no logging */
  log?: Logger;
  /**
   * Reads the config again for a hot reload (SIGHUP, `PUT /api/reload`, `frps reload`);
   * without it frps cannot reload.
   */
  loadConfig?: () => Promise<ServerConfig>;
  /** Called once every listener is bound, before the dashboard's line (Go's log order). */
  onStarted?: () => void;
}

/**
 * Starts frps with a completed config; resolves once bindPort is listening.
 *
 * @example
 * ```ts ignore
 * const server = await startServer(completeServerConfig({ bindPort: 7000, auth: { token: "t" } }));
 * // … later
 * server.close();
 * ```
 */
export async function startServer(
  config: ServerConfig,
  options: StartServerOptions = {},
): Promise<Service> {
  const svc = new Service(
    config,
    options.log ?? new Logger({ sink: NULL_SINK }),
    options.loadConfig,
  );
  try {
    await svc.start();
  } catch (err) {
    svc.close(); // listeners bound before the failing one
    throw err;
  }
  options.onStarted?.();
  svc.logDashboard();
  return svc;
}
