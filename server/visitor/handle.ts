/**
 * frps's answer to NewVisitorConn (frp's Service.RegisterVisitorConn): find the visitor's user
 * through its run id, admit the conn against the target proxy's listener, answer
 * NewVisitorConnResp, and queue the conn — wrapped with the secret key per the visitor's own
 * flags — as a user connection of the stcp/sudp proxy (wire-v1.md §11.1).
 *
 * @module
 */
import { errorText } from "../../protocol/errors.ts";
import type { Duplex, NetAddr } from "../../protocol/duplex.ts";
import type { NewVisitorConn } from "../../protocol/msg/messages.ts";
import type { MessageCodec } from "../../protocol/msg/codec.ts";
import { deadline } from "../../protocol/deadline.ts";
import { wrapProxyConn } from "../../protocol/wrap.ts";
import type { ServerContext } from "../context.ts";
import { AddressedConn } from "./conn.ts";

const RESP_WRITE_TIMEOUT_MS = 10_000;

/** Endpoints of the physical connection a logical conn arrived on. */
export interface ConnAddrs {
  localAddr: NetAddr;
  remoteAddr: NetAddr;
}

/** The visitor's user: its control's Login.user; "" without a run id (pre-0.50 clients). */
function visitorUser(server: ServerContext, runId: string): string {
  if (!runId) return "";
  const ctl = server.controls.get(runId);
  if (!ctl || ctl.isClosed) throw new Error(`no client control found for run id [${runId}]`);
  return ctl.login.user ?? "";
}

/** Serves one NewVisitorConn; never rejects (failures are logged and answered). */
export async function handleNewVisitorConn(
  server: ServerContext,
  conn: Duplex,
  addrs: ConnAddrs,
  msg: NewVisitorConn,
  codec: MessageCodec,
): Promise<void> {
  const log = server.log.child("server/service.ts");
  const proxyName = msg.proxy_name ?? "";
  let admitted;
  try {
    admitted = server.visitors.admit(msg, visitorUser(server, msg.run_id ?? ""));
  } catch (err) {
    log.warn(`register visitor conn error: ${errorText(err)}`);
    const error = server.clientError(errorText(err), "register visitor conn error");
    await deadline(
      codec.writeMessage(conn, {
        type: "NewVisitorConnResp",
        body: { proxy_name: proxyName, error },
      }),
      RESP_WRITE_TIMEOUT_MS,
      "NewVisitorConnResp write",
    ).catch(() => {});
    conn.close();
    return;
  }
  // The answer goes out in plaintext before the conn is queued, so no relayed byte can
  // overtake it (Go queues first and relies on the work-conn round trip being slower).
  try {
    await deadline(
      codec.writeMessage(conn, { type: "NewVisitorConnResp", body: { proxy_name: proxyName } }),
      RESP_WRITE_TIMEOUT_MS,
      "NewVisitorConnResp write",
      () => conn.close(),
    );
  } catch (err) {
    log.debug(`write NewVisitorConnResp error: ${errorText(err)}`);
    conn.close();
    return;
  }
  const wrapped = wrapProxyConn(conn, {
    key: admitted.sk,
    useEncryption: !!msg.use_encryption,
    useCompression: !!msg.use_compression,
  });
  if (!admitted.accept(new AddressedConn(wrapped, addrs.localAddr, addrs.remoteAddr, codec))) {
    conn.close();
  }
}
