/**
 * `frps reload -c frps.toml` (beyond Go frp, docs/beyond-frp.md): asks the running frps,
 * through the dashboard API named in that config's `webServer`, to reload its config file —
 * the frps counterpart of `frpc reload`.
 *
 * @module
 */
import { ConfigError, loadServerConfig } from "../config/mod.ts";
import { apiCaller, ApiStatusError } from "../httpapi/call.ts";
import { println } from "../cli/runtime.ts";

const API_TIMEOUT_MS = 30_000;

/** Runs `frps reload`; prints the outcome and resolves to the exit code. */
export async function runReloadCommand(
  configPath: string,
  opts: { strict: boolean; allowUnsafe: string[] },
): Promise<number> {
  if (!configPath) {
    println("frps reload needs the config file of the running frps: frps reload -c frps.toml");
    return 1;
  }
  let ws;
  try {
    ws = (await loadServerConfig(configPath, { ...opts, resolveTokenSource: false })).config
      .webServer;
  } catch (err) {
    println(err instanceof ConfigError || err instanceof Error ? err.message : String(err));
    return 1;
  }
  if (ws.port <= 0) {
    // frp's text for frpc's admin commands; SIGHUP reloads without a dashboard.
    println("web server port should be set if you want to use this feature");
    return 1;
  }
  try {
    await apiCaller(ws, API_TIMEOUT_MS)("PUT", "/api/reload");
  } catch (err) {
    println((err as Error).message + serverReason(err));
    return 1;
  }
  println("reload success");
  return 0;
}

/** `: <why>` from a refused reload's `{"Code","Msg"}` body, else "". */
function serverReason(err: unknown): string {
  if (!(err instanceof ApiStatusError)) return "";
  try {
    const msg = (JSON.parse(err.body) as { Msg?: unknown }).Msg;
    return typeof msg === "string" && msg ? `: ${msg}` : "";
  } catch {
    return "";
  }
}
