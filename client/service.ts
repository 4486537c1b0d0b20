/**
 * frpc's session lifecycle (frp's client/service.go): connect and log in, run a control
 * session, and reconnect with backoff when it ends; `loginFailExit` makes a failed first
 * login fatal.
 *
 * @module
 */
import { errorText } from "../protocol/errors.ts";
import type { Duplex } from "../protocol/duplex.ts";
import type { Login } from "../protocol/msg/messages.ts";
import {
  encodeFrameV2,
  encodeMessageV2,
  FRAME_TYPE_CLIENT_HELLO,
  FRAME_TYPE_SERVER_HELLO,
  readFrameV2,
} from "../protocol/msg/frame_v2.ts";
import {
  clientCryptoContext,
  type ClientHello,
  type CryptoContext,
  encodeClientHello,
  newClientHello,
} from "../protocol/msg/hello_v2.ts";
import { writeAll } from "../protocol/io.ts";
import { aeadControlDuplex, cryptoDuplex, deriveKey } from "../protocol/crypto/mod.ts";
import { type ClientAuth, createClientAuth } from "./auth.ts";
import { deadline, sleep, waitBounded } from "../protocol/deadline.ts";
import type { ClientConfig } from "../config/types.ts";
import type { Logger } from "../log/logger.ts";
import { Connector } from "./connector.ts";
import { setDnsServer, TlsConfigError } from "../transport/mod.ts";
import { ClientControl } from "./control.ts";
import type { LocalHandler } from "./proxy/base.ts";

/** The frp version we announce in Login. */
export const CLIENT_VERSION = "0.70.1";

/** Facts about the host that Login reports. */
export interface HostInfo {
  /** Reported host name. */
  hostname: string;
  /** Go GOOS spelling: linux, darwin, windows, … */
  os: string;
  /** Go GOARCH spelling: amd64, arm64, … */
  arch: string;
}

/** The server refused the login (wrong token, …) or it could not be reached. */
export class LoginError extends Error {
  /** A login failure with frps's (or the dial's) reason. */
  constructor(message: string) {
    super(message);
    this.name = "LoginError";
  }
}

const LOGIN_RESP_TIMEOUT_MS = 10_000;
/** Longest wait for the ended session's visitor ports to be free before logging in again. */
const RELEASE_WAIT_MS = 2000;

/** A wire v2 ClientHello as sent: the transcript needs the exact payload bytes. */
interface SentHello {
  hello: ClientHello;
  payload: Uint8Array;
}

/** A running frpc. */
export class ClientService {
  #cfg: ClientConfig;
  readonly #log: Logger;
  readonly #host: HostInfo;
  readonly #auth: ClientAuth;
  #runId = "";
  #control: ClientControl | undefined;
  readonly #abort = new AbortController();
  readonly #localHandlers: ReadonlyMap<string, LocalHandler>;

  /**
   * Creates frpc (prefer {@link startClient}); `localHandlers` serve proxies in-process by
   * name instead of dialing their localPort.
   */
  constructor(
    cfg: ClientConfig,
    log: Logger,
    host: HostInfo,
    localHandlers: ReadonlyMap<string, LocalHandler> = new Map(),
  ) {
    this.#localHandlers = localHandlers;
    this.#cfg = cfg;
    this.#auth = createClientAuth(cfg.auth);
    this.#log = log;
    this.#host = host;
    // Go's client/service.go: a process-wide resolver, set (never cleared) by a client.
    if (cfg.dnsServer) setDnsServer(cfg.dnsServer);
  }

  /** @internal The current session, if logged in. */
  get control(): ClientControl | undefined {
    return this.#control;
  }

  /** The config in use (proxies/visitors as of the last reload). */
  get config(): ClientConfig {
    return this.#cfg;
  }

  /**
   * Applies the proxy and visitor set of a reloaded config (frp's UpdateAllConfigurer; every
   * other common setting, `start` aside — the loader filtered by it — waits for a restart, as in
   * Go). Running proxies and visitors are diffed; later logins use the new set. Resolves once
   * the new visitors have bound their ports.
   */
  async reload(next: ClientConfig): Promise<void> {
    this.#cfg = { ...this.#cfg, proxies: next.proxies, visitors: next.visitors };
    await this.#control?.update(next.proxies, next.visitors);
  }

  /** The run id frps assigned (empty before the first login). */
  get runId(): string {
    return this.#runId;
  }

