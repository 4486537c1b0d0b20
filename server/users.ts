/**
 * Per-user tokens and limits on frps (`[[auth.users]]`, beyond Go frp, docs/beyond-frp.md).
 * A Go frpc logs in as today: its Login `user` picks the entry whose token checks the privilege
 * key and keys the session's encryption. Limits are checked at Login, NewProxy and for every
 * user connection; violations get frp-style texts (`proxy type [udp] is not allowed for user
 * [alice]`). A hot reload replaces the limits in place; counters survive it.
 *
 * @module
 */
import type { Duplex } from "../protocol/duplex.ts";
import type { NewProxy } from "../protocol/msg/messages.ts";
import { type Cidr, cidrContains, parseCidr } from "../protocol/cidr.ts";
import { parseBandwidth, RateLimiter } from "../protocol/bandwidth.ts";
import type { ServerAuthConfig, ServerUserConfig } from "../config/types.ts";
import { portAllowed } from "./ports.ts";

const PORT_TYPES = new Set(["tcp", "udp"]);
const DOMAIN_TYPES = new Set(["http", "https", "tcpmux"]);

/** A user connection refused by the owner's limits (its message is the log text). */
export class UserConnRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UserConnRejected";
  }
}

function cidrs(list: string[]): Cidr[] {
  return list.map(parseCidr).filter((c): c is Cidr => c !== undefined);
}

/** `*` matches any run of characters; case-insensitive, as DNS names are. */
function globMatch(patterns: string[], value: string): boolean {
  return patterns.some((p) => {
    const re = p.toLowerCase().replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
    return new RegExp(`^${re}$`).test(value.toLowerCase());
  });
}

/** One listed user: its limits (replaced by a reload) and live counters. */
export class UserState {
  config!: ServerUserConfig;
  /** Aggregate bandwidth of the user's connections; null without `bandwidthLimit`. */
  bandwidth: RateLimiter | null = null;
  /** Current user connections across the user's proxies. */
  curConns = 0;
  /** Running (or binding) proxies across the user's sessions. */
  proxies = 0;
  /** Refusals since start, for `GET /api/users`. */
  readonly rejected = { logins: 0, proxies: 0, conns: 0 };
  #loginIPs: Cidr[] = [];
  #connIPs: Cidr[] = [];
  #connRate: RateLimiter | null = null;

  constructor(config: ServerUserConfig) {
    this.apply(config);
  }

  get name(): string {
    return this.config.user;
  }

  /** Takes over (new) limits; limiters are rebuilt only when their setting changed. */
  apply(config: ServerUserConfig): void {
    const old = this.config;
    this.config = config;
    this.#loginIPs = cidrs(config.loginAllowIPs);
    this.#connIPs = cidrs(config.userConnAllowIPs);
    if (old?.bandwidthLimit !== config.bandwidthLimit || !old) {
      let rate = 0;
      try {
        rate = parseBandwidth(config.bandwidthLimit);
      } catch { /* validated at load */ }
      this.bandwidth = rate > 0 ? new RateLimiter(rate) : null;
    }
    if (old?.connRateLimit !== config.connRateLimit || !old) {
      this.#connRate = config.connRateLimit > 0 ? new RateLimiter(config.connRateLimit) : null;
    }
  }

  /** Login from `ip`: an error text, or undefined when the address is allowed. */
  loginError(ip: string): string | undefined {
    if (this.#loginIPs.length === 0 || this.#loginIPs.some((c) => cidrContains(c, ip))) {
      return undefined;
    }
    return `login from ip [${ip}] is not allowed for user [${this.name}]`;
  }

  /** NewProxy: an error text, or undefined (then the proxy counts until {@link proxyClosed}). */
  admitProxy(msg: NewProxy): string | undefined {
    const e = this.#proxyError(msg, this.proxies);
    if (e) this.rejected.proxies++;
    else this.proxies++;
    return e;
  }

  /** A proxy admitted by {@link admitProxy} failed to start or closed. */
  proxyClosed(): void {
    this.proxies--;
  }

