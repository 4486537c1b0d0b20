/**
 * Load-balancing groups (frp's server/group, behaviour.md §5). The namespace is global (group
 * name only); the first member creates the shared listener/route, later members must match
 * its parameters and groupKey, the last one leaving destroys it.
 *
 * @module
 */
import type { Conn, Duplex, NetAddr } from "../../protocol/duplex.ts";
import type { TcpListener } from "../../transport/tcp.ts";
import type { Routers } from "../vhost/router.ts";
import type { HttpRoute } from "../vhost/http.ts";
import type { MuxRoute } from "../vhost/muxer.ts";

/** frp's group error texts. */
export const ERR_GROUP_AUTH_FAILED = "group auth failed";
export const ERR_GROUP_PARAMS_INVALID = "group params invalid";
export const ERR_GROUP_DIFFERENT_PORT = "group should have same remote port";
export const ERR_PROXY_REPEATED = "group proxy repeated";

// ---------------------------------------------------------------- tcp

interface TcpMember {
  name: string;
  serve: (conn: Conn) => void;
}

interface TcpGroup {
  group: string;
  groupKey: string;
  addr: string;
  port: number;
  realPort: number;
  listener: TcpListener;
  release: () => void;
  members: TcpMember[];
  next: number;
}

/** Shared tcp listeners by group name. */
export class TcpGroups {
  readonly #groups = new Map<string, TcpGroup>();

  /**
   * Joins (or creates) `group`. `acquire` binds the shared listener for the first member and
   * returns it with the real port and a release function. Returns the real port.
   */
  async join(
    member: TcpMember,
    group: string,
    groupKey: string,
    addr: string,
    port: number,
    acquire: () => Promise<{ port: number; listener: TcpListener; release: () => void }>,
  ): Promise<number> {
    let g = this.#groups.get(group);
    if (!g || g.members.length === 0) {
      const { port: realPort, listener, release } = await acquire();
      g = {
        group,
        groupKey,
        addr,
        port,
        realPort,
        listener,
        release,
        members: [],
        next: 0,
      };
      this.#groups.set(group, g);
      this.#acceptLoop(g);
    } else {
      if (g.group !== group || g.addr !== addr) throw new Error(ERR_GROUP_PARAMS_INVALID);
      if (g.port !== port) throw new Error(ERR_GROUP_DIFFERENT_PORT);
      if (g.groupKey !== groupKey) throw new Error(ERR_GROUP_AUTH_FAILED);
    }
    g.members.push(member);
    return g.realPort;
  }

  async #acceptLoop(g: TcpGroup): Promise<void> {
    for (;;) {
      const conn = await g.listener.accept().catch(() => null);
      if (!conn) break;
      if (g.members.length === 0) {
        conn.close();
        continue;
      }
      const m = g.members[g.next++ % g.members.length];
      m.serve(conn);
    }
  }

  /** Leaves; the last member closes the listener and releases the port. */
  leave(group: string, member: TcpMember): void {
    const g = this.#groups.get(group);
    if (!g) return;
    const i = g.members.indexOf(member);
    if (i < 0) return;
    g.members.splice(i, 1);
    if (g.members.length === 0) {
      this.#groups.delete(group);
      g.listener.close();
      g.release();
    }
  }
}

// ---------------------------------------------------------------- http

interface HttpGroup {
  group: string;
  groupKey: string;
  domain: string;
  location: string;
  routeByHTTPUser: string;
  route: HttpRoute;
  create: Map<string, (remote: NetAddr) => Promise<Duplex>>;
  names: string[];
  index: number;
}

/** http groups: one shared route per group, request-level round robin. */
export class HttpGroups {
  readonly #groups = new Map<string, HttpGroup>();
  readonly #router: () => Routers<HttpRoute> | undefined;
  readonly #onEmpty: (route: HttpRoute) => void;

  constructor(router: () => Routers<HttpRoute> | undefined, onEmpty: (r: HttpRoute) => void) {
    this.#router = router;
    this.#onEmpty = onEmpty;
  }

