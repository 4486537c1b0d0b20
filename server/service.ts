/**
 * frps: the bindPort listener, connection classification (sniff, TLS, yamux), and the first
 * message of every logical connection — Login, NewWorkConn or NewVisitorConn
 * (wire-v1.md §4, §6.1, §7.1, §11.1).
 *
 * @module
 */
import { errorText } from "../protocol/errors.ts";
import type { Conn, Duplex } from "../protocol/duplex.ts";
import type { Login, Message, NewWorkConn } from "../protocol/msg/messages.ts";
import { readMessageAfter } from "../protocol/msg/frame_v1.ts";
import {
  decodeMessageFrameV2,
  encodeFrameV2,
  FRAME_TYPE_CLIENT_HELLO,
  FRAME_TYPE_SERVER_HELLO,
  isWireV2Magic,
  readFrameV2,
  WIRE_V2_MAGIC,
} from "../protocol/msg/frame_v2.ts";
import {
  type CryptoContext,
  decodeClientHello,
  encodeServerHello,
  errorServerHello,
  hashCryptoTranscript,
  newServerHello,
} from "../protocol/msg/hello_v2.ts";
import { type MessageCodec, V1_CODEC, V2_CODEC } from "../protocol/msg/codec.ts";
import { readFull, writeAll } from "../protocol/io.ts";
import { deadline } from "../protocol/deadline.ts";
import { websocketServer } from "../protocol/websocket.ts";
import { aeadControlDuplex, cryptoDuplex, deriveKey } from "../protocol/crypto/mod.ts";
import { randomHexId } from "../protocol/ids.ts";
import { YamuxSession } from "../protocol/yamux/mod.ts";
import {
  acceptServerTls,
  createTlsServerContext,
  KCP_YAMUX_FRAME,
  type KcpListener,
  listenKcp,
  listenTcp,
  QuicServer,
  sniffBindPortConn,
  type TcpListener,
  type TlsServerContext,
} from "../transport/mod.ts";
import type { ServerConfig } from "../config/types.ts";
import type { Logger } from "../log/logger.ts";
import { FRP_VERSION, ServerContext } from "./context.ts";
import { Control } from "./control.ts";
import type { WebServer } from "../httpapi/mod.ts";
import {
  ALWAYS_PASS_VERIFIER,
  createAuthVerifier,
  createTokenVerifier,
  type LoginExpectation,
} from "./auth.ts";
import { refusedChanges } from "./reload.ts";
import type { UserState } from "./users.ts";
import { ServerPluginManager } from "../plugins/server/mod.ts";
import type { LogLevel } from "../log/logger.ts";
import { type ConnAddrs, handleNewVisitorConn } from "./visitor/mod.ts";

const FIRST_MESSAGE_TIMEOUT_MS = 10_000;
/** Endpoints reported for internal (in-process) connections. */
const INTERNAL_ADDRS: ConnAddrs = {
  localAddr: { hostname: "pipe", port: 0 },
  remoteAddr: { hostname: "pipe", port: 0 },
};
const HELLO_WRITE_TIMEOUT_MS = 10_000;

/** The first message of a logical connection and the wire protocol it arrived in. */
interface Accepted {
  m: Message;
  codec: MessageCodec;
  /** v2 control connections: what the hellos negotiated (absent without a ClientHello). */
  crypto?: CryptoContext;
}
/** Go's websocket listener is an http.Server with ReadHeaderTimeout 60 s. */
const WEBSOCKET_HEAD_TIMEOUT_MS = 60_000;

/** Hooks other listeners (vhost, dashboard) register to receive shared-port connections. */
export interface SharedPortHandlers {
  vhostHttp?: (conn: Conn) => void;
  vhostHttps?: (conn: Conn) => void;
}

