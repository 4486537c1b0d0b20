/**
 * frps-side TLS: the first-byte sniff of `CheckAndEnableTLSServerConnWithTimeout`
 * (wire-v1.md §4.2) and a node:tls server handshake on top of any Conn.
 *
 * Deno has no server-side startTls, so the handshake runs in node:tls
 * `new TLSSocket(stream, { isServer: true })` over an adapter from our Conn.
 *
 * @module
 */

import tls from "node:tls";
import { X509Certificate } from "node:crypto";
import type { Conn } from "../protocol/duplex.ts";
import { connToNodeDuplex, NodeStreamConn } from "./_node_stream.ts";
import { PrefixedConn } from "./_prefixed.ts";
import { generateSelfSignedCert } from "./_selfsigned.ts";
import { readAtLeast, TimeoutError } from "./_util.ts";

/** frp's custom first byte announcing TLS (wire-v1.md §3.3). */
export const FRP_TLS_HEAD_BYTE = 0x17;
/** First byte of a TLS handshake record (ClientHello). */
export const TLS_HANDSHAKE_BYTE = 0x16;

/** Options for {@link createTlsServerContext} (frps `transport.tls.*`). */
export interface TlsServerOptions {
  certFile?: string;
  keyFile?: string;
  /** When set, clients must present a certificate that chains to one of these CAs (mTLS). */
  trustedCaFile?: string;
}

/** Server certificate material, loaded or generated once at start. */
export class TlsServerContext {
  /** PEM certificate (chain) presented to clients. */
  readonly certPem: string;
  /** PEM private key. */
  readonly keyPem: string;
  /** PEM CA bundle for client verification, if mTLS. */
  readonly caPem: string | undefined;
  /** True when the certificate was generated at start (no certFile/keyFile). */
  readonly selfSigned: boolean;
  readonly #cas: X509Certificate[];
  readonly #secureContext: tls.SecureContext;

