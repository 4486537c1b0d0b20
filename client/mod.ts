/**
 * Embedding frpc: `startClient(config)` returns a service whose `run()` logs in and keeps the
 * tunnel up.
 *
 * @module
 */
import type { ClientConfig } from "../config/types.ts";
import { Logger, NULL_SINK } from "../log/logger.ts";
import { ClientService, type HostInfo } from "./service.ts";

export { CLIENT_VERSION, ClientService, type HostInfo, LoginError } from "./service.ts";

/** Options for {@link startClient}. */
export interface StartClientOptions {
  /** Where log lines go. @default no logging */
  log?: Logger;
  /** Host facts sent in Login. @default empty hostname, os/arch unknown */
  host?: HostInfo;
}

/** Creates frpc for a completed config; call `run()` to connect. */
export function startClient(config: ClientConfig, options: StartClientOptions = {}): ClientService {
  return new ClientService(
    config,
    options.log ?? new Logger({ sink: NULL_SINK }),
    options.host ?? { hostname: "", os: "", arch: "" },
  );
}
