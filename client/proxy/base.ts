/**
 * The client half of a proxy: what to do with a work connection frps has started for it.
 *
 * @module
 */
import type { Duplex } from "../../protocol/duplex.ts";
import type { StartWorkConn } from "../../protocol/msg/messages.ts";
import type { ClientCommonConfig, ProxyConfig } from "../../config/types.ts";
import type { Logger } from "../../log/logger.ts";
import type { MessageTransporter } from "../transporter.ts";
import type { WebStreamPair } from "../../protocol/web_streams.ts";

/**
 * An in-process local service: it gets each user connection of its proxy as Web Streams,
 * instead of frpc dialing `localIP:localPort`. The handler owns the streams (close the
 * writable when done).
 */
export type LocalHandler = (
  conn: WebStreamPair,
  info: { proxyName: string; srcAddr?: { hostname: string; port: number } },
) => void | Promise<void>;

/** What a proxy handler gets for each work connection. */
export interface WorkConnContext {
  common: ClientCommonConfig;
  proxy: ProxyConfig;
  log: Logger;
  /** The raw work conn, positioned right after StartWorkConn. */
  conn: Duplex;
  start: StartWorkConn;
  /** The session's control-channel request/answer matcher (xtcp's NatHole exchange). */
  transporter?: MessageTransporter;
  /** Aborts when the proxy stops (removed, or the session ended). */
  signal?: AbortSignal;
  /** Work-conn encryption key; default the auth token (xtcp streams use the secret key). */
  key?: string;
  /** The embedder's in-process local service for this proxy, if any (replaces the dial). */
  localHandler?: LocalHandler;
}

/** Serves one work connection until it ends. Must close `conn` when done. */
export type WorkConnHandler = (ctx: WorkConnContext) => Promise<void>;
