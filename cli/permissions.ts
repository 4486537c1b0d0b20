/**
 * The permission sets frps and frpc run with — defined once, used by the demo, the tests, the
 * benchmarks and `deno compile`. deno.json's `frps`/`frpc` tasks repeat them (JSON cannot
 * import); tests/permissions_test.ts keeps the two in step.
 *
 * @module
 */

/** Flags for `deno run` of server/main.ts. */
export const FRPS_FLAGS: readonly string[] = [
  // A small V8 young generation: after a burst V8 keeps a 16 MiB semi-space that is almost
  // all unused; capped at 2 MiB, RSS with 1000 connections drops ~17 MiB at no throughput cost.
  // No V8 code cache: its mapped cache database costs ~2 MiB of RSS in every process, for a
  // start-up gain we could not measure (docs/performance.md, round 3).
  "--v8-flags=--max-semi-space-size=2",
  "--no-code-cache",
  // Deno's built-in QUIC (transport.protocol = "quic", quicBindPort) is still unstable.
  "--unstable-net",
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys=hostname,osRelease",
];

/** Flags for `deno run` of client/main.ts. */
export const FRPC_FLAGS: readonly string[] = [
  "--v8-flags=--max-semi-space-size=2",
  "--no-code-cache",
  "--unstable-net",
  // frp's default TLS client skips verification; Deno's fast native TLS can only do that
  // process-wide. Verifying connections (trustedCaFile, mTLS) use node:tls, which still verifies.
  "--unsafely-ignore-certificate-errors",
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  // networkInterfaces: xtcp offers the LAN addresses as hole-punching candidates, as Go does.
  "--allow-sys=hostname,osRelease,networkInterfaces",
];
