/**
 * The proxies of one frpc session and their phases (behaviour.md §6 / frp's proxy_wrapper):
 * NewProxy is sent at start, re-sent when no answer came within 20 s or 30 s after an error.
 *
 * @module
 */
import { errorText } from "../protocol/errors.ts";
import type { NewProxyResp } from "../protocol/msg/messages.ts";
import { type Duplex, endText } from "../protocol/duplex.ts";
import type { StartWorkConn } from "../protocol/msg/messages.ts";
import type { ClientCommonConfig, ProxyConfig } from "../config/types.ts";
import type { Logger } from "../log/logger.ts";
import { newProxyMessage } from "./proxy/new_proxy_msg.ts";
import { WORK_CONN_HANDLERS } from "./proxy/mod.ts";
import type { LocalHandler } from "./proxy/base.ts";
import { localName, wireName } from "../protocol/naming.ts";
import { healthCheckEnabled, HealthMonitor } from "./health.ts";
import type { MessageTransporter } from "./transporter.ts";

interface Entry {
  cfg: ProxyConfig;
  status: ProxyStatus;
  /** false while a health check reports failure (initially false when checked). */
  healthy: boolean;
  monitor?: HealthMonitor;
  /** Aborted when the proxy is removed or the session ends (ends xtcp tunnels). */
  stop: AbortController;
}

const FIRST_HEALTH_EVAL_MS = 500;

