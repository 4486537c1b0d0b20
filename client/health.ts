/**
 * frpc health checks (frp client/health/health.go, behaviour.md §6): tcp connect or http GET
 * against the local service every `interval` (counted after each check). The monitor starts
 * in the failed state; the first success reports healthy; a failure reports failed once the
 * cumulative failure count reaches maxFailed (the counter is never reset, as in frp).
 *
 * @module
 */
import type { HealthCheckConfig, ProxyConfig } from "../config/types.ts";
import type { Logger } from "../log/logger.ts";
import { dialTcp } from "../transport/tcp.ts";

/** Callbacks and target of a {@link HealthMonitor}. */
export interface HealthMonitorOptions {
  check: HealthCheckConfig;
  /** localIP */
  host: string;
  /** localPort */
  port: number;
  onHealthy: () => void;
  onFailed: () => void;
  log?: Logger;
}

/** Whether `cfg` gets a health check (type tcp/http and a local port). */
export function healthCheckEnabled(cfg: ProxyConfig): boolean {
  const t = cfg.healthCheck?.type;
  return (t === "tcp" || t === "http") && (cfg.localPort ?? 0) > 0;
}

/** One proxy's health checker. */
export class HealthMonitor {
  readonly #o: HealthMonitorOptions;
  readonly #interval: number;
  readonly #timeout: number;
  readonly #maxFailed: number;
  #statusOK = false;
  #failedTimes = 0;
  #stopped = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #abort = new AbortController();

  constructor(o: HealthMonitorOptions) {
    this.#o = o;
    this.#interval = (o.check.intervalSeconds > 0 ? o.check.intervalSeconds : 10) * 1000;
    this.#timeout = (o.check.timeoutSeconds > 0 ? o.check.timeoutSeconds : 3) * 1000;
    this.#maxFailed = o.check.maxFailed > 0 ? o.check.maxFailed : 1;
  }

  /** Starts the check loop. */
  start(): void {
    this.#loop();
  }

  /** Stops checking. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#abort.abort();
  }

  async #loop(): Promise<void> {
    while (!this.#stopped) {
      let err: unknown;
      try {
        await this.#doCheck();
      } catch (e) {
        err = e ?? new Error("check failed");
      }
      if (this.#stopped) return;
      if (err === undefined) {
        if (!this.#statusOK) {
          this.#o.log?.info("health check status change to success");
          this.#statusOK = true;
          this.#o.onHealthy();
        }
      } else {
        this.#o.log?.warn(
          `do one health check failed: ${err instanceof Error ? err.message : String(err)}`,
        );
        this.#failedTimes++;
        if (this.#statusOK && this.#failedTimes >= this.#maxFailed) {
          this.#o.log?.warn("health check status change to failed");
          this.#statusOK = false;
          this.#o.onFailed();
        }
      }
      await new Promise<void>((r) => this.#timer = setTimeout(r, this.#interval));
    }
  }

  async #doCheck(): Promise<void> {
    const { host, port, check } = this.#o;
    if (check.type === "tcp") {
      const c = await dialTcp({ hostname: host, port, timeoutMs: this.#timeout });
      c.close();
      return;
    }
    let path = check.path ?? "";
    if (!path.startsWith("/")) path = "/" + path;
    const h = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
    const headers = new Headers();
    for (const { name, value } of check.httpHeaders ?? []) headers.set(name, value);
    const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#timeout)]);
    const res = await fetch(`http://${h}:${port}${path}`, { headers, signal });
    await res.body?.cancel().catch(() => {});
    if (res.status < 200 || res.status >= 300) {
      throw new Error(`do http health check, StatusCode is [${res.status}] not 2xx`);
    }
  }
}
