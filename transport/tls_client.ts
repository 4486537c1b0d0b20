/**
 * frpc-side TLS (wire-v1.md §3.2–3.3): optional 0x17 first byte, then a TLS client handshake.
 *
 * Two engines:
 * - "native": `Deno.startTls` on the raw TCP socket (rustls, fastest). Used only for frp's
 *   default skip-verify mode (no `trustedCaFile`, no client certificate) on a plain
 *   {@link TcpConn}, and only when the process runs with `--unsafely-ignore-certificate-errors`
 *   (Deno has no per-connection skip option). Whether the flag is on is learnt from the first
 *   native handshake: a certificate error then raises {@link TlsEngineFallbackError} once, the
 *   caller redials, and every later connection uses "node".
 * - "node": node:tls `tls.connect({ socket })` over an adapter. Works on any Conn (websocket,
 *   proxy tunnels, prefixed conns), supports per-connection `rejectUnauthorized: false`
 *   (frp's default InsecureSkipVerify) and client certificates (mTLS). It keeps verifying
 *   `trustedCaFile` even when the process-wide flag above is set, which is why every verifying
 *   connection goes through it.
 *
 * @module
 */

import { readTextFileGo } from "./files.ts";
import tls from "node:tls";
import type { Conn } from "../protocol/duplex.ts";
import { connToNodeDuplex, NodeStreamConn } from "./_node_stream.ts";
import { DenoSocketConn, TcpConn } from "./tcp.ts";
import { isIpLiteral, TimeoutError, unbracket, writeAll } from "./_util.ts";
import { FRP_TLS_HEAD_BYTE } from "./tls_server.ts";

/** Options for {@link startClientTls} (frpc `transport.tls.*`). */
export interface ClientTlsOptions {
  /** transport.tls.serverName; SNI and verification name. Defaults to `hostname`. */
  serverName?: string;
  /** serverAddr. */
  hostname: string;
  /** Verify the server against this CA bundle; without it verification is skipped (frp default). */
  trustedCaFile?: string;
  /** Client certificate for mTLS (with keyFile). */
  certFile?: string;
  keyFile?: string;
  /** Write 0x17 before the ClientHello (= !transport.tls.disableCustomTLSFirstByte). */
  sendCustomFirstByte: boolean;
  /** Handshake deadline; default 10 s. */
  timeoutMs?: number;
  /** Force an engine (tests/benchmarks). Default "auto" (see module docs). */
  engine?: "auto" | "native" | "node";
  /**
   * Verify the server against the default root CAs when no trustedCaFile is given (HTTPS
   * proxies of transport.proxyURL, as Go does); uses the node engine.
   */
  verifyWithSystemRoots?: boolean;
}

/** undefined = not yet known whether `--unsafely-ignore-certificate-errors` is in effect. */
let nativeInsecure: boolean | undefined;

/**
 * Forces (true) or forbids (false) the native engine for skip-verify connections; `undefined`
 * goes back to learning it from the next handshake.
 */
export function setNativeInsecureTls(enabled: boolean | undefined): void {
  nativeInsecure = enabled;
}

/**
 * The native engine turned out to verify certificates (the process lacks
 * `--unsafely-ignore-certificate-errors`). The connection is gone; redial once and the node
 * engine is used from now on.
 */
export class TlsEngineFallbackError extends Error {
  constructor(cause: unknown) {
    super("native TLS needs --unsafely-ignore-certificate-errors; falling back to node:tls", {
      cause,
    });
    this.name = "TlsEngineFallbackError";
  }
}

function isCertificateError(e: unknown): boolean {
  const text = e instanceof Error ? `${e.name} ${e.message}` : String(e);
  return /certificate|UnknownIssuer|InvalidCertificate|NotValidForName/i.test(text);
}

const fileCache = new Map<string, Promise<string>>();
function readCached(path: string): Promise<string> {
  let p = fileCache.get(path);
  if (!p) {
    p = readTextFileGo(path);
    fileCache.set(path, p);
    p.catch(() => fileCache.delete(path));
  }
  return p;
}

/** The client's TLS files could not be read (Go: "fail to build tls configuration"). */
export class TlsConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TlsConfigError";
  }
}

/**
 * Reads the client's certificate, key and CA (cached) before dialing, as Go builds its TLS
 * config first: a missing file fails without a connection attempt.
 */
export async function loadClientTlsFiles(
  opts: { certFile?: string; keyFile?: string; trustedCaFile?: string },
): Promise<void> {
  try {
    if (opts.certFile && opts.keyFile) {
      await readCached(opts.certFile);
      await readCached(opts.keyFile);
    }
    if (opts.trustedCaFile) await readCached(opts.trustedCaFile);
  } catch (err) {
    throw new TlsConfigError((err as Error).message);
  }
}