  /** Registers `proxyName` with the member's route config. */
  register(proxyName: string, group: string, groupKey: string, rc: HttpRoute): void {
    let g = this.#groups.get(group);
    if (!g || g.names.length === 0) {
      const create = new Map<string, (remote: NetAddr) => Promise<Duplex>>();
      const names: string[] = [];
      const ng: HttpGroup = {
        group,
        groupKey,
        domain: rc.domain,
        location: rc.location,
        routeByHTTPUser: rc.routeByHTTPUser,
        create,
        names,
        index: 0,
        route: undefined as unknown as HttpRoute,
      };
      ng.route = {
        ...rc,
        chooseEndpoint: () => {
          const i = ++ng.index;
          return ng.names.length > 0 ? ng.names[i % ng.names.length] : "";
        },
        createConn: (endpoint, remote) => {
          let name = endpoint;
          if (name === undefined) {
            const i = ++ng.index;
            name = ng.names.length > 0 ? ng.names[i % ng.names.length] : "";
          }
          const f = ng.create.get(name);
          if (!f) return Promise.reject(new Error("can't find group endpoint"));
          return f(remote);
        },
      };
      const router = this.#router();
      if (!router) throw new Error("vhost http is not enabled");
      router.add(rc.domain, rc.location, rc.routeByHTTPUser, ng.route);
      this.#groups.set(group, ng);
      g = ng;
    } else {
      if (
        g.group !== group || g.domain !== rc.domain || g.location !== rc.location ||
        g.routeByHTTPUser !== rc.routeByHTTPUser
      ) {
        throw new Error(ERR_GROUP_PARAMS_INVALID);
      }
      if (g.groupKey !== groupKey) throw new Error(ERR_GROUP_AUTH_FAILED);
    }
    if (g.create.has(proxyName)) throw new Error(ERR_PROXY_REPEATED);
    g.create.set(proxyName, (remote) => rc.createConn(undefined, remote));
    g.names.push(proxyName);
  }

  /** The shared route of a group (its pooled work conns are keyed by it). */
  routeOf(group: string): HttpRoute | undefined {
    return this.#groups.get(group)?.route;
  }

  /** Removes `proxyName`; the last member removes the route. */
  unregister(proxyName: string, group: string): void {
    const g = this.#groups.get(group);
    if (!g || !g.create.has(proxyName)) return;
    g.create.delete(proxyName);
    g.names.splice(g.names.indexOf(proxyName), 1);
    if (g.names.length === 0) {
      this.#groups.delete(group);
      this.#router()?.del(g.domain, g.location, g.routeByHTTPUser);
      this.#onEmpty(g.route);
    }
  }
}

// ---------------------------------------------------------------- https / tcpmux

interface MuxMember {
  name: string;
  handle: (conn: Conn) => void;
}

interface MuxGroup {
  group: string;
  groupKey: string;
  params: string;
  domain: string;
  routeByHTTPUser: string;
  members: MuxMember[];
  next: number;
}

/** https and tcpmux groups: one shared muxer route, connection-level round robin. */
export class MuxGroups {
  readonly #groups = new Map<string, MuxGroup>();
  readonly #router: () => Routers<MuxRoute> | undefined;

  constructor(router: () => Routers<MuxRoute> | undefined) {
    this.#router = router;
  }

  /**
   * Joins `group`; `params` is the member's parameter fingerprint that must equal the first
   * member's (https: domain; tcpmux: domain, routeByHTTPUser, httpUser, httpPassword).
   */
  join(
    member: MuxMember,
    group: string,
    groupKey: string,
    domain: string,
    routeByHTTPUser: string,
    params: string,
    auth: { username: string; password: string },
  ): void {
    let g = this.#groups.get(group);
    if (!g || g.members.length === 0) {
      const ng: MuxGroup = {
        group,
        groupKey,
        params,
        domain,
        routeByHTTPUser,
        members: [],
        next: 0,
      };
      const router = this.#router();
      if (!router) throw new Error("vhost muxer is not enabled");
      router.add(domain, "", routeByHTTPUser, {
        ...auth,
        handle: (conn) => {
          if (ng.members.length === 0) return conn.close();
          ng.members[ng.next++ % ng.members.length].handle(conn);
        },
      });
      this.#groups.set(group, ng);
      g = ng;
    } else {
      if (g.group !== group || g.params !== params) throw new Error(ERR_GROUP_PARAMS_INVALID);
      if (g.groupKey !== groupKey) throw new Error(ERR_GROUP_AUTH_FAILED);
    }
    g.members.push(member);
  }

  /** Leaves; the last member removes the route. */
  leave(group: string, member: MuxMember): void {
    const g = this.#groups.get(group);
    if (!g) return;
    const i = g.members.indexOf(member);
    if (i < 0) return;
    g.members.splice(i, 1);
    if (g.members.length === 0) {
      this.#groups.delete(group);
      this.#router()?.del(g.domain, "", g.routeByHTTPUser);
    }
  }
}
