/**
 * STUN Binding (RFC 5389/5780) as golib's net/stun client uses it for frp's NAT discovery: a
 * 20-byte request with a random transaction id, and a response parser returning the mapped
 * address (XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS) and the server's alternate address
 * (OTHER-ADDRESS, else CHANGED-ADDRESS). Pure: the socket lives in client/nathole.
 *
 * @module
 */

const MAGIC = 0x2112a442;
const HEADER = 20;
const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;
const BINDING_ERROR = 0x0111;
const ATTR_MAPPED = 0x0001;
const ATTR_CHANGED = 0x0005;
const ATTR_ERROR_CODE = 0x0009;
const ATTR_XOR_MAPPED = 0x0020;
const ATTR_OTHER = 0x802c;

/** What a Binding success response says; addresses as Go's UDPAddr.String(). */
export interface BindingResponse {
  mappedAddr?: string;
  otherAddr?: string;
}

/** A Binding request carrying `txid` (12 bytes). */
export function encodeBindingRequest(txid: Uint8Array): Uint8Array {
  if (txid.byteLength !== 12) throw new RangeError("STUN transaction id must be 12 bytes");
  const out = new Uint8Array(HEADER);
  const v = new DataView(out.buffer);
  v.setUint16(0, BINDING_REQUEST);
  v.setUint32(4, MAGIC);
  out.set(txid, 8);
  return out;
}

/** True when `packet` is a response (success or error) to the request with `txid`. */
export function isResponseTo(packet: Uint8Array, txid: Uint8Array): boolean {
  if (packet.byteLength < HEADER) return false;
  const v = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const typ = v.getUint16(0);
  if (typ !== BINDING_SUCCESS && typ !== BINDING_ERROR) return false;
  if (v.getUint32(4) !== MAGIC) return false;
  for (let i = 0; i < 12; i++) if (packet[8 + i] !== txid[i]) return false;
  return true;
}

function malformed(what: string): Error {
  return new Error(`malformed STUN response: ${what}`);
}

function formatAddr(ip: Uint8Array, port: number): string {
  if (ip.byteLength === 4) return `${ip.join(".")}:${port}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((ip[i] << 8) | ip[i + 1]).toString(16));
  // RFC 5952: compress the longest run (≥ 2) of zero groups.
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const text = best < 0
    ? groups.join(":")
    : `${groups.slice(0, best).join(":")}::${groups.slice(best + bestLen).join(":")}`;
  return `[${text}]:${port}`;
}

function decodeAddress(value: Uint8Array, txid: Uint8Array, xor: boolean): string {
  if (value.byteLength < 4) throw malformed("address attribute too short");
  const family = value[1];
  const len = family === 1 ? 4 : family === 2 ? 16 : 0;
  if (len === 0) throw new Error(`unsupported address family: 0x${family.toString(16)}`);
  if (value.byteLength !== 4 + len) throw malformed("address attribute length");
  let port = (value[2] << 8) | value[3];
  const ip = value.slice(4, 4 + len);
  if (xor) {
    port ^= MAGIC >>> 16;
    const mask = new Uint8Array(16);
    new DataView(mask.buffer).setUint32(0, MAGIC);
    mask.set(txid, 4);
    for (let i = 0; i < ip.length; i++) ip[i] ^= mask[i];
  }
  return formatAddr(ip, port);
}

/**
 * Parses a response already matched with {@link isResponseTo}. Throws on malformed packets
 * and on Binding error responses (`STUN error <code>: <reason>`).
 */
export function parseBindingResponse(packet: Uint8Array, txid: Uint8Array): BindingResponse {
  const v = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const typ = v.getUint16(0);
  const declared = v.getUint16(2);
  if (declared % 4 !== 0 || HEADER + declared !== packet.byteLength) {
    throw malformed("length mismatch");
  }
  const attrs = new Map<number, Uint8Array>();
  for (let off = HEADER; off < packet.byteLength;) {
    if (packet.byteLength - off < 4) throw malformed("truncated attribute header");
    const t = v.getUint16(off), l = v.getUint16(off + 2);
    const padded = (l + 3) & ~3;
    if (packet.byteLength - off - 4 < padded) throw malformed("truncated attribute");
    if (!attrs.has(t)) attrs.set(t, packet.subarray(off + 4, off + 4 + l));
    off += 4 + padded;
  }
  if (typ === BINDING_ERROR) {
    const e = attrs.get(ATTR_ERROR_CODE);
    if (!e || e.byteLength < 4) throw malformed("error response without ERROR-CODE");
    const code = (e[2] & 7) * 100 + e[3];
    throw new Error(`STUN error ${code}: ${new TextDecoder().decode(e.subarray(4))}`);
  }
  const out: BindingResponse = {};
  const xm = attrs.get(ATTR_XOR_MAPPED), m = attrs.get(ATTR_MAPPED);
  if (xm) out.mappedAddr = decodeAddress(xm, txid, true);
  else if (m) out.mappedAddr = decodeAddress(m, txid, false);
  const other = attrs.get(ATTR_OTHER) ?? attrs.get(ATTR_CHANGED);
  if (other) out.otherAddr = decodeAddress(other, txid, false);
  return out;
}
