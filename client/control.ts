/**
 * One frpc session after a successful login (frp's client/control.go): the encrypted control
 * channel, ReqWorkConn → NewWorkConn, NewProxyResp, heartbeats when enabled, and the session's
 * stcp/sudp visitors.
 *
 * @module
 */
import { errorText } from "../protocol/errors.ts";
import type { Duplex } from "../protocol/duplex.ts";
import type { Message } from "../protocol/msg/messages.ts";
import type { MessageCodec } from "../protocol/msg/codec.ts";
import type { ClientConfig, ProxyConfig, VisitorConfig } from "../config/types.ts";
import type { Logger } from "../log/logger.ts";
import type { Connector } from "./connector.ts";
import type { ClientAuth } from "./auth.ts";
import { ProxyManager } from "./proxy_manager.ts";
import { VisitorManager } from "./visitor/mod.ts";
import { MessageTransporter } from "./transporter.ts";
import type { LocalHandler } from "./proxy/base.ts";

/** What a logged-in session is made of. */
export interface ControlSession {
  cfg: ClientConfig;
  log: Logger;
  /** The control connection, already wrapped in control-channel encryption. */
  conn: Duplex;
  connector: Connector;
  /** The session's wire protocol: control channel (inside its encryption) and work conns. */
  codec: MessageCodec;
  runId: string;
  auth: ClientAuth;
  /** In-process local services by proxy name (embedding API). */
  localHandlers?: ReadonlyMap<string, LocalHandler>;
}

/** An established client session. */
export class ClientControl {
  readonly runId: string;
  readonly proxies: ProxyManager;
  readonly visitors: VisitorManager;
  /** Request/answer matching on the control channel (xtcp's NatHole exchanges). */
  readonly transporter: MessageTransporter;
  readonly #cfg: ClientConfig;
  readonly #log: Logger;
  readonly #conn: Duplex;
  readonly #connector: Connector;
  readonly #codec: MessageCodec;
  readonly #auth: ClientAuth;
  #writeChain: Promise<void> = Promise.resolve();
  #lastPong = Date.now();
  #timers: ReturnType<typeof setInterval>[] = [];
  #closed = false;
  #released: Promise<void> = Promise.resolve();
  readonly #done: PromiseWithResolvers<void> = Promise.withResolvers();

  constructor(session: ControlSession) {
    const { cfg, log } = session;
    this.#cfg = cfg;
    this.#log = log;
    this.#conn = session.conn;
    this.#connector = session.connector;
    this.#codec = session.codec;
    this.#auth = session.auth;
    this.runId = session.runId;
    this.transporter = new MessageTransporter((m) => this.send(m));
    this.proxies = new ProxyManager(
      cfg,
      cfg.proxies,
      log.child("proxy/proxy_manager.ts"),
      (m) => this.send({ type: "NewProxy", body: m }),
      (name) => this.send({ type: "CloseProxy", body: { proxy_name: name } }),
      this.transporter,
      session.localHandlers,
    );
    this.visitors = new VisitorManager(
      cfg,
      cfg.visitors,
      log.child("visitor/visitor_manager.ts"),
      session.connector,
      session.runId,
      this.transporter,
    );
  }

  /**
   * Applies a reloaded proxy and visitor set (frp's Control.UpdateAllConfigurer: visitors first,
   * then proxies). Resolves once new visitors have bound their ports.
   */
  async update(proxies: ProxyConfig[], visitors: VisitorConfig[]): Promise<void> {
    await this.visitors.update(visitors);
    this.proxies.update(proxies);
  }

  /** After close(): settles once the session's visitors have freed their local ports. */
  get released(): Promise<void> {
    return this.#released;
  }

  /** Resolves when the session has ended. */
  get closed(): Promise<void> {
    return this.#done.promise;
  }

  /** Starts the read loop, registers proxies and visitors, and heartbeats when configured. */
  start(): void {
    this.#readLoop();
    this.#connector.closed.then(() => this.close());
    this.proxies.start();
    this.visitors.start();
    const { heartbeatInterval, heartbeatTimeout } = this.#cfg.transport;
    if (heartbeatInterval > 0) {
      this.#ping();
      this.#timers.push(setInterval(() => this.#ping(), heartbeatInterval * 1000));
      if (heartbeatTimeout > 0) {
        this.#timers.push(setInterval(() => {
          if (Date.now() - this.#lastPong > heartbeatTimeout * 1000) {
            this.#log.warn("heartbeat timeout");
            this.close();
          }
        }, 1000));
      }
    }
  }

  #ping(): void {
    this.#log.debug("send heartbeat to server");
    this.#auth.scoped("HeartBeats").then(
      (proof) => this.send({ type: "Ping", body: proof }),
      (err) => this.#log.warn(`failed to generate ping auth: ${errorText(err)}`),
    );
  }

  /** Queues a message on the control channel; a failed write ends the session. */
  send(m: Message): void {
    this.#writeChain = this.#writeChain.then(() => this.#codec.writeMessage(this.#conn, m)).catch(
      (err) => {
        if (!this.#closed) this.#log.warn(`write message to server error: ${errorText(err)}`);
        this.close();
      },
    );
  }

  async #readLoop(): Promise<void> {
    try {
      while (!this.#closed) {
        const m = await this.#codec.readMessage(this.#conn);
        switch (m.type) {
          case "ReqWorkConn":
            this.#newWorkConn();
            break;
          case "NewProxyResp":
            this.proxies.onNewProxyResp(m.body);
            break;
          case "NatHoleResp":
            // frp's handleNatHoleResp: to the xtcp exchange waiting on this transaction id
            this.transporter.dispatch(m, m.body.transaction_id ?? "");
            break;
          case "Pong":
            if (m.body.error) {
              this.#log.error(`pong message contains error: ${m.body.error}`);
              this.close();
              return;
            }
            this.#lastPong = Date.now();
            this.#log.debug("receive heartbeat from server");
            break;
          default:
            break;
        }
      }
    } catch (err) {
      if (!this.#closed) this.#log.debug(`read from control error: ${errorText(err)}`);
    }
    this.close();
  }

  async #newWorkConn(): Promise<void> {
    let conn: Duplex;
    try {
      conn = await this.#connector.connect();
    } catch (err) {
      this.#log.warn(`start new connection to server error: ${errorText(err)}`);
      return;
    }
    try {
      await this.#codec.writeMessage(conn, {
        type: "NewWorkConn",
        body: { run_id: this.runId, ...await this.#auth.scoped("NewWorkConns") },
      });
      // The conn may idle in frps's pool for a long time: no deadline here.
      const m = await this.#codec.readMessage(conn);
      if (m.type !== "StartWorkConn") throw new Error(`unexpected message ${m.type}`);
      if (m.body.error) {
        this.#log.error(`StartWorkConn contains error: ${m.body.error}`);
        conn.close();
        return;
      }
      this.proxies.handleWorkConn(conn, m.body);
    } catch (err) {
      if (!this.#closed) this.#log.debug(`work connection closed before start: ${errorText(err)}`);
      conn.close();
    }
  }

  /** Ends the session (the service decides about reconnecting). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#timers) clearInterval(t);
    this.transporter.close();
    this.proxies.close();
    this.#released = this.visitors.close();
    this.#conn.close();
    this.#connector.close();
    this.#done.resolve();
  }
}
