/**
 * The wire v2 control handshake (frp's `pkg/proto/wire/{wire,crypto}.go`): ClientHello /
 * ServerHello JSON as Go writes it, frps's algorithm choice, frpc's checks of the answer, and
 * the transcript hash that salts the control-channel AEAD keys. Error texts are Go's.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createHash, randomFillSync } from "node:crypto";
import { MalformedMessageError, ProtocolError } from "../errors.ts";

/** AEAD algorithm names as frp spells them. */
export const AEAD_AES_256_GCM = "aes-256-gcm";
export const AEAD_XCHACHA20_POLY1305 = "xchacha20-poly1305";

/**
 * Algorithms we implement, in our preference order. frps picks the first algorithm of the
 * client's list it supports; we lead with AES-GCM (node:crypto uses AES-NI where present).
 */
export const SUPPORTED_AEAD_ALGORITHMS: readonly string[] = [
  AEAD_AES_256_GCM,
  AEAD_XCHACHA20_POLY1305,
];

/** The only message codec frp defines. */
export const MESSAGE_CODEC_JSON = "json";

/** Bytes of clientRandom / serverRandom. */
export const CRYPTO_RANDOM_SIZE = 32;

const TRANSCRIPT_LABEL = "frp wire v2 crypto transcript";

/** ClientHello.bootstrap: how frpc reached frps (informational). */
export interface BootstrapInfo {
  transport?: string;
  tls?: boolean;
  tcpMux?: boolean;
}

/** frpc's hello (decoded). */
export interface ClientHello {
  bootstrap: BootstrapInfo;
  codecs: string[];
  algorithms: string[];
  clientRandom: Uint8Array;
}

/** frps's hello (decoded). */
export interface ServerHello {
  codec: string;
  algorithm: string;
  serverRandom: Uint8Array;
  error: string;
}

/** The negotiated control-channel crypto: algorithm + transcript hash (HKDF salt). */
export interface CryptoContext {
  algorithm: string;
  transcriptHash: Uint8Array;
}

/** A hello that frp's checks refuse; the message is Go's text. */
export class WireV2HandshakeError extends ProtocolError {}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const b64 = (b: Uint8Array): string =>
  Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64");

/** A fresh 32-byte random. */
export function newCryptoRandom(): Uint8Array {
  return randomFillSync(new Uint8Array(CRYPTO_RANDOM_SIZE));
}

/** ClientHello JSON bytes as Go marshals them (omitempty fields dropped, structs kept). */
export function encodeClientHello(h: ClientHello): Uint8Array {
  const bootstrap: Record<string, unknown> = {};
  if (h.bootstrap.transport) bootstrap.transport = h.bootstrap.transport;
  if (h.bootstrap.tls) bootstrap.tls = true;
  if (h.bootstrap.tcpMux) bootstrap.tcpMux = true;
  const message: Record<string, unknown> = {};
  if (h.codecs.length) message.codecs = h.codecs;
  const crypto: Record<string, unknown> = {};
  if (h.algorithms.length) crypto.algorithms = h.algorithms;
  if (h.clientRandom.byteLength) crypto.clientRandom = b64(h.clientRandom);
  return encoder.encode(JSON.stringify({ bootstrap, capabilities: { message, crypto } }));
}

/** ServerHello JSON bytes as Go marshals them. */
export function encodeServerHello(h: ServerHello): Uint8Array {
  const message: Record<string, unknown> = {};
  if (h.codec) message.codec = h.codec;
  const crypto: Record<string, unknown> = {};
  if (h.algorithm) crypto.algorithm = h.algorithm;
  if (h.serverRandom.byteLength) crypto.serverRandom = b64(h.serverRandom);
  const out: Record<string, unknown> = { selected: { message, crypto } };
  if (h.error) out.error = h.error;
  return encoder.encode(JSON.stringify(out));
}

type Obj = Record<string, unknown>;

/** Go's case-insensitive key lookup (exact match first). */
function get(o: Obj, key: string): unknown {
  if (key in o) return o[key];
  const lower = key.toLowerCase();
  for (const k of Object.keys(o)) if (k.toLowerCase() === lower) return o[k];
  return undefined;
}

function parseObj(what: string, payload: Uint8Array): Obj {
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(payload));
  } catch (err) {
    throw new MalformedMessageError(`decode ${what}: invalid JSON`, { cause: err });
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new MalformedMessageError(`decode ${what}: not a JSON object`);
  }
  return raw as Obj;
}

function obj(what: string, v: unknown): Obj {
  if (v === undefined || v === null) return {};
  if (typeof v !== "object" || Array.isArray(v)) {
    throw new MalformedMessageError(`decode ${what}: not a JSON object`);
  }
  return v as Obj;
}

function str(what: string, v: unknown): string {
  if (v === undefined || v === null) return "";
  if (typeof v !== "string") throw new MalformedMessageError(`decode ${what}: not a string`);
  return v;
}

function strs(what: string, v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== "string")) {
    throw new MalformedMessageError(`decode ${what}: not a list of strings`);
  }
  return v as string[];
}

function bytes(what: string, v: unknown): Uint8Array {
  const s = str(what, v);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) {
    throw new MalformedMessageError(`decode ${what}: illegal base64 data`);
  }
  return new Uint8Array(Buffer.from(s, "base64"));
}

