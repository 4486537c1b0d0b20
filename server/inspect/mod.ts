/**
 * The request inspector for http proxies (docs/beyond-frp.md, "Request inspector"): which
 * proxies are captured (`[inspector]` patterns plus dashboard toggles), one ring of exchanges
 * per proxy, replay, and the JSON views the dashboard API serves (secrets masked).
 *
 * Only proxies opted in pay anything: their new work connections are wrapped in a
 * {@link TapDuplex}; every other proxy's work connections are untouched.
 *
 * @module
 */
import type { Duplex, NetAddr } from "../../protocol/duplex.ts";
import { type HeaderList, type RequestHead, serializeHead } from "../../protocol/http_codec.ts";
import { writeAll } from "../../protocol/io.ts";
import type { Logger } from "../../log/logger.ts";
import { type InspectorConfig, resolveInspector } from "../../config/inspector.ts";
import { type BodyCapture, type Exchange, ExchangeRing } from "./store.ts";
import { TapDuplex, type TapSink } from "./tap.ts";
import { detail, summary } from "./view.ts";

/** A replay gives up after this long without a complete response. */
const REPLAY_TIMEOUT_MS = 30_000;

/** Thrown for API answers (status + message). */
export class InspectError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** What an http proxy gives the inspector when it starts. */
export interface InspectTarget {
  /** Opens a fresh work conn of the proxy (counted, wrapped per transport options). */
  open(remote: NetAddr): Promise<Duplex>;
  /** Drops the proxy's idle pooled work conns (so a toggle applies to the next request). */
  dropIdle(): void;
}

/** The per-proxy handle the http proxy uses for its work conns. */
export interface ProxyTap {
  /** Wraps a new work conn when the proxy is captured; otherwise returns it as is. */
  wrap(conn: Promise<Duplex>): Promise<Duplex>;
  /** The proxy stopped. */
  detach(): void;
}

interface Captured {
  name: string;
  target: InspectTarget;
  ring: ExchangeRing;
}

/** `*` glob → RegExp over the whole name. */
function globRe(p: string): RegExp {
  return new RegExp(
    "^" + p.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*") + "$",
  );
}

/** The server's inspector. */
export class Inspector {
  readonly enabled: boolean;
  readonly maxRequests: number;
  readonly previewBytes: number;
  readonly maxBufferBytes: number;
  readonly #patterns: RegExp[];
  readonly #log: Logger;
  /** Dashboard toggles by proxy name; they outlive a proxy's reconnects. */
  readonly #toggles = new Map<string, boolean>();
  readonly #proxies = new Map<string, Captured>();
  #nextId = 1;

  constructor(config: InspectorConfig | undefined, log: Logger) {
    const c = resolveInspector(config);
    this.enabled = c.enable;
    this.maxRequests = c.maxRequests;
    this.previewBytes = c.maxBodyPreviewBytes;
    this.maxBufferBytes = c.maxBufferBytes;
    this.#patterns = c.proxies.map(globRe);
    this.#log = log;
  }

  /** Whether `name` is captured now (toggle, else config patterns). */
  captured(name: string): boolean {
    if (!this.enabled) return false;
    return this.#toggles.get(name) ?? this.#patterns.some((re) => re.test(name));
  }

