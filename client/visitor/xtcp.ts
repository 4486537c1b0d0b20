/**
 * xtcp visitors (frp's client/visitor/xtcp.go): user conns from bindPort (or handed over) ride
 * streams of one QUIC tunnel punched straight to the proxy's frpc. Without a tunnel the first
 * user conn triggers hole punching (PreCheck, STUN, NatHoleVisitor via the control channel,
 * punching, QUIC dial), at most one attempt per 10 s; conns wait ≤ 20 s for it, or
 * `fallbackTimeoutMs` when `fallbackTo` names an stcp visitor that takes them over.
 * `keepTunnelOpen` re-checks the tunnel every `minRetryInterval` s, re-punching at most
 * `maxRetriesAnHour` times an hour. `protocol = "kcp"` runs yamux over KCP on the punched
 * socket instead of QUIC.
 *
 * @module
 */
import { errorText } from "../../protocol/errors.ts";
import type { Conn, Duplex } from "../../protocol/duplex.ts";
import { relay } from "../../protocol/io.ts";
import { sleep } from "../../protocol/deadline.ts";
import { privilegeKey } from "../../protocol/crypto/mod.ts";
import { wrapProxyConn } from "../../protocol/wrap.ts";
import { listenTcp, type TcpListener, type UdpSocket } from "../../transport/mod.ts";
import { dialQuicFromPort } from "../../transport/quic_hole.ts";
import { KcpTunnel } from "../nathole/kcp_tunnel.ts";
import type { XTCPVisitorConfig } from "../../config/types.ts";
import {
  exchangeInfo,
  makeHole,
  natHoleRespLine,
  newTransactionID,
  prepareLogged,
} from "../nathole/hole.ts";
import { CONTEXT_CANCELED } from "../transporter.ts";
import { targetProxyName, type Visitor, type VisitorContext } from "./base.ts";
import { RetryLimiter } from "./retry_limiter.ts";

const ERR_NO_TUNNEL_SESSION = "no tunnel session";
const OPEN_TUNNEL_TIMEOUT_MS = 20_000;
const OPEN_TUNNEL_RETRY_MS = 500;
const MIN_HOLE_INTERVAL_MS = 10_000;
const EXCHANGE_TIMEOUT_MS = 5000;
/** quic-go's default handshake idle timeout. */
const QUIC_DIAL_TIMEOUT_MS = 5000;

/** What user conns ride: a QUIC connection or yamux over KCP, both on the punched port. */
interface TunnelSession {
  openStream(): Promise<Duplex>;
  readonly isClosed: boolean;
  close(): void;
}

/** An xtcp visitor. */
export class XtcpVisitor implements Visitor {
  readonly #ctx: VisitorContext;
  readonly #cfg: XTCPVisitorConfig;
  readonly #stop = new AbortController();
  readonly #conns = new Set<Duplex>();
  #listener: TcpListener | undefined;
  #session: TunnelSession | undefined;
  /** Set while the tunnel loop waits for a start request (Go's unbuffered startTunnelCh). */
  #wake: (() => void) | undefined;
  #pendingStart = false;
  #closed = false;

  constructor(ctx: VisitorContext) {
    this.#ctx = ctx;
    this.#cfg = ctx.cfg as XTCPVisitorConfig;
  }

  start(): Promise<void> {
    const cfg = this.#cfg;
    if (cfg.bindPort > 0) {
      this.#listener = listenTcp({ hostname: cfg.bindAddr, port: cfg.bindPort });
      this.#acceptLoop(this.#listener);
    }
    this.#tunnelLoop();
    if (cfg.keepTunnelOpen) this.#keepTunnelOpen();
    return Promise.resolve();
  }

  acceptConn(conn: Conn): void {
    if (this.#closed) return conn.close();
    this.#handle(conn);
  }

  async #acceptLoop(l: TcpListener): Promise<void> {
    for (;;) {
      const user = await l.accept().catch(() => null);
      if (!user) break;
      this.#handle(user);
    }
    // Go's acceptLoop logs this however the listener ended (also on reload and exit).
    this.#ctx.log.warn("xtcp local listener closed");
  }

