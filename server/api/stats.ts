/**
 * frps statistics (frp's pkg/metrics/mem + pkg/metrics/prometheus, behaviour.md §11.5–11.6):
 * per-proxy daily traffic, current connections and start/close times, server totals, the
 * client registry behind `/api/clients`, and Prometheus counters. Collected only when the
 * dashboard is enabled; every hot-path hook is a few map operations.
 *
 * @module
 */
import { wireName } from "../../protocol/naming.ts";
import { renderProcessMetrics } from "./process_metrics.ts";

/** Days of history kept per counter (index 0 = today). */
export const RESERVE_DAYS = 7;
const DAY_MS = 86_400_000;
const CLEAR_INTERVAL_MS = 12 * 3600_000;

function localDay(ms: number): number {
  const d = new Date(ms);
  return Math.floor((ms - d.getTimezoneOffset() * 60_000) / DAY_MS);
}

/** First ms of the local day after `day` (a DST change is caught on the next add). */
function dayEnd(day: number): number {
  const utcGuess = (day + 1) * DAY_MS;
  return utcGuess + new Date(utcGuess).getTimezoneOffset() * 60_000;
}

/** A counter with one bucket per local day (frp's metric.DateCounter). */
export class DateCounter {
  #days: number[] = new Array(RESERVE_DAYS).fill(0);
  #day = localDay(Date.now());
  /** When the current day ends: add() runs per relayed chunk, so it only compares numbers. */
  #dayEndsAt = dayEnd(this.#day);

  #rotate(): void {
    const now = Date.now();
    if (now < this.#dayEndsAt) return;
    const today = localDay(now);
    this.#dayEndsAt = dayEnd(today);
    const shift = today - this.#day;
    if (shift <= 0) return;
    this.#day = today;
    if (shift >= RESERVE_DAYS) this.#days.fill(0);
    else this.#days = [...new Array(shift).fill(0), ...this.#days.slice(0, RESERVE_DAYS - shift)];
  }

  add(n: number): void {
    this.#rotate();
    this.#days[0] += n;
  }

  /** Today's bucket. */
  today(): number {
    this.#rotate();
    return this.#days[0];
  }

  /** All buckets, today first. */
  history(): number[] {
    this.#rotate();
    return [...this.#days];
  }
}

/** One proxy's statistics record (kept after the proxy closes, until cleared). */
export interface ProxyRecord {
  name: string;
  type: string;
  user: string;
  clientID: string;
  trafficIn: DateCounter;
  trafficOut: DateCounter;
  curConns: number;
  /** ms; 0 = never */
  lastStartTime: number;
  lastCloseTime: number;
}

/** One client in the registry. */
export interface ClientRecord {
  key: string;
  user: string;
  /** explicit clientID ("" when the client sent none) */
  rawClientID: string;
  runID: string;
  version: string;
  wireProtocol: string;
  hostname: string;
  ip: string;
  firstConnectedAt: number;
  lastConnectedAt: number;
  /** ms; 0 = connected */
  disconnectedAt: number;
  online: boolean;
}

/** What a login tells the registry. */
export interface ClientLoginInfo {
  user: string;
  clientID: string;
  runID: string;
  version: string;
  hostname: string;
  /** `ip:port` or `[ip]:port` of the control connection */
  remoteAddr: string;
  /** "v1" (default) or "v2" */
  wireProtocol?: string;
}

function hostOf(addr: string): string {
  if (addr.startsWith("[")) return addr.slice(1, addr.indexOf("]"));
  const i = addr.lastIndexOf(":");
  return i < 0 ? addr : addr.slice(0, i);
}

/** The client registry key (frp's registry: `user.clientID`, clientID falling back to runID). */
export function clientKey(user: string, clientID: string, runID: string): string {
  return wireName(user, clientID || runID);
}

type Labels = string;

/** `name="…",type="…"` per proxy, built once: traffic is counted per relayed chunk. */
const nameTypeLabels = new Map<string, { type: string; labels: Labels }>();
function nameTypeLbl(name: string, type: string): Labels {
  const hit = nameTypeLabels.get(name);
  if (hit?.type === type) return hit.labels;
  const labels = lbl(["name", name], ["type", type]);
  nameTypeLabels.set(name, { type, labels });
  return labels;
}
const lbl = (...kv: [string, string][]): Labels =>
  kv.map(([k, v]) =>
    `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`
  )
    .join(",");

/** Prometheus series in frp's names; rendered in the text exposition format. */
class PromMetrics {
  clientCounts = 0;
  readonly proxyCounts: Map<Labels, number> = new Map();
  readonly proxyCountsDetailed: Map<Labels, number> = new Map();
  readonly connectionCounts: Map<Labels, number> = new Map();
  readonly trafficIn: Map<Labels, number> = new Map();
  readonly trafficOut: Map<Labels, number> = new Map();