  /** Called by an http proxy at start; undefined when the inspector is off (zero cost). */
  attach(name: string, target: InspectTarget): ProxyTap | undefined {
    if (!this.enabled) return undefined;
    const cap: Captured = {
      name,
      target,
      ring: new ExchangeRing(this.maxRequests, this.maxBufferBytes),
    };
    this.#proxies.set(name, cap);
    return {
      wrap: (conn) => this.captured(name) ? conn.then((c) => this.#tap(cap, c, null)) : conn,
      detach: () => {
        if (this.#proxies.get(name) === cap) this.#proxies.delete(name);
      },
    };
  }

  #tap(cap: Captured, conn: Duplex, replayOf: number | null, onEnd?: (e: Exchange) => void) {
    const sink: TapSink = {
      enabled: () => replayOf !== null || this.captured(cap.name),
      previewBytes: this.previewBytes,
      begin: (req, startedAt) => {
        const e = newExchange(this.#nextId++, cap.name, req, startedAt, replayOf);
        cap.ring.add(e);
        return e;
      },
      end: (e) => {
        cap.ring.update(e);
        onEnd?.(e);
      },
    };
    return new TapDuplex(conn, sink);
  }

  #get(name: string): Captured {
    if (!this.enabled) throw new InspectError(404, "inspector is disabled ([inspector] enable)");
    const cap = this.#proxies.get(name);
    if (!cap) throw new InspectError(404, `no http proxy [${name}] online`);
    return cap;
  }

  /** Turns capture of a proxy on or off (dashboard toggle). */
  toggle(name: string, on: boolean): { name: string; enabled: boolean } {
    const cap = this.#get(name);
    this.#toggles.set(name, on);
    cap.target.dropIdle();
    this.#log.info(`inspector ${on ? "enabled" : "disabled"} for proxy [${name}]`);
    return { name, enabled: on };
  }

  /** Every online http proxy with its capture state. */
  proxies(): Array<{ name: string; enabled: boolean; count: number }> {
    if (!this.enabled) throw new InspectError(404, "inspector is disabled ([inspector] enable)");
    return [...this.#proxies.values()].map((c) => ({
      name: c.name,
      enabled: this.captured(c.name),
      count: c.ring.size,
    })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Summaries, newest first. */
  list(name: string): Record<string, unknown> {
    const cap = this.#get(name);
    return {
      name,
      enabled: this.captured(name),
      maxRequests: this.maxRequests,
      maxBodyPreviewBytes: this.previewBytes,
      requests: cap.ring.list().map(summary),
    };
  }

  detail(name: string, id: number): Promise<Record<string, unknown>> {
    return detail(this.#exchange(name, id), this.previewBytes);
  }

  clear(name: string): { cleared: number } {
    const cap = this.#get(name);
    const cleared = cap.ring.size;
    cap.ring.clear();
    return { cleared };
  }

  #exchange(name: string, id: number): Exchange {
    const e = this.#get(name).ring.get(id);
    if (!e) throw new InspectError(404, `request ${id} not found`);
    return e;
  }

  /**
   * Re-sends a captured request over a new work conn of the same proxy and records the new
   * exchange (marked `replayOf`). Needs the whole request body in the preview.
   */
  async replay(name: string, id: number): Promise<Record<string, unknown>> {
    const cap = this.#get(name);
    const orig = this.#exchange(name, id);
    if (orig.requestBody.truncated) {
      throw new InspectError(
        409,
        `request body (${orig.requestBody.size} bytes) is longer than the preview; cannot replay`,
      );
    }
    const body = orig.requestBody.preview;
    const headers: HeaderList = orig.requestHeaders.filter(([k]) =>
      !["content-length", "transfer-encoding", "connection"].includes(k.toLowerCase())
    );
    if (body.byteLength > 0 || !["GET", "HEAD"].includes(orig.method)) {
      headers.push(["Content-Length", String(body.byteLength)]);
    }
    const head = serializeHead(`${orig.method} ${orig.target} HTTP/1.1`, headers);
    let conn: Duplex;
    try {
      conn = await cap.target.open({ hostname: "127.0.0.1", port: 0 });
    } catch (err) {
      throw new InspectError(502, `replay: no work connection: ${(err as Error).message}`);
    }
    let recorded: Exchange | undefined;
    let ended = () => {};
    const done = new Promise<void>((r) => (ended = r));
    const tap = this.#tap(cap, conn, id, (e) => {
      recorded = e;
      ended();
    });
    const timer = setTimeout(() => tap.close(), REPLAY_TIMEOUT_MS);
    try {
      const out = new Uint8Array(head.byteLength + body.byteLength);
      out.set(head);
      out.set(body, head.byteLength);
      await writeAll(tap, out);
      // Drive the response through the tap until the exchange is recorded or the conn ends.
      const buf = new Uint8Array(32 * 1024);
      const drain = (async () => {
        while ((await tap.read(buf)) !== null) { /* recorded by the tap */ }
      })().catch(() => {});
      await Promise.race([done, drain]);
    } catch (err) {
      throw new InspectError(502, `replay failed: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
      tap.close();
      await tap.done;
    }
    if (!recorded) throw new InspectError(502, "replay: no response recorded");
    return await detail(recorded, this.previewBytes);
  }
}

function newExchange(
  id: number,
  proxy: string,
  req: RequestHead,
  startedAt: number,
  replayOf: number | null,
): Exchange {
  const xff = req.headers.get("x-forwarded-for") ?? "";
  return {
    id,
    proxy,
    startedAt,
    durationMs: null,
    method: req.method,
    target: req.target,
    host: req.headers.get("x-forwarded-host") ?? req.headers.get("host") ?? "",
    remoteAddr: xff.split(",").pop()!.trim(),
    httpVersion: `HTTP/${req.major}.${req.minor}`,
    requestHeaders: req.headers.list,
    requestBody: emptyBody(),
    status: null,
    reason: "",
    responseHeaders: [],
    responseBody: emptyBody(),
    upgrade: "",
    state: "pending",
    error: "",
    replayOf,
  };
}

const emptyBody = (): BodyCapture => ({ size: 0, preview: new Uint8Array(0), truncated: false });