/** Parses a ClientHello payload (Go json.Unmarshal leniency: unknown keys, any key case). */
export function decodeClientHello(payload: Uint8Array): ClientHello {
  const o = parseObj("ClientHello", payload);
  const bs = obj("ClientHello", get(o, "bootstrap"));
  const caps = obj("ClientHello", get(o, "capabilities"));
  const msg = obj("ClientHello", get(caps, "message"));
  const crypto = obj("ClientHello", get(caps, "crypto"));
  const tls = get(bs, "tls");
  const tcpMux = get(bs, "tcpMux");
  return {
    bootstrap: {
      transport: str("ClientHello", get(bs, "transport")),
      tls: tls === true,
      tcpMux: tcpMux === true,
    },
    codecs: strs("ClientHello", get(msg, "codecs")),
    algorithms: strs("ClientHello", get(crypto, "algorithms")),
    clientRandom: bytes("ClientHello", get(crypto, "clientRandom")),
  };
}

/** Parses a ServerHello payload. */
export function decodeServerHello(payload: Uint8Array): ServerHello {
  const o = parseObj("ServerHello", payload);
  const sel = obj("ServerHello", get(o, "selected"));
  const msg = obj("ServerHello", get(sel, "message"));
  const crypto = obj("ServerHello", get(sel, "crypto"));
  return {
    codec: str("ServerHello", get(msg, "codec")),
    algorithm: str("ServerHello", get(crypto, "algorithm")),
    serverRandom: bytes("ServerHello", get(crypto, "serverRandom")),
    error: str("ServerHello", get(o, "error")),
  };
}

/** frpc's hello: JSON codec, our algorithms, a fresh client random. */
export function newClientHello(bootstrap: BootstrapInfo): ClientHello {
  return {
    bootstrap,
    codecs: [MESSAGE_CODEC_JSON],
    algorithms: [...SUPPORTED_AEAD_ALGORITHMS],
    clientRandom: newCryptoRandom(),
  };
}

/** The first client algorithm we support (SelectAEADAlgorithm). */
export function selectAeadAlgorithm(clientAlgorithms: readonly string[]): string | undefined {
  return clientAlgorithms.find((a) => SUPPORTED_AEAD_ALGORITHMS.includes(a));
}

/**
 * frps's answer to a ClientHello (NewServerHello); throws WireV2HandshakeError with Go's text
 * when the hello is unacceptable (frps then sends {@link errorServerHello} and closes).
 */
export function newServerHello(h: ClientHello): ServerHello {
  if (!h.codecs.includes(MESSAGE_CODEC_JSON)) {
    throw new WireV2HandshakeError("unsupported message codec");
  }
  if (h.clientRandom.byteLength !== CRYPTO_RANDOM_SIZE) {
    throw new WireV2HandshakeError(
      `invalid crypto client random length ${h.clientRandom.byteLength}, want ${CRYPTO_RANDOM_SIZE}`,
    );
  }
  const algorithm = selectAeadAlgorithm(h.algorithms);
  if (algorithm === undefined) throw new WireV2HandshakeError("no supported crypto algorithm");
  return { codec: MESSAGE_CODEC_JSON, algorithm, serverRandom: newCryptoRandom(), error: "" };
}

/** DefaultServerHello with an error, as frps sends before closing. */
export function errorServerHello(error: string): ServerHello {
  return { codec: MESSAGE_CODEC_JSON, algorithm: "", serverRandom: new Uint8Array(0), error };
}

/**
 * frpc's checks of the ServerHello (error first, then ValidateServerHelloForClient); returns
 * the negotiated context over the exact payload bytes of both hellos.
 */
export function clientCryptoContext(
  clientHello: ClientHello,
  clientHelloPayload: Uint8Array,
  serverHelloPayload: Uint8Array,
): CryptoContext {
  const sh = decodeServerHello(serverHelloPayload);
  if (sh.error) throw new WireV2HandshakeError(sh.error);
  if (sh.codec !== MESSAGE_CODEC_JSON) {
    throw new WireV2HandshakeError(`unsupported selected message codec: ${sh.codec}`);
  }
  if (!SUPPORTED_AEAD_ALGORITHMS.includes(sh.algorithm)) {
    throw new WireV2HandshakeError(`unknown selected crypto algorithm: ${sh.algorithm}`);
  }
  if (!clientHello.algorithms.includes(sh.algorithm)) {
    throw new WireV2HandshakeError(
      `selected crypto algorithm was not advertised by client: ${sh.algorithm}`,
    );
  }
  if (sh.serverRandom.byteLength !== CRYPTO_RANDOM_SIZE) {
    throw new WireV2HandshakeError(
      `invalid crypto server random length ${sh.serverRandom.byteLength}, want ${CRYPTO_RANDOM_SIZE}`,
    );
  }
  return {
    algorithm: sh.algorithm,
    transcriptHash: hashCryptoTranscript(clientHelloPayload, serverHelloPayload),
  };
}

/**
 * SHA-256 over the label, then for each hello `0x00 label 0x00 u64 BE length payload`
 * (HashCryptoTranscript).
 */
export function hashCryptoTranscript(
  clientHelloPayload: Uint8Array,
  serverHelloPayload: Uint8Array,
): Uint8Array {
  const h = createHash("sha256");
  h.update(TRANSCRIPT_LABEL);
  for (
    const [label, payload] of [
      ["client hello", clientHelloPayload],
      ["server hello", serverHelloPayload],
    ] as const
  ) {
    const len = new Uint8Array(8);
    new DataView(len.buffer).setBigUint64(0, BigInt(payload.byteLength));
    h.update(new Uint8Array([0]));
    h.update(label);
    h.update(new Uint8Array([0]));
    h.update(len);
    h.update(payload);
  }
  return new Uint8Array(h.digest());
}