  constructor(certPem: string, keyPem: string, caPem: string | undefined, selfSigned: boolean) {
    this.certPem = certPem;
    this.keyPem = keyPem;
    this.caPem = caPem;
    this.selfSigned = selfSigned;
    this.#cas = caPem ? splitPem(caPem).map((p) => new X509Certificate(p)) : [];
    if (caPem && this.#cas.length === 0) throw new Error("trustedCaFile contains no certificate");
    this.#secureContext = tls.createSecureContext({ cert: certPem, key: keyPem });
  }

  /** True when client certificates are required and verified (mTLS). Implies tls.force. */
  get requireClientCert(): boolean {
    return this.#cas.length > 0;
  }

  /** @internal node:tls options for one server-side TLSSocket. */
  socketOptions(): tls.TLSSocketOptions {
    const o: tls.TLSSocketOptions = {
      isServer: true,
      secureContext: this.#secureContext,
      cert: this.certPem,
      key: this.keyPem,
    };
    if (this.caPem) {
      o.requestCert = true;
      o.rejectUnauthorized = true;
      o.ca = this.caPem;
    }
    return o;
  }

  /**
   * Verifies a client certificate chain (leaf first, DER) against the trusted CAs: validity
   * period of every element and signatures up to a trusted CA. Returns an error text or null.
   * (Deno's node:tls server requires a client cert but does not check it against `ca`.)
   */
  verifyClientChain(chainDer: Uint8Array[], now: Date = new Date()): string | null {
    if (chainDer.length === 0) return "client sent no certificate";
    let certs: X509Certificate[];
    try {
      certs = chainDer.map((d) => new X509Certificate(d));
    } catch (e) {
      return `bad client certificate: ${(e as Error).message}`;
    }
    const t = now.getTime();
    let cur = certs[0];
    const pool = certs.slice(1);
    for (let depth = 0; depth < 8; depth++) {
      if (t < Date.parse(cur.validFrom) || t > Date.parse(cur.validTo)) {
        return `certificate ${cur.subject || "(no subject)"} is expired or not yet valid`;
      }
      for (const ca of this.#cas) {
        if (cur.checkIssued(ca) && cur.verify(ca.publicKey)) {
          if (t < Date.parse(ca.validFrom) || t > Date.parse(ca.validTo)) {
            return "trusted CA certificate is expired or not yet valid";
          }
          return null;
        }
      }
      const next = pool.find((c) => cur.checkIssued(c) && c.ca && cur.verify(c.publicKey));
      if (!next) return "certificate signed by unknown authority";
      pool.splice(pool.indexOf(next), 1);
      cur = next;
    }
    return "certificate chain too long";
  }
}

function splitPem(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/**
 * Loads certFile/keyFile (both required together) or generates a random self-signed
 * RSA-2048 certificate (about 0.1–0.4 s), and loads trustedCaFile for mTLS.
 */
export async function createTlsServerContext(
  opts: TlsServerOptions = {},
): Promise<TlsServerContext> {
  const caPem = opts.trustedCaFile ? await Deno.readTextFile(opts.trustedCaFile) : undefined;
  if (opts.certFile && opts.keyFile) {
    const [cert, key] = await Promise.all([
      Deno.readTextFile(opts.certFile),
      Deno.readTextFile(opts.keyFile),
    ]);
    return new TlsServerContext(cert, key, caPem, false);
  }
  const gen = await generateSelfSignedCert();
  return new TlsServerContext(gen.cert, gen.key, caPem, true);
}

/** Thrown by {@link acceptServerTls} for a non-TLS connection when TLS is forced. */
export class TlsRequiredError extends Error {
  constructor(firstByte: number) {
    super(
      `non-TLS connection rejected (transport.tls.force): first byte 0x${
        firstByte.toString(16).padStart(2, "0")
      }`,
    );
    this.name = "TlsRequiredError";
  }
}

/** Options for {@link acceptServerTls}. */
export interface AcceptServerTlsOptions {
  /** Reject plain connections (frps transport.tls.force; implied by mTLS). */
  force: boolean;
  /** Deadline for the first byte and, separately, for the TLS handshake. Default 10 s. */
  timeoutMs?: number;
}

/**
 * frps's per-connection TLS sniff: reads one byte (deadline `timeoutMs`, default 10 s).
 * 0x17 → consumed, TLS handshake on the rest; 0x16 → TLS handshake on the whole stream;
 * anything else → the conn with that byte pushed back, or TlsRequiredError when forced.
 * On any failure the conn is closed before the error is thrown.
 */
export async function acceptServerTls(
  conn: Conn,
  ctx: TlsServerContext,
  opts: AcceptServerTlsOptions,
): Promise<Conn> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  let first: Uint8Array;
  try {
    first = await readAtLeast(conn, 1, timeoutMs);
  } catch (e) {
    conn.close();
    throw e;
  }
  if (first.byteLength === 0) {
    conn.close();
    throw new Deno.errors.UnexpectedEof("connection closed before the first byte");
  }
  const b = first[0];
  if (b === FRP_TLS_HEAD_BYTE) return await serverHandshake(conn, ctx, timeoutMs);
  if (b === TLS_HANDSHAKE_BYTE) {
    return await serverHandshake(new PrefixedConn(conn, first), ctx, timeoutMs);
  }
  if (opts.force || ctx.requireClientCert) {
    conn.close();
    throw new TlsRequiredError(b);
  }
  return new PrefixedConn(conn, first);
}

/**
 * Runs a TLS server handshake over `conn` (no sniffing) and returns the decrypted Conn.
 * Closes `conn` and throws on failure or after `timeoutMs` (default 10 s).
 */
export function serverHandshake(
  conn: Conn,
  ctx: TlsServerContext,
  timeoutMs = 10_000,
): Promise<Conn> {
  const under = connToNodeDuplex(conn);
  const sock = new tls.TLSSocket(under, ctx.socketOptions());
  return new Promise<Conn>((resolve, reject) => {
    let done = false;
    const fail = (e: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.off("secure", onSecure);
      sock.destroy();
      under.destroy(); // not done by node:tls in Deno
      reject(e);
    };
    const onError = (e: Error) => fail(e);
    const onClose = () =>
      fail(new Deno.errors.UnexpectedEof("connection closed during TLS handshake"));
    const onSecure = () => {
      if (done) return;
      if (ctx.requireClientCert) {
        const err = ctx.verifyClientChain(peerChain(sock));
        if (err) return fail(new Error(`tls: client certificate rejected: ${err}`));
      }
      done = true;
      clearTimeout(timer);
      sock.off("error", onError);
      sock.off("close", onClose);
      under.off("end", onClose);
      under.off("close", onClose);
      resolve(new NodeStreamConn(sock, conn.localAddr, conn.remoteAddr, under));
    };
    const timer = setTimeout(
      () => fail(new TimeoutError(`TLS handshake timeout after ${timeoutMs} ms`)),
      timeoutMs,
    );
    sock.once("secure", onSecure);
    sock.on("error", onError);
    sock.once("close", onClose);
    // node:tls in Deno does not fail the handshake when the transport ends: watch it directly
    under.once("end", onClose);
    under.once("close", onClose);
  });
}

function peerChain(sock: tls.TLSSocket): Uint8Array[] {
  const out: Uint8Array[] = [];
  // deno-lint-ignore no-explicit-any
  let c: any = sock.getPeerCertificate(true);
  const seen = new Set<unknown>();
  while (c && c.raw && !seen.has(c)) {
    seen.add(c);
    out.push(new Uint8Array(c.raw));
    if (c.issuerCertificate === c) break;
    c = c.issuerCertificate;
  }
  return out;
}
