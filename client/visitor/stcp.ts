/**
 * stcp visitors: a local TCP listener on bindAddr:bindPort; each accepted user conn gets its
 * own visitor conn to frps and is relayed over it (frp's client/visitor/stcp.go).
 *
 * @module
 */
import { errorText } from "../../protocol/errors.ts";
import type { Conn, Duplex } from "../../protocol/duplex.ts";
import { relay } from "../../protocol/io.ts";
import { listenTcp, type TcpListener } from "../../transport/mod.ts";
import { openVisitorConn, type Visitor, type VisitorContext } from "./base.ts";

/** An stcp visitor; bindPort < 0 means no listener (only reachable by xtcp fallback). */
export class StcpVisitor implements Visitor {
  readonly #ctx: VisitorContext;
  #listener: TcpListener | undefined;
  readonly #conns = new Set<Duplex>();
  #closed = false;

  constructor(ctx: VisitorContext) {
    this.#ctx = ctx;
  }

  start(): Promise<void> {
    const { cfg } = this.#ctx;
    if (cfg.bindPort > 0) {
      this.#listener = listenTcp({ hostname: cfg.bindAddr, port: cfg.bindPort });
      this.#acceptLoop(this.#listener);
    }
    return Promise.resolve();
  }

  async #acceptLoop(l: TcpListener): Promise<void> {
    for (;;) {
      const user = await l.accept().catch(() => null);
      if (!user) break;
      this.#handle(user);
    }
    // Go's acceptLoop logs this however the listener ended (also on reload and exit).
    this.#ctx.log.warn("stcp local listener closed");
  }

  async #handle(user: Conn): Promise<void> {
    const log = this.#ctx.log;
    log.debug("get a new stcp user connection");
    this.#conns.add(user);
    try {
      let remote: Duplex;
      try {
        remote = await openVisitorConn(this.#ctx);
      } catch (err) {
        // Go's text (client/visitor/stcp.go), prefix included: users grep for it.
        log.warn(`dialRawVisitorConn error: ${errorText(err)}`);
        user.close();
        return;
      }
      if (this.#closed) {
        remote.close();
        user.close();
        return;
      }
      this.#conns.add(remote);
      await relay(user, remote);
      this.#conns.delete(remote);
    } finally {
      this.#conns.delete(user);
    }
  }

  /** A user conn handed over by an xtcp visitor's fallback. */
  acceptConn(conn: Conn): void {
    if (this.#closed) return void conn.close();
    this.#handle(conn);
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      // Go's internal listener (conns handed over by an xtcp fallback) ends with the visitor.
      this.#ctx.log.warn("stcp internal listener closed");
      for (const c of this.#conns) c.close();
      this.#conns.clear();
    }
    return this.#listener?.close() ?? Promise.resolve();
  }
}
