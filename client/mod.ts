/**
 * Embedding frpc: `startClient(config)` returns a service whose `run()` logs in and keeps the
 * tunnel up.
 *
 * @module
 */
import type { ClientConfig } from "../config/types.ts";
import { Logger, NULL_SINK } from "../log/logger.ts";
import { ClientService, type HostInfo } from "./service.ts";
import type { LocalHandler } from "./proxy/base.ts";

export { CLIENT_VERSION, ClientService, type HostInfo, LoginError } from "./service.ts";
export type { LocalHandler } from "./proxy/base.ts";

/** Proxy types whose user connections are byte streams a {@link LocalHandler} can serve. */
const STREAM_TYPES = new Set(["tcp", "http", "https", "tcpmux", "stcp", "xtcp"]);

/** Options for {@link startClient}. */
export interface StartClientOptions {
  /** Where log lines go. @default no logging */
  log?: Logger;
  /** Host facts sent in Login. @default empty hostname, os/arch unknown */
  host?: HostInfo;
  /**
   * In-process local services by proxy name: each user connection of that proxy goes to the
   * function as Web Streams instead of to `localIP:localPort`. Stream proxies only (tcp, http,
   * https, tcpmux, stcp, xtcp); naming another type or an unknown proxy throws.
   *
   * @example
   * ```ts ignore
   * startClient(config, {
   *   localHandlers: {
   *     hello: ({ writable }) => new Response("hello\n").body!.pipeTo(writable),
   *   },
   * }).run();
   * ```
   */
  localHandlers?: Record<string, LocalHandler>;
}

/**
 * Creates frpc for a completed config; call `run()` to connect.
 *
 * @example
 * ```ts ignore
 * const client = startClient(completeClientConfig({
 *   serverPort: 7000,
 *   proxies: [{ name: "ssh", type: "tcp", localPort: 22, remotePort: 6000 }],
 * }));
 * await client.run();
 * ```
 */
export function startClient(config: ClientConfig, options: StartClientOptions = {}): ClientService {
  const handlers = new Map(Object.entries(options.localHandlers ?? {}));
  for (const name of handlers.keys()) {
    const proxy = config.proxies.find((p) => p.name === name);
    if (!proxy) throw new Error(`localHandlers: no proxy named [${name}] in the config`);
    if (!STREAM_TYPES.has(proxy.type)) {
      throw new Error(
        `localHandlers: proxy [${name}] is ${proxy.type}: a local handler needs a stream proxy (tcp, http, https, tcpmux, stcp, xtcp)`,
      );
    }
  }
  return new ClientService(
    config,
    options.log ?? new Logger({ sink: NULL_SINK }),
    options.host ?? { hostname: "", os: "", arch: "" },
    handlers,
  );
}
