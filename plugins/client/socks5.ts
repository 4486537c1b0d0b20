/**
 * `socks5` (behaviour.md §9.2, armon/go-socks5): RFC 1928 CONNECT only, with RFC 1929
 * username/password auth when configured (else only "no auth"). Names are resolved on the
 * frpc host; the success reply carries the outbound socket's local address.
 *
 * @module
 */
import type { Socks5PluginOptions } from "../../config/types.ts";
import type { Duplex } from "../../protocol/duplex.ts";
import { BufReader } from "../../protocol/http_codec.ts";
import { PrefixedDuplex, relay, writeAll } from "../../protocol/io.ts";
import { errorText } from "../../protocol/errors.ts";
import { dialTcp } from "../../transport/mod.ts";
import type { ClientPlugin, PluginConn } from "./types.ts";
import { safeClose } from "./_http.ts";

const REP_SUCCESS = 0;
const REP_NETWORK_UNREACHABLE = 3;
const REP_HOST_UNREACHABLE = 4;
const REP_CONN_REFUSED = 5;
const REP_CMD_NOT_SUPPORTED = 7;
const REP_ADDR_NOT_SUPPORTED = 8;

async function readN(r: BufReader, n: number): Promise<Uint8Array> {
  while (r.buffered < n) {
    if ((await r.fill()) === null) throw new Error("unexpected EOF");
  }
  return r.take(n);
}

function reply(rep: number, addr?: { hostname: string; port: number }): Uint8Array {
  let atyp = 1;
  let body: Uint8Array = new Uint8Array(4);
  if (addr && addr.hostname.includes(":")) {
    atyp = 4;
    body = ipv6Bytes(addr.hostname);
  } else if (addr) {
    const parts = addr.hostname.split(".").map(Number);
    if (parts.length === 4 && parts.every((x) => x >= 0 && x < 256)) body = Uint8Array.from(parts);
  }
  const port = addr?.port ?? 0;
  return Uint8Array.from([5, rep, 0, atyp, ...body, port >> 8, port & 0xff]);
}

function ipv6Bytes(ip: string): Uint8Array {
  const out = new Uint8Array(16);
  const [l, r] = ip.split("::");
  const lp = l ? l.split(":") : [];
  const rp = r !== undefined && r ? r.split(":") : [];
  const groups = [...lp, ...Array(8 - lp.length - rp.length).fill("0"), ...rp];
  groups.slice(0, 8).forEach((g, i) => {
    const v = parseInt(g, 16) || 0;
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  return out;
}

function formatIpv6(b: Uint8Array): string {
  const g: string[] = [];
  for (let i = 0; i < 16; i += 2) g.push(((b[i] << 8) | b[i + 1]).toString(16));
  return g.join(":");
}

/** Creates the plugin. */
export function createSocks5Plugin(opts: Socks5PluginOptions): Promise<ClientPlugin> {
  const user = opts.username ?? "";
  const pass = opts.password ?? "";
  const needAuth = user !== "" || pass !== "";

  const serve = async (conn: Duplex): Promise<void> => {
    const r = new BufReader(conn, 1024);
    const ver = await readN(r, 1);
    if (ver[0] !== 5) throw new Error(`unsupported SOCKS version: ${ver[0]}`);
    const nm = (await readN(r, 1))[0];
    const methods = await readN(r, nm);
    const want = needAuth ? 2 : 0;
    if (!methods.includes(want)) {
      await writeAll(conn, Uint8Array.from([5, 0xff]));
      throw new Error("no supported authentication mechanism");
    }
    await writeAll(conn, Uint8Array.from([5, want]));
    if (needAuth) {
      const hdr = await readN(r, 2);
      if (hdr[0] !== 1) throw new Error(`unsupported auth version: ${hdr[0]}`);
      const u = new TextDecoder().decode(await readN(r, hdr[1]));
      const pl = (await readN(r, 1))[0];
      const p = new TextDecoder().decode(await readN(r, pl));
      if (u !== user || p !== pass) {
        await writeAll(conn, Uint8Array.from([1, 1]));
        throw new Error("user authentication failed");
      }
      await writeAll(conn, Uint8Array.from([1, 0]));
    }
    const req = await readN(r, 4);
    if (req[0] !== 5) throw new Error(`unsupported command version: ${req[0]}`);
    let host: string;
    switch (req[3]) {
      case 1:
        host = [...(await readN(r, 4))].join(".");
        break;
      case 4:
        host = formatIpv6(await readN(r, 16));
        break;
      case 3: {
        const n = (await readN(r, 1))[0];
        host = new TextDecoder().decode(await readN(r, n));
        break;
      }
      default:
        await writeAll(conn, reply(REP_ADDR_NOT_SUPPORTED));
        throw new Error(`unrecognized address type ${req[3]}`);
    }
    const pb = await readN(r, 2);
    const port = (pb[0] << 8) | pb[1];
    if (req[1] !== 1) {
      await writeAll(conn, reply(REP_CMD_NOT_SUPPORTED));
      throw new Error(`unsupported command: ${req[1]}`);
    }
    let target;
    try {
      target = await dialTcp({ hostname: host, port });
    } catch (err) {
      const text = errorText(err).toLowerCase();
      const rep = text.includes("refused")
        ? REP_CONN_REFUSED
        : text.includes("network is unreachable")
        ? REP_NETWORK_UNREACHABLE
        : REP_HOST_UNREACHABLE;
      await writeAll(conn, reply(rep));
      throw new Error(`connect to ${host}:${port} failed: ${errorText(err)}`);
    }
    try {
      await writeAll(conn, reply(REP_SUCCESS, target.localAddr));
    } catch (err) {
      safeClose(target);
      throw err;
    }
    await relay(target, new PrefixedDuplex(conn, r.take(r.buffered)));
  };

  return Promise.resolve({
    name: "socks5",
    async handle(c: PluginConn): Promise<void> {
      try {
        await serve(c.conn);
      } catch (err) {
        c.log.debug(`socks5: ${errorText(err)}`);
      } finally {
        safeClose(c.conn);
      }
    },
    close() {},
  });
}