  async #handle(user: Conn): Promise<void> {
    const { log } = this.#ctx;
    const cfg = this.#cfg;
    log.debug("get a new xtcp user connection");
    this.#conns.add(user);
    let transferred = false;
    try {
      let tunnel: Duplex;
      try {
        const limit = cfg.fallbackTo
          ? Math.min(cfg.fallbackTimeoutMs, OPEN_TUNNEL_TIMEOUT_MS)
          : OPEN_TUNNEL_TIMEOUT_MS;
        tunnel = await this.#openTunnel(limit);
      } catch (err) {
        log.error(`open tunnel error: ${errorText(err)}`);
        if (!cfg.fallbackTo || this.#closed) return;
        log.debug(`try to transfer connection to visitor: ${cfg.fallbackTo}`);
        try {
          if (!this.#ctx.transferConn) throw new Error(`visitor [${cfg.fallbackTo}] not found`);
          this.#conns.delete(user);
          this.#ctx.transferConn(cfg.fallbackTo, user);
          transferred = true;
        } catch (e) {
          log.error(`transfer connection to visitor ${cfg.fallbackTo} error: ${errorText(e)}`);
        }
        return;
      }
      const remote = wrapProxyConn(tunnel, {
        key: cfg.secretKey ?? "",
        useEncryption: cfg.transport.useEncryption,
        useCompression: cfg.transport.useCompression,
      });
      if (this.#closed) return remote.close();
      this.#conns.add(remote);
      await relay(user, remote).catch(() => {});
      this.#conns.delete(remote);
      log.debug("join connections closed");
    } finally {
      this.#conns.delete(user);
      if (!transferred) user.close();
    }
  }

  /** frp's openTunnel: poll for a tunnel stream every 500 ms until `timeoutMs`. */
  async #openTunnel(timeoutMs: number): Promise<Duplex> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      if (this.#closed) throw new Error(CONTEXT_CANCELED);
      try {
        return await this.#getTunnelConn();
      } catch (err) {
        const text = errorText(err);
        if (text !== ERR_NO_TUNNEL_SESSION) {
          this.#ctx.log.warn(`get tunnel connection error: ${text}`);
        }
      }
      const left = until - Date.now();
      if (left <= 0) throw new Error("open tunnel timeout");
      await sleep(Math.min(OPEN_TUNNEL_RETRY_MS, left), this.#stop.signal).catch(() => {});
    }
  }

  /** A stream of the current tunnel; without one, asks the tunnel loop to punch. */
  async #getTunnelConn(): Promise<Duplex> {
    const s = this.#session;
    if (s && !s.isClosed) {
      try {
        return await s.openStream();
      } catch (err) {
        this.#dropSession(s);
        this.#requestTunnel(false);
        throw err;
      }
    }
    if (s) this.#dropSession(s);
    this.#requestTunnel(false);
    throw new Error(ERR_NO_TUNNEL_SESSION);
  }

  #dropSession(s: TunnelSession): void {
    s.close();
    if (this.#session === s) this.#session = undefined;
  }

