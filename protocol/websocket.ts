/**
 * The websocket layer frp uses for `transport.protocol = "websocket"|"wss"` (wire-v1.md §12.1):
 * golang.org/x/net/websocket's handshake on path `/~!frp`, then one frame per write (FIN set,
 * binary opcode; Go ≤0.69 sent text frames with binary payload, so any data opcode is
 * accepted). Clients mask, servers do not. Close frames read as EOF; pings get pongs.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { Conn, NetAddr } from "./duplex.ts";
import { writeAll } from "./io.ts";
import { ProtocolError } from "./errors.ts";

/** frp's websocket endpoint on bindPort. */
export const FRP_WEBSOCKET_PATH = "/~!frp";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const MAX_HEAD = 8192;
const OP_CONT = 0x0, OP_TEXT = 0x1, OP_BINARY = 0x2, OP_CLOSE = 0x8, OP_PING = 0x9, OP_PONG = 0xa;

/** The `Sec-WebSocket-Accept` value for a key (RFC 6455 §4.2.2). */
export function websocketAccept(key: string): string {
  return createHash("sha1").update(key + GUID).digest("base64");
}

/** Reads an HTTP head up to CRLFCRLF; returns it and any bytes that followed. */
async function readHead(conn: Conn): Promise<{ head: string; rest: Uint8Array }> {
  const buf = new Uint8Array(MAX_HEAD);
  let n = 0;
  for (;;) {
    if (n === buf.length) throw new ProtocolError("websocket: handshake head too large");
    const m = await conn.read(buf.subarray(n));
    if (m === null) throw new ProtocolError("websocket: connection closed during handshake");
    n += m;
    for (let i = Math.max(0, n - m - 3); i + 3 < n; i++) {
      if (buf[i] === 13 && buf[i + 1] === 10 && buf[i + 2] === 13 && buf[i + 3] === 10) {
        return {
          head: new TextDecoder("latin1").decode(buf.subarray(0, i)),
          rest: buf.slice(i + 4, n),
        };
      }
    }
  }
}

