/**
 * frps server plugins (HTTP RPC; behaviour.md §10, pkg/plugin/server/*.go): one manager for
 * every `httpPlugins` entry. Each operation's plugins run in config order, each seeing the
 * content the previous one returned; a rejection or an error stops the chain.
 *
 * @module
 */
import { errorText } from "../../protocol/errors.ts";
import { randomHexId } from "../../protocol/ids.ts";
import { decodeBody, encodeBody } from "../../protocol/msg/schema.ts";
import type { Login, NewProxy, NewWorkConn, Ping } from "../../protocol/msg/messages.ts";
import type { HTTPPluginOptions } from "../../config/types.ts";
import type { Logger } from "../../log/logger.ts";
import { PluginHttpClient } from "./_http_client.ts";

export { parsePluginURL } from "./_http_client.ts";

/** The request `version` (pkg/plugin/server/plugin.go APIVersion). */
export const PLUGIN_API_VERSION = "0.1.0";

/** A server plugin operation. */
export type ServerPluginOp =
  | "Login"
  | "NewProxy"
  | "CloseProxy"
  | "Ping"
  | "NewWorkConn"
  | "NewUserConn";

/** `user` block of every content except Login (plugin.UserInfo). */
export interface PluginUserInfo {
  user: string;
  metas?: Record<string, string>;
  run_id: string;
}

type Obj = Record<string, unknown>;

/** Go map: encoded with sorted keys. */
class GoMap {
  constructor(readonly m: Record<string, unknown>) {}
}

const MAP_FIELDS = ["metas", "annotations", "headers", "response_headers"];

function withGoMaps(o: Obj): Obj {
  for (const k of MAP_FIELDS) {
    const v = o[k];
    if (v && typeof v === "object") o[k] = new GoMap(v as Obj);
  }
  return o;
}

