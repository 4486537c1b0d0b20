/**
 * frpc client plugins (behaviour.md §9): the registry by plugin type, and a per-proxy cache so
 * each proxy creates its plugin once (Go creates it when the proxy starts).
 *
 * @module
 */
import type { ClientPluginOptions, ClientPluginType } from "../../config/types.ts";
import type { ClientPlugin } from "./types.ts";
import { createHttpProxyPlugin } from "./http_proxy.ts";
import { createSocks5Plugin } from "./socks5.ts";
import { createStaticFilePlugin } from "./static_file.ts";
import { createUnixDomainSocketPlugin } from "./unix_domain_socket.ts";
import { createHttp2HttpPlugin } from "./http2http.ts";
import { createHttp2HttpsPlugin } from "./http2https.ts";
import { createHttps2HttpPlugin } from "./https2http.ts";
import { createHttps2HttpsPlugin } from "./https2https.ts";
import { createTls2RawPlugin } from "./tls2raw.ts";

export type { ClientPlugin, PluginConn } from "./types.ts";

/** Creates a plugin instance from its options. */
export type PluginFactory<T extends ClientPluginOptions> = (opts: T) => Promise<ClientPlugin>;

type Factories = {
  [K in ClientPluginType]?: PluginFactory<Extract<ClientPluginOptions, { type: K }>>;
};

/** Plugins by type; `virtual_net` (TUN device) is not implemented. */
export const CLIENT_PLUGINS: Factories = {
  http_proxy: createHttpProxyPlugin,
  socks5: createSocks5Plugin,
  static_file: createStaticFilePlugin,
  unix_domain_socket: createUnixDomainSocketPlugin,
  http2http: createHttp2HttpPlugin,
  http2https: createHttp2HttpsPlugin,
  https2http: createHttps2HttpPlugin,
  https2https: createHttps2HttpsPlugin,
  tls2raw: createTls2RawPlugin,
};

/** Creates the plugin for `opts`; throws `plugin [X] is not registered` for unknown types. */
export function createClientPlugin(opts: ClientPluginOptions): Promise<ClientPlugin> {
  const f = CLIENT_PLUGINS[opts.type] as PluginFactory<ClientPluginOptions> | undefined;
  if (!f) return Promise.reject(new Error(`plugin [${opts.type}] is not registered`));
  return f(opts);
}

const instances = new WeakMap<object, Promise<ClientPlugin>>();

/**
 * The plugin instance of a proxy config object (created on first use and kept while the
 * config object lives; a failed creation is retried on the next connection).
 */
export function pluginFor(key: object, opts: ClientPluginOptions): Promise<ClientPlugin> {
  let p = instances.get(key);
  if (!p) {
    p = createClientPlugin(opts);
    instances.set(key, p);
    p.catch(() => instances.delete(key));
  }
  return p;
}
