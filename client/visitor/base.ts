/**
 * What every stcp/sudp visitor does per connection (frp's client/visitor/{stcp,sudp}.go): open
 * a new logical conn to frps, introduce itself with NewVisitorConn (signed with the secret key),
 * wait ≤ 10 s for NewVisitorConnResp, then wrap the conn with the secret key and the visitor's
 * own flags (wire-v1.md §2.9, §9.2, §11.1).
 *
 * @module
 */
import { errorText } from "../../protocol/errors.ts";
import type { Conn, Duplex } from "../../protocol/duplex.ts";
import { deadline } from "../../protocol/deadline.ts";
import { privilegeKey } from "../../protocol/crypto/mod.ts";
import { wrapProxyConn } from "../../protocol/wrap.ts";
import type { ClientCommonConfig, VisitorConfig } from "../../config/types.ts";
import type { Logger } from "../../log/logger.ts";
import type { Connector } from "../connector.ts";
import { wireName } from "../../protocol/naming.ts";
import type { MessageTransporter } from "../transporter.ts";

const RESP_TIMEOUT_MS = 10_000;

/** Everything a visitor needs from its client session. */
export interface VisitorContext {
  common: ClientCommonConfig;
  cfg: VisitorConfig;
  /** Prefixed with the visitor's name. */
  log: Logger;
  connector: Connector;
  /** This frpc's run id: frps derives the visitor's user from it. */
  runId: string;
  /** The control channel's request/answer matcher (xtcp's NatHole exchanges). */
  transporter?: MessageTransporter;
  /** Hands a user conn to another visitor of this session (xtcp `fallbackTo`); throws. */
  transferConn?: (name: string, conn: Conn) => void;
}

/** A running visitor. */
export interface Visitor {
  /** Binds the local listener; rejects when that fails (the manager retries). */
  start(): Promise<void>;
  /**
   * Stops listening and ends every relayed connection. Idempotent. Settles once the local bind
   * port is free again (Deno frees a closed socket's port on a later tick; Go's Close at once).
   */
  close(): Promise<void>;
  /** Serves a user conn that did not come from its own listener (frp's AcceptConn). */
  acceptConn?(conn: Conn): void;
}

/**
 * The target proxy's wire name (wire-v1.md §11.2): `serverUser.serverName`, else the visitor's
 * own user prefix.
 */
export function targetProxyName(common: ClientCommonConfig, cfg: VisitorConfig): string {
  return cfg.serverUser
    ? `${cfg.serverUser}.${cfg.serverName}`
    : wireName(common.user, cfg.serverName);
}

/**
 * A new visitor conn, ready for payload bytes. Rejects with frp's texts, e.g.
 * `start new visitor connection error: <frps error>`.
 */
export async function openVisitorConn(ctx: VisitorContext): Promise<Duplex> {
  const { cfg } = ctx;
  const sk = cfg.secretKey ?? "";
  let conn: Duplex;
  try {
    conn = await ctx.connector.connect();
  } catch (err) {
    throw new Error(`frpc connect frps error: ${errorText(err)}`);
  }
  try {
    const timestamp = Math.floor(Date.now() / 1000);
    await ctx.connector.codec.writeMessage(conn, {
      type: "NewVisitorConn",
      body: {
        run_id: ctx.runId,
        proxy_name: targetProxyName(ctx.common, cfg),
        sign_key: privilegeKey(sk, timestamp),
        timestamp,
        use_encryption: cfg.transport.useEncryption,
        use_compression: cfg.transport.useCompression,
      },
    });
    const m = await deadline(
      ctx.connector.codec.readMessage(conn),
      RESP_TIMEOUT_MS,
      "read NewVisitorConnResp",
      () => conn.close(),
    );
    if (m.type !== "NewVisitorConnResp") throw new Error(`unexpected message ${m.type}`);
    if (m.body.error) throw new Error(`start new visitor connection error: ${m.body.error}`);
  } catch (err) {
    conn.close();
    throw err;
  }
  return wrapProxyConn(conn, {
    key: sk,
    useEncryption: cfg.transport.useEncryption,
    useCompression: cfg.transport.useCompression,
  });
}