  async #login(): Promise<ClientControl> {
    const cfg = this.#cfg;
    const connector = new Connector(cfg);
    try {
      await connector.open();
      const conn = await connector.connect();
      const timestamp = Math.floor(Date.now() / 1000);
      const login: Login = {
        version: CLIENT_VERSION,
        hostname: this.#host.hostname,
        os: this.#host.os,
        arch: this.#host.arch,
        user: cfg.user,
        privilege_key: await this.#auth.loginKey(timestamp),
        timestamp,
        run_id: this.#runId,
        client_id: cfg.clientID,
        metas: cfg.metadatas,
        client_spec: {},
        pool_count: cfg.transport.poolCount,
      };
      const codec = connector.codec;
      let sent: SentHello | undefined;
      if (codec.wireProtocol === "v2") sent = await this.#sendHelloAndLogin(conn, login);
      else await codec.writeMessage(conn, { type: "Login", body: login });
      const { resp, crypto } = await deadline(
        (async () => {
          const crypto = sent ? await this.#readServerHello(conn, sent) : undefined;
          return { resp: await codec.readMessage(conn), crypto };
        })(),
        LOGIN_RESP_TIMEOUT_MS,
        "read LoginResp",
        () => conn.close(),
      );
      if (resp.type !== "LoginResp") throw new LoginError(`unexpected message ${resp.type}`);
      if (resp.body.error) throw new LoginError(resp.body.error);
      this.#runId = resp.body.run_id ?? "";
      const log = this.#log.child(undefined, this.#runId);
      log.child("client/service.ts").info(`login to server success, get run id [${this.#runId}]`);
      const secured = crypto
        ? aeadControlDuplex(conn, cfg.auth.token, "client", crypto.algorithm, crypto.transcriptHash)
        : cryptoDuplex(conn, deriveKey(cfg.auth.token));
      const ctl = new ClientControl({
        // The proxy and visitor set as of now: a reload may have landed while logging in.
        cfg: { ...cfg, proxies: this.#cfg.proxies, visitors: this.#cfg.visitors },
        log: log.child("client/control.ts"),
        conn: secured,
        connector,
        codec,
        runId: this.#runId,
        auth: this.#auth,
        localHandlers: this.#localHandlers,
      });
      ctl.start();
      return ctl;
    } catch (err) {
      connector.close();
      throw err;
    }
  }

  /**
   * Wire v2 (frp's exchangeLogin): the magic is out already; ClientHello and Login go out
   * together, before any answer. Resolves to what the ServerHello check needs.
   */
  async #sendHelloAndLogin(
    conn: Duplex,
    login: Login,
  ): Promise<SentHello> {
    const t = this.#cfg.transport;
    const hello = newClientHello({
      transport: t.protocol,
      tls: t.tls.enable || t.protocol === "wss" || t.protocol === "quic",
      tcpMux: t.tcpMux,
    });
    const payload = encodeClientHello(hello);
    const helloFrame = encodeFrameV2(FRAME_TYPE_CLIENT_HELLO, payload);
    const loginFrame = encodeMessageV2({ type: "Login", body: login });
    const out = new Uint8Array(helloFrame.byteLength + loginFrame.byteLength);
    out.set(helloFrame);
    out.set(loginFrame, helloFrame.byteLength);
    await writeAll(conn, out);
    return { hello, payload };
  }

  /** Reads and checks the ServerHello; throws frp's texts (e.g. the server's `error`). */
  async #readServerHello(
    conn: Duplex,
    sent: SentHello,
  ): Promise<CryptoContext> {
    const frame = await readFrameV2(conn);
    if (frame.type !== FRAME_TYPE_SERVER_HELLO) {
      throw new LoginError(
        `unexpected frame type ${frame.type}, want ${FRAME_TYPE_SERVER_HELLO}`,
      );
    }
    return clientCryptoContext(sent.hello, sent.payload, frame.payload);
  }

  /**
   * Logs in and keeps the session alive until close(). Rejects with LoginError when the
   * first login fails and `loginFailExit` is set.
   */
  async run(): Promise<void> {
    const log = this.#log.child("client/service.ts");
    const signal = this.#abort.signal;
    // First login: backoff 1 s doubling to 10 s, or give up when loginFailExit.
    let delay = 1000;
    while (!signal.aborted) {
      log.info("try to connect to server...");
      try {
        this.#control = await this.#login();
        break;
      } catch (err) {
        if (err instanceof TlsConfigError) {
          log.warn(`fail to build tls configuration, err: ${err.message}`);
        }
        log.warn(`connect to server error: ${errorText(err)}`);
        if (this.#cfg.loginFailExit) throw new LoginError(errorText(err));
        await sleep(delay * (1 + Math.random() * 0.1), signal).catch(() => {});
        delay = Math.min(delay * 2, 10_000);
      }
    }
    // Reconnect loop: a few fast retries, then backoff up to 20 s.
    while (!signal.aborted && this.#control) {
      await this.#control.closed;
      if (signal.aborted) break;
      // The next session's visitors bind the same ports: let the closed ones free them first.
      await waitBounded(this.#control.released, RELEASE_WAIT_MS);
      this.#control = undefined;
      let attempt = 0;
      while (!signal.aborted) {
        const wait = attempt < 3 ? 200 : Math.min(1000 * 2 ** (attempt - 3), 20_000);
        await sleep(wait, signal).catch(() => {});
        if (signal.aborted) break;
        log.info("try to reconnect to server...");
        try {
          this.#control = await this.#login();
          break;
        } catch (err) {
          if (err instanceof TlsConfigError) {
            log.warn(`fail to build tls configuration, err: ${err.message}`);
          }
          log.warn(`reconnect to server error: ${errorText(err)}`);
          attempt++;
        }
      }
    }
  }

  /** Stops the service and closes the session. */
  close(): void {
    this.#abort.abort();
    this.#control?.close();
  }
}
