/**
 * frps TLS on Deno's native TLS (rustls) instead of node:tls. Deno has no server-side
 * startTls, so a sniffed TLS connection is relayed, still encrypted, over loopback to an
 * internal `Deno.listenTls` endpoint; the TlsConn accepted there is the decrypted stream.
 * Experimental (docs/performance.md, round 3): selected with FRP_TS_TLS_ENGINE=native.
 *
 * @module
 */

import type { Conn } from "../protocol/duplex.ts";
import { relay } from "../protocol/io.ts";
import { withPrefix } from "./_prefixed.ts";
import { TimeoutError } from "./_util.ts";
import { DenoSocketConn, TcpConn } from "./tcp.ts";

/** How long an accepted internal connection waits for its dialer to claim it. */
const EARLY_CLAIM_MS = 5_000;

/** The internal TLS listener and the relays that feed it. */
export class NativeTlsEndpoint {
  readonly #listener: Deno.TlsListener;
  readonly #port: number;
  /** Waiting handshakes by the local port of their loopback connection. */
  readonly #waiting = new Map<number, (c: Deno.TlsConn) => void>();
  /** Accepted before their dialer registered (accept and connect finish in either order). */
  readonly #early = new Map<number, { c: Deno.TlsConn; timer: ReturnType<typeof setTimeout> }>();

  constructor(certPem: string, keyPem: string) {
    this.#listener = Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert: certPem, key: keyPem });
    this.#port = (this.#listener.addr as Deno.NetAddr).port;
    this.#acceptLoop();
  }

  async #acceptLoop(): Promise<void> {
    for (;;) {
      let c: Deno.TlsConn;
      try {
        c = await this.#listener.accept();
      } catch {
        return; // listener closed
      }
      const port = (c.remoteAddr as Deno.NetAddr).port;
      const waiter = this.#waiting.get(port);
      if (waiter) {
        this.#waiting.delete(port);
        waiter(c);
      } else {
        // Claimed within the same turn of the event loop, or not one of ours.
        const timer = setTimeout(() => {
          this.#early.delete(port);
          c.close();
        }, EARLY_CLAIM_MS);
        this.#early.set(port, { c, timer });
      }
    }
  }

  /**
   * TLS server handshake for `conn`, whose TLS bytes start with `prefix` (the sniffed 0x16, or
   * empty after frp's 0x17). Closes `conn` and throws on failure or after `timeoutMs`.
   */
  async handshake(conn: Conn, prefix: Uint8Array, timeoutMs: number): Promise<Conn> {
    let inner: Deno.TcpConn | undefined;
    let tlsConn: Deno.TlsConn | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let port = 0;
    try {
      inner = await Deno.connect({ hostname: "127.0.0.1", port: this.#port });
      inner.setNoDelay(true);
      port = (inner.localAddr as Deno.NetAddr).port;
      const early = this.#early.get(port);
      this.#early.delete(port);
      clearTimeout(early?.timer);
      const accepted = early
        ? Promise.resolve(early.c)
        : new Promise<Deno.TlsConn>((r) => this.#waiting.set(port, r));
      relay(withPrefix(conn, prefix), new TcpConn(inner));
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new TimeoutError(`TLS handshake timeout after ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      tlsConn = await Promise.race([accepted, timeout]);
      await Promise.race([tlsConn.handshake(), timeout]);
      return new DenoSocketConn(tlsConn, conn.localAddr, conn.remoteAddr);
    } catch (e) {
      this.#waiting.delete(port);
      try {
        tlsConn?.close();
      } catch { /* closed */ }
      try {
        inner?.close(); // ends the relay, which closes conn
      } catch { /* closed */ }
      conn.close();
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    try {
      this.#listener.close();
    } catch { /* closed */ }
    for (const { c, timer } of this.#early.values()) {
      clearTimeout(timer);
      c.close();
    }
    this.#early.clear();
  }
}

/** FRP_TS_TLS_ENGINE=native selects {@link NativeTlsEndpoint} for frps (no mTLS). */
export function nativeTlsServerWanted(): boolean {
  try {
    return Deno.env.get("FRP_TS_TLS_ENGINE") === "native";
  } catch {
    return false;
  }
}
