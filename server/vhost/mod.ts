/**
 * The vhost side of frps: the HTTP reverse proxy on vhostHTTPPort, the SNI muxer on
 * vhostHTTPSPort and the tcpmux httpconnect muxer on tcpmuxHTTPConnectPort, their route
 * tables, and the listeners (or bindPort sharing hooks) that feed them.
 *
 * @module
 */
import type { Conn } from "../../protocol/duplex.ts";
import type { ServerConfig } from "../../config/types.ts";
import type { Logger } from "../../log/logger.ts";
import { listenTcp, type TcpListener } from "../../transport/tcp.ts";
import { Routers } from "./router.ts";
import { type HttpRoute, HttpVhost } from "./http.ts";
import { VhostMuxer } from "./muxer.ts";
import { HttpGroups, MuxGroups, TcpGroups } from "../group/mod.ts";

export { canonicalAddr, canonicalHost, RouterConflictError, Routers } from "./router.ts";
export type { HttpRoute } from "./http.ts";
export type { MuxRoute } from "./muxer.ts";

/** Hooks the bindPort listener calls for shared-port connections. */
export interface VhostSharedHandlers {
  vhostHttp?: (conn: Conn) => void;
  vhostHttps?: (conn: Conn) => void;
}

/** vhost state shared by all proxies of one frps. */
export class VhostRuntime {
  /** Present when vhostHTTPPort > 0. */
  readonly http?: HttpVhost;
  /** Present when vhostHTTPSPort > 0. */
  readonly https?: VhostMuxer;
  /** Present when tcpmuxHTTPConnectPort > 0. */
  readonly tcpmux?: VhostMuxer;
  readonly #config: ServerConfig;
  readonly #log: Logger;
  readonly #listeners: TcpListener[] = [];

  constructor(config: ServerConfig, log: Logger) {
    this.#config = config;
    this.#log = log;
    const vlog = log.child("vhost/vhost.ts");
    if (config.vhostHTTPPort > 0) {
      this.http = new HttpVhost({
        router: new Routers<HttpRoute>(),
        responseHeaderTimeoutS: config.vhostHTTPTimeout,
        custom404Page: config.custom404Page,
        log: vlog,
      });
    }
    if (config.vhostHTTPSPort > 0) this.https = new VhostMuxer("https", vlog);
    if (config.tcpmuxHTTPConnectPort > 0) {
      this.tcpmux = new VhostMuxer("tcpmux", vlog, {
        passthrough: config.tcpmuxPassthrough,
        custom404Page: config.custom404Page,
      });
    }
  }

  /**
   * Opens the vhost listeners. Ports equal to bindPort on the same address are not bound;
   * their connections arrive through the returned shared-port handlers instead.
   */
  start(bindPort: number): VhostSharedHandlers {
    const cfg = this.#config;
    const log = this.#log.child("server/service.ts");
    const shared = cfg.proxyBindAddr === cfg.bindAddr;
    const handlers: VhostSharedHandlers = {};
    const listen = (port: number, what: string, handle: (c: Conn) => void) => {
      const l = listenTcp({ hostname: cfg.proxyBindAddr, port });
      this.#listeners.push(l);
      log.info(`${what} listen on ${cfg.proxyBindAddr}:${l.addr.port}`);
      (async () => {
        for (;;) {
          const c = await l.accept().catch(() => null);
          if (!c) break;
          handle(c);
        }
      })();
    };
    if (this.http) {
      const h = (c: Conn) => this.http!.handleConn(c);
      if (shared && cfg.vhostHTTPPort === bindPort) handlers.vhostHttp = h;
      else listen(cfg.vhostHTTPPort, "http service", h);
    }
    if (this.https) {
      const h = (c: Conn) => this.https!.handleConn(c);
      if (shared && cfg.vhostHTTPSPort === bindPort) handlers.vhostHttps = h;
      else listen(cfg.vhostHTTPSPort, "https service", h);
    }
    if (this.tcpmux) {
      listen(
        cfg.tcpmuxHTTPConnectPort,
        "tcpmux httpconnect multiplexer",
        (c) => this.tcpmux!.handleConn(c),
      );
    }
    return handlers;
  }

  /** Closes the listeners and pooled connections. */
  close(): void {
    for (const l of this.#listeners) l.close();
    this.#listeners.length = 0;
    this.http?.close();
  }
}

/** Load-balancing group managers (server/group). */
export class GroupRegistry {
  readonly tcp: TcpGroups = new TcpGroups();
  readonly http: HttpGroups;
  readonly https: MuxGroups;
  readonly tcpmux: MuxGroups;

  constructor(vhost: VhostRuntime) {
    this.http = new HttpGroups(() => vhost.http?.router, (r) => vhost.http?.dropRoute(r));
    this.https = new MuxGroups(() => vhost.https?.router);
    this.tcpmux = new MuxGroups(() => vhost.tcpmux?.router);
  }
}
