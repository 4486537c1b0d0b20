/**
 * The shape every frpc client plugin has (Go `pkg/plugin/client/plugin.go`): created once per
 * proxy, then handed each work connection instead of dialling localIP:localPort.
 *
 * @module
 */
import type { Duplex, NetAddr } from "../../protocol/duplex.ts";
import type { Logger } from "../../log/logger.ts";

/** One work connection as a plugin sees it (Go `plugin.ConnectionInfo`). */
export interface PluginConn {
  /** The work conn after rate limiting, decryption and decompression. */
  conn: Duplex;
  /** The user's address from StartWorkConn, when frps sent one. */
  srcAddr?: NetAddr;
  /** The address the user connected to, when frps sent one. */
  dstAddr?: NetAddr;
  /** PROXY protocol header to write to a local service first, when configured. */
  proxyProtocolHeader: Uint8Array | null;
  /** The proxy's logger. */
  log: Logger;
}

/** A running plugin instance. */
export interface ClientPlugin {
  /** The plugin type, e.g. "http_proxy". */
  readonly name: string;
  /** Serves one work connection until it ends; closes `c.conn` when done. Never rejects. */
  handle(c: PluginConn): Promise<void>;
  /** Releases what the plugin holds. */
  close(): void;
}
