/**
 * The wire v2 control-channel encryption: golib's framed AEAD stream
 * (`golib/crypto/aead_stream.go`) with keys from HKDF-SHA256 over the token, salted with the
 * hello transcript (`pkg/util/net/conn.go` NewAEADCryptoReadWriter).
 *
 * Per direction: the random stream nonce in clear (12 bytes for AES-256-GCM, 24 for
 * XChaCha20-Poly1305), then records `u32 BE ciphertext length | ciphertext + 16-byte tag`
 * with ≤ 64 KiB plaintext each. Record i is sealed with nonce = stream nonce + i (big-endian,
 * carrying over the whole nonce) and AAD = stream nonce ‖ the 4 length bytes.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createCipheriv, createDecipheriv, createHmac, randomFillSync } from "node:crypto";
import type { Duplex } from "../duplex.ts";
import { ProtocolError, UnexpectedEofError } from "../errors.ts";
import { readFull, writeAll } from "../io.ts";

/** Bytes of an AEAD key. */
export const AEAD_KEY_SIZE = 32;
/** Largest plaintext per record (DefaultAEADMaxPayloadSize). */
export const AEAD_MAX_PAYLOAD = 64 * 1024;
/** Authentication tag bytes (both algorithms). */
export const AEAD_TAG_SIZE = 16;

const HEADER_SIZE = 4;
/** golib's per-stream record limit for AES-GCM. */
const MAX_GCM_RECORDS = 2 ** 32;

/** An AEAD stream the reader refuses (bad length, failed authentication…). */
export class AeadStreamError extends ProtocolError {}

/** Which end of the control connection we are. */
export type AeadRole = "client" | "server";

type Seal = (nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, out: Uint8Array) => void;
type Open = (nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array) => Uint8Array;

interface Aead {
  nonceSize: number;
  maxRecords: number;
  seal: Seal;
  open: Open;
}

const buf = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

function gcm(key: Uint8Array): Aead {
  const k = buf(key);
  return {
    nonceSize: 12,
    maxRecords: MAX_GCM_RECORDS,
    seal(nonce, plaintext, aad, out) {
      const c = createCipheriv("aes-256-gcm", k, buf(nonce));
      c.setAAD(buf(aad));
      const ct = c.update(buf(plaintext));
      const fin = c.final();
      out.set(ct);
      out.set(fin, ct.byteLength);
      out.set(c.getAuthTag(), plaintext.byteLength);
    },
    open(nonce, ciphertext, aad) {
      const n = ciphertext.byteLength - AEAD_TAG_SIZE;
      const d = createDecipheriv("aes-256-gcm", k, buf(nonce));
      d.setAAD(buf(aad));
      d.setAuthTag(buf(ciphertext.subarray(n)));
      try {
        const pt = d.update(buf(ciphertext.subarray(0, n)));
        d.final();
        return new Uint8Array(pt.buffer, pt.byteOffset, pt.byteLength);
      } catch {
        throw new AeadStreamError("cipher: message authentication failed");
      }
    },
  };
}

const rotl = (x: number, n: number): number => (x << n) | (x >>> (32 - n));

