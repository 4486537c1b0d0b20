/**
 * A small HTTP/1.x codec (frps vhost reverse proxy, frpc HTTP plugins): a buffered reader with
 * one outstanding read at a time, request/response head parsing with Go net/http's limits and
 * errors, body framing (Content-Length, chunked, close-delimited) and Go's header
 * canonicalisation.
 *
 * @module
 */
import type { Duplex } from "./duplex.ts";
import { BufferPool, writeAll } from "./io.ts";

/** Go's http.DefaultMaxHeaderBytes (1 MiB) plus the 4096 bytes of slack Go allows. */
export const MAX_HEADER_BYTES = (1 << 20) + 4096;

const enc = new TextEncoder();
const latin1 = new TextDecoder("latin1");

/** An HTTP protocol error with the status Go's server would answer. */
export class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
    this.name = "HttpError";
  }
}

/**
 * A read buffer over a duplex. There is at most one read in flight on the underlying
 * stream: `fill()` joins it, so an idle-connection watcher and a response parser can share it.
 */
export class BufReader {
  readonly conn: Duplex;
  #buf: Uint8Array;
  #start = 0;
  #end = 0;
  #eof = false;
  #pending: Promise<number | null> | null = null;

  constructor(conn: Duplex, size = 8192) {
    this.conn = conn;
    this.#buf = new Uint8Array(size);
  }

  /** Bytes buffered and not yet consumed. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  /** True once the stream reported EOF. */
  get eof(): boolean {
    return this.#eof;
  }

  /** The unconsumed bytes (a view; valid until the next fill/consume). */
  peek(): Uint8Array {
    return this.#buf.subarray(this.#start, this.#end);
  }

