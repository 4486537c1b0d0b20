/**
 * The permission sets frps and frpc run with — defined once, used by the demo, the tests, the
 * benchmarks and `deno compile`. deno.json's `frps`/`frpc` tasks repeat them (JSON cannot
 * import); tests/permissions_test.ts keeps the two in step.
 *
 * @module
 */

/** Flags for `deno run` of server/main.ts. */
export const FRPS_FLAGS: readonly string[] = [
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
  "--unstable-net",
  // frp's default TLS client skips verification; Deno's fast native TLS can only do that
  // process-wide. Verifying connections (trustedCaFile, mTLS) use node:tls, which still verifies.
  "--unsafely-ignore-certificate-errors",
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys=hostname,osRelease",
];