  static add(m: Map<Labels, number>, k: Labels, n: number): void {
    m.set(k, (m.get(k) ?? 0) + n);
  }

  render(): string {
    const out: string[] = [];
    const family = (name: string, help: string, type: string, m: Map<Labels, number> | number) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      if (typeof m === "number") out.push(`${name} ${m}`);
      else for (const k of [...m.keys()].sort()) out.push(`${name}{${k}} ${m.get(k)}`);
    };
    family(
      "frp_server_client_counts",
      "The current client counts of frps",
      "gauge",
      this.clientCounts,
    );
    if (this.connectionCounts.size > 0) {
      family(
        "frp_server_connection_counts",
        "The current connection counts",
        "gauge",
        this.connectionCounts,
      );
    }
    if (this.proxyCounts.size > 0) {
      family("frp_server_proxy_counts", "The current proxy counts", "gauge", this.proxyCounts);
    }
    if (this.proxyCountsDetailed.size > 0) {
      family(
        "frp_server_proxy_counts_detailed",
        "The current number of proxies grouped by type and name",
        "gauge",
        this.proxyCountsDetailed,
      );
    }
    if (this.trafficIn.size > 0) {
      family("frp_server_traffic_in", "The total in traffic", "counter", this.trafficIn);
    }
    if (this.trafficOut.size > 0) {
      family("frp_server_traffic_out", "The total out traffic", "counter", this.trafficOut);
    }
    // Go's default registry adds go_*/process_* collectors: ours are deno_*/process_*.
    out.push(...renderProcessMetrics());
    return out.join("\n") + "\n";
  }
}

/** Everything the dashboard reports; one per frps when `webServer.port > 0`. */
export class ServerStats {
  readonly proxies: Map<string, ProxyRecord> = new Map();
  readonly clients: Map<string, ClientRecord> = new Map();
  readonly totalIn: DateCounter = new DateCounter();
  readonly totalOut: DateCounter = new DateCounter();
  curConns: number = 0;
  clientCount: number = 0;
  readonly proxyTypeCounts: Map<string, number> = new Map();
  /** Present when `enablePrometheus`. */
  readonly prom: PromMetrics | undefined;
  #timer: ReturnType<typeof setInterval>;

  constructor(prometheus: boolean) {
    this.prom = prometheus ? new PromMetrics() : undefined;
    this.#timer = setInterval(() => this.#clearUseless(), CLEAR_INTERVAL_MS);
    Deno.unrefTimer(this.#timer);
  }

  /** Deletes proxies closed for more than 7 days (frp checks every 12 h). */
  #clearUseless(): void {
    const now = Date.now();
    for (const [name, p] of this.proxies) {
      if (
        p.lastCloseTime > 0 && p.lastStartTime <= p.lastCloseTime &&
        now - p.lastCloseTime > RESERVE_DAYS * DAY_MS
      ) this.proxies.delete(name);
    }
  }

