/**
 * `unix_domain_socket` (behaviour.md §9.4): dial the unix stream socket per connection, write
 * the PROXY header if configured, splice.
 *
 * @module
 */
import type { UnixDomainSocketPluginOptions } from "../../config/types.ts";
import { relay, writeAll } from "../../protocol/io.ts";
import { errorText } from "../../protocol/errors.ts";
import type { ClientPlugin, PluginConn } from "./types.ts";
import { safeClose } from "./_http.ts";

/** Creates the plugin. */
export function createUnixDomainSocketPlugin(
  opts: UnixDomainSocketPluginOptions,
): Promise<ClientPlugin> {
  return Promise.resolve({
    name: "unix_domain_socket",
    async handle(c: PluginConn): Promise<void> {
      let local: Deno.UnixConn;
      try {
        local = await Deno.connect({ transport: "unix", path: opts.unixPath });
      } catch (err) {
        c.log.warn(`dial to uds ${opts.unixPath} error: ${errorText(err)}`);
        safeClose(c.conn);
        return;
      }
      if (c.proxyProtocolHeader) {
        try {
          await writeAll(local, c.proxyProtocolHeader);
        } catch {
          safeClose(local);
          safeClose(c.conn);
          return;
        }
      }
      await relay(local, c.conn);
    },
    close() {},
  });
}
