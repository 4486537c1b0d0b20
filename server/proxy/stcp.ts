/**
 * stcp proxies: reachable only through stcp visitors that know the secret key.
 *
 * @module
 */
import type { ProxyContext, ServerProxy } from "./base.ts";
import { startSecretProxy } from "./secret_base.ts";

/** Starts an stcp proxy (see secret_base.ts). */
export function createStcpProxy(ctx: ProxyContext): Promise<ServerProxy> {
  return Promise.resolve().then(() => startSecretProxy(ctx, "stcp"));
}
