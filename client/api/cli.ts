/**
 * `frpc reload | status | stop` (frp's cmd/frpc/sub/admin.go, behaviour.md §12.3): load the
 * config, call the admin API of the running frpc, print frp's texts.
 *
 * @module
 */
import { ConfigError, loadClientConfig } from "../../config/mod.ts";
import { type StatusRow, statusTable } from "./model.ts";
import { apiCaller } from "../../httpapi/call.ts";

/** The admin subcommands. */
export const ADMIN_COMMANDS = ["reload", "status", "stop"] as const;
export type AdminCommand = typeof ADMIN_COMMANDS[number];

/** Parses a Go duration (`30s`, `1m30s`, `500ms`); undefined when invalid. */
export function parseGoDuration(s: string): number | undefined {
  const units: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    "µs": 1e-3,
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3600_000,
  };
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  if (s === "0") return 0;
  for (let m; (m = re.exec(s)) !== null;) {
    total += Number(m[1]) * units[m[2]];
    pos = re.lastIndex;
  }
  return pos === s.length && s.length > 0 ? total : undefined;
}

/** Runs one admin subcommand; prints its output and resolves to the exit code. */
export async function runAdminCommand(
  cmd: AdminCommand,
  configPath: string,
  opts: { strict: boolean; allowUnsafe: string[]; apiTimeout?: string },
): Promise<number> {
  let cfg;
  try {
    // Go's LoadClientConfig: parsed and completed, not validated (the reload answers that).
    cfg =
      (await loadClientConfig(configPath, { ...opts, validate: false, resolveTokenSource: false }))
        .config;
  } catch (err) {
    console.log(
      err instanceof ConfigError ? err.goText : err instanceof Error ? err.message : String(err),
    );
    return 1;
  }
  const ws = cfg.webServer;
  if (ws.port <= 0) {
    console.log("web server port should be set if you want to use this feature");
    return 1;
  }
  const timeoutMs = parseGoDuration(opts.apiTimeout ?? "30s");
  if (timeoutMs === undefined) {
    console.log(`invalid argument "${opts.apiTimeout}" for "--api-timeout" flag`);
    return 1;
  }
  const call = apiCaller(ws, timeoutMs);
  try {
    switch (cmd) {
      case "reload":
        await call("GET", `/api/reload${opts.strict ? "?strictConfig=true" : ""}`);
        console.log("reload success");
        break;
      case "stop":
        await call("POST", "/api/stop");
        console.log("stop success");
        break;
      case "status": {
        const body = JSON.parse(await call("GET", "/api/status")) as Record<string, StatusRow[]>;
        await Deno.stdout.write(new TextEncoder().encode(statusTable(body)));
        break;
      }
    }
  } catch (err) {
    console.log((err as Error).message);
    return 1;
  }
  return 0;
}
