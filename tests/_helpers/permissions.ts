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
  // frp's default TLS client skips verification; Deno's fast native TLS can only do that
  // process-wide. Verifying connections (trustedCaFile, mTLS) use node:tls, which still verifies.
  "--unsafely-ignore-certificate-errors",
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys=hostname,osRelease",
];