  #proxyError(msg: NewProxy, proxies: number): string | undefined {
    const c = this.config;
    const type = msg.proxy_type || "tcp";
    const who = `for user [${this.name}]`;
    if (c.proxyTypes.length > 0 && !c.proxyTypes.includes(type)) {
      return `proxy type [${type}] is not allowed ${who}`;
    }
    const port = msg.remote_port ?? 0;
    if (PORT_TYPES.has(type) && port > 0 && c.allowPorts.length > 0) {
      if (!portAllowed(c.allowPorts, port)) return `port [${port}] is not allowed ${who}`;
    }
    if (DOMAIN_TYPES.has(type)) {
      const sub = msg.subdomain ?? "";
      if (sub && c.subdomains.length > 0 && !globMatch(c.subdomains, sub)) {
        return `subdomain [${sub}] is not allowed ${who}`;
      }
      for (const d of msg.custom_domains ?? []) {
        if (c.customDomains.length > 0 && !globMatch(c.customDomains, d)) {
          return `custom domain [${d}] is not allowed ${who}`;
        }
      }
    }
    if (c.maxProxies > 0 && proxies >= c.maxProxies) {
      return `exceed the max proxies [${c.maxProxies}] of user [${this.name}]`;
    }
    return undefined;
  }

  /**
   * Admits one user connection from `ip` (source allowlist, max connections, rate); throws
   * {@link UserConnRejected}. Returns the release to call once it closes.
   */
  admitConn(ip: string): () => void {
    const c = this.config;
    let why: string | undefined;
    if (this.#connIPs.length > 0 && !this.#connIPs.some((x) => cidrContains(x, ip))) {
      why = `user connection from ip [${ip}] is not allowed for user [${this.name}]`;
    } else if (c.maxConnections > 0 && this.curConns >= c.maxConnections) {
      why = `exceed the max connections [${c.maxConnections}] of user [${this.name}]`;
    } else if (this.#connRate && !this.#connRate.tryTake(1)) {
      why = `exceed the connection rate limit [${c.connRateLimit}/s] of user [${this.name}]`;
    }
    if (why) {
      this.rejected.conns++;
      throw new UserConnRejected(why);
    }
    this.curConns++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.curConns--;
    };
  }
}

/** What a Login must prove, or why it is refused. */
export type LoginAdmission =
  | { error: string; state?: UserState }
  | { error?: undefined; token: string; oidcSubject?: string; state?: UserState };

/** The `[[auth.users]]` table of one frps. */
export class UserRegistry {
  readonly #users = new Map<string, UserState>();
  #allowUnlisted = false;

  constructor(auth: ServerAuthConfig) {
    this.update(auth);
  }

  /** Whether any user is listed (else every login uses `auth.token`, as in Go frp). */
  get enabled(): boolean {
    return this.#users.size > 0;
  }

  /** Hot reload: new entries and limits; states of users still listed keep their counters. */
  update(auth: ServerAuthConfig): void {
    this.#allowUnlisted = auth.allowUnlistedUsers;
    const names = new Set(auth.users.map((u) => u.user));
    for (const n of [...this.#users.keys()]) if (!names.has(n)) this.#users.delete(n);
    for (const u of auth.users) {
      const s = this.#users.get(u.user);
      if (s) s.apply(u);
      else this.#users.set(u.user, new UserState(u));
    }
  }

  /** The listed user `name`, if any. */
  get(name: string): UserState | undefined {
    return this.#users.get(name);
  }

  /** Every listed user, in config order. */
  list(): UserState[] {
    return [...this.#users.values()];
  }

  /** Login of `user` from `ip`: the token to check, or why the login is refused. */
  admitLogin(user: string, ip: string, globalToken: string): LoginAdmission {
    const state = this.#users.get(user);
    if (!state) {
      if (this.enabled && !this.#allowUnlisted) {
        return { error: `user [${user}] is not allowed to log in` };
      }
      return { token: globalToken };
    }
    const error = state.loginError(ip);
    if (error) return { error, state };
    return {
      token: state.config.token ?? globalToken,
      oidcSubject: state.config.oidcSubject,
      state,
    };
  }
}

/** `d`, calling `release` once when it is closed. */
export function releasingOnClose(d: Duplex, release: () => void): Duplex {
  return {
    read: (p) => d.read(p),
    write: (p) => d.write(p),
    closeWrite: () => d.closeWrite(),
    close() {
      d.close();
      release();
    },
  };
}