/** HChaCha20 (draft-irtf-cfrg-xchacha §2.2): the XChaCha20 subkey from key + nonce[0:16]. */
export function hchacha20(key: Uint8Array, nonce16: Uint8Array): Uint8Array {
  const kv = new DataView(key.buffer, key.byteOffset, 32);
  const nv = new DataView(nonce16.buffer, nonce16.byteOffset, 16);
  const s = new Uint32Array(16);
  s[0] = 0x61707865;
  s[1] = 0x3320646e;
  s[2] = 0x79622d32;
  s[3] = 0x6b206574;
  for (let i = 0; i < 8; i++) s[4 + i] = kv.getUint32(4 * i, true);
  for (let i = 0; i < 4; i++) s[12 + i] = nv.getUint32(4 * i, true);
  const qr = (a: number, b: number, c: number, d: number): void => {
    s[a] += s[b];
    s[d] = rotl(s[d] ^ s[a], 16);
    s[c] += s[d];
    s[b] = rotl(s[b] ^ s[c], 12);
    s[a] += s[b];
    s[d] = rotl(s[d] ^ s[a], 8);
    s[c] += s[d];
    s[b] = rotl(s[b] ^ s[c], 7);
  };
  for (let i = 0; i < 10; i++) {
    qr(0, 4, 8, 12);
    qr(1, 5, 9, 13);
    qr(2, 6, 10, 14);
    qr(3, 7, 11, 15);
    qr(0, 5, 10, 15);
    qr(1, 6, 11, 12);
    qr(2, 7, 8, 13);
    qr(3, 4, 9, 14);
  }
  const out = new Uint8Array(32);
  const ov = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) {
    ov.setUint32(4 * i, s[i], true);
    ov.setUint32(16 + 4 * i, s[12 + i], true);
  }
  return out;
}

function xchacha(key: Uint8Array): Aead {
  // XChaCha20-Poly1305 = ChaCha20-Poly1305 keyed by HChaCha20(key, nonce[0:16]) with the
  // 12-byte nonce 0x00000000 ‖ nonce[16:24] (what x/crypto's NewX does).
  const prepare = (nonce: Uint8Array): [Buffer, Buffer] => {
    const n12 = Buffer.alloc(12);
    n12.set(nonce.subarray(16, 24), 4);
    return [buf(hchacha20(key, nonce.subarray(0, 16))), n12];
  };
  return {
    nonceSize: 24,
    maxRecords: 0,
    seal(nonce, plaintext, aad, out) {
      const [k, n] = prepare(nonce);
      const c = createCipheriv("chacha20-poly1305", k, n, { authTagLength: AEAD_TAG_SIZE });
      c.setAAD(buf(aad), { plaintextLength: plaintext.byteLength });
      const ct = c.update(buf(plaintext));
      const fin = c.final();
      out.set(ct);
      out.set(fin, ct.byteLength);
      out.set(c.getAuthTag(), plaintext.byteLength);
    },
    open(nonce, ciphertext, aad) {
      const [k, n] = prepare(nonce);
      const len = ciphertext.byteLength - AEAD_TAG_SIZE;
      const d = createDecipheriv("chacha20-poly1305", k, n, { authTagLength: AEAD_TAG_SIZE });
      d.setAAD(buf(aad), { plaintextLength: len });
      d.setAuthTag(buf(ciphertext.subarray(len)));
      try {
        const pt = d.update(buf(ciphertext.subarray(0, len)));
        d.final();
        return new Uint8Array(pt.buffer, pt.byteOffset, pt.byteLength);
      } catch {
        throw new AeadStreamError("chacha20poly1305: message authentication failed");
      }
    },
  };
}

function newAead(algorithm: string, key: Uint8Array): Aead {
  if (key.byteLength !== AEAD_KEY_SIZE) {
    throw new AeadStreamError(`aead key must be ${AEAD_KEY_SIZE} bytes`);
  }
  switch (algorithm) {
    case "aes-256-gcm":
      return gcm(key);
    case "xchacha20-poly1305":
      return xchacha(key);
    default:
      throw new AeadStreamError(`unsupported aead algorithm: ${algorithm}`);
  }
}

/** Adds 1 to a big-endian nonce in place; false when it wrapped to all zeros. */
function incrementNonce(nonce: Uint8Array): boolean {
  for (let i = nonce.byteLength - 1; i >= 0; i--) {
    nonce[i] = (nonce[i] + 1) & 0xff;
    if (nonce[i] !== 0) return true;
  }
  return false;
}

