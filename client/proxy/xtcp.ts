/**
 * The proxy side of xtcp (frp's client/proxy/xtcp.go). frps starts a work conn carrying only a
 * NatHoleSid when a visitor wants in; this frpc then discovers its NAT mapping (STUN), swaps
 * addresses with the visitor through frps (NatHoleClient → NatHoleResp), punches, reports the
 * outcome, and serves a QUIC server on the punched port (or yamux over KCP on the punched
 * socket for `protocol = "kcp"`): each stream the visitor opens is a tcp work connection to
 * the local service, encrypted with the secret key when configured.
 *
 * @module
 */
import { errorText } from "../../protocol/errors.ts";
import { codecFor } from "../../protocol/msg/codec.ts";
import { generateSelfSignedCert } from "../../transport/mod.ts";
import type { CertKeyPem } from "../../transport/mod.ts";
import { acceptQuicOnPort } from "../../transport/quic_hole.ts";
import {
  exchangeInfo,
  makeHole,
  natHoleRespLine,
  newTransactionID,
  prepareLogged,
} from "../nathole/hole.ts";
import { wireName } from "../../protocol/naming.ts";
import type { WorkConnContext } from "./base.ts";
import { handleTcpWorkConn } from "./tcp.ts";
import { KcpTunnel } from "../nathole/kcp_tunnel.ts";
import type { Duplex } from "../../protocol/duplex.ts";

const EXCHANGE_TIMEOUT_MS = 5000;
/** The visitor dials right after punching; Go waits forever, we give up after this. */
const ACCEPT_TIMEOUT_MS = 30_000;

let certPromise: Promise<CertKeyPem> | undefined;

/** One random self-signed cert per process, like Go's NewServerTLSConfig("", "", ""). */
function tunnelCert(): Promise<CertKeyPem> {
  certPromise ??= generateSelfSignedCert().catch((err) => {
    certPromise = undefined;
    throw err;
  });
  return certPromise;
}

/** Serves one xtcp work conn: punch, then the QUIC tunnel, until it ends. */
export async function handleXtcpWorkConn(ctx: WorkConnContext): Promise<void> {
  const { common, proxy, log, conn } = ctx;
  if (proxy.type !== "xtcp") return conn.close();
  const transporter = ctx.transporter;
  // RSA key generation takes ~0.3 s: start it now so the QUIC listener is up right after
  // punching (the visitor's first Initial packets would otherwise be lost and retransmitted).
  tunnelCert().catch(() => {});
  let sock;
  try {
    let sid;
    try {
      const m = await codecFor(common.transport.wireProtocol).readMessage(conn);
      if (m.type !== "NatHoleSid") throw new Error(`unexpected message type ${m.type}`);
      sid = m.body;
    } catch (err) {
      log.error(`xtcp read from workConn error: ${errorText(err)}`);
      return;
    }
    if (!transporter) return;
    const prep = await prepareLogged(
      log,
      common.natHoleStunServer,
      proxy.natTraversal?.disableAssistedAddrs ?? false,
    );
    if (!prep) return;
    sock = prep.sock;
    const transactionID = newTransactionID();
    log.trace("nathole exchange info start");
    let resp;
    try {
      resp = await exchangeInfo(
        transporter,
        transactionID,
        {
          type: "NatHoleClient",
          body: {
            transaction_id: transactionID,
            proxy_name: wireName(common.user, proxy.name),
            sid: sid.sid,
            mapped_addrs: prep.addrs,
            assisted_addrs: prep.assistedAddrs,
          },
        },
        EXCHANGE_TIMEOUT_MS,
        ctx.signal,
      );
    } catch (err) {
      log.warn(`nathole exchange info error: ${errorText(err)}`);
      return;
    }
    log.info(natHoleRespLine(resp));
    let hole;
    try {
      hole = await makeHole(sock, resp, proxy.secretKey ?? "", log, ctx.signal);
    } catch (err) {
      log.warn(`make hole error: ${errorText(err)}`);
      transporter.send({ type: "NatHoleReport", body: { sid: resp.sid, success: false } });
      return;
    }
    sock = hole.sock;
    const raddr = `${hole.raddr.hostname}:${hole.raddr.port}`;
    log.info(
      `establishing nat hole connection successful, sid [${resp.sid ?? ""}], remoteAddr [${raddr}]`,
    );
    transporter.send({ type: "NatHoleReport", body: { sid: resp.sid, success: true } });
    if (resp.protocol === "kcp") {
      // frp's listenByKCP: the punched socket carries KCP; the visitor opens yamux streams.
      const tunnel = new KcpTunnel(sock, hole.raddr, "server");
      sock = undefined;
      return await serveStreams(ctx, tunnel);
    }
    const port = sock.addr.port;
    sock.close();
    sock = undefined;
    await serveQuic(ctx, port);
  } finally {
    sock?.close();
    conn.close();
  }
}

/** frp's listenByQUIC: one connection, one tcp work connection per stream. */
async function serveQuic(ctx: WorkConnContext, port: number): Promise<void> {
  const { common, log } = ctx;
  let session;
  try {
    const cert = await tunnelCert();
    session = await acceptQuicOnPort({
      port,
      cert: cert.cert,
      key: cert.key,
      quic: common.transport.quic,
      timeoutMs: ACCEPT_TIMEOUT_MS,
      signal: ctx.signal,
    });
  } catch (err) {
    const text = errorText(err);
    log.error(`quic accept connection error: ${text}`);
    if (text.includes("ServerNameMustContainOneHostName")) {
      // Go visitors put "ip:port" in the TLS SNI; rustls (Deno's QUIC) refuses that name.
      log.error(
        "the visitor sent an ip:port TLS server name (Go frpc does); Deno's QUIC cannot " +
          "accept it: use this frpc as the visitor, protocol kcp, or fallbackTo an stcp visitor",
      );
    }
    return;
  }
  await serveStreams(ctx, session);
}

/** One tcp work connection per tunnel stream, until the tunnel or the proxy ends. */
async function serveStreams(
  ctx: WorkConnContext,
  tunnel: { serveStreams(f: (d: Duplex) => void): Promise<void>; close(): void },
): Promise<void> {
  const { proxy, log } = ctx;
  const key = proxy.type === "xtcp" ? proxy.secretKey ?? "" : "";
  const onAbort = () => tunnel.close();
  ctx.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await tunnel.serveStreams((stream) => {
      log.trace(
        `handle tcp work connection, useEncryption: ${proxy.transport.useEncryption}, ` +
          `useCompression: ${proxy.transport.useCompression}`,
      );
      handleTcpWorkConn({ ...ctx, conn: stream, key }).catch((err) => {
        log.warn(`work connection error: ${errorText(err)}`);
        stream.close();
      });
    });
    log.debug("accept stream error: tunnel closed");
  } finally {
    ctx.signal?.removeEventListener("abort", onAbort);
    tunnel.close();
  }
}
