/**
 * UDPPacket bodies: the datagram payload travels as standard base64 in `c` and the user's
 * address as a Go `*net.UDPAddr` object in `r` (wire-v1.md §2.13).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { type NetAddr, netAddrText } from "./duplex.ts";
import type { UDPPacket } from "./msg/messages.ts";

/** Builds the `UDPPacket` body for one datagram. */
export function encodeUdpPacket(data: Uint8Array, remote: NetAddr): UDPPacket {
  const body: UDPPacket = { r: { IP: remote.hostname, Port: remote.port, Zone: "" } };
  if (data.byteLength > 0) {
    body.c = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64");
  }
  return body;
}

/** Extracts payload and user address; throws on a packet without an address. */
export function decodeUdpPacket(body: UDPPacket): { data: Uint8Array; remote: NetAddr } {
  const r = body.r;
  if (!r || typeof r.IP !== "string" || typeof r.Port !== "number") {
    throw new TypeError("Cannot decode UDPPacket: missing remote address");
  }
  const data = body.c ? new Uint8Array(Buffer.from(body.c, "base64")) : new Uint8Array(0);
  return { data, remote: { hostname: r.IP, port: r.Port } };
}

/** Payload bytes of a UDPPacket (what its base64 `c` decodes to), without decoding it. */
export function udpPacketLength(p: UDPPacket): number {
  const c = p.c ?? "";
  const pad = c.endsWith("==") ? 2 : c.endsWith("=") ? 1 : 0;
  return Math.max(0, Math.floor(c.length / 4) * 3 - pad);
}

/** The map key frp uses for a user address (`ip:port`, IPv6 bracketed). */
export function udpAddrKey(a: NetAddr): string {
  return netAddrText(a);
}