  /** Marks `n` buffered bytes as consumed. */
  consume(n: number): void {
    this.#start += n;
    if (this.#start === this.#end) this.#start = this.#end = 0;
  }

  /** Takes (copies) and consumes up to `n` buffered bytes. */
  take(n: number): Uint8Array {
    const m = Math.min(n, this.buffered);
    const out = this.#buf.slice(this.#start, this.#start + m);
    this.consume(m);
    return out;
  }

  /** Whether a read is currently in flight. */
  get reading(): boolean {
    return this.#pending !== null;
  }

  /**
   * Reads more bytes into the buffer (growing it up to `max`). Resolves to the number of new
   * bytes, or null at EOF. Concurrent callers share the same read.
   */
  fill(max = MAX_HEADER_BYTES + 1): Promise<number | null> {
    if (this.#pending) return this.#pending;
    if (this.#eof) return Promise.resolve(null);
    if (this.#start > 0 && this.#end === this.#buf.length) {
      this.#buf.copyWithin(0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
    }
    if (this.#end === this.#buf.length) {
      const size = Math.min(Math.max(this.#buf.length * 2, 4096), Math.max(max, this.#buf.length));
      if (size <= this.#buf.length) return Promise.reject(new HttpError(431, "buffer full"));
      const nb = new Uint8Array(size);
      nb.set(this.#buf.subarray(0, this.#end));
      this.#buf = nb;
    }
    const p = this.conn.read(this.#buf.subarray(this.#end)).then((n) => {
      this.#pending = null;
      if (n === null) {
        this.#eof = true;
        return null;
      }
      this.#end += n;
      return n;
    }, (err) => {
      this.#pending = null;
      this.#eof = true;
      throw err;
    });
    this.#pending = p;
    return p;
  }

  /** Reads into `p` from the buffer first, else from the stream (for body copies). */
  async read(p: Uint8Array): Promise<number | null> {
    if (this.buffered === 0) {
      if (this.#pending) {
        const n = await this.#pending;
        if (n === null) return null;
      } else {
        if (this.#eof) return null;
        // Large reads bypass the buffer.
        if (p.byteLength >= this.#buf.length) {
          const n = await this.conn.read(p);
          if (n === null) this.#eof = true;
          return n;
        }
        const n = await this.fill();
        if (n === null) return null;
      }
    }
    const n = Math.min(p.byteLength, this.buffered);
    p.set(this.#buf.subarray(this.#start, this.#start + n));
    this.consume(n);
    return n;
  }

  /** Reads one line (up to LF) of at most `max` bytes, without the line ending. */
  async readLine(max = 4096): Promise<string> {
    for (;;) {
      const view = this.peek();
      const i = view.indexOf(0x0a);
      if (i >= 0) {
        const end = i > 0 && view[i - 1] === 0x0d ? i - 1 : i;
        const line = latin1.decode(view.subarray(0, end));
        this.consume(i + 1);
        return line;
      }
      if (view.length > max) throw new HttpError(400, "line too long");
      const n = await this.fill();
      if (n === null) throw new HttpError(400, "unexpected EOF");
    }
  }

  /**
   * Waits for a complete head (ending in an empty line) and consumes it. Resolves to the head
   * text, or null when the stream ended cleanly before any byte. Throws HttpError(431) when the
   * head exceeds `max`, HttpError(400) on EOF mid-head. `onFirstByte` runs once data is seen.
   */
  async readHead(max = MAX_HEADER_BYTES, onFirstByte?: () => void): Promise<string | null> {
    let scanned = 0;
    let notified = false;
    for (;;) {
      const view = this.peek();
      if (!notified && view.length > 0) {
        notified = true;
        onFirstByte?.();
      }
      // Find "\n\r\n" or "\n\n".
      let i = Math.max(0, scanned - 3);
      for (; i < view.length; i++) {
        if (view[i] !== 0x0a) continue;
        if (view[i + 1] === 0x0a) {
          const head = latin1.decode(view.subarray(0, i + 1));
          this.consume(i + 2);
          return head;
        }
        if (view[i + 1] === 0x0d && view[i + 2] === 0x0a) {
          const head = latin1.decode(view.subarray(0, i + 1));
          this.consume(i + 3);
          return head;
        }
      }
      scanned = view.length;
      if (view.length > max) throw new HttpError(431, "request header too large");
      const n = await this.fill(max + 3);
      if (n === null) {
        if (this.buffered === 0) return null;
        throw new HttpError(400, "unexpected EOF in head");
      }
    }
  }
}

/** An ordered header list; names as received. */
export type HeaderList = Array<[string, string]>;

const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Go's textproto.CanonicalMIMEHeaderKey. */
export function canonicalKey(k: string): string {
  if (!TOKEN_RE.test(k)) return k;
  let out = "";
  let upper = true;
  for (const ch of k) {
    out += upper ? ch.toUpperCase() : ch.toLowerCase();
    upper = ch === "-";
  }
  return out;
}

/** Case-insensitive header access over a {@link HeaderList}. */
export class Headers1 {
  list: HeaderList;
  constructor(list: HeaderList = []) {
    this.list = list;
  }
  get(name: string): string | undefined {
    const n = name.toLowerCase();
    for (const [k, v] of this.list) if (k.toLowerCase() === n) return v;
    return undefined;
  }
  values(name: string): string[] {
    const n = name.toLowerCase();
    return this.list.filter(([k]) => k.toLowerCase() === n).map(([, v]) => v);
  }
  has(name: string): boolean {
    return this.get(name) !== undefined;
  }
  del(name: string): void {
    const n = name.toLowerCase();
    this.list = this.list.filter(([k]) => k.toLowerCase() !== n);
  }
  /** Go's Header.Set: replaces all values, canonical name. */
  set(name: string, value: string): void {
    this.del(name);
    this.list.push([canonicalKey(name), value]);
  }
  add(name: string, value: string): void {
    this.list.push([name, value]);
  }
  clone(): Headers1 {
    return new Headers1(this.list.map(([k, v]) => [k, v]));
  }
}

function parseHeaderLines(lines: string[]): HeaderList {
  const out: HeaderList = [];
  for (const line of lines) {
    if (line.length === 0) continue;
    if (line[0] === " " || line[0] === "\t") {
      if (out.length === 0) throw new HttpError(400, "malformed MIME header initial line");
      out[out.length - 1][1] = (out[out.length - 1][1] + " " + line.trim()).trim();
      continue;
    }
    const c = line.indexOf(":");
    if (c <= 0) throw new HttpError(400, `malformed MIME header line: ${line}`);
    const name = line.slice(0, c);
    if (!TOKEN_RE.test(name)) throw new HttpError(400, `invalid header field name ${name}`);
    const value = line.slice(c + 1).replace(/^[ \t]+|[ \t]+$/g, "");
    // deno-lint-ignore no-control-regex
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) {
      throw new HttpError(400, "invalid header field value");
    }
    out.push([name, value]);
  }
  return out;
}

function splitLines(head: string): string[] {
  return head.split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
}

/** A parsed request head. */
export interface RequestHead {
  method: string;
  /** Request target exactly as received. */
  target: string;
  major: number;
  minor: number;
  headers: Headers1;
}

/** Parses a request head; throws HttpError(400) as Go would. */
export function parseRequestHead(head: string): RequestHead {
  const lines = splitLines(head);
  // Go tolerates no leading empty lines on the request line; keep it strict.
  const first = lines[0] ?? "";
  const m = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) (\S+) HTTP\/(\d)\.(\d)$/.exec(first);
  if (!m) throw new HttpError(400, `malformed HTTP request ${JSON.stringify(first)}`);
  const major = Number(m[3]);
  const minor = Number(m[4]);
  if (major !== 1) throw new HttpError(505, "unsupported protocol version");
  return {
    method: m[1],
    target: m[2],
    major,
    minor,
    headers: new Headers1(parseHeaderLines(lines.slice(1))),
  };
}

/** A parsed response head. */
export interface ResponseHead {
  status: number;
  reason: string;
  major: number;
  minor: number;
  headers: Headers1;
}

/** Parses a response head. */
export function parseResponseHead(head: string): ResponseHead {
  const lines = splitLines(head);
  const m = /^HTTP\/(\d)\.(\d) (\d{3})(?: (.*))?$/.exec(lines[0] ?? "");
  if (!m) throw new Error(`malformed HTTP response ${JSON.stringify(lines[0] ?? "")}`);
  return {
    major: Number(m[1]),
    minor: Number(m[2]),
    status: Number(m[3]),
    reason: m[4] ?? "",
    headers: new Headers1(parseHeaderLines(lines.slice(1))),
  };
}

/** How a message body is delimited. */
export type BodyFraming =
  | { kind: "none" }
  | { kind: "length"; length: number }
  | { kind: "chunked" }
  | { kind: "close" };

/** Splits a comma-separated header value into lower-case tokens. */
export function tokens(values: string[]): string[] {
  return values.flatMap((v) => v.split(",")).map((t) => t.trim().toLowerCase()).filter((t) =>
    t.length > 0
  );
}

function contentLength(h: Headers1): number | undefined {
  const vals = h.values("content-length");
  if (vals.length === 0) return undefined;
  const uniq = new Set(vals.map((v) => v.trim()));
  if (uniq.size > 1) {
    throw new HttpError(400, "message cannot contain multiple Content-Length headers");
  }
  const v = [...uniq][0];
  if (!/^\d+$/.test(v)) throw new HttpError(400, `bad Content-Length ${JSON.stringify(v)}`);
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new HttpError(400, "bad Content-Length");
  return n;
}

/** Body framing of a request (no body unless length/chunked). */
export function requestFraming(req: RequestHead): BodyFraming {
  const te = tokens(req.headers.values("transfer-encoding"));
  if (te.length > 0) {
    if (te.length !== 1 || te[0] !== "chunked") {
      throw new HttpError(501, `unsupported transfer encoding: ${te.join(",")}`);
    }
    return { kind: "chunked" };
  }
  const n = contentLength(req.headers);
  return n ? { kind: "length", length: n } : { kind: "none" };
}

/** Body framing of a response to `method`. */
export function responseFraming(method: string, res: ResponseHead): BodyFraming {
  if (
    method === "HEAD" || (res.status >= 100 && res.status < 200) || res.status === 204 ||
    res.status === 304
  ) {
    return { kind: "none" };
  }
  const te = tokens(res.headers.values("transfer-encoding"));
  if (te.length > 0 && te[te.length - 1] === "chunked") return { kind: "chunked" };
  if (te.length > 0) return { kind: "close" };
  const n = contentLength(res.headers);
  if (n !== undefined) return n === 0 ? { kind: "none" } : { kind: "length", length: n };
  return { kind: "close" };
}

/** Body copy buffers; a request or response borrows one for the length of its body. */
const bodyPool = new BufferPool(32 * 1024, 64);
/** Output gathering buffers: head + first chunk, chunk-size lines + data + CRLF, one write. */
const outPool = new BufferPool(16 * 1024, 64);

/**
 * Gathers small outputs into one write. Flushed before any read that may wait, so a streamed
 * body (e.g. server-sent events) is never held back.
 */
class OutBatch {
  readonly #dst: Duplex;
  #buf: Uint8Array | null = null;
  #len = 0;

  constructor(dst: Duplex) {
    this.#dst = dst;
  }

  async push(p: Uint8Array): Promise<void> {
    if (p.byteLength > outPool.size / 2) {
      await this.flush();
      await writeAll(this.#dst, p);
      return;
    }
    if (this.#buf !== null && this.#len + p.byteLength > this.#buf.byteLength) await this.flush();
    this.#buf ??= outPool.get();
    this.#buf.set(p, this.#len);
    this.#len += p.byteLength;
  }

  async flush(): Promise<void> {
    if (this.#len === 0) return;
    const n = this.#len;
    this.#len = 0;
    await writeAll(this.#dst, this.#buf!.subarray(0, n));
  }

  release(): void {
    if (this.#buf !== null) outPool.put(this.#buf);
    this.#buf = null;
  }
}

/**
 * Copies a body framed as `framing` from `src` to `dst`. When `rechunk` is set, the output is
 * chunk-encoded (used for close-delimited sources sent to HTTP/1.1 clients); chunked sources
 * are always re-emitted chunked (trailers dropped). `head` (with `dst`) is sent first, in the
 * same write as the start of the body. Returns false if the source ended early.
 */
export async function copyBody(
  src: BufReader,
  framing: BodyFraming,
  dst: Duplex | null,
  opts: {
    rechunk?: boolean;
    transform?: (p: Uint8Array) => Promise<void>;
    head?: Uint8Array;
  } = {},
): Promise<boolean> {
  const batch = dst && !opts.transform ? new OutBatch(dst) : null;
  const out = async (p: Uint8Array) => {
    if (opts.transform) await opts.transform(p);
    else if (batch) await batch.push(p);
  };
  // Flush what is gathered when the next read would wait for the network.
  const beforeRead = async () => {
    if (batch && src.buffered === 0) await batch.flush();
  };
  const beforeLine = async () => {
    if (batch && src.peek().indexOf(0x0a) < 0) await batch.flush();
  };
  if (opts.head && batch) await batch.push(opts.head);
  else if (opts.head && dst) await writeAll(dst, opts.head);
  if (batch && framing.kind === "length" && framing.length <= src.buffered) {
    // The whole body is already read (a small response): gather it straight from the reader,
    // without borrowing a copy buffer (with 200 keep-alive clients the pool ran dry and every
    // request allocated and zeroed 32 KiB: 6% of frps busy time plus GC).
    try {
      await batch.push(src.peek().subarray(0, framing.length));
      src.consume(framing.length);
      await batch.flush();
    } finally {
      batch.release();
    }
    return true;
  }
  const buf = framing.kind === "none" ? EMPTY : bodyPool.get();
  /** Copies exactly `left` bytes; false if the source ends first. */
  const copyExact = async (left: number): Promise<boolean> => {
    while (left > 0) {
      await beforeRead();
      const n = await src.read(left < buf.length ? buf.subarray(0, left) : buf);
      if (n === null) return false;
      await out(buf.subarray(0, n));
      left -= n;
    }
    return true;
  };
  const copy = async (): Promise<boolean> => {
    switch (framing.kind) {
      case "none":
        return true;
      case "length":
        return await copyExact(framing.length);
      case "close": {
        for (;;) {
          await beforeRead();
          const n = await src.read(buf);
          if (n === null) break;
          if (opts.rechunk && !opts.transform) {
            await out(enc.encode(n.toString(16) + "\r\n"));
            await out(buf.subarray(0, n));
            await out(CRLF);
          } else {
            await out(buf.subarray(0, n));
          }
        }
        if (opts.rechunk && !opts.transform) await out(LAST_CHUNK);
        return true;
      }
      case "chunked": {
        for (;;) {
          await beforeLine();
          const line = await src.readLine();
          const sizeText = line.split(";")[0].trim();
          if (!/^[0-9a-fA-F]{1,15}$/.test(sizeText)) {
            throw new HttpError(400, "invalid chunk size");
          }
          const size = parseInt(sizeText, 16);
          if (size === 0) {
            // trailers until an empty line
            for (;;) {
              await beforeLine();
              const t = await src.readLine();
              if (t === "") break;
            }
            if (!opts.transform) await out(LAST_CHUNK);
            return true;
          }
          if (!opts.transform) await out(enc.encode(size.toString(16) + "\r\n"));
          if (!(await copyExact(size))) return false;
          await beforeLine();
          const crlf = await src.readLine();
          if (crlf !== "") throw new HttpError(400, "malformed chunk terminator");
          if (!opts.transform) await out(CRLF);
        }
      }
    }
  };
  try {
    return await copy();
  } finally {
    // Whatever was gathered still goes out (also when the source ended early), unless the
    // destination failed.
    try {
      await batch?.flush();
    } finally {
      batch?.release();
      if (buf !== EMPTY) bodyPool.put(buf);
    }
  }
}

const EMPTY = new Uint8Array(0);
const CRLF = new Uint8Array([0x0d, 0x0a]);
const LAST_CHUNK = new Uint8Array([0x30, 0x0d, 0x0a, 0x0d, 0x0a]);

/** Serialises a head: first line, headers, blank line. */
export function serializeHead(first: string, headers: HeaderList): Uint8Array {
  let s = first + "\r\n";
  for (const [k, v] of headers) s += `${k}: ${v}\r\n`;
  s += "\r\n";
  return latin1Encode(s);
}

/** Encodes a string whose code points are all < 256 byte-for-byte. */
export function latin1Encode(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** Go's http.StatusText for the codes a proxy meets. */
export function statusText(code: number): string {
  return STATUS_TEXT[code] ?? "";
}

const STATUS_TEXT: Record<number, string> = {
  100: "Continue",
  101: "Switching Protocols",
  102: "Processing",
  103: "Early Hints",
  200: "OK",
  201: "Created",
  202: "Accepted",
  203: "Non-Authoritative Information",
  204: "No Content",
  205: "Reset Content",
  206: "Partial Content",
  207: "Multi-Status",
  208: "Already Reported",
  226: "IM Used",
  300: "Multiple Choices",
  301: "Moved Permanently",
  302: "Found",
  303: "See Other",
  304: "Not Modified",
  305: "Use Proxy",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  400: "Bad Request",
  401: "Unauthorized",
  402: "Payment Required",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  407: "Proxy Authentication Required",
  408: "Request Timeout",
  409: "Conflict",
  410: "Gone",
  411: "Length Required",
  412: "Precondition Failed",
  413: "Request Entity Too Large",
  414: "Request URI Too Long",
  415: "Unsupported Media Type",
  416: "Requested Range Not Satisfiable",
  417: "Expectation Failed",
  418: "I'm a teapot",
  421: "Misdirected Request",
  422: "Unprocessable Entity",
  423: "Locked",
  424: "Failed Dependency",
  425: "Too Early",
  426: "Upgrade Required",
  428: "Precondition Required",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  451: "Unavailable For Legal Reasons",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
  505: "HTTP Version Not Supported",
  506: "Variant Also Negotiates",
  507: "Insufficient Storage",
  508: "Loop Detected",
  510: "Not Extended",
  511: "Network Authentication Required",
};

/** Go's http.TimeFormat date for the Date header. */
export function httpDate(d = new Date()): string {
  return d.toUTCString();
}
