/**
 * How frpc reaches frps (wire-v1.md §3): dial, optional TLS (with the 0x17 first byte when
 * asked), then either one yamux session whose streams are the logical connections (tcpMux)
 * or one physical connection per logical connection.
 *
 * @module
 */
import type { Conn, Duplex } from "../protocol/duplex.ts";
import { websocketClient } from "../protocol/websocket.ts";
import { YamuxSession } from "../protocol/yamux/mod.ts";
import {
  dialKcp,
  dialQuic,
  dialTcp,
  dialViaProxy,
  KCP_YAMUX_FRAME,
  loadClientTlsFiles,
  parseProxyURL,
  type QuicClientSession,
  startClientTls,
  TlsEngineFallbackError,
} from "../transport/mod.ts";
import type { ClientCommonConfig } from "../config/types.ts";
import { codecFor, type MessageCodec } from "../protocol/msg/codec.ts";
import { WIRE_V2_MAGIC } from "../protocol/msg/frame_v2.ts";
import { writeAll } from "../protocol/io.ts";

/** Opens logical connections to frps for one client session. */
export class Connector {
  /** The message codec of every logical connection (`transport.wireProtocol`). */
  readonly codec: MessageCodec;
  readonly #cfg: ClientCommonConfig;
  #session: YamuxSession | undefined;
  #quic: QuicClientSession | undefined;
  #closed = false;
  readonly #done: PromiseWithResolvers<void> = Promise.withResolvers();

  constructor(cfg: ClientCommonConfig) {
    this.#cfg = cfg;
    this.codec = codecFor(cfg.transport.wireProtocol);
  }

  /** Resolves when the underlying session (tcpMux) ends or close() is called. */
  get closed(): Promise<void> {
    return this.#done.promise;
  }

  async #dialPhysical(): Promise<Duplex> {
    try {
      return await this.#dialOnce();
    } catch (err) {
      // The first native TLS handshake learnt that it verifies certificates: redial via node:tls.
      if (err instanceof TlsEngineFallbackError) return await this.#dialOnce();
      throw err;
    }
  }

  async #dialOnce(): Promise<Duplex> {
    const cfg = this.#cfg;
    const t = cfg.transport;
    if (
      t.protocol !== "tcp" && t.protocol !== "kcp" && t.protocol !== "websocket" &&
      t.protocol !== "wss"
    ) {
      throw new Error(`transport protocol [${t.protocol}] is not supported yet`);
    }
    // transport.proxyURL is the first dial hook (wire-v1.md §13): 0x17/TLS/websocket go
    // through the proxy tunnel.
    if (t.tls.enable || t.protocol === "wss") await loadClientTlsFiles(t.tls);
    const target = { hostname: cfg.serverAddr, port: cfg.serverPort };
    const dialOpts = {
      timeoutMs: t.dialServerTimeout * 1000,
      localIP: t.connectServerLocalIP,
      keepAliveSec: t.dialServerKeepalive,
    };
    // kcp: one KCP session per physical connection; golib's dialKCPServer ignores the proxy
    // URL and local IP, and TLS (0x17 first) then runs on top as on TCP.
    const tcp = t.protocol === "kcp"
      ? await dialKcp(target)
      : t.proxyURL
      ? await dialViaProxy(parseProxyURL(t.proxyURL), target, dialOpts)
      : await dialTcp({ ...target, ...dialOpts });
    const tls = (conn: Conn, firstByte: boolean) =>
      startClientTls(conn, {
        hostname: cfg.serverAddr,
        serverName: t.tls.serverName,
        trustedCaFile: t.tls.trustedCaFile,
        certFile: t.tls.certFile,
        keyFile: t.tls.keyFile,
        sendCustomFirstByte: firstByte && !t.tls.disableCustomTLSFirstByte,
      });
    // Layering as Go's dial hooks order it (wire-v1.md §3.1): websocket = ws, then [0x17] TLS
    // inside it; wss = TLS (always, no 0x17), then ws addressed to the TLS server name.
    let conn: Conn = tcp;
    try {
      if (t.protocol === "wss") {
        conn = await tls(conn, false);
        return await websocketClient(conn, t.tls.serverName || cfg.serverAddr);
      }
      if (t.protocol === "websocket") {
        conn = await websocketClient(conn, `${cfg.serverAddr}:${cfg.serverPort}`);
      }
      return t.tls.enable ? await tls(conn, true) : conn;
    } catch (err) {
      conn.close();
      throw err;
    }
  }

  /** Establishes the physical connection (and the yamux session when tcpMux is on). */
  async open(): Promise<void> {
    const t = this.#cfg.transport;
    if (t.protocol === "quic") {
      if (t.tls.trustedCaFile) {
        // Deno's QUIC verifies per process, and frpc runs with verification off (frp's
        // default); refusing beats silently not verifying.
        throw new Error(
          "transport.protocol quic with transport.tls.trustedCaFile is not supported: the " +
            "server certificate could not be verified; use tcp or websocket with TLS",
        );
      }
      this.#quic = await dialQuic({
        hostname: this.#cfg.serverAddr,
        port: this.#cfg.serverPort,
        serverName: t.tls.serverName || this.#cfg.serverAddr,
        quic: t.quic,
      });
      this.#quic.closed.then(() => this.close());
      return;
    }
    if (!t.tcpMux) return;
    const conn = await this.#dialPhysical();
    this.#session = new YamuxSession(conn, {
      role: "client",
      keepAliveIntervalMs: this.#cfg.transport.tcpMuxKeepaliveInterval * 1000,
      ...(t.protocol === "kcp" ? { maxFrameSize: KCP_YAMUX_FRAME } : {}),
    });
    this.#session.closed.then(() => this.close());
  }

  /**
   * A new logical connection: a yamux stream, or a fresh dial without tcpMux. With wire v2
   * the magic has already been written (frp's messageConnector), so the first frp message
   * (or the ClientHello) follows directly.
   */
  async connect(): Promise<Duplex> {
    const conn = await this.#connectRaw();
    if (this.codec.wireProtocol !== "v2") return conn;
    try {
      await writeAll(conn, WIRE_V2_MAGIC);
    } catch (err) {
      conn.close();
      throw err;
    }
    return conn;
  }

  async #connectRaw(): Promise<Duplex> {
    if (this.#closed) throw new Error("connector is closed");
    if (this.#quic) return await this.#quic.openStream();
    if (this.#session) return await this.#session.openStream();
    return await this.#dialPhysical();
  }

  /** Ends the session. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#session?.close();
    this.#quic?.close();
    this.#done.resolve();
  }
}
