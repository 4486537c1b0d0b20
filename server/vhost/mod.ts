/**
 * The vhost side of frps: the HTTP reverse proxy on vhostHTTPPort, the SNI muxer on
 * vhostHTTPSPort and the tcpmux httpconnect muxer on tcpmuxHTTPConnectPort, their route
 * tables, and the listeners (or bindPort sharing hooks) that feed them.
 *
 * @module
 */
import type { Conn } from "../../protocol/duplex.ts";
import { errorText } from "../../protocol/errors.ts";
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

type VhostKind = "http" | "https" | "tcpmux";
const KINDS: VhostKind[] = ["http", "https", "tcpmux"];
const LISTEN_TEXT: Record<VhostKind, string> = {
  http: "http service",
  https: "https service",
  tcpmux: "tcpmux httpconnect multiplexer",
};

/** A vhost port change prepared by {@link VhostRuntime.reconfigure}: new listeners are bound. */
export interface VhostReconfigure {
  /** Switches to the new ports (closes the old listeners); returns the shared-port hooks. */
  commit(): VhostSharedHandlers;
  /** Closes the listeners bound for the change; the old ports keep serving. */
  rollback(): void;
}

const PORT_KEY: Record<VhostKind, string> = {
  http: "vhostHTTPPort",
  https: "vhostHTTPSPort",
  tcpmux: "tcpmuxHTTPConnectPort",
};

function portOf(cfg: ServerConfig, kind: VhostKind): number {
  return kind === "http"
    ? cfg.vhostHTTPPort
    : kind === "https"
    ? cfg.vhostHTTPSPort
    : cfg.tcpmuxHTTPConnectPort;
}

/** vhost state shared by all proxies of one frps. */
export class VhostRuntime {
  /** Present when vhostHTTPPort > 0. */
  http?: HttpVhost;
  /** Present when vhostHTTPSPort > 0. */
  https?: VhostMuxer;
  /** Present when tcpmuxHTTPConnectPort > 0. */
  tcpmux?: VhostMuxer;
  #config: ServerConfig;
  readonly #log: Logger;
  readonly #listeners = new Map<VhostKind, TcpListener>();

  constructor(config: ServerConfig, log: Logger) {
    this.#config = config;
    this.#log = log;
    for (const k of KINDS) if (portOf(config, k) > 0) this.#create(k, config);
  }

  #create(kind: VhostKind, config: ServerConfig): void {
    const vlog = this.#log.child("vhost/vhost.ts");
    if (kind === "http") {
      this.http ??= new HttpVhost({
        router: new Routers<HttpRoute>(),
        responseHeaderTimeoutS: config.vhostHTTPTimeout,
        custom404Page: config.custom404Page,
        log: vlog,
      });
    } else if (kind === "https") this.https ??= new VhostMuxer("https", vlog);
    else {
      this.tcpmux ??= new VhostMuxer("tcpmux", vlog, {
        passthrough: config.tcpmuxPassthrough,
        custom404Page: config.custom404Page,
      });
    }
  }

  #handler(kind: VhostKind): (c: Conn) => void {
    // Looked up per connection: a reload may disable the kind while its listener drains.
    return (c) => {
      const target = kind === "http" ? this.http : kind === "https" ? this.https : this.tcpmux;
      if (target) target.handleConn(c);
      else c.close();
    };
  }

  /** Whether `kind` arrives through bindPort (same address and port) instead of a listener. */
  #shared(cfg: ServerConfig, kind: VhostKind): boolean {
    return kind !== "tcpmux" && cfg.proxyBindAddr === cfg.bindAddr &&
      portOf(cfg, kind) === cfg.bindPort;
  }

  /** Binds one vhost listener and starts its accept loop (throws when the port is taken). */
  #listen(cfg: ServerConfig, kind: VhostKind): TcpListener {
    const port = portOf(cfg, kind);
    let l: TcpListener;
    try {
      l = listenTcp({ hostname: cfg.proxyBindAddr, port });
    } catch (err) {
      // Go frps's NewService texts.
      const what = kind === "http" ? "create vhost http listener" : "create server listener";
      throw new Error(`${what} error, ${(err as Error).message}`);
    }
    this.#log.child("server/service.ts").info(
      `${LISTEN_TEXT[kind]} listen on ${cfg.proxyBindAddr}:${l.addr.port}${
        kind === "tcpmux" ? `, passthrough: ${cfg.tcpmuxPassthrough}` : ""
      }`,
    );
    const handle = this.#handler(kind);
    (async () => {
      for (;;) {
        const c = await l.accept().catch(() => null);
        if (!c) break;
        handle(c);
      }
    })();
    return l;
  }

  #handlers(cfg: ServerConfig): VhostSharedHandlers {
    const handlers: VhostSharedHandlers = {};
    if (this.#shared(cfg, "http")) handlers.vhostHttp = this.#handler("http");
    if (this.#shared(cfg, "https")) handlers.vhostHttps = this.#handler("https");
    return handlers;
  }

  /**
   * Opens the vhost listeners. Ports equal to bindPort on the same address are not bound;
   * their connections arrive through the returned shared-port handlers instead.
   */
  start(kinds: readonly VhostKind[] = KINDS): VhostSharedHandlers {
    const cfg = this.#config;
    for (const k of kinds) {
      if (portOf(cfg, k) > 0 && !this.#shared(cfg, k)) this.#listeners.set(k, this.#listen(cfg, k));
    }
    return this.#handlers(cfg);
  }

  /**
   * Hot reload: binds the listeners of changed vhost ports now (so a taken port refuses the
   * whole reload), and switches over on commit. Existing routes stay; a kind whose port
   * becomes 0 accepts no new proxies.
   */
  reconfigure(next: ServerConfig): VhostReconfigure {
    const opened = new Map<VhostKind, TcpListener>();
    const changed = KINDS.filter((k) => portOf(next, k) !== portOf(this.#config, k));
    for (const k of changed) {
      if (portOf(next, k) <= 0 || this.#shared(next, k)) continue;
      try {
        opened.set(k, this.#listen(next, k));
      } catch (err) {
        for (const l of opened.values()) l.close();
        throw new Error(`${PORT_KEY[k]} [${portOf(next, k)}]: ${errorText(err)}`);
      }
    }
    return {
      commit: () => {
        for (const k of changed) {
          this.#listeners.get(k)?.close();
          this.#listeners.delete(k);
          const l = opened.get(k);
          if (l) this.#listeners.set(k, l);
          if (portOf(next, k) > 0) this.#create(k, next);
          else if (k === "http") this.http = undefined;
          else if (k === "https") this.https = undefined;
          else this.tcpmux = undefined;
        }
        this.#config = next;
        return this.#handlers(next);
      },
      rollback: () => {
        for (const l of opened.values()) l.close();
      },
    };
  }

  /** Closes the listeners and pooled connections. */
  close(): void {
    for (const l of this.#listeners.values()) l.close();
    this.#listeners.clear();
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
