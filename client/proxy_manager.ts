/**
 * The proxies of one frpc session and their phases (behaviour.md §6 / frp's proxy_wrapper):
 * NewProxy is sent at start, re-sent when no answer came within 20 s or 30 s after an error.
 *
 * @module
 */
import type { NewProxyResp } from "../protocol/msg/messages.ts";
import type { Duplex } from "../protocol/duplex.ts";
import type { StartWorkConn } from "../protocol/msg/messages.ts";
import type { ClientCommonConfig, ProxyConfig } from "../config/types.ts";
import type { Logger } from "../log/logger.ts";
import { localName, newProxyMessage } from "./proxy/new_proxy_msg.ts";
import { WORK_CONN_HANDLERS } from "./proxy/mod.ts";
import { errorText } from "./proxy/base.ts";

/** Client-side proxy phases, as frpc's status API names them. */
export type ProxyPhase = "new" | "wait start" | "start error" | "running" | "check failed" | "closed";

/** Status of one proxy. */
export interface ProxyStatus {
  name: string;
  type: string;
  phase: ProxyPhase;
  err: string;
  remoteAddr: string;
  /** ms timestamp of the last phase change */
  since: number;
}

const WAIT_START_TIMEOUT_MS = 20_000;
const START_ERROR_RETRY_MS = 30_000;
const CHECK_PERIOD_MS = 3_000;

/** Owns proxy phases and dispatches work connections. */
export class ProxyManager {
  readonly #common: ClientCommonConfig;
  readonly #log: Logger;
  readonly #send: (m: ReturnType<typeof newProxyMessage>) => void;
  readonly #proxies = new Map<string, { cfg: ProxyConfig; status: ProxyStatus }>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    common: ClientCommonConfig,
    proxies: ProxyConfig[],
    log: Logger,
    sendNewProxy: (m: ReturnType<typeof newProxyMessage>) => void,
  ) {
    this.#common = common;
    this.#log = log;
    this.#send = sendNewProxy;
    for (const cfg of proxies) {
      this.#proxies.set(cfg.name, {
        cfg,
        status: {
          name: cfg.name,
          type: cfg.type,
          phase: "new",
          err: "",
          remoteAddr: "",
          since: Date.now(),
        },
      });
    }
  }

  /** Sends NewProxy for every proxy and starts the retry checker. */
  start(): void {
    this.#log.info(`proxy added: [${[...this.#proxies.keys()].join(" ")}]`);
    for (const p of this.#proxies.values()) this.#register(p);
    this.#timer = setInterval(() => this.#check(), CHECK_PERIOD_MS);
  }

  #setPhase(p: { status: ProxyStatus }, phase: ProxyPhase, err = ""): void {
    p.status.phase = phase;
    p.status.err = err;
    p.status.since = Date.now();
  }

  #register(p: { cfg: ProxyConfig; status: ProxyStatus }): void {
    this.#setPhase(p, "wait start");
    this.#send(newProxyMessage(this.#common.user, p.cfg));
  }

  #check(): void {
    const now = Date.now();
    for (const p of this.#proxies.values()) {
      const age = now - p.status.since;
      if (
        (p.status.phase === "wait start" && age > WAIT_START_TIMEOUT_MS) ||
        (p.status.phase === "start error" && age > START_ERROR_RETRY_MS)
      ) {
        this.#register(p);
      }
    }
  }

  /** Applies a NewProxyResp: logs frp's success/error line and updates the phase. */
  onNewProxyResp(m: NewProxyResp): void {
    const name = localName(this.#common.user, m.proxy_name ?? "");
    const p = this.#proxies.get(name);
    if (!p) return;
    const log = this.#log.child(undefined, name);
    if (m.error) {
      this.#setPhase(p, "start error", m.error);
      log.warn(`start error: ${m.error}`);
      return;
    }
    this.#setPhase(p, "running");
    p.status.remoteAddr = m.remote_addr ?? "";
    log.info("start proxy success");
  }

  /** Hands a started work conn to its proxy; unknown or not-running proxies close it. */
  handleWorkConn(conn: Duplex, start: StartWorkConn): void {
    const name = localName(this.#common.user, start.proxy_name ?? "");
    const p = this.#proxies.get(name);
    const handler = p && WORK_CONN_HANDLERS[p.cfg.type];
    if (!p || p.status.phase !== "running" || !handler) {
      conn.close();
      return;
    }
    const log = this.#log.child(`proxy/${p.cfg.type}.ts`, name);
    handler({ common: this.#common, proxy: p.cfg, log, conn, start }).catch((err) => {
      log.warn(`work connection error: ${errorText(err)}`);
      conn.close();
    });
  }

  /** Snapshot of every proxy's status. */
  statuses(): ProxyStatus[] {
    return [...this.#proxies.values()].map((p) => ({ ...p.status }));
  }

  /** Stops retries; proxies go to `closed`. */
  close(): void {
    clearInterval(this.#timer);
    for (const p of this.#proxies.values()) this.#setPhase(p, "closed");
  }
}
