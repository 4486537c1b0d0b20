/**
 * frp's vhost route table (pkg/util/vhost/router.go + the lookup of http.go/vhost.go,
 * behaviour.md §1.2–§1.3): routes keyed by (domain, location, routeByHTTPUser), looked up by
 * exact host, then `*.x.y` wildcards, then the catch-all domain `*`.
 *
 * @module
 */

/** Thrown when a (domain, location, routeByHTTPUser) key is registered twice. */
export class RouterConflictError extends Error {
  constructor() {
    super("router config conflict");
    this.name = "RouterConflictError";
  }
}

interface Entry<T> {
  location: string;
  payload: T;
}

/** A route table whose payloads are of type `T`. */
export class Routers<T> {
  /** domain → routeByHTTPUser → entries sorted by location, descending. */
  readonly #table = new Map<string, Map<string, Entry<T>[]>>();

  /** Registers a route; throws {@link RouterConflictError} when the key exists. */
  add(domain: string, location: string, httpUser: string, payload: T): void {
    domain = domain.toLowerCase();
    let users = this.#table.get(domain);
    if (!users) this.#table.set(domain, users = new Map());
    let list = users.get(httpUser);
    if (!list) users.set(httpUser, list = []);
    if (list.some((e) => e.location === location)) throw new RouterConflictError();
    list.push({ location, payload });
    list.sort((a, b) => (a.location < b.location ? 1 : a.location > b.location ? -1 : 0));
  }

  /** Removes a route (no-op when absent). */
  del(domain: string, location: string, httpUser: string): void {
    domain = domain.toLowerCase();
    const users = this.#table.get(domain);
    const list = users?.get(httpUser);
    if (!users || !list) return;
    const i = list.findIndex((e) => e.location === location);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) users.delete(httpUser);
    if (users.size === 0) this.#table.delete(domain);
  }

  /** frp's Routers.Get: the route under exactly (domain, user) with the best location. */
  get(domain: string, path: string, httpUser: string): T | undefined {
    const list = this.#table.get(domain)?.get(httpUser);
    if (!list) return undefined;
    for (const e of list) if (path.startsWith(e.location)) return e.payload;
    return undefined;
  }

  #exactOrAllUsers(domain: string, path: string, user: string): T | undefined {
    return this.get(domain, path, user) ?? this.get(domain, path, "");
  }

  /** The full per-request lookup (behaviour.md §1.3). `host` must already be canonical. */
  lookup(host: string, path: string, user: string): T | undefined {
    let r = this.#exactOrAllUsers(host, path, user);
    if (r !== undefined) return r;
    let labels = host.split(".");
    while (labels.length >= 3) {
      labels[0] = "*";
      r = this.#exactOrAllUsers(labels.join("."), path, user);
      if (r !== undefined) return r;
      labels = labels.slice(1);
    }
    return this.#exactOrAllUsers("*", path, user);
  }

  /** Number of registered routes (for tests). */
  get size(): number {
    let n = 0;
    for (const users of this.#table.values()) for (const l of users.values()) n += l.length;
    return n;
  }
}

/**
 * frp's canonical host: lower-case, strip a `:port` suffix (only with exactly one `:`, or
 * `[..]:port`), then one trailing `.`.
 */
export function canonicalHost(host: string): string {
  let h = host.toLowerCase();
  const colons = h.split(":").length - 1;
  if (colons === 1) {
    h = h.slice(0, h.indexOf(":"));
  } else if (h.startsWith("[") && h.includes("]:")) {
    h = h.slice(1, h.lastIndexOf("]:"));
  }
  if (h.endsWith(".")) h = h.slice(0, -1);
  return h;
}

/** `domain` or `domain:port` (port omitted for 80 and 443), frp's util.CanonicalAddr. */
export function canonicalAddr(domain: string, port: number): string {
  return port === 80 || port === 443 ? domain : `${domain}:${port}`;
}
