/**
 * frps's visitor manager (frp's server/visitor/visitor.go): stcp/sudp proxies register a
 * listener under their wire name with their secret key and allowed users; each
 * NewVisitorConn is checked against it (sign_key, allow_users) and queued there
 * (wire-v1.md §11.1, §11.4).
 *
 * @module
 */
import type { Conn } from "../../protocol/duplex.ts";
import type { NewVisitorConn } from "../../protocol/msg/messages.ts";
import { privilegeKey } from "../../protocol/crypto/mod.ts";
import { timingSafeEqualString } from "../../protocol/ids.ts";
import { VisitorListener } from "./listener.ts";

interface Entry {
  listener: VisitorListener;
  sk: string;
  allowUsers: readonly string[];
}

/** A visitor conn that passed every check; `accept` queues it on the proxy. */
export interface AdmittedVisitor {
  /** The secret key that keys the visitor leg's encryption. */
  sk: string;
  /** Queues the (wrapped) conn on the proxy; false once the proxy went away. */
  accept(conn: Conn): boolean;
}

/** Listeners of stcp/sudp proxies by wire name. */
export class VisitorRegistry {
  readonly #entries = new Map<string, Entry>();

  /**
   * Registers `name`. `allowUsers` must already be resolved (an empty list in NewProxy means
   * the owner's user; the proxy does that). Throws frp's error for a repeated name.
   */
  listen(name: string, sk: string, allowUsers: readonly string[]): VisitorListener {
    if (this.#entries.has(name)) throw new Error(`custom listener for [${name}] is repeated`);
    const entry: Entry = {
      listener: new VisitorListener(() => {
        if (this.#entries.get(name) === entry) this.#entries.delete(name);
      }),
      sk,
      allowUsers,
    };
    this.#entries.set(name, entry);
    return entry.listener;
  }

  /**
   * Checks a NewVisitorConn for proxy `name` coming from `visitorUser`. Returns the admitted
   * target or throws an Error carrying frp's text. No freshness check on the timestamp, as frp.
   */
  admit(msg: NewVisitorConn, visitorUser: string): AdmittedVisitor {
    const name = msg.proxy_name ?? "";
    const entry = this.#entries.get(name);
    if (!entry) throw new Error(`custom listener for [${name}] doesn't exist`);
    const expected = privilegeKey(entry.sk, msg.timestamp ?? 0);
    if (!timingSafeEqualString(expected, msg.sign_key ?? "")) {
      throw new Error(`visitor connection of [${name}] auth failed`);
    }
    if (!entry.allowUsers.includes(visitorUser) && !entry.allowUsers.includes("*")) {
      throw new Error(`visitor connection of [${name}] user [${visitorUser}] not allowed`);
    }
    return { sk: entry.sk, accept: (conn) => entry.listener.put(conn) };
  }
}
