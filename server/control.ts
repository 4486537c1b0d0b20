/**
 * One logged-in client (frp's server/control.go): the encrypted control channel's message
 * loop, its work-connection pool, its proxies and the optional heartbeat check.
 *
 * @module
 */
import { errorText } from "../protocol/errors.ts";
import type { Duplex } from "../protocol/duplex.ts";
import type { Login, Message, NewProxy } from "../protocol/msg/messages.ts";
import type { MessageCodec } from "../protocol/msg/codec.ts";
import type { Logger } from "../log/logger.ts";
import type { ServerContext } from "./context.ts";
import { type WorkConn, WorkConnPool } from "./work_conn_pool.ts";
import type { ServerProxy } from "./proxy/base.ts";
import { PROXY_FACTORIES } from "./proxy/mod.ts";
import type { PluginUserInfo } from "../plugins/server/mod.ts";
import type { UserState } from "./users.ts";
import type { AuthVerifier } from "./auth.ts";

const PORT_PROXY_TYPES = new Set(["tcp", "udp"]);

/** A client session on frps. */
export class Control {
  readonly server: ServerContext;
  readonly runId: string;
  readonly login: Login;
  readonly log: Logger;
  /** `ip:port` of the client's physical connection, for logs. */
  readonly remoteAddrText: string;
  readonly poolCount: number;
  readonly proxies: Map<string, ServerProxy> = new Map();
  /** The NewProxy message each running proxy was created from (dashboard `conf`). */
  readonly proxyMsgs: Map<string, NewProxy> = new Map();
  /** The wire protocol the client logged in with (v1 or v2 frames on the control channel). */
  readonly codec: MessageCodec;
  /** The token this session logged in with: keys its encryption and later proofs. */
  readonly token: string;
  /** The `[[auth.users]]` entry the session logged in as (limits); undefined when unlisted. */
  readonly userState: UserState | undefined;
  /** A fixed verifier for this session (the SSH gateway's always-pass), else the server's. */
  readonly #auth: AuthVerifier | undefined;
  readonly #conn: Duplex;
  readonly #pool: WorkConnPool;
  #writeChain: Promise<void> = Promise.resolve();
  #portsUsed = 0;
  #lastPing = Date.now();
  #heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  #closed = false;
  readonly #done: PromiseWithResolvers<void> = Promise.withResolvers();

  constructor(
    server: ServerContext,
    conn: Duplex,
    login: Login,
    runId: string,
    remoteAddrText: string,
    codec: MessageCodec,
    token: string = server.token,
    userState?: UserState,
    auth?: AuthVerifier,
  ) {
    this.server = server;
    this.token = token;
    this.userState = userState;
    this.#auth = auth;
    this.#conn = conn;
    this.codec = codec;
    this.login = login;
    this.runId = runId;
    this.remoteAddrText = remoteAddrText;
    this.log = server.log.child("server/control.ts", runId);
    this.poolCount = Math.max(
      0,
      Math.min(login.pool_count ?? 0, server.config.transport.maxPoolCount),
    );
    this.#pool = new WorkConnPool(this.poolCount + 10);
  }

  /** Resolves when the session has ended. */
  get closed(): Promise<void> {
    return this.#done.promise;
  }

  /** Whether the session has ended. */
  get isClosed(): boolean {
    return this.#closed;
  }

  /** The `user` block of server-plugin requests (Go's loginUserInfo). */
  get pluginUser(): PluginUserInfo {
    return { user: this.login.user ?? "", metas: this.login.metas, run_id: this.runId };
  }

  /** Starts the message loop; requests the initial work connections first. */
  /** Checks this session's Ping / NewWorkConn proofs (Go's sessionCtx.AuthVerifier). */
  get auth(): AuthVerifier {
    return this.#auth ?? this.server.auth;
  }

