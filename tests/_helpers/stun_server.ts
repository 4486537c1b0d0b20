/**
 * A minimal STUN (RFC 5389) Binding server (127.0.0.1 unless told otherwise) for xtcp tests:
 * frpc's NAT discovery (`natHoleStunServer`) needs two mapped addresses, so it answers on two UDP
 * ports, each response carrying XOR-MAPPED-ADDRESS, MAPPED-ADDRESS and OTHER-ADDRESS (the other
 * port), as a real server with an alternate address does.
 *
 * Also runnable as a script (`deno run --allow-net stun_server.ts <host>`), e.g. inside a network
 * namespace: it prints `STUN <host>:<port>` once listening and serves until killed.
 */
import dgram from "node:dgram";

/** The running server: `addr` goes into frpc's `natHoleStunServer`. */
export interface StunServer extends AsyncDisposable {
  /** "<host>:<primary port>". */
  addr: string;
  /** Binding requests answered so far (both ports). */
  requests(): number;
  close(): Promise<void>;
}

const MAGIC = 0x2112a442;
const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;
const ATTR_MAPPED = 0x0001;
const ATTR_XOR_MAPPED = 0x0020;
const ATTR_OTHER = 0x802c;

function addressAttr(type: number, ip: string, port: number, xor: boolean): Uint8Array {
  const out = new Uint8Array(12);
  const v = new DataView(out.buffer);
  v.setUint16(0, type);
  v.setUint16(2, 8);
  v.setUint8(5, 0x01); // IPv4
  const octets = ip.split(".").map(Number);
  let addr = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  let p = port;
  if (xor) {
    p ^= MAGIC >>> 16;
    addr = (addr ^ MAGIC) >>> 0;
  }
  v.setUint16(6, p);
  v.setUint32(8, addr);
  return out;
}

function response(
  req: Uint8Array,
  ip: string,
  port: number,
  otherHost: string,
  other: number,
): Uint8Array | null {
  if (req.length < 20) return null;
  const v = new DataView(req.buffer, req.byteOffset, req.byteLength);
  if (v.getUint16(0) !== BINDING_REQUEST || v.getUint32(4) !== MAGIC) return null;
  const attrs = [
    addressAttr(ATTR_XOR_MAPPED, ip, port, true),
    addressAttr(ATTR_MAPPED, ip, port, false),
    addressAttr(ATTR_OTHER, otherHost, other, false),
  ];
  const body = attrs.reduce((n, a) => n + a.length, 0);
  const out = new Uint8Array(20 + body);
  const o = new DataView(out.buffer);
  o.setUint16(0, BINDING_SUCCESS);
  o.setUint16(2, body);
  out.set(req.subarray(4, 20), 4); // magic cookie + transaction id
  let off = 20;
  for (const a of attrs) {
    out.set(a, off);
    off += a.length;
  }
  return out;
}

async function bind(host: string): Promise<dgram.Socket> {
  const s = dgram.createSocket("udp4");
  await new Promise<void>((res, rej) => {
    s.once("error", rej);
    s.bind(0, host, () => res());
  });
  return s;
}

/** Starts the server on two free UDP ports of `host` (an IPv4 address). */
export async function startStunServer(host = "127.0.0.1"): Promise<StunServer> {
  const a = await bind(host);
  const b = await bind(host);
  let count = 0;
  for (const [sock, other] of [[a, b], [b, a]] as const) {
    sock.on("message", (msg, rinfo) => {
      const res = response(msg, rinfo.address, rinfo.port, host, other.address().port);
      if (!res) return;
      count++;
      sock.send(res, rinfo.port, rinfo.address);
    });
    sock.on("error", () => {});
  }
  const close = async () => {
    await Promise.all([a, b].map((s) => new Promise<void>((r) => s.close(() => r()))));
  };
  return {
    addr: `${host}:${a.address().port}`,
    requests: () => count,
    close,
    [Symbol.asyncDispose]: close,
  };
}

if (import.meta.main) {
  const stun = await startStunServer(Deno.args[0] ?? "127.0.0.1");
  console.log(`STUN ${stun.addr}`);
}