/** Go encoding/json string escaping (HTML-safe: <, >, & and U+2028/2029 as \u escapes). */
function goString(s: string): string {
  return JSON.stringify(s).replace(
    /[<>&\u2028\u2029]/g,
    (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"),
  );
}

/** Encodes like Go's json.Marshal: struct fields in order, map keys sorted. */
export function goMarshal(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "string") return goString(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `[${v.map(goMarshal).join(",")}]`;
  if (v instanceof GoMap) {
    const keys = Object.keys(v.m).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${keys.map((k) => `${goString(k)}:${goMarshal(v.m[k])}`).join(",")}}`;
  }
  const o = v as Obj;
  return `{${
    Object.keys(o).filter((k) => o[k] !== undefined).map((k) => `${goString(k)}:${goMarshal(o[k])}`)
      .join(",")
  }}`;
}

function userBlock(u: PluginUserInfo): Obj {
  return { user: u.user, metas: u.metas ? new GoMap(u.metas) : null, run_id: u.run_id };
}

/** A field of a Go-decoded JSON object: exact key first, then case-insensitive. */
function goField(o: Obj, name: string): unknown {
  if (Object.hasOwn(o, name)) return o[name];
  for (const k in o) if (k.toLowerCase() === name) return o[k];
  return undefined;
}

interface PluginResponse<T> {
  reject: boolean;
  rejectReason: string;
  unchange: boolean;
  content: T;
}

/** One `httpPlugins` entry. */
class HttpPlugin {
  readonly name: string;
  readonly ops: ReadonlySet<string>;
  readonly client: PluginHttpClient;

  constructor(o: HTTPPluginOptions) {
    this.name = o.name;
    this.ops = new Set(o.ops);
    let url = `${o.addr}${o.path}`;
    if (!url.startsWith("https://") && !url.startsWith("http://")) url = "http://" + url;
    this.client = new PluginHttpClient(url, o.tlsVerify);
  }

  /** Sends one request; throws on transport, status or JSON errors (Go's `do`). */
  async handle<T>(
    op: ServerPluginOp,
    reqid: string,
    contentJson: string,
    decode: (raw: unknown) => T,
  ): Promise<PluginResponse<T>> {
    const body = new TextEncoder().encode(
      `{"version":"${PLUGIN_API_VERSION}","op":"${op}","content":${contentJson}}`,
    );
    const res = await this.client.post(
      `op=${op}&version=${PLUGIN_API_VERSION}`,
      [["Content-Type", "application/json"], ["X-Frp-Reqid", reqid]],
      body,
    );
    if (res.status !== 200) throw new Error(`do http request error code: ${res.status}`);
    const raw = JSON.parse(new TextDecoder().decode(res.body));
    if (raw === null) {
      return { reject: false, rejectReason: "", unchange: false, content: decode({}) };
    }
    if (typeof raw !== "object" || Array.isArray(raw)) {
      throw new Error("json: cannot unmarshal into Go value of type server.Response");
    }
    const want = <V>(name: string, def: V): V => {
      const v = goField(raw, name);
      if (v === undefined || v === null) return def;
      if (typeof v !== typeof def) {
        throw new Error(`json: cannot unmarshal ${typeof v} into Go struct field .${name}`);
      }
      return v as V;
    };
    const reject = want("reject", false);
    const rejectReason = want("reject_reason", "");
    const unchange = want("unchange", false);
    const rawContent = goField(raw, "content");
    if (rawContent === null) {
      // Go frps sets the content to nil and panics on it; fail the operation instead.
      throw new Error("plugin returned null content");
    }
    return { reject, rejectReason, unchange, content: decode(rawContent ?? {}) };
  }
}

const decodeLogin = (raw: unknown): Login => decodeBody("Login", raw);
const decodeNewProxy = (raw: unknown): NewProxy => decodeBody("NewProxy", raw);
const decodePing = (raw: unknown): Ping => decodeBody("Ping", raw);
const decodeNewWorkConn = (raw: unknown): NewWorkConn => decodeBody("NewWorkConn", raw);
const decodeNothing = (): undefined => undefined;

/** The plugins of one frps, grouped by operation (Go's plugin.Manager). */
export class ServerPluginManager {
  readonly #byOp = new Map<ServerPluginOp, HttpPlugin[]>();
  readonly #all: HttpPlugin[];
  readonly #log: Logger;

  constructor(options: HTTPPluginOptions[], log: Logger) {
    this.#all = options.map((o) => new HttpPlugin(o));
    this.#log = log;
    for (const p of this.#all) {
      for (const op of p.ops) {
        const list = this.#byOp.get(op as ServerPluginOp) ?? [];
        list.push(p);
        this.#byOp.set(op as ServerPluginOp, list);
      }
    }
  }

  /** A manager for `httpPlugins`, or undefined when there are none (nothing to call). */
  static fromConfig(
    options: HTTPPluginOptions[],
    log: Logger,
  ): ServerPluginManager | undefined {
    return options.length ? new ServerPluginManager(options, log) : undefined;
  }

  /** Whether any plugin handles `op`. */
  has(op: ServerPluginOp): boolean {
    return this.#byOp.has(op);
  }

  async #mutable<T>(
    op: ServerPluginOp,
    content: T,
    encode: (c: T) => string,
    decode: (raw: unknown) => T,
    infoLevel = false,
  ): Promise<T> {
    const plugins = this.#byOp.get(op);
    if (!plugins) return content;
    const reqid = randomHexId();
    const log = this.#log.child("plugins/server/mod.ts", `reqid: ${reqid}`);
    for (const p of plugins) {
      let res: PluginResponse<T>;
      try {
        res = await p.handle(op, reqid, encode(content), decode);
      } catch (err) {
        const line = `send ${op} request to plugin [${p.name}] error: ${errorText(err)}`;
        if (infoLevel) log.info(line);
        else log.warn(line);
        throw new Error(`send ${op} request to plugin error`);
      }
      if (res.reject) throw new Error(res.rejectReason);
      if (!res.unchange) content = res.content;
    }
    return content;
  }

  /** Login (content: the login plus `client_address`); resolves to the login to use. */
  async login(login: Login, clientAddress: string): Promise<Login> {
    const out = await this.#mutable<Login & { client_address?: string }>(
      "Login",
      { ...login, client_address: clientAddress },
      (c) => {
        const o = withGoMaps(encodeBody("Login", c));
        if (c.client_address) o.client_address = c.client_address;
        return goMarshal(o);
      },
      decodeLogin,
    );
    delete out.client_address;
    return out;
  }

  /** NewProxy; resolves to the (possibly modified) message. */
  newProxy(user: PluginUserInfo, msg: NewProxy): Promise<NewProxy> {
    return this.#mutable(
      "NewProxy",
      msg,
      (c) => goMarshal({ user: userBlock(user), ...withGoMaps(encodeBody("NewProxy", c)) }),
      decodeNewProxy,
    );
  }

  /** Ping; resolves to the message to verify. */
  ping(user: PluginUserInfo, msg: Ping): Promise<Ping> {
    return this.#mutable(
      "Ping",
      msg,
      (c) => goMarshal({ user: userBlock(user), ...encodeBody("Ping", c) }),
      decodePing,
    );
  }

  /** NewWorkConn; resolves to the message to verify. */
  newWorkConn(user: PluginUserInfo, msg: NewWorkConn): Promise<NewWorkConn> {
    return this.#mutable(
      "NewWorkConn",
      msg,
      (c) => goMarshal({ user: userBlock(user), ...encodeBody("NewWorkConn", c) }),
      decodeNewWorkConn,
    );
  }

  /** NewUserConn; rejects with the plugin's reason. Errors are logged at info, as Go does. */
  async newUserConn(
    user: PluginUserInfo,
    proxyName: string,
    proxyType: string,
    remoteAddr: string,
  ): Promise<void> {
    const json = goMarshal({
      user: userBlock(user),
      proxy_name: proxyName,
      proxy_type: proxyType,
      remote_addr: remoteAddr,
    });
    await this.#mutable("NewUserConn", undefined, () => json, decodeNothing, true);
  }

  /** CloseProxy: every plugin in turn, in the background; errors are only logged. */
  closeProxy(user: PluginUserInfo, proxyName: string): void {
    const plugins = this.#byOp.get("CloseProxy");
    if (!plugins) return;
    const reqid = randomHexId();
    const json = goMarshal({
      user: userBlock(user),
      ...encodeBody("CloseProxy", { proxy_name: proxyName }),
    });
    (async () => {
      for (const p of plugins) {
        try {
          await p.handle("CloseProxy", reqid, json, decodeNothing);
        } catch (err) {
          this.#log.child("plugins/server/mod.ts", `reqid: ${reqid}`).warn(
            `send CloseProxy request to plugin [${p.name}] error: ${errorText(err)}`,
          );
        }
      }
    })();
  }

  /** Drops kept-alive plugin connections. */
  close(): void {
    for (const p of this.#all) p.client.close();
  }
}