  /** Drops every offline proxy record; returns [cleared, total before]. */
  clearOfflineProxies(): [number, number] {
    const total = this.proxies.size;
    let cleared = 0;
    for (const [name, p] of this.proxies) {
      if (p.lastCloseTime > 0 && p.lastStartTime < p.lastCloseTime) {
        this.proxies.delete(name);
        cleared++;
      }
    }
    return [cleared, total];
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Prometheus text (empty string when Prometheus is off). */
  renderPrometheus(): string {
    return this.prom?.render() ?? "";
  }

  // ------------------------------------------------------------ clients

  clientLogin(info: ClientLoginInfo): void {
    this.clientCount++;
    if (this.prom) this.prom.clientCounts++;
    const key = clientKey(info.user, info.clientID, info.runID);
    const now = Date.now();
    const old = this.clients.get(key);
    this.clients.set(key, {
      key,
      user: info.user,
      rawClientID: info.clientID,
      runID: info.runID,
      version: info.version,
      wireProtocol: info.wireProtocol ?? "v1",
      hostname: info.hostname,
      ip: hostOf(info.remoteAddr),
      firstConnectedAt: old?.firstConnectedAt ?? now,
      lastConnectedAt: now,
      disconnectedAt: 0,
      online: true,
    });
  }

  clientLogout(user: string, clientID: string, runID: string): void {
    this.clientCount--;
    if (this.prom) this.prom.clientCounts--;
    const key = clientKey(user, clientID, runID);
    const c = this.clients.get(key);
    if (!c || c.runID !== runID) return; // replaced by a newer session
    if (!clientID) {
      this.clients.delete(key);
      return;
    }
    c.online = false;
    c.runID = "";
    c.disconnectedAt = Date.now();
  }

  // ------------------------------------------------------------ proxies

  newProxy(name: string, type: string, user: string, clientID: string): void {
    this.proxyTypeCounts.set(type, (this.proxyTypeCounts.get(type) ?? 0) + 1);
    let p = this.proxies.get(name);
    if (!p || p.type !== type) {
      p = {
        name,
        type,
        user,
        clientID,
        trafficIn: new DateCounter(),
        trafficOut: new DateCounter(),
        curConns: 0,
        lastStartTime: 0,
        lastCloseTime: 0,
      };
      this.proxies.set(name, p);
    }
    p.user = user;
    p.clientID = clientID;
    p.lastStartTime = Date.now();
    if (this.prom) {
      PromMetrics.add(this.prom.proxyCounts, lbl(["type", type]), 1);
      PromMetrics.add(this.prom.proxyCountsDetailed, lbl(["name", name], ["type", type]), 1);
    }
  }

  closeProxy(name: string, type: string): void {
    const n = this.proxyTypeCounts.get(type);
    if (n !== undefined) this.proxyTypeCounts.set(type, n - 1);
    const p = this.proxies.get(name);
    if (p) p.lastCloseTime = Date.now();
    if (this.prom) {
      PromMetrics.add(this.prom.proxyCounts, lbl(["type", type]), -1);
      PromMetrics.add(this.prom.proxyCountsDetailed, lbl(["name", name], ["type", type]), -1);
    }
  }

  openConnection(name: string, type: string): void {
    this.curConns++;
    const p = this.proxies.get(name);
    if (p) p.curConns++;
    if (this.prom) {
      PromMetrics.add(this.prom.connectionCounts, lbl(["name", name], ["type", type]), 1);
    }
  }

  closeConnection(name: string, type: string): void {
    this.curConns--;
    const p = this.proxies.get(name);
    if (p) p.curConns--;
    if (this.prom) {
      PromMetrics.add(this.prom.connectionCounts, lbl(["name", name], ["type", type]), -1);
    }
  }

  /** Bytes from the user towards frpc. */
  addTrafficIn(name: string, type: string, n: number): void {
    this.totalIn.add(n);
    this.proxies.get(name)?.trafficIn.add(n);
    if (this.prom) PromMetrics.add(this.prom.trafficIn, nameTypeLbl(name, type), n);
  }

  /** Bytes from frpc towards the user. */
  addTrafficOut(name: string, type: string, n: number): void {
    this.totalOut.add(n);
    this.proxies.get(name)?.trafficOut.add(n);
    if (this.prom) PromMetrics.add(this.prom.trafficOut, nameTypeLbl(name, type), n);
  }
}