/** A running frps. */
export class Service {
  /** @internal The server's shared state (proxies, controls, metrics). */
  readonly ctx: ServerContext;
  /** @internal Hand-offs for protocols sniffed on the shared bind port. */
  readonly handlers: SharedPortHandlers = {};
  #listener: TcpListener | undefined;
  #tls: TlsServerContext | undefined;
  #quic: QuicServer | undefined;
  #kcp: KcpListener | undefined;
  readonly #sessions = new Set<YamuxSession>();
  #closed = false;
  #dashboard: WebServer | undefined;
  /** Reloads run one at a time. */
  #reloading: Promise<unknown> = Promise.resolve();
  #sshGateway: { close(): void } | undefined;

  /** Creates frps for a completed config (prefer {@link startServer}); `loadConfig` enables reload. */
  constructor(config: ServerConfig, log: Logger, loadConfig?: () => Promise<ServerConfig>) {
    this.ctx = new ServerContext(config, log);
    if (loadConfig) {
      this.ctx.reload = async () => {
        let next: ServerConfig;
        try {
          next = await loadConfig();
        } catch (err) {
          this.#log.child("server/service.ts").warn(`reload frps config error: ${errorText(err)}`);
          throw err;
        }
        await this.reload(next);
      };
    }
  }

  get #log(): Logger {
    return this.ctx.log;
  }

  /** The address bindPort is listening on (useful when it was 0). */
  get addr(): { hostname: string; port: number } {
    if (!this.#listener) throw new Error("service not started");
    return this.#listener.addr;
  }

  /** Logs `dashboard listen on …` (Go logs it in Run, after "frps started successfully"). */
  logDashboard(): void {
    const ws = this.ctx.config.webServer;
    if (!this.#dashboard) return;
    this.#log.child("server/service.ts").info(
      `dashboard listen on ${ws.addr}:${this.#dashboard.addr.port}`,
    );
  }

  /** Binds bindPort and starts serving. */
  async start(): Promise<void> {
    const cfg = this.ctx.config;
    this.ctx.auth = await createAuthVerifier(cfg.auth);
    this.#tls = await createTlsServerContext({
      certFile: cfg.transport.tls.certFile,
      keyFile: cfg.transport.tls.keyFile,
      trustedCaFile: cfg.transport.tls.trustedCaFile,
    });
    // Go's NewService order (which port error wins, which lines come first): dashboard,
    // tcpmux, bindPort, kcp, quic, ssh gateway, vhost http/https.
    if (cfg.webServer.port > 0) {
      // Lazy: the dashboard (API, embedded web assets) costs idle RSS; load it only when enabled.
      const { startDashboard } = await import("./api/mod.ts");
      this.#dashboard = await startDashboard(this.ctx);
    }
    this.ctx.vhost.start(["tcpmux"]);
    // transport.tcpKeepalive: SO_KEEPALIVE on accepted conns (> 0), off when negative (golib mux).
    try {
      this.#listener = listenTcp({
        hostname: cfg.bindAddr,
        port: cfg.bindPort,
        keepAlive: cfg.transport.tcpKeepalive > 0,
      });
    } catch (err) {
      throw new Error(`create server listener error, ${errorText(err)}`);
    }
    this.ctx.natHole.startCleanWorker();
    const log = this.#log.child("server/service.ts");
    log.info(`frps tcp listen on ${cfg.bindAddr}:${this.#listener.addr.port}`);
    if (cfg.kcpBindPort > 0) await this.#startKcp(cfg.bindAddr, cfg.kcpBindPort);
    if (cfg.quicBindPort > 0) {
      // QUIC streams are logical connections directly: no sniff, no TLS layer, no yamux.
      this.#quic = new QuicServer({
        hostname: cfg.bindAddr,
        port: cfg.quicBindPort,
        cert: this.#tls.certPem,
        key: this.#tls.keyPem,
        quic: cfg.transport.quic,
      });
      log.info(`frps quic listen on ${cfg.bindAddr}:${this.#quic.addr.port}`);
      this.#quic.serve((conn) =>
        this.#handleLogical(conn, conn).catch((err) => {
          log.debug(`quic stream error: ${errorText(err)}`);
          conn.close();
        })
      );
    }
    if (cfg.sshTunnelGateway.bindPort > 0) await this.#startSshGateway();
    Object.assign(this.handlers, this.ctx.vhost.start(["http", "https"]));
    this.#acceptLoop(this.#listener);
  }

  /** sshTunnelGateway (behaviour.md §14); loaded lazily: ssh2 costs RSS servers without it skip. */
  async #startSshGateway(): Promise<void> {
    const cfg = this.ctx.config;
    const { SshGateway } = await import("./ssh/gateway.ts");
    try {
      this.#sshGateway = await SshGateway.start(cfg.sshTunnelGateway, cfg.bindAddr, {
        handleInternal: (conn) => this.handleInternal(conn),
        log: this.#log,
      });
    } catch (err) {
      throw new Error(`create ssh gateway error: ${errorText(err)}`);
    }
    this.#log.child("server/service.ts").info(
      `frps sshTunnelGateway listen on port ${cfg.sshTunnelGateway.bindPort}`,
    );
  }

  /** kcpBindPort: each KCP session is a physical connection (TLS sniff, yamux), as Go's. */
  async #startKcp(bindAddr: string, port: number): Promise<void> {
    const address = `${bindAddr.includes(":") ? `[${bindAddr}]` : bindAddr}:${port}`;
    try {
      this.#kcp = await listenKcp({ hostname: bindAddr, port });
    } catch (err) {
      throw new Error(`listen on kcp udp address ${address} error: ${errorText(err)}`);
    }
    const log = this.#log.child("server/service.ts");
    log.info(`frps kcp listen on udp ${address}`);
    this.#kcp.serve((conn) =>
      this.#serveFrpConn(conn, conn, KCP_YAMUX_FRAME).catch((err) => {
        log.debug(`kcp connection error: ${errorText(err)}`);
        conn.close();
      })
    );
  }

  async #acceptLoop(listener: TcpListener): Promise<void> {
    for (;;) {
      const conn = await listener.accept().catch(() => null);
      if (!conn) break;
      this.#handleConn(conn).catch((err) => {
        this.#log.child("server/service.ts").debug(`connection error: ${errorText(err)}`);
        conn.close();
      });
    }
  }

  async #handleConn(raw: Conn): Promise<void> {
    const cfg = this.ctx.config;
    const shareAddr = cfg.proxyBindAddr === cfg.bindAddr;
    const sniffed = await sniffBindPortConn(raw, {
      httpShared: shareAddr && cfg.vhostHTTPPort === cfg.bindPort,
      httpsShared: shareAddr && cfg.vhostHTTPSPort === cfg.bindPort,
    });
    switch (sniffed.kind) {
      case "vhost-http":
        return this.#dispatch(this.handlers.vhostHttp, sniffed.conn);
      case "vhost-https":
        return this.#dispatch(this.handlers.vhostHttps, sniffed.conn);
      case "websocket": {
        // frpc's websocket transport: the frp byte stream (TLS sniff included) runs inside it.
        const ws = await deadline(
          websocketServer(sniffed.conn),
          WEBSOCKET_HEAD_TIMEOUT_MS,
          "websocket handshake",
          () => sniffed.conn.close(),
        );
        return await this.#serveFrpConn(ws, raw);
      }
    }
    return await this.#serveFrpConn(sniffed.conn, raw);
  }

  /** TLS sniff, then yamux or a single logical connection (wire-v1.md §4.2–4.4). */
  async #serveFrpConn(frpConn: Conn, raw: Conn, maxFrameSize?: number): Promise<void> {
    const cfg = this.ctx.config;
    const force = cfg.transport.tls.force || !!cfg.transport.tls.trustedCaFile;
    const log = this.#log.child("server/service.ts");
    log.trace("start check TLS connection...");
    const conn = await acceptServerTls(frpConn, this.#tls!, {
      force,
      onSniffed: (isTLS, custom) =>
        log.trace(
          `check TLS connection success, isTLS: ${isTLS} custom: ${custom} internal: false`,
        ),
    });
    const addrs: ConnAddrs = { localAddr: raw.localAddr, remoteAddr: raw.remoteAddr };
    if (!cfg.transport.tcpMux) return this.#handleLogical(conn, addrs);
    const session = new YamuxSession(conn, {
      role: "server",
      keepAliveIntervalMs: cfg.transport.tcpMuxKeepaliveInterval * 1000,
      maxFrameSize,
    });
    this.#sessions.add(session);
    session.closed.then(() => this.#sessions.delete(session));
    for (;;) {
      const stream = await session.accept();
      if (!stream) break;
      this.#handleLogical(stream, addrs).catch((err) => {
        this.#log.child("server/service.ts").debug(`stream error: ${errorText(err)}`);
        stream.close();
      });
    }
  }

  #dispatch(handler: ((c: Conn) => void) | undefined, conn: Conn): void {
    if (handler) handler(conn);
    else conn.close();
  }

  /**
   * A logical connection from inside frps — the SSH gateway's virtual client (Go's
   * HandleListener(internal=true)): no TLS or yamux, an unencrypted control channel, and the
   * login proof waived when its ClientSpec says SSH already authenticated the user.
   */
  handleInternal(conn: Duplex): void {
    this.#handleLogical(conn, INTERNAL_ADDRS, true).catch((err) => {
      this.#log.child("server/service.ts").debug(`internal connection error: ${errorText(err)}`);
      conn.close();
    });
  }

  async #handleLogical(conn: Duplex, addrs: ConnAddrs, internal = false): Promise<void> {
    const host = addrs.remoteAddr.hostname;
    // Go prints net.Pipe's address, "pipe", for internal connections.
    const remote = internal
      ? "pipe"
      : `${host.includes(":") ? `[${host}]` : host}:${addrs.remoteAddr.port}`;
    const { m, codec, crypto } = await deadline(
      this.#acceptLogical(conn),
      FIRST_MESSAGE_TIMEOUT_MS,
      "first message",
      () => conn.close(),
    );
    switch (m.type) {
      case "Login":
        return await this.#handleLogin(conn, m.body, remote, host, codec, crypto, internal);
      case "NewWorkConn":
        return await this.#handleWorkConn(conn, m.body, codec);
      case "NewVisitorConn":
        return await handleNewVisitorConn(this.ctx, conn, addrs, m.body, codec);
      default:
        this.#log.child("server/service.ts").warn(
          `error message type for the new connection [${remote}]`,
        );
        conn.close();
    }
  }

  /**
   * frp's acceptConnection: 7 bytes decide the wire protocol (the v2 magic, or the start of
   * a v1 frame, which is at least 9 bytes long). A v2 control connection first sends a
   * ClientHello, answered at once with the ServerHello (wire-v1.md §6.7).
   */
  async #acceptLogical(conn: Duplex): Promise<Accepted> {
    const head = new Uint8Array(WIRE_V2_MAGIC.byteLength);
    await readFull(conn, head);
    if (!isWireV2Magic(head)) return { m: await readMessageAfter(conn, head), codec: V1_CODEC };
    let frame = await readFrameV2(conn);
    let crypto: CryptoContext | undefined;
    if (frame.type === FRAME_TYPE_CLIENT_HELLO) {
      crypto = await this.#answerClientHello(conn, frame.payload);
      frame = await readFrameV2(conn);
    }
    return { m: decodeMessageFrameV2(frame), codec: V2_CODEC, crypto };
  }

  /** Sends the ServerHello; on a hello frp refuses, sends it with `error` and throws. */
  async #answerClientHello(conn: Duplex, payload: Uint8Array): Promise<CryptoContext> {
    let hello;
    try {
      hello = newServerHello(decodeClientHello(payload));
    } catch (err) {
      const refusal = encodeServerHello(errorServerHello(errorText(err)));
      await deadline(
        writeAll(conn, encodeFrameV2(FRAME_TYPE_SERVER_HELLO, refusal)),
        HELLO_WRITE_TIMEOUT_MS,
        "ServerHello write",
      ).catch(() => {});
      throw err;
    }
    const sh = encodeServerHello(hello);
    await deadline(
      writeAll(conn, encodeFrameV2(FRAME_TYPE_SERVER_HELLO, sh)),
      HELLO_WRITE_TIMEOUT_MS,
      "ServerHello write",
    );
    return { algorithm: hello.algorithm, transcriptHash: hashCryptoTranscript(payload, sh) };
  }

  async #authenticateLogin(
    login: Login,
    expect: LoginExpectation,
  ): Promise<string | undefined> {
    const err = await this.ctx.auth.verifyLogin(login, expect);
    if (err) return err;
    if (login.client_id) {
      for (const c of this.ctx.controls.values()) {
        if (
          c.login.user === login.user && c.login.client_id === login.client_id &&
          c.runId !== login.run_id && !c.isClosed
        ) {
          return `client_id [${login.client_id}] for user [${login.user ?? ""}] is already online`;
        }
      }
    }
    return undefined;
  }

  async #handleLogin(
    conn: Duplex,
    login: Login,
    remote: string,
    remoteIp: string,
    codec: MessageCodec,
    crypto: CryptoContext | undefined,
    internal: boolean,
  ): Promise<void> {
    const log = this.#log.child("server/service.ts");
    let err: string | undefined;
    // The server token of this login, fixed now: a reload meanwhile must not re-key it.
    const globalToken = this.ctx.token;
    let token = globalToken;
    let userState: UserState | undefined;
    if (this.ctx.plugins?.has("Login")) {
      // Server plugins see (and may rewrite) the login first, as in Go's handleConnection.
      try {
        login = await this.ctx.plugins.login(login, remote);
      } catch (e) {
        err = errorText(e);
      }
    }
    // Go's RegisterControl: an internal client SSH already authenticated skips the proof.
    const alwaysPass = internal && login.client_spec?.always_auth_pass === true;
    // Like frp, a v2 Login without a ClientHello fails before authentication.
    err ??= codec === V2_CODEC && !crypto ? "missing v2 crypto negotiation" : undefined;
    if (!err && !alwaysPass) {
      // `[[auth.users]]`: the Login's user picks the token (and limits) it must satisfy.
      const user = login.user ?? "";
      const admitted = this.ctx.users.admitLogin(user, remoteIp, globalToken);
      if (admitted.error === undefined) {
        token = admitted.token;
        userState = admitted.state;
        err = await this.#authenticateLogin(login, {
          token,
          oidcSubject: admitted.oidcSubject,
          user,
        });
      } else err = admitted.error;
      if (err && admitted.state) admitted.state.rejected.logins++;
    }
    if (err) {
      log.warn(`register control error: ${err}`);
      await deadline(
        codec.writeMessage(conn, {
          type: "LoginResp",
          body: {
            version: FRP_VERSION,
            error: this.ctx.clientError(err, "register control error"),
          },
        }),
        5000,
        "LoginResp write",
      ).catch(() => {});
      conn.close();
      return;
    }
    const runId = login.run_id || randomHexId();
    log.child(undefined, runId).info(
      `client login info: ip [${remote}] version [${login.version ?? ""}] hostname [${
        login.hostname ?? ""
      }] os [${login.os ?? ""}] arch [${login.arch ?? ""}]`,
    );
    const old = this.ctx.controls.get(runId);
    if (old) {
      old.log.info("replaced by client with the same run id");
      old.close();
    }
    await deadline(
      codec.writeMessage(conn, {
        type: "LoginResp",
        body: { version: FRP_VERSION, run_id: runId },
      }),
      5000,
      "LoginResp write",
      () => conn.close(),
    );
    const secured = internal
      ? conn
      : crypto
      ? aeadControlDuplex(conn, token, "server", crypto.algorithm, crypto.transcriptHash)
      : cryptoDuplex(conn, deriveKey(token));
    const ctl = new Control(
      this.ctx,
      secured,
      login,
      runId,
      remote,
      codec,
      token,
      userState,
      alwaysPass ? ALWAYS_PASS_VERIFIER : undefined,
    );
    this.ctx.controls.set(runId, ctl);
    ctl.start();
  }

  async #handleWorkConn(conn: Duplex, msg: NewWorkConn, codec: MessageCodec): Promise<void> {
    const log = this.#log.child("server/service.ts");
    const ctl = this.ctx.controls.get(msg.run_id ?? "");
    let error: string | undefined;
    let authErr: string | undefined;
    if (!ctl || ctl.isClosed) {
      log.warn(`no client control found for run id [${msg.run_id ?? ""}]`);
      error = this.ctx.clientError(
        `no client control found for run id [${msg.run_id ?? ""}]`,
        "invalid NewWorkConn",
      );
    } else if ((authErr = await this.#verifyWorkConn(ctl, msg))) {
      ctl.log.warn(`invalid NewWorkConn with run id [${msg.run_id ?? ""}]`);
      error = this.ctx.clientError(authErr, "invalid NewWorkConn");
    } else if (!ctl.putWorkConn({ conn, codec })) {
      ctl.log.debug("work connection pool is full, discarding"); // Go: Debugf
      error = this.ctx.clientError(
        "work connection pool is full, discarding",
        "invalid NewWorkConn",
      );
    }
    if (!error) ctl!.log.debug("new work connection registered");
    if (error) {
      await codec.writeMessage(conn, { type: "StartWorkConn", body: { error } }).catch(() => {});
      conn.close();
    }
  }

  /** The NewWorkConn plugins (which may rewrite the message), then the auth check. */
  async #verifyWorkConn(ctl: Control, msg: NewWorkConn): Promise<string | undefined> {
    if (this.ctx.plugins?.has("NewWorkConn")) {
      try {
        msg = await this.ctx.plugins.newWorkConn(ctl.pluginUser, msg);
      } catch (e) {
        return errorText(e);
      }
    }
    return await ctl.auth.verifyNewWorkConn(msg, ctl.token);
  }

  /**
   * Hot reload (docs/beyond-frp.md): applies `next` without touching established sessions, or
   * throws (and logs) why not; all or nothing — on any refusal the old config keeps running.
   */
  reload(next: ServerConfig): Promise<void> {
    const run = this.#reloading.then(() => this.#reload(next));
    this.#reloading = run.catch(() => {});
    return run;
  }

  #reload(next: ServerConfig): void {
    const log = this.#log.child("server/service.ts");
    try {
      const refused = refusedChanges(this.ctx.config, next);
      if (refused.length > 0) throw new Error(refused.join("; "));
      const old = this.ctx.config;
      // Build everything that can fail first; the vhost listeners are bound last.
      const auth = next.auth.method === "oidc"
        ? this.ctx.auth // method and OIDC settings cannot change live
        : createTokenVerifier(next.auth.token, next.auth.additionalScopes);
      const pluginsChanged = JSON.stringify(old.httpPlugins) !== JSON.stringify(next.httpPlugins);
      const plugins = pluginsChanged
        ? ServerPluginManager.fromConfig(next.httpPlugins, this.#log)
        : this.ctx.plugins;
      const vhost = this.ctx.vhost.reconfigure(next);
      // Commit: nothing below throws.
      this.ctx.config = next;
      this.ctx.auth = auth;
      this.ctx.users.update(next.auth);
      this.ctx.tcpPorts.setAllowPorts(next.allowPorts);
      this.ctx.udpPorts.setAllowPorts(next.allowPorts);
      if (pluginsChanged) {
        this.ctx.plugins?.close();
        this.ctx.plugins = plugins;
      }
      delete this.handlers.vhostHttp;
      delete this.handlers.vhostHttps;
      Object.assign(this.handlers, vhost.commit());
      this.#log.setLevel((next.log.level || "info") as LogLevel);
    } catch (err) {
      log.warn(`reload frps config error: ${errorText(err)}`);
      throw err;
    }
    log.info("reload frps config success");
  }

  /** Stops listening and ends every session. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#listener?.close();
    this.#dashboard?.close();
    this.#sshGateway?.close();
    this.ctx.stats?.stop();
    this.ctx.plugins?.close();
    this.#quic?.close();
    this.#kcp?.close();
    this.ctx.vhost.close();
    for (const ctl of [...this.ctx.controls.values()]) ctl.close();
    for (const s of this.#sessions) s.close();
    this.ctx.natHole.close();
  }
}