  /** Go's `select { case startTunnelCh <- struct{}{}: default: }`, or a blocking send. */
  #requestTunnel(blocking: boolean): void {
    const wake = this.#wake;
    if (wake) {
      this.#wake = undefined;
      wake();
    } else if (blocking) {
      this.#pendingStart = true;
    }
  }

  /** frp's processTunnelStartEvents: one punching attempt per request, ≥ 10 s apart. */
  async #tunnelLoop(): Promise<void> {
    while (!this.#closed) {
      if (!this.#pendingStart) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
          this.#stop.signal.addEventListener("abort", () => resolve(), { once: true });
        });
      }
      this.#pendingStart = false;
      if (this.#closed) break;
      const started = Date.now();
      await this.#makeNatHole().catch((err) =>
        this.#ctx.log.warn(`make nat hole error: ${errorText(err)}`)
      );
      const rest = MIN_HOLE_INTERVAL_MS - (Date.now() - started);
      if (rest > 0) await sleep(rest, this.#stop.signal).catch(() => {});
    }
  }

  /** frp's keepTunnelOpenWorker. */
  async #keepTunnelOpen(): Promise<void> {
    const { log } = this.#ctx;
    const cfg = this.#cfg;
    const limiter = new RetryLimiter(cfg.maxRetriesAnHour);
    const signal = this.#stop.signal;
    this.#requestTunnel(true);
    while (!this.#closed) {
      await sleep(cfg.minRetryInterval * 1000, signal).catch(() => {});
      if (this.#closed) break;
      log.debug("keepTunnelOpenWorker try to check tunnel...");
      let conn: Duplex;
      try {
        conn = await this.#getTunnelConn();
      } catch (err) {
        log.warn(`keepTunnelOpenWorker get tunnel connection error: ${errorText(err)}`);
        await limiter.wait(signal).catch(() => {});
        continue;
      }
      log.debug("keepTunnelOpenWorker check success");
      conn.close();
    }
  }

  /** frp's makeNatHole: PreCheck, Prepare, ExchangeInfo, MakeHole, then the tunnel session. */
  async #makeNatHole(): Promise<void> {
    const { common, log, transporter } = this.#ctx;
    const cfg = this.#cfg;
    const signal = this.#stop.signal;
    if (!transporter) return;
    const proxyName = targetProxyName(common, cfg);
    log.trace("makeNatHole start");
    const preID = newTransactionID();
    try {
      let resp;
      try {
        resp = await transporter.do(
          {
            type: "NatHoleVisitor",
            body: { transaction_id: preID, proxy_name: proxyName, pre_check: true },
          },
          preID,
          "NatHoleResp",
          EXCHANGE_TIMEOUT_MS,
          signal,
        );
      } catch (err) {
        throw new Error(`get natHoleRespMsg error: ${errorText(err)}`);
      }
      if (resp.body.error) throw new Error(resp.body.error);
    } catch (err) {
      log.warn(`nathole precheck error: ${errorText(err)}`);
      return;
    }
    const prep = await prepareLogged(
      log,
      common.natHoleStunServer,
      cfg.natTraversal?.disableAssistedAddrs ?? false,
    );
    if (!prep) return;
    let sock: UdpSocket | undefined = prep.sock;
    try {
      const now = Math.floor(Date.now() / 1000);
      const transactionID = newTransactionID();
      log.trace("nathole exchange info start");
      let resp;
      try {
        resp = await exchangeInfo(
          transporter,
          transactionID,
          {
            type: "NatHoleVisitor",
            body: {
              transaction_id: transactionID,
              proxy_name: proxyName,
              protocol: cfg.protocol,
              sign_key: privilegeKey(cfg.secretKey ?? "", now),
              timestamp: now,
              mapped_addrs: prep.addrs,
              assisted_addrs: prep.assistedAddrs,
            },
          },
          EXCHANGE_TIMEOUT_MS,
          signal,
        );
      } catch (err) {
        log.warn(`nathole exchange info error: ${errorText(err)}`);
        return;
      }
      log.info(natHoleRespLine(resp));
      let hole;
      try {
        hole = await makeHole(sock, resp, cfg.secretKey ?? "", log, signal);
      } catch (err) {
        log.warn(`make hole error: ${errorText(err)}`);
        return;
      }
      sock = hole.sock;
      const { hostname, port } = hole.raddr;
      log.info(
        `establishing nat hole connection successful, sid [${
          resp.sid ?? ""
        }], remoteAddr [${hostname}:${port}]`,
      );
      if (cfg.protocol === "kcp") {
        // frp's KCPTunnelSession: KCP on the punched socket itself, yamux client on top.
        const tunnel = new KcpTunnel(sock, hole.raddr, "client");
        sock = undefined;
        if (this.#closed) return tunnel.close();
        this.#session?.close();
        this.#session = tunnel;
        return;
      }
      const localPort = sock.addr.port;
      sock.close();
      let session;
      try {
        session = await dialQuicFromPort({
          port: localPort,
          raddr: hole.raddr,
          quic: common.transport.quic,
          timeoutMs: QUIC_DIAL_TIMEOUT_MS,
        });
      } catch (err) {
        let text = errorText(err);
        if (text.includes("invalid peer certificate")) {
          // Go skips verification of the peer's random self-signed cert; Deno only process-wide.
          text += " (xtcp needs frpc to run with --unsafely-ignore-certificate-errors)";
        }
        log.warn(`init tunnel session error: dial quic error: ${text}`);
        return;
      }
      if (this.#closed) return session.close();
      this.#session?.close();
      this.#session = session;
    } finally {
      sock?.close();
    }
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#stop.abort();
      // Go's internal listener (xtcp fallback conns) ends with the visitor.
      this.#ctx.log.warn("xtcp internal listener closed");
      this.#session?.close();
      for (const c of this.#conns) c.close();
      this.#conns.clear();
    }
    return this.#listener?.close() ?? Promise.resolve();
  }
}
