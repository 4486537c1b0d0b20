/**
 * `https2https` (behaviour.md §9.6): as https2http, but the upstream is `https://localAddr`
 * (certificate not verified).
 *
 * @module
 */
import type { HTTPS2HTTPSPluginOptions } from "../../config/types.ts";
import type { ClientPlugin } from "./types.ts";
import { createHttpsBridge } from "./https2http.ts";

/** Creates the plugin. */
export function createHttps2HttpsPlugin(opts: HTTPS2HTTPSPluginOptions): Promise<ClientPlugin> {
  return createHttpsBridge(opts, "https");
}