  start(): void {
    this.server.stats?.clientLogin({
      user: this.login.user ?? "",
      clientID: this.login.client_id ?? "",
      runID: this.runId,
      version: this.login.version ?? "",
      hostname: this.login.hostname ?? "",
      remoteAddr: this.remoteAddrText,
      wireProtocol: this.codec.wireProtocol,
    });
    for (let i = 0; i < this.poolCount; i++) this.send({ type: "ReqWorkConn", body: {} });
    const hbTimeout = this.server.config.transport.heartbeatTimeout;
    if (hbTimeout > 0) {
      this.#heartbeatTimer = setInterval(() => {
        if (Date.now() - this.#lastPing > hbTimeout * 1000) {
          this.log.warn("heartbeat timeout");
          this.close();
        }
      }, 1000);
    }
    this.#readLoop();
  }

  /** Queues a message on the control channel; a failed write ends the session. */
  send(m: Message): Promise<void> {
    const p = this.#writeChain.then(() => this.codec.writeMessage(this.#conn, m));
    this.#writeChain = p.catch((err) => {
      if (!this.#closed) this.log.debug(`write control message error: ${errorText(err)}`);
      this.close();
    });
    return this.#writeChain;
  }

  /** Takes a work conn (asking the client for more as frps does). */
  getWorkConn(): Promise<WorkConn> {
    return this.#pool.get(
      this.server.config.userConnTimeout * 1000,
      () => this.send({ type: "ReqWorkConn", body: {} }),
      () => this.log.debug("get work connection from pool"),
    );
  }

  /** Offers a new work conn from the client; false when the pool is full. */
  putWorkConn(conn: WorkConn): boolean {
    return this.#pool.put(conn);
  }

  async #readLoop(): Promise<void> {
    try {
      while (!this.#closed) {
        const m = await this.codec.readMessage(this.#conn);
        switch (m.type) {
          case "NewProxy":
            // In order, as Go's dispatcher does: a duplicate name or a CloseProxy must not
            // overtake a registration that is still binding its port.
            await this.#newProxy(m.body);
            break;
          case "CloseProxy":
            this.#closeProxy(m.body.proxy_name ?? "");
            break;
          case "Ping": {
            let err: string | undefined;
            let ping = m.body;
            if (this.server.plugins?.has("Ping")) {
              try {
                ping = await this.server.plugins.ping(this.pluginUser, ping);
              } catch (e) {
                err = errorText(e);
              }
            }
            err ??= await this.auth.verifyPing(ping, this.token);
            if (err) {
              // Like Go: answer with the reason; frpc closes the session on a Pong error.
              this.log.warn(`received invalid ping: ${err}`);
              this.send({
                type: "Pong",
                body: { error: this.server.clientError(err, "invalid ping") },
              });
              break;
            }
            this.#lastPing = Date.now();
            this.send({ type: "Pong", body: {} });
            this.log.debug("receive heartbeat");
            break;
          }
          case "NatHoleVisitor":
            // Async, as Go's dispatcher runs it: a session waits for the proxy owner's answer.
            this.server.natHole.handleVisitor(m.body, this, this.login.user ?? "").catch((err) =>
              this.log.warn(`handle NatHoleVisitor error: ${errorText(err)}`)
            );
            break;
          case "NatHoleClient":
            this.server.natHole.handleClient(m.body, this);
            break;
          case "NatHoleReport":
            this.server.natHole.handleReport(m.body);
            break;
          default:
            // frps ignores other registered message types on the control channel
            break;
        }
      }
    } catch (err) {
      if (!this.#closed) this.log.debug(`control read error: ${errorText(err)}`);
    }
    this.close();
  }

  async #newProxy(msg: NewProxy): Promise<void> {
    let pluginErr: unknown;
    if (this.server.plugins?.has("NewProxy")) {
      try {
        msg = await this.server.plugins.newProxy(this.pluginUser, msg);
      } catch (err) {
        pluginErr = err;
      }
    }
    const name = msg.proxy_name ?? "";
    const type = msg.proxy_type || "tcp";
    msg.proxy_type = type;
    let remoteAddr = "";
    let error = "";
    try {
      if (pluginErr) throw pluginErr;
      if (this.server.proxies.has(name)) throw new Error(`proxy [${name}] already exists`);
      const usesPort = PORT_PROXY_TYPES.has(type);
      const max = this.server.config.maxPortsPerClient;
      if (usesPort && max > 0 && this.#portsUsed >= max) {
        throw new Error("exceed the max_ports_per_client");
      }
      const factory = PROXY_FACTORIES[type];
      if (!factory) throw new Error(`proxy type [${type}] is not supported`);
      const userErr = this.userState?.admitProxy(msg);
      if (userErr) throw new Error(userErr);
      if (usesPort) this.#portsUsed++;
      let pxy: ServerProxy;
      try {
        pxy = await factory({
          server: this.server,
          control: this,
          name,
          msg,
          log: this.server.log.child(`proxy/${type}.ts`, this.runId, name),
        });
      } catch (err) {
        if (usesPort) this.#portsUsed--;
        this.userState?.proxyClosed();
        throw err;
      }
      if (this.#closed) {
        pxy.close();
        this.userState?.proxyClosed();
        return;
      }
      if (this.server.proxies.has(name)) {
        // another client took the name while this one was binding
        pxy.close();
        this.userState?.proxyClosed();
        throw new Error(`proxy name [${name}] is already in use`);
      }
      this.proxies.set(name, pxy);
      this.server.proxies.set(name, pxy);
      this.proxyMsgs.set(name, msg);
      this.server.stats?.newProxy(
        name,
        type,
        this.login.user ?? "",
        this.login.client_id || this.runId,
      );
      remoteAddr = pxy.remoteAddr;
      this.log.info(`new proxy [${name}] type [${type}] success`);
    } catch (err) {
      error = this.server.clientError(errorText(err), `new proxy [${name}] error`);
      this.log.warn(`new proxy [${name}] type [${type}] error: ${errorText(err)}`);
    }
    this.send({
      type: "NewProxyResp",
      body: error ? { proxy_name: name, error } : { proxy_name: name, remote_addr: remoteAddr },
    });
  }

  #closeProxy(name: string): void {
    const pxy = this.proxies.get(name);
    if (!pxy) return;
    this.proxies.delete(name);
    if (this.server.proxies.get(name) === pxy) this.server.proxies.delete(name);
    this.proxyMsgs.delete(name);
    if (PORT_PROXY_TYPES.has(pxy.type)) this.#portsUsed--;
    this.userState?.proxyClosed();
    pxy.close();
    this.server.stats?.closeProxy(name, pxy.type);
    this.server.plugins?.closeProxy(this.pluginUser, name);
    this.log.info(`close proxy [${name}] success`);
  }

  /** Ends the session: proxies, pooled work conns and the control channel. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeatTimer);
    for (const [name, pxy] of this.proxies) {
      this.server.log.child("proxy/proxy.ts", this.runId, name).info("proxy closing");
      if (this.server.proxies.get(name) === pxy) this.server.proxies.delete(name);
      this.userState?.proxyClosed();
      pxy.close();
      this.server.stats?.closeProxy(name, pxy.type);
      this.server.plugins?.closeProxy(this.pluginUser, name);
    }
    this.proxies.clear();
    this.proxyMsgs.clear();
    this.#pool.close();
    this.#conn.close();
    if (this.server.controls.get(this.runId) === this) this.server.controls.delete(this.runId);
    this.server.stats?.clientLogout(this.login.user ?? "", this.login.client_id ?? "", this.runId);
    this.log.info("client exit success");
    this.#done.resolve();
  }
}
