/**
 * Random self-signed certificate like Go frp's `newRandomTLSKeyPair` (pkg/transport/tls.go):
 * RSA-2048 key, random positive 128-bit serial, NotBefore = now − 1 h, NotAfter = now + 10 y,
 * empty subject and issuer, no extensions, SHA256-RSA signature. Built with a tiny DER writer.
 *
 * @module
 */

import { createSign, generateKeyPair, type KeyObject } from "node:crypto";

function derLen(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  while (n > 0) {
    out.unshift(n & 0xff);
    n >>>= 8;
  }
  return [0x80 | out.length, ...out];
}

function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const len = parts.reduce((a, p) => a + p.byteLength, 0);
  const hdr = [tag, ...derLen(len)];
  const out = new Uint8Array(hdr.length + len);
  out.set(hdr);
  let off = hdr.length;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}

const seq = (...parts: Uint8Array[]) => tlv(0x30, ...parts);

function derInteger(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  let b = bytes.subarray(i);
  if (b[0] & 0x80) b = new Uint8Array([0, ...b]);
  return tlv(0x02, b);
}

function utcTime(d: Date): Uint8Array {
  const p = (n: number) => String(n).padStart(2, "0");
  const s = p(d.getUTCFullYear() % 100) + p(d.getUTCMonth() + 1) + p(d.getUTCDate()) +
    p(d.getUTCHours()) + p(d.getUTCMinutes()) + p(d.getUTCSeconds()) + "Z";
  return tlv(0x17, new TextEncoder().encode(s));
}

function generalizedTime(d: Date): Uint8Array {
  const p = (n: number) => String(n).padStart(2, "0");
  const s = String(d.getUTCFullYear()).padStart(4, "0") + p(d.getUTCMonth() + 1) +
    p(d.getUTCDate()) + p(d.getUTCHours()) + p(d.getUTCMinutes()) + p(d.getUTCSeconds()) + "Z";
  return tlv(0x18, new TextEncoder().encode(s));
}

/** RFC 5280: UTCTime through 2049, GeneralizedTime from 2050. */
const derTime = (d: Date) => d.getUTCFullYear() < 2050 ? utcTime(d) : generalizedTime(d);

// 1.2.840.113549.1.1.11 sha256WithRSAEncryption, NULL parameters
const SHA256_RSA = seq(
  new Uint8Array([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b]),
  new Uint8Array([0x05, 0x00]),
);

function pem(label: string, der: Uint8Array): string {
  let b64 = "";
  const CH = 0x8000;
  let bin = "";
  for (let i = 0; i < der.length; i += CH) {
    bin += String.fromCharCode(...der.subarray(i, i + CH));
  }
  b64 = btoa(bin);
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** A PEM certificate and its PKCS#8 PEM private key. */
export interface CertKeyPem {
  cert: string;
  key: string;
}

function genRsa(): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  return new Promise((resolve, reject) => {
    generateKeyPair("rsa", { modulusLength: 2048 }, (err, publicKey, privateKey) => {
      if (err) reject(err);
      else resolve({ publicKey, privateKey });
    });
  });
}

/** Generates a fresh random self-signed RSA-2048 certificate (Go frp's default server cert). */
export async function generateSelfSignedCert(now: Date = new Date()): Promise<CertKeyPem> {
  const { publicKey, privateKey } = await genRsa();
  const spki = new Uint8Array(publicKey.export({ type: "spki", format: "der" }));
  const serial = crypto.getRandomValues(new Uint8Array(16));
  serial[0] &= 0x7f;
  if (serial[0] === 0) serial[0] = 1; // keep it positive and non-zero
  const notBefore = new Date(now.getTime() - 3600_000);
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + 10);
  const emptyName = seq();
  const tbs = seq(
    tlv(0xa0, derInteger(new Uint8Array([2]))), // [0] EXPLICIT version v3
    derInteger(serial),
    SHA256_RSA,
    emptyName, // issuer
    seq(derTime(notBefore), derTime(notAfter)),
    emptyName, // subject
    spki,
  );
  const signer = createSign("sha256");
  signer.update(tbs);
  const sig = new Uint8Array(signer.sign(privateKey));
  const cert = seq(tbs, SHA256_RSA, tlv(0x03, new Uint8Array([0]), sig));
  return {
    cert: pem("CERTIFICATE", cert),
    key: privateKey.export({ type: "pkcs8", format: "pem" }) as string,
  };
}
