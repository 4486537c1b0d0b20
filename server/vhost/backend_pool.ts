/**
 * Idle keep-alive work connections of http proxies per (route, endpoint), as Go's
 * http.Transport keeps them for frps: at most 5 idle per key, retired after 60 s idle or when
 * the backend sends anything while idle (behaviour.md §1.8).
 *
 * @module
 */
import type { Duplex } from "../../protocol/duplex.ts";
import type { BufReader } from "../../protocol/http_codec.ts";
import type { HttpRoute } from "./http.ts";

const IDLE_TIMEOUT_MS = 60_000;
const MAX_IDLE_PER_KEY = 5;

/** A work connection carrying HTTP/1.1 to one frpc. */
export interface Backend {
  conn: Duplex;
  rd: BufReader;
  idleTimer?: ReturnType<typeof setTimeout>;
  idle: boolean;
}

/** Idle keep-alive backend conns per (route, endpoint): frp's http.Transport pool. */
export class BackendPool {
  readonly #idle = new Map<HttpRoute, Map<string, Backend[]>>();

  take(route: HttpRoute, ep: string): Backend | undefined {
    const list = this.#idle.get(route)?.get(ep);
    while (list && list.length > 0) {
      const b = list.pop()!;
      clearTimeout(b.idleTimer);
      b.idle = false;
      if (!b.rd.eof) return b;
      b.conn.close();
    }
    return undefined;
  }

  put(route: HttpRoute, ep: string, b: Backend): void {
    let eps = this.#idle.get(route);
    if (!eps) this.#idle.set(route, eps = new Map());
    let list = eps.get(ep);
    if (!list) eps.set(ep, list = []);
    if (list.length >= MAX_IDLE_PER_KEY || b.rd.buffered > 0) {
      b.conn.close();
      return;
    }
    b.idle = true;
    list.push(b);
    const drop = () => {
      if (!b.idle) return;
      b.idle = false;
      const i = list!.indexOf(b);
      if (i >= 0) list!.splice(i, 1);
      b.conn.close();
    };
    b.idleTimer = setTimeout(drop, IDLE_TIMEOUT_MS);
    // Like Go's persistConn readLoop: data or EOF on an idle conn retires it.
    if (!b.rd.reading) b.rd.fill().then(drop, drop);
  }

  dropRoute(route: HttpRoute): void {
    const eps = this.#idle.get(route);
    if (!eps) return;
    this.#idle.delete(route);
    for (const list of eps.values()) {
      for (const b of list) {
        b.idle = false;
        clearTimeout(b.idleTimer);
        b.conn.close();
      }
    }
  }

  closeAll(): void {
    for (const r of [...this.#idle.keys()]) this.dropRoute(r);
  }
}