/** HKDF-SHA256 (RFC 5869) extract + expand. An empty IKM is legal (empty token). */
export function hkdfSha256(
  ikm: Uint8Array,
  salt: Uint8Array,
  info: Uint8Array,
  length: number,
): Uint8Array {
  const prk = createHmac("sha256", buf(salt.byteLength ? salt : new Uint8Array(32)))
    .update(buf(ikm))
    .digest();
  const out = new Uint8Array(length);
  let t: Uint8Array = new Uint8Array(0);
  for (let i = 1, off = 0; off < length; i++) {
    t = createHmac("sha256", prk).update(buf(t)).update(buf(info)).update(Buffer.of(i)).digest();
    out.set(t.subarray(0, Math.min(t.byteLength, length - off)), off);
    off += t.byteLength;
  }
  return out;
}

const encoder = new TextEncoder();

/** The control key of one direction (deriveAEADControlKey). */
export function deriveAeadControlKey(
  token: string,
  algorithm: string,
  transcriptHash: Uint8Array,
  direction: "client-to-server" | "server-to-client",
): Uint8Array {
  const info = encoder.encode(`frp wire v2 control aead ${algorithm} ${direction}`);
  return hkdfSha256(encoder.encode(token), transcriptHash, info, AEAD_KEY_SIZE);
}

/** The reading and writing halves of one AEAD stream pair. */
class AeadDuplex implements Duplex {
  readonly #inner: Duplex;
  readonly #rd: Aead;
  readonly #wr: Aead;
  // reader state
  #rStreamNonce: Uint8Array | null = null;
  #rNonce: Uint8Array;
  #rAad: Uint8Array;
  #rCount = 0;
  #plain: Uint8Array = new Uint8Array(0);
  #rErr: unknown = null;
  // writer state
  readonly #wStreamNonce: Uint8Array;
  readonly #wNonce: Uint8Array;
  readonly #wAad: Uint8Array;
  #wCount = 0;
  #headerSent = false;
  #wErr: unknown = null;

  constructor(inner: Duplex, readKey: Uint8Array, writeKey: Uint8Array, algorithm: string) {
    this.#inner = inner;
    this.#rd = newAead(algorithm, readKey);
    this.#wr = newAead(algorithm, writeKey);
    this.#rNonce = new Uint8Array(this.#rd.nonceSize);
    this.#rAad = new Uint8Array(this.#rd.nonceSize + HEADER_SIZE);
    this.#wStreamNonce = randomFillSync(new Uint8Array(this.#wr.nonceSize));
    this.#wNonce = this.#wStreamNonce.slice();
    this.#wAad = new Uint8Array(this.#wr.nonceSize + HEADER_SIZE);
    this.#wAad.set(this.#wStreamNonce);
  }

