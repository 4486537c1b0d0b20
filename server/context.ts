/**
 * What every part of frps shares: the completed config, logger, port managers and the table
 * of live client sessions. Built once by the service and passed down explicitly.
 *
 * @module
 */
import type { ServerConfig } from "../config/types.ts";
import type { Logger } from "../log/logger.ts";
import { PortManager } from "./ports.ts";
import type { Control } from "./control.ts";
import { type AuthVerifier, createTokenVerifier } from "./auth.ts";
import type { ServerProxy } from "./proxy/base.ts";
import { GroupRegistry, VhostRuntime } from "./vhost/mod.ts";
import { ServerStats } from "./api/stats.ts";
import { VisitorRegistry } from "./visitor/mod.ts";
import { ServerPluginManager } from "../plugins/server/mod.ts";
import { NatHoleController } from "./nathole/controller.ts";
import { UserRegistry } from "./users.ts";
import { Inspector } from "./inspect/mod.ts";

/** The version we report to clients (LoginResp.version) and in `-v`. */
export const FRP_VERSION = "0.70.1";

/** Shared server state. */
export class ServerContext {
  /** Replaced as a whole by a hot reload (server/reload.ts); read it per use, never cache it. */
  config: ServerConfig;
  readonly log: Logger;
  readonly tcpPorts: PortManager;
  readonly udpPorts: PortManager;
  /** Live client sessions by run id. */
  readonly controls: Map<string, Control> = new Map();
  /** Every running proxy by wire name, server-wide: names are unique across clients. */
  readonly proxies: Map<string, ServerProxy> = new Map();
  /** vhost HTTP/HTTPS/tcpmux routers and listeners (server/vhost/mod.ts). */
  readonly vhost: VhostRuntime;
  /** Load-balancing groups (server/group/mod.ts). */
  readonly groups: GroupRegistry;
  /** Dashboard statistics; only collected when `webServer.port > 0` (behaviour.md §11.1). */
  readonly stats: ServerStats | undefined;
  /** Listeners of stcp/sudp proxies that visitor conns are queued on (server/visitor/). */
  readonly visitors: VisitorRegistry = new VisitorRegistry();
  /** `httpPlugins` (behaviour.md §10); undefined when none are configured. */
  plugins: ServerPluginManager | undefined;
  /** The xtcp NAT-hole broker (server/nathole/). */
  readonly natHole: NatHoleController;
  /** `[[auth.users]]`: per-user tokens, limits and usage (server/users.ts). */
  readonly users: UserRegistry;
  /** Loads the config source again and applies it (undefined: frps has no config file). */
  reload: (() => Promise<void>) | undefined;
  /** Beyond frp: the request inspector of http proxies (server/inspect/). */
  readonly inspector: Inspector;
  /** Checks Login/Ping/NewWorkConn proofs; the service replaces it for OIDC at start. */
  auth: AuthVerifier;

  constructor(config: ServerConfig, log: Logger) {
    this.auth = createTokenVerifier(config.auth.token ?? "", config.auth.additionalScopes);
    this.config = config;
    this.log = log;
    this.users = new UserRegistry(config.auth);
    this.tcpPorts = new PortManager(config.allowPorts);
    this.udpPorts = new PortManager(config.allowPorts);
    this.vhost = new VhostRuntime(config, log);
    this.groups = new GroupRegistry(this.vhost);
    this.stats = config.webServer.port > 0 ? new ServerStats(config.enablePrometheus) : undefined;
    this.plugins = ServerPluginManager.fromConfig(config.httpPlugins, log);
    this.natHole = new NatHoleController(
      config.natholeAnalysisDataReserveHours * 3600_000,
      log.child("nathole/controller.ts"),
    );
    // The inspector is viewed through the dashboard: without it, nothing is captured (a
    // validation warning says so).
    this.inspector = new Inspector(
      config.webServer.port > 0 ? config.inspector : undefined,
      log.child("server/inspect"),
    );
  }

  /**
   * The server-wide token (wire-v1.md §6.5). A session keys its encryption with the token it
   * logged in with (`Control.token`), which a reload or a per-user token may make different.
   */
  get token(): string {
    return this.config.auth.token ?? "";
  }

  /** Error text for the client: detailed unless `detailedErrorsToClient` is false. */
  clientError(detailed: string, generic: string): string {
    return this.config.detailedErrorsToClient ? detailed : generic;
  }
}