/** Go ≥ 0.70's config aggregator hands proxies and visitors over sorted by name. */
export function sortedByName<T extends { name: string }>(cfgs: readonly T[]): T[] {
  return [...cfgs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Go's reflect.DeepEqual on two completed configs (same loader, so the same key order). */
export function sameConfig(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function newEntry(cfg: ProxyConfig): Entry {
  return {
    cfg,
    status: {
      name: cfg.name,
      type: cfg.type,
      phase: "new",
      err: "",
      remoteAddr: "",
      since: Date.now(),
    },
    healthy: true,
    stop: new AbortController(),
  };
}

/** Client-side proxy phases, as frpc's status API names them. */
export type ProxyPhase =
  | "new"
  | "wait start"
  | "start error"
  | "running"
  | "check failed"
  | "closed";

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
  readonly #proxies = new Map<string, Entry>();
  readonly #sendClose: (wireName: string) => void;
  readonly #transporter: MessageTransporter | undefined;
  readonly #localHandlers: ReadonlyMap<string, LocalHandler>;
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  constructor(
    common: ClientCommonConfig,
    proxies: ProxyConfig[],
    log: Logger,
    sendNewProxy: (m: ReturnType<typeof newProxyMessage>) => void,
    sendCloseProxy: (wireName: string) => void = () => {},
    transporter?: MessageTransporter,
    localHandlers: ReadonlyMap<string, LocalHandler> = new Map(),
  ) {
    this.#transporter = transporter;
    this.#localHandlers = localHandlers;
    this.#common = common;
    this.#log = log;
    this.#send = sendNewProxy;
    this.#sendClose = sendCloseProxy;
    for (const cfg of sortedByName(proxies)) this.#proxies.set(cfg.name, newEntry(cfg));
  }

  /** Sends NewProxy for every proxy and starts the retry checker. */
  start(): void {
    this.#log.info(`proxy added: [${[...this.#proxies.keys()].join(" ")}]`);
    for (const p of this.#proxies.values()) this.#startEntry(p);
    this.#timer = setInterval(() => this.#check(), CHECK_PERIOD_MS);
  }

  /**
   * Applies a reloaded proxy set (frp's UpdateAll, behaviour.md §12.2): deep-equal proxies are
   * kept untouched; removed and changed ones are closed (CloseProxy); changed and new ones start.
   */
  update(proxies: ProxyConfig[]): void {
    if (this.#closed) return;
    const next = new Map(proxies.map((c) => [c.name, c]));
    const removed: string[] = [];
    for (const [name, p] of this.#proxies) {
      const n = next.get(name);
      if (n && sameConfig(n, p.cfg)) continue;
      p.monitor?.stop();
      p.stop.abort();
      this.#proxies.delete(name);
      this.#sendClose(wireName(this.#common.user, name));
      removed.push(name);
    }
    if (removed.length > 0) this.#log.info(`proxy removed: [${removed.join(" ")}]`);
    const added: Entry[] = [];
    for (const cfg of sortedByName(proxies)) {
      if (this.#proxies.has(cfg.name)) continue;
      const p = newEntry(cfg);
      this.#proxies.set(cfg.name, p);
      added.push(p);
    }
    if (added.length > 0) {
      this.#log.info(`proxy added: [${added.map((p) => p.cfg.name).join(" ")}]`);
    }
    for (const p of added) this.#startEntry(p);
  }

  #startEntry(p: Entry): void {
    if (!healthCheckEnabled(p.cfg)) {
      this.#register(p);
      return;
    }
    // Health-checked proxies register only after their first successful check.
    p.healthy = false;
    const log = this.#log.child("health/health.ts", p.cfg.name);
    p.monitor = new HealthMonitor({
      check: p.cfg.healthCheck!,
      host: p.cfg.localIP,
      port: p.cfg.localPort ?? 0,
      log,
      onHealthy: () => {
        p.healthy = true;
        this.#evaluate(p);
      },
      onFailed: () => {
        p.healthy = false;
        this.#evaluate(p);
      },
    });
    p.monitor.start();
    setTimeout(() => this.#evaluate(p), FIRST_HEALTH_EVAL_MS);
  }

  #setPhase(p: { status: ProxyStatus }, phase: ProxyPhase, err = ""): void {
    p.status.phase = phase;
    p.status.err = err;
    p.status.since = Date.now();
  }

  #register(p: { cfg: ProxyConfig; status: ProxyStatus }): void {
    this.#traceChange(p, "wait start");
    this.#setPhase(p, "wait start");
    this.#send(newProxyMessage(this.#common.user, p.cfg));
  }

  /** Go's proxy_wrapper trace line for the transitions its status checker makes. */
  #traceChange(p: { cfg: ProxyConfig; status: ProxyStatus }, to: ProxyPhase): void {
    if (!this.#log.enabled("trace")) return;
    this.#log.child(undefined, p.cfg.name).trace(
      `change status from [${p.status.phase}] to [${to}]`,
    );
  }

  #check(): void {
    for (const p of this.#proxies.values()) this.#evaluate(p);
  }

  /** frp's proxy_wrapper status step: (re-)register when healthy, CloseProxy when not. */
  #evaluate(p: Entry): void {
    if (this.#closed) return;
    const phase = p.status.phase;
    if (p.healthy) {
      const age = Date.now() - p.status.since;
      if (
        phase === "new" || phase === "check failed" ||
        (phase === "wait start" && age > WAIT_START_TIMEOUT_MS) ||
        (phase === "start error" && age > START_ERROR_RETRY_MS)
      ) {
        this.#register(p);
      }
    } else if (phase === "running" || phase === "wait start") {
      this.#sendClose(wireName(this.#common.user, p.cfg.name));
      this.#traceChange(p, "check failed");
      this.#setPhase(p, "check failed");
    }
  }

  /** Applies a NewProxyResp: logs frp's success/error line and updates the phase. */
  onNewProxyResp(m: NewProxyResp): void {
    const name = localName(this.#common.user, m.proxy_name ?? "");
    const p = this.#proxies.get(name);
    if (!p || p.status.phase !== "wait start") return; // frp ignores it in other phases
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
    log.debug(
      `start a new work connection, localAddr: ${endText(conn, "localAddr")} remoteAddr: ${
        endText(conn, "remoteAddr")
      }`,
    );
    handler({
      common: this.#common,
      proxy: p.cfg,
      log,
      conn,
      start,
      transporter: this.#transporter,
      signal: p.stop.signal,
      localHandler: this.#localHandlers.get(p.cfg.name),
    }).catch((err) => {
      log.warn(`work connection error: ${errorText(err)}`);
      conn.close();
    });
  }

  /** The configs currently managed. */
  configs(): ProxyConfig[] {
    return [...this.#proxies.values()].map((p) => p.cfg);
  }

  /** Snapshot of every proxy's status. */
  statuses(): ProxyStatus[] {
    return [...this.#proxies.values()].map((p) => ({ ...p.status }));
  }

  /** Stops retries; proxies go to `closed`. */
  close(): void {
    clearInterval(this.#timer);
    this.#closed = true;
    for (const p of this.#proxies.values()) {
      p.monitor?.stop();
      p.stop.abort();
      this.#setPhase(p, "closed");
    }
  }
}
