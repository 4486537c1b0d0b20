/**
 * sudp proxies: like stcp, but the joined byte streams carry UDPPacket/Ping frames between the
 * sudp visitor and the proxy's frpc (wire-v1.md §11.1); frps never looks inside.
 *
 * @module
 */
import type { ProxyContext, ServerProxy } from "./base.ts";
import { startSecretProxy } from "./secret_base.ts";

/** Starts an sudp proxy (see secret_base.ts). */
export function createSudpProxy(ctx: ProxyContext): Promise<ServerProxy> {
  return Promise.resolve().then(() => startSecretProxy(ctx, "sudp"));
}