/** A Deno.TlsConn as a Conn (read/write delegate directly). */
export class NativeTlsConn extends DenoSocketConn<Deno.TlsConn> {}

/**
 * Writes 0x17 if asked, then performs the TLS client handshake on `conn` and returns the
 * encrypted Conn. SNI = serverName ?? hostname, omitted for IP literals. On failure `conn` is
 * closed and the error rethrown.
 */
export async function startClientTls(conn: Conn, opts: ClientTlsOptions): Promise<Conn> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const name = unbracket(opts.serverName || opts.hostname);
  const wantClientCert = !!(opts.certFile && opts.keyFile);
  let engine = opts.engine ?? "auto";
  const learning = engine === "auto" && nativeInsecure === undefined;
  if (opts.verifyWithSystemRoots) engine = "node";
  if (engine === "auto") {
    engine = conn instanceof TcpConn && !wantClientCert && !opts.trustedCaFile &&
        nativeInsecure !== false
      ? "native"
      : "node";
  }
  if (engine === "native" && !(conn instanceof TcpConn)) {
    throw new TypeError("native TLS engine needs a plain TcpConn");
  }
  try {
    const [ca, cert, key] = await Promise.all([
      opts.trustedCaFile ? readCached(opts.trustedCaFile) : undefined,
      wantClientCert ? readCached(opts.certFile!) : undefined,
      wantClientCert ? readCached(opts.keyFile!) : undefined,
    ]);
    if (opts.sendCustomFirstByte) await writeAll(conn, new Uint8Array([FRP_TLS_HEAD_BYTE]));
    if (engine === "native") {
      try {
        const out = await nativeHandshake(conn as TcpConn, name, ca, timeoutMs);
        if (learning && !ca) nativeInsecure = true;
        return out;
      } catch (e) {
        if (learning && !ca && isCertificateError(e)) {
          nativeInsecure = false;
          throw new TlsEngineFallbackError(e);
        }
        throw e;
      }
    }
    return await nodeHandshake(conn, name, ca, cert, key, timeoutMs, !!opts.verifyWithSystemRoots);
  } catch (e) {
    conn.close();
    throw e;
  }
}

async function nativeHandshake(
  conn: TcpConn,
  name: string,
  ca: string | undefined,
  timeoutMs: number,
): Promise<Conn> {
  const tlsConn = await Deno.startTls(conn.raw, {
    hostname: name,
    caCerts: ca ? [ca] : undefined,
  });
  conn.detach();
  const out = new NativeTlsConn(tlsConn, conn.localAddr, conn.remoteAddr);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      tlsConn.handshake(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new TimeoutError(`TLS handshake timeout after ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]);
  } catch (e) {
    out.close();
    throw e;
  } finally {
    clearTimeout(timer);
  }
  return out;
}

function nodeHandshake(
  conn: Conn,
  name: string,
  ca: string | undefined,
  cert: string | undefined,
  key: string | undefined,
  timeoutMs: number,
  verify = false,
): Promise<Conn> {
  const under = connToNodeDuplex(conn);
  const options: tls.ConnectionOptions & { allowHalfOpen: boolean } = {
    socket: under,
    host: name,
    servername: isIpLiteral(name) ? "" : name,
    rejectUnauthorized: ca !== undefined || verify,
    ca,
    cert,
    key,
    allowHalfOpen: true,
  };
  const sock = tls.connect(options);
  return new Promise<Conn>((resolve, reject) => {
    let done = false;
    const fail = (e: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      under.destroy(); // not done by node:tls in Deno
      reject(e);
    };
    const onError = (e: Error) => fail(e);
    const onClose = () =>
      fail(new Deno.errors.UnexpectedEof("connection closed during TLS handshake"));
    const timer = setTimeout(
      () => fail(new TimeoutError(`TLS handshake timeout after ${timeoutMs} ms`)),
      timeoutMs,
    );
    sock.once("secureConnect", () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.off("error", onError);
      sock.off("close", onClose);
      under.off("end", onClose);
      under.off("close", onClose);
      resolve(new NodeStreamConn(sock, conn.localAddr, conn.remoteAddr, under));
    });
    sock.on("error", onError);
    sock.once("close", onClose);
    // node:tls in Deno does not fail the handshake when the transport ends: watch it directly
    under.once("end", onClose);
    under.once("close", onClose);
  });
}