  async read(p: Uint8Array): Promise<number | null> {
    if (p.byteLength === 0) return 0;
    while (this.#plain.byteLength === 0) {
      if (this.#rErr !== null) throw this.#rErr;
      try {
        if (!(await this.#readRecord())) return null;
      } catch (err) {
        this.#rErr = err;
        throw err;
      }
    }
    const n = Math.min(p.byteLength, this.#plain.byteLength);
    p.set(n === this.#plain.byteLength ? this.#plain : this.#plain.subarray(0, n));
    this.#plain = this.#plain.subarray(n);
    return n;
  }

  /** Reads and opens one record; false on a clean EOF at a record boundary. */
  async #readRecord(): Promise<boolean> {
    const aead = this.#rd;
    try {
      if (this.#rStreamNonce === null) {
        await readFull(this.#inner, this.#rNonce);
        this.#rStreamNonce = this.#rNonce.slice();
        this.#rAad.set(this.#rStreamNonce);
      }
      const header = this.#rAad.subarray(aead.nonceSize);
      await readFull(this.#inner, header);
    } catch (err) {
      // golib returns the reader's EOF as is: a clean end of this direction.
      if (err instanceof UnexpectedEofError && err.atBoundary) return false;
      throw err;
    }
    if (aead.maxRecords > 0 && this.#rCount >= aead.maxRecords) {
      throw new AeadStreamError(`aead stream frame count limit ${aead.maxRecords} exceeded`);
    }
    const header = this.#rAad.subarray(aead.nonceSize);
    const len = new DataView(header.buffer, header.byteOffset, HEADER_SIZE).getUint32(0);
    if (len < AEAD_TAG_SIZE) {
      throw new AeadStreamError(
        `aead stream ciphertext length ${len} is smaller than overhead ${AEAD_TAG_SIZE}`,
      );
    }
    if (len > AEAD_MAX_PAYLOAD + AEAD_TAG_SIZE) {
      throw new AeadStreamError(
        `aead stream ciphertext length ${len} exceeds limit ${AEAD_MAX_PAYLOAD + AEAD_TAG_SIZE}`,
      );
    }
    const ct = new Uint8Array(len);
    try {
      await readFull(this.#inner, ct);
    } catch (err) {
      if (err instanceof UnexpectedEofError) {
        throw new UnexpectedEofError("Cannot read aead record: stream ended mid-record", false);
      }
      throw err;
    }
    this.#plain = aead.open(this.#rNonce, ct, this.#rAad);
    if (!incrementNonce(this.#rNonce)) {
      throw new AeadStreamError("aead stream frame counter exhausted");
    }
    this.#rCount++;
    return true;
  }

  /** Seals all of `p` (records of ≤ 64 KiB) and writes them with one writeAll. */
  async write(p: Uint8Array): Promise<number> {
    if (this.#wErr !== null) throw this.#wErr;
    const n = p.byteLength;
    if (n === 0) return 0;
    try {
      const aead = this.#wr;
      const records = Math.ceil(n / AEAD_MAX_PAYLOAD);
      const first = this.#headerSent ? 0 : aead.nonceSize;
      const out = new Uint8Array(first + n + records * (HEADER_SIZE + AEAD_TAG_SIZE));
      if (!this.#headerSent) out.set(this.#wStreamNonce);
      let off = first;
      for (let i = 0; i < n; i += AEAD_MAX_PAYLOAD) {
        if (aead.maxRecords > 0 && this.#wCount >= aead.maxRecords) {
          throw new AeadStreamError(`aead stream frame count limit ${aead.maxRecords} exceeded`);
        }
        const chunk = p.subarray(i, Math.min(n, i + AEAD_MAX_PAYLOAD));
        const header = this.#wAad.subarray(aead.nonceSize);
        new DataView(header.buffer, header.byteOffset, HEADER_SIZE)
          .setUint32(0, chunk.byteLength + AEAD_TAG_SIZE);
        out.set(header, off);
        off += HEADER_SIZE;
        aead.seal(this.#wNonce, chunk, this.#wAad, out.subarray(off));
        off += chunk.byteLength + AEAD_TAG_SIZE;
        if (!incrementNonce(this.#wNonce)) {
          throw new AeadStreamError("aead stream frame counter exhausted");
        }
        this.#wCount++;
      }
      this.#headerSent = true;
      await writeAll(this.#inner, out);
    } catch (err) {
      this.#wErr = err;
      throw err;
    }
    return n;
  }

  closeWrite(): Promise<void> {
    return this.#inner.closeWrite();
  }

  close(): void {
    this.#plain = new Uint8Array(0);
    this.#inner.close();
  }
}

/** An AEAD stream pair with explicit keys (one per direction). */
export function aeadStreamDuplex(
  inner: Duplex,
  algorithm: string,
  readKey: Uint8Array,
  writeKey: Uint8Array,
): Duplex {
  return new AeadDuplex(inner, readKey, writeKey, algorithm);
}

/**
 * Wraps the control connection after LoginResp (wire v2): keys from the token and the hello
 * transcript, client-to-server / server-to-client per `role`.
 */
export function aeadControlDuplex(
  inner: Duplex,
  token: string,
  role: AeadRole,
  algorithm: string,
  transcriptHash: Uint8Array,
): Duplex {
  const c2s = deriveAeadControlKey(token, algorithm, transcriptHash, "client-to-server");
  const s2c = deriveAeadControlKey(token, algorithm, transcriptHash, "server-to-client");
  return role === "client"
    ? new AeadDuplex(inner, s2c, c2s, algorithm)
    : new AeadDuplex(inner, c2s, s2c, algorithm);
}
