/**
 * Permission flags for running our binaries, defined once. They mirror the `frps` and `frpc`
 * tasks in deno.json; keep both in sync.
 */

/** Flags passed to `deno run` for `server/main.ts`. */
export const FRPS_FLAGS: readonly string[] = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys=hostname,osRelease",
];

/** Flags passed to `deno run` for `client/main.ts`. */
export const FRPC_FLAGS: readonly string[] = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys=hostname,osRelease",
];