function parseHeaders(lines: string[]): Map<string, string> {
  const h = new Map<string, string>();
  for (const line of lines) {
    const i = line.indexOf(":");
    if (i > 0) h.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  return h;
}

function hasToken(v: string | undefined, token: string): boolean {
  return !!v && v.toLowerCase().split(",").some((t) => t.trim() === token);
}

/**
 * Client side: sends x/net's handshake (Host, Origin `http://<host>` lower-cased, version 13)
 * and checks the 101 answer. `host` is `serverAddr:serverPort` for ws, the TLS server name for
 * wss.
 */
export async function websocketClient(conn: Conn, host: string): Promise<WebSocketConn> {
  const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
  const req = `GET ${FRP_WEBSOCKET_PATH} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\n` +
    `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nOrigin: http://${host.toLowerCase()}\r\n` +
    `Sec-WebSocket-Version: 13\r\n\r\n`;
  await writeAll(conn, new TextEncoder().encode(req));
  const { head, rest } = await readHead(conn);
  const [status, ...lines] = head.split("\r\n");
  if (!/^HTTP\/1\.[01] 101\b/.test(status)) {
    throw new ProtocolError(`websocket: bad handshake status: ${status}`);
  }
  const h = parseHeaders(lines);
  if (!hasToken(h.get("upgrade"), "websocket") || !hasToken(h.get("connection"), "upgrade")) {
    throw new ProtocolError("websocket: bad upgrade response");
  }
  if (h.get("sec-websocket-accept") !== websocketAccept(key)) {
    throw new ProtocolError("websocket: mismatched Sec-WebSocket-Accept");
  }
  return new WebSocketConn(conn, true, rest);
}

/**
 * Server side, after the bindPort sniff saw `GET /~!frp`: validates the upgrade as x/net does
 * (an Origin header is required, else 403) and answers 101.
 */
export async function websocketServer(conn: Conn): Promise<WebSocketConn> {
  const { head, rest } = await readHead(conn);
  const [reqLine, ...lines] = head.split("\r\n");
  const h = parseHeaders(lines);
  const reply = async (status: string) => {
    await writeAll(
      conn,
      new TextEncoder().encode(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\n\r\n`),
    ).catch(() => {});
    throw new ProtocolError(`websocket: handshake rejected: ${status}`);
  };
  const [method, path] = reqLine.split(" ");
  if (method !== "GET" || path?.split("?")[0] !== FRP_WEBSOCKET_PATH) {
    return await reply("404 Not Found");
  }
  const key = h.get("sec-websocket-key");
  if (
    !hasToken(h.get("upgrade"), "websocket") || !hasToken(h.get("connection"), "upgrade") ||
    !key || h.get("sec-websocket-version") !== "13"
  ) {
    return await reply("400 Bad Request");
  }
  const origin = h.get("origin");
  if (!origin || !URL.canParse(origin)) return await reply("403 Forbidden");
  await writeAll(
    conn,
    new TextEncoder().encode(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Accept: ${websocketAccept(key)}\r\n\r\n`,
    ),
  );
  return new WebSocketConn(conn, false, rest);
}

/** Encodes one frame header (+ mask key) into `out`; returns its length. */
export function encodeFrameHeader(
  out: Uint8Array,
  opcode: number,
  length: number,
  mask: Uint8Array | null,
): number {
  out[0] = 0x80 | opcode;
  let i: number;
  if (length < 126) {
    out[1] = length;
    i = 2;
  } else if (length < 65536) {
    out[1] = 126;
    out[2] = length >>> 8;
    out[3] = length & 0xff;
    i = 4;
  } else {
    out[1] = 127;
    new DataView(out.buffer, out.byteOffset).setBigUint64(2, BigInt(length));
    i = 10;
  }
  if (mask) {
    out[1] |= 0x80;
    out.set(mask, i);
    i += 4;
  }
  return i;
}

function xorMask(data: Uint8Array, mask: Uint8Array, offset: number): void {
  for (let i = 0; i < data.length; i++) data[i] ^= mask[(offset + i) & 3];
}

/** A websocket connection as a byte stream (a Conn, so TLS and yamux can run on top). */
export class WebSocketConn implements Conn {
  readonly localAddr: NetAddr;
  readonly remoteAddr: NetAddr;
  readonly #conn: Conn;
  readonly #masking: boolean;
  /** Raw bytes read from the socket but not yet parsed. */
  #in: Uint8Array = new Uint8Array(16 * 1024);
  #inStart = 0;
  #inEnd = 0;
  /** Payload bytes left in the current data frame, and its mask state. */
  #remaining = 0;
  #frameMask: Uint8Array | null = null;
  #maskOffset = 0;
  #eof = false;
  #closeSent = false;
  #out: Uint8Array = new Uint8Array(0);
  #writeChain: Promise<void> = Promise.resolve();

  constructor(conn: Conn, masking: boolean, leftover: Uint8Array) {
    this.#conn = conn;
    this.#masking = masking;
    this.localAddr = conn.localAddr;
    this.remoteAddr = conn.remoteAddr;
    this.#in.set(leftover);
    this.#inEnd = leftover.length;
  }

  /** Ensures at least `n` unparsed bytes are buffered; false at EOF. */
  async #fill(n: number): Promise<boolean> {
    while (this.#inEnd - this.#inStart < n) {
      if (this.#inStart > 0 && this.#inStart === this.#inEnd) this.#inStart = this.#inEnd = 0;
      if (this.#in.length - this.#inStart < n) {
        const bigger = new Uint8Array(Math.max(this.#in.length, n * 2));
        bigger.set(this.#in.subarray(this.#inStart, this.#inEnd));
        this.#inEnd -= this.#inStart;
        this.#inStart = 0;
        this.#in = bigger;
      }
      const m = await this.#conn.read(this.#in.subarray(this.#inEnd));
      if (m === null) return false;
      this.#inEnd += m;
    }
    return true;
  }

  /** Parses frame headers until a data frame with payload starts; false at close/EOF. */
  async #nextDataFrame(): Promise<boolean> {
    for (;;) {
      if (!await this.#fill(2)) return false;
      const b0 = this.#in[this.#inStart], b1 = this.#in[this.#inStart + 1];
      const opcode = b0 & 0x0f;
      const masked = (b1 & 0x80) !== 0;
      let len = b1 & 0x7f;
      let hdr = 2;
      if (len === 126) hdr = 4;
      else if (len === 127) hdr = 10;
      if (masked) hdr += 4;
      if (!await this.#fill(hdr)) return false;
      const view = new DataView(this.#in.buffer, this.#in.byteOffset + this.#inStart);
      if (len === 126) len = view.getUint16(2);
      else if (len === 127) {
        const big = view.getBigUint64(2);
        if (big > BigInt(Number.MAX_SAFE_INTEGER)) {
          throw new ProtocolError("websocket: frame too large");
        }
        len = Number(big);
      }
      const mask = masked ? this.#in.slice(this.#inStart + hdr - 4, this.#inStart + hdr) : null;
      this.#inStart += hdr;
      if (opcode === OP_CONT || opcode === OP_TEXT || opcode === OP_BINARY) {
        if (len === 0) continue;
        this.#remaining = len;
        this.#frameMask = mask;
        this.#maskOffset = 0;
        return true;
      }
      if (opcode >= 0x8 && len > 125) throw new ProtocolError("websocket: control frame too long");
      if (!await this.#fill(len)) return false;
      const payload = this.#in.slice(this.#inStart, this.#inStart + len);
      this.#inStart += len;
      if (mask) xorMask(payload, mask, 0);
      if (opcode === OP_CLOSE) return false;
      if (opcode === OP_PING) this.#send(OP_PONG, payload).catch(() => {});
      else if (opcode !== OP_PONG) throw new ProtocolError(`websocket: unknown opcode ${opcode}`);
    }
  }

  async read(p: Uint8Array): Promise<number | null> {
    if (this.#eof) return null;
    if (this.#remaining === 0 && !await this.#nextDataFrame()) {
      this.#eof = true;
      return null;
    }
    const want = Math.min(p.length, this.#remaining);
    let n: number;
    const buffered = this.#inEnd - this.#inStart;
    if (buffered > 0) {
      n = Math.min(want, buffered);
      p.set(this.#in.subarray(this.#inStart, this.#inStart + n));
      this.#inStart += n;
    } else {
      // Nothing buffered: read the payload straight into the caller's buffer.
      const m = await this.#conn.read(p.subarray(0, want));
      if (m === null) {
        this.#eof = true;
        return null;
      }
      n = m;
    }
    if (this.#frameMask) xorMask(p.subarray(0, n), this.#frameMask, this.#maskOffset);
    this.#maskOffset += n;
    this.#remaining -= n;
    return n;
  }

  /** Sends one frame with header and payload in a single transport write. */
  #send(opcode: number, payload: Uint8Array): Promise<void> {
    const run = async () => {
      const mask = this.#masking ? crypto.getRandomValues(new Uint8Array(4)) : null;
      const need = payload.length + 14;
      if (this.#out.length < need) this.#out = new Uint8Array(Math.max(need, 16 * 1024));
      const h = encodeFrameHeader(this.#out, opcode, payload.length, mask);
      this.#out.set(payload, h);
      if (mask) xorMask(this.#out.subarray(h, h + payload.length), mask, 0);
      await writeAll(this.#conn, this.#out.subarray(0, h + payload.length));
      // Do not keep a large frame buffer for an idle connection.
      if (this.#out.length > 256 * 1024) this.#out = new Uint8Array(0);
    };
    const p = this.#writeChain.then(run);
    this.#writeChain = p.catch(() => {});
    return p;
  }

  async write(p: Uint8Array): Promise<number> {
    if (this.#closeSent) throw new ProtocolError("websocket: write after close");
    await this.#send(OP_BINARY, p);
    return p.length;
  }

  /** Websocket has no half-close: a close frame, which Go's reader treats as EOF. */
  async closeWrite(): Promise<void> {
    if (this.#closeSent) return;
    this.#closeSent = true;
    await this.#send(OP_CLOSE, new Uint8Array([0x03, 0xe8])).catch(() => {});
  }

  close(): void {
    if (!this.#closeSent) this.closeWrite().finally(() => this.#conn.close());
    else this.#conn.close();
  }
}
