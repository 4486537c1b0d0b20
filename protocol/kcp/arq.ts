/**
 * The KCP ARQ engine, a port of kcp-go v5.6.13's kcp.go: the same 24-byte little-endian
 * segment header `conv u32 | cmd u8 | frg u8 | wnd u16 | ts u32 | sn u32 | una u32 | len u32`,
 * stream mode, nodelay/interval/fast resend/no-cwnd, selective + cumulative acks, window
 * probing. Time comes from an injected millisecond clock; output goes to a callback.
 *
 * @module
 */

export const IKCP_RTO_NDL = 30;
export const IKCP_RTO_MIN = 100;
export const IKCP_RTO_DEF = 200;
export const IKCP_RTO_MAX = 60000;
export const IKCP_CMD_PUSH = 81;
export const IKCP_CMD_ACK = 82;
export const IKCP_CMD_WASK = 83;
export const IKCP_CMD_WINS = 84;
const IKCP_ASK_SEND = 1;
const IKCP_ASK_TELL = 2;
const IKCP_WND_SND = 32;
const IKCP_WND_RCV = 32;
const IKCP_MTU_DEF = 1400;
const IKCP_INTERVAL = 100;
export const IKCP_OVERHEAD = 24;
const IKCP_DEADLINK = 20;
const IKCP_THRESH_INIT = 2;
const IKCP_THRESH_MIN = 2;
const IKCP_PROBE_INIT = 7000;
const IKCP_PROBE_LIMIT = 120000;
/** Offset of sn in a segment header (the listener peeks at it). */
export const IKCP_SN_OFFSET = 12;

/** Milliseconds, wrapping at 2^32 like kcp-go's currentMs. */
export type Clock = () => number;
/** Receives `size` bytes of `buf` to put on the wire; `buf` is reused after the call. */
export type Output = (buf: Uint8Array, size: number) => void;

const diff = (later: number, earlier: number): number => (later - earlier) | 0;

function get32(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}
function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v;
  b[o + 1] = v >>> 8;
  b[o + 2] = v >>> 16;
  b[o + 3] = v >>> 24;
}

class Segment {
  conv = 0;
  cmd = 0;
  frg = 0;
  wnd = 0;
  ts = 0;
  sn = 0;
  una = 0;
  rto = 0;
  xmit = 0;
  resendts = 0;
  fastack = 0;
  acked = false;
  /** Payload storage; `len` bytes are used (stream mode appends in place). */
  data: Uint8Array;
  len: number;

  constructor(data: Uint8Array, len: number) {
    this.data = data;
    this.len = len;
  }

  /** Writes the header at `o` (length = this.len). */
  encode(b: Uint8Array, o: number): number {
    put32(b, o, this.conv);
    b[o + 4] = this.cmd;
    b[o + 5] = this.frg;
    b[o + 6] = this.wnd;
    b[o + 7] = this.wnd >>> 8;
    put32(b, o + 8, this.ts);
    put32(b, o + 12, this.sn);
    put32(b, o + 16, this.una);
    put32(b, o + 20, this.len);
    return o + IKCP_OVERHEAD;
  }
}

/** One KCP connection's state machine. Not thread-aware: drive it from one event loop. */
export class Kcp {
  readonly conv: number;
  mtu = IKCP_MTU_DEF;
  mss = IKCP_MTU_DEF - IKCP_OVERHEAD;
  /** 0xffffffff once a segment was sent dead_link times (kcp-go sets it, never reads it). */
  state = 0;
  sndUna = 0;
  sndNxt = 0;
  rcvNxt = 0;
  ssthresh = IKCP_THRESH_INIT;
  rxRttvar = 0;
  rxSrtt = 0;
  rxRto = IKCP_RTO_DEF;
  rxMinrto = IKCP_RTO_MIN;
  sndWnd = IKCP_WND_SND;
  rcvWnd = IKCP_WND_RCV;
  rmtWnd = IKCP_WND_RCV;
  cwnd = 0;
  probe = 0;
  interval = IKCP_INTERVAL;
  nodelay = 0;
  tsProbe = 0;
  probeWait = 0;
  deadLink = IKCP_DEADLINK;
  incr = 0;
  fastresend = 0;
  nocwnd = 0;
  stream = 0;
  /** Counters as kcp-go's SNMP: segments resent on timeout / fast / early retransmit. */
  lostSegs = 0;
  fastRetransSegs = 0;
  earlyRetransSegs = 0;

  sndQueue: Segment[] = [];
  rcvQueue: Segment[] = [];
  sndBuf: Segment[] = [];
  rcvBuf: Segment[] = [];
  #ackSn: number[] = [];
  #ackTs: number[] = [];
  #buffer: Uint8Array = new Uint8Array(IKCP_MTU_DEF);
  readonly #output: Output;
  readonly #now: Clock;

  constructor(conv: number, output: Output, now: Clock) {
    this.conv = conv >>> 0;
    this.#output = output;
    this.#now = now;
  }

  /** Size of the next message in the receive queue, or -1. */
  peekSize(): number {
    const q = this.rcvQueue;
    if (q.length === 0) return -1;
    const seg = q[0];
    if (seg.frg === 0) return seg.len;
    if (q.length < seg.frg + 1) return -1;
    let length = 0;
    for (const s of q) {
      length += s.len;
      if (s.frg === 0) break;
    }
    return length;
  }

  /** Copies the next message into `buffer`: its size, -1 if none, -2 if `buffer` is too small. */
  recv(buffer: Uint8Array): number {
    const peek = this.peekSize();
    if (peek < 0) return -1;
    if (peek > buffer.length) return -2;
    const fastRecover = this.rcvQueue.length >= this.rcvWnd;
    let n = 0, count = 0;
    for (const seg of this.rcvQueue) {
      buffer.set(seg.data.subarray(0, seg.len), n);
      n += seg.len;
      count++;
      if (seg.frg === 0) break;
    }
    if (count > 0) this.rcvQueue.splice(0, count);
    this.#moveToQueue();
    if (this.rcvQueue.length < this.rcvWnd && fastRecover) this.probe |= IKCP_ASK_TELL;
    return n;
  }

  /** rcv_buf → rcv_queue while in order and the queue has room. */
  #moveToQueue(): void {
    let count = 0;
    for (const seg of this.rcvBuf) {
      if (seg.sn === this.rcvNxt && this.rcvQueue.length + count < this.rcvWnd) {
        this.rcvNxt = (this.rcvNxt + 1) >>> 0;
        count++;
      } else break;
    }
    if (count > 0) {
      for (const s of this.rcvBuf.splice(0, count)) this.rcvQueue.push(s);
    }
  }

  /** Queues user data; 0 on success, -1 for empty input, -2 for too many fragments. */
  send(buffer: Uint8Array): number {
    if (buffer.length === 0) return -1;
    const mss = this.mss;
    if (this.stream !== 0) {
      const last = this.sndQueue[this.sndQueue.length - 1];
      if (last && last.len < mss) {
        const extend = Math.min(mss - last.len, buffer.length);
        last.data.set(buffer.subarray(0, extend), last.len);
        last.len += extend;
        buffer = buffer.subarray(extend);
      }
      if (buffer.length === 0) return 0;
    }
    const count = buffer.length <= mss ? 1 : Math.ceil(buffer.length / mss);
    if (count > 255) return -2;
    for (let i = 0; i < count; i++) {
      const size = Math.min(buffer.length, mss);
      // mss capacity so stream mode can append to it later
      const data = new Uint8Array(this.stream !== 0 ? mss : size);
      data.set(buffer.subarray(0, size));
      const seg = new Segment(data, size);
      seg.frg = this.stream === 0 ? count - i - 1 : 0;
      this.sndQueue.push(seg);
      buffer = buffer.subarray(size);
    }
    return 0;
  }

  #updateAck(rtt: number): void {
    if (this.rxSrtt === 0) {
      this.rxSrtt = rtt;
      this.rxRttvar = rtt >> 1;
    } else {
      let delta = (rtt - this.rxSrtt) | 0;
      this.rxSrtt = (this.rxSrtt + (delta >> 3)) | 0;
      if (delta < 0) delta = -delta;
      if (rtt < this.rxSrtt - this.rxRttvar) {
        this.rxRttvar = (this.rxRttvar + ((delta - this.rxRttvar) >> 5)) | 0;
      } else {
        this.rxRttvar = (this.rxRttvar + ((delta - this.rxRttvar) >> 2)) | 0;
      }
    }
    const rto = (this.rxSrtt >>> 0) + Math.max(this.interval, (this.rxRttvar << 2) >>> 0);
    this.rxRto = Math.min(Math.max(this.rxMinrto, rto >>> 0), IKCP_RTO_MAX);
  }

  #shrinkBuf(): void {
    this.sndUna = this.sndBuf.length > 0 ? this.sndBuf[0].sn : this.sndNxt;
  }

  #parseAck(sn: number): void {
    if (diff(sn, this.sndUna) < 0 || diff(sn, this.sndNxt) >= 0) return;
    for (const seg of this.sndBuf) {
      if (sn === seg.sn) {
        // marked, removed once una passes it (no shifting of a large window)
        seg.acked = true;
        break;
      }
      if (diff(sn, seg.sn) < 0) break;
    }
  }

  #parseFastack(sn: number, ts: number): void {
    if (diff(sn, this.sndUna) < 0 || diff(sn, this.sndNxt) >= 0) return;
    for (const seg of this.sndBuf) {
      if (diff(sn, seg.sn) < 0) break;
      if (sn !== seg.sn && diff(seg.ts, ts) <= 0) seg.fastack++;
    }
  }

  #parseUna(una: number): number {
    let count = 0;
    for (const seg of this.sndBuf) {
      if (diff(una, seg.sn) > 0) count++;
      else break;
    }
    if (count > 0) this.sndBuf.splice(0, count);
    return count;
  }

  /** Inserts a received segment; true if it was a duplicate or out of window. */
  #parseData(newseg: Segment): boolean {
    const sn = newseg.sn;
    if (diff(sn, this.rcvNxt + this.rcvWnd) >= 0 || diff(sn, this.rcvNxt) < 0) return true;
    const buf = this.rcvBuf;
    let insertIdx = 0, repeat = false;
    for (let i = buf.length - 1; i >= 0; i--) {
      if (buf[i].sn === sn) {
        repeat = true;
        break;
      }
      if (diff(sn, buf[i].sn) > 0) {
        insertIdx = i + 1;
        break;
      }
    }
    if (!repeat) {
      newseg.data = newseg.data.slice(0, newseg.len); // own the bytes: the datagram is reused
      if (insertIdx === buf.length) buf.push(newseg);
      else buf.splice(insertIdx, 0, newseg);
    }
    this.#moveToQueue();
    return repeat;
  }

  /**
   * Feeds one datagram's KCP bytes. `regular` is false for FEC-recovered data (no window or
   * RTT update from it); `ackNoDelay` flushes acks at once. Returns 0, or -1 (short / wrong
   * conv), -2 (truncated payload), -3 (unknown command).
   */
  input(data: Uint8Array, regular: boolean, ackNoDelay: boolean): number {
    const prevUna = this.sndUna;
    if (data.length < IKCP_OVERHEAD) return -1;
    let latest = 0, flag = false, windowSlides = false;
    let off = 0;
    // bounded: every iteration consumes at least 24 bytes
    while (data.length - off >= IKCP_OVERHEAD) {
      const conv = get32(data, off);
      if (conv !== this.conv) return -1;
      const cmd = data[off + 4], frg = data[off + 5];
      const wnd = data[off + 6] | (data[off + 7] << 8);
      const ts = get32(data, off + 8);
      const sn = get32(data, off + 12);
      const una = get32(data, off + 16);
      const length = get32(data, off + 20);
      off += IKCP_OVERHEAD;
      if (data.length - off < length) return -2;
      if (
        cmd !== IKCP_CMD_PUSH && cmd !== IKCP_CMD_ACK && cmd !== IKCP_CMD_WASK &&
        cmd !== IKCP_CMD_WINS
      ) {
        return -3;
      }
      if (regular) this.rmtWnd = wnd;
      if (this.#parseUna(una) > 0) windowSlides = true;
      this.#shrinkBuf();
      if (cmd === IKCP_CMD_ACK) {
        this.#parseAck(sn);
        this.#parseFastack(sn, ts);
        flag = true;
        latest = ts;
      } else if (cmd === IKCP_CMD_PUSH) {
        if (diff(sn, this.rcvNxt + this.rcvWnd) < 0) {
          this.#ackSn.push(sn);
          this.#ackTs.push(ts);
          if (diff(sn, this.rcvNxt) >= 0) {
            const seg = new Segment(data.subarray(off, off + length), length);
            seg.conv = conv;
            seg.cmd = cmd;
            seg.frg = frg;
            seg.wnd = wnd;
            seg.ts = ts;
            seg.sn = sn;
            seg.una = una;
            this.#parseData(seg);
          }
        }
      } else if (cmd === IKCP_CMD_WASK) {
        this.probe |= IKCP_ASK_TELL;
      }
      off += length;
    }

    if (flag && regular) {
      const current = this.#now();
      if (diff(current, latest) >= 0) this.#updateAck(diff(current, latest));
    }

    if (this.nocwnd === 0 && diff(this.sndUna, prevUna) > 0 && this.cwnd < this.rmtWnd) {
      const mss = this.mss;
      if (this.cwnd < this.ssthresh) {
        this.cwnd++;
        this.incr += mss;
      } else {
        if (this.incr < mss) this.incr = mss;
        this.incr += Math.floor((mss * mss) / this.incr) + Math.floor(mss / 16);
        if ((this.cwnd + 1) * mss <= this.incr) {
          this.cwnd = mss > 0 ? Math.floor((this.incr + mss - 1) / mss) : this.incr + mss - 1;
        }
      }
      if (this.cwnd > this.rmtWnd) {
        this.cwnd = this.rmtWnd;
        this.incr = this.rmtWnd * mss;
      }
    }

    if (windowSlides) this.flush(false);
    else if (ackNoDelay && this.#ackSn.length > 0) this.flush(true);
    return 0;
  }

  #wndUnused(): number {
    return this.rcvQueue.length < this.rcvWnd ? this.rcvWnd - this.rcvQueue.length : 0;
  }

  /** Sends acks, probes and due segments; returns ms until the next flush is useful. */
  flush(ackOnly: boolean): number {
    const seg = new Segment(new Uint8Array(0), 0);
    seg.conv = this.conv;
    seg.cmd = IKCP_CMD_ACK;
    seg.wnd = this.#wndUnused();
    seg.una = this.rcvNxt;
    const buffer = this.#buffer;
    const mtu = this.mtu;
    let ptr = 0;
    const makeSpace = (space: number) => {
      if (ptr + space > mtu) {
        this.#output(buffer, ptr);
        ptr = 0;
      }
    };

    const acks = this.#ackSn.length;
    for (let i = 0; i < acks; i++) {
      makeSpace(IKCP_OVERHEAD);
      // filter jitters caused by bufferbloat
      if (diff(this.#ackSn[i], this.rcvNxt) >= 0 || acks - 1 === i) {
        seg.sn = this.#ackSn[i];
        seg.ts = this.#ackTs[i];
        ptr = seg.encode(buffer, ptr);
      }
    }
    this.#ackSn.length = 0;
    this.#ackTs.length = 0;

    if (ackOnly) {
      if (ptr > 0) this.#output(buffer, ptr);
      return this.interval;
    }

    if (this.rmtWnd === 0) {
      const current = this.#now();
      if (this.probeWait === 0) {
        this.probeWait = IKCP_PROBE_INIT;
        this.tsProbe = (current + this.probeWait) >>> 0;
      } else if (diff(current, this.tsProbe) >= 0) {
        if (this.probeWait < IKCP_PROBE_INIT) this.probeWait = IKCP_PROBE_INIT;
        this.probeWait += Math.floor(this.probeWait / 2);
        if (this.probeWait > IKCP_PROBE_LIMIT) this.probeWait = IKCP_PROBE_LIMIT;
        this.tsProbe = (current + this.probeWait) >>> 0;
        this.probe |= IKCP_ASK_SEND;
      }
    } else {
      this.tsProbe = 0;
      this.probeWait = 0;
    }

    if (this.probe & IKCP_ASK_SEND) {
      seg.cmd = IKCP_CMD_WASK;
      makeSpace(IKCP_OVERHEAD);
      ptr = seg.encode(buffer, ptr);
    }
    if (this.probe & IKCP_ASK_TELL) {
      seg.cmd = IKCP_CMD_WINS;
      makeSpace(IKCP_OVERHEAD);
      ptr = seg.encode(buffer, ptr);
    }
    this.probe = 0;

    let cwnd = Math.min(this.sndWnd, this.rmtWnd);
    if (this.nocwnd === 0) cwnd = Math.min(this.cwnd, cwnd);

    let newSegs = 0;
    for (const newseg of this.sndQueue) {
      if (diff(this.sndNxt, this.sndUna + cwnd) >= 0) break;
      newseg.conv = this.conv;
      newseg.cmd = IKCP_CMD_PUSH;
      newseg.sn = this.sndNxt;
      this.sndBuf.push(newseg);
      this.sndNxt = (this.sndNxt + 1) >>> 0;
      newSegs++;
    }
    if (newSegs > 0) this.sndQueue.splice(0, newSegs);

    const resent = this.fastresend > 0 ? this.fastresend : 0xffffffff;
    let current = this.#now();
    let change = 0, lost = 0;
    let minrto = this.interval;

    for (const segment of this.sndBuf) {
      if (segment.acked) continue;
      let needsend = false;
      if (segment.xmit === 0) {
        needsend = true;
        segment.rto = this.rxRto;
        segment.resendts = (current + segment.rto) >>> 0;
      } else if (segment.fastack >= resent) {
        needsend = true;
        segment.fastack = 0;
        segment.rto = this.rxRto;
        segment.resendts = (current + segment.rto) >>> 0;
        change++;
        this.fastRetransSegs++;
      } else if (segment.fastack > 0 && newSegs === 0) {
        needsend = true;
        segment.fastack = 0;
        segment.rto = this.rxRto;
        segment.resendts = (current + segment.rto) >>> 0;
        change++;
        this.earlyRetransSegs++;
      } else if (diff(current, segment.resendts) >= 0) {
        needsend = true;
        segment.rto = (segment.rto +
          (this.nodelay === 0 ? this.rxRto : Math.floor(this.rxRto / 2))) >>> 0;
        segment.fastack = 0;
        segment.resendts = (current + segment.rto) >>> 0;
        lost++;
        this.lostSegs++;
      }

      if (needsend) {
        current = this.#now();
        segment.xmit++;
        segment.ts = current;
        segment.wnd = seg.wnd;
        segment.una = seg.una;
        makeSpace(IKCP_OVERHEAD + segment.len);
        ptr = segment.encode(buffer, ptr);
        buffer.set(segment.data.subarray(0, segment.len), ptr);
        ptr += segment.len;
        if (segment.xmit >= this.deadLink) this.state = 0xffffffff;
      }

      const rto = diff(segment.resendts, current);
      if (rto > 0 && rto < minrto) minrto = rto;
    }

    if (ptr > 0) this.#output(buffer, ptr);

    if (this.nocwnd === 0) {
      if (change > 0) {
        const inflight = (this.sndNxt - this.sndUna) >>> 0;
        this.ssthresh = Math.max(Math.floor(inflight / 2), IKCP_THRESH_MIN);
        this.cwnd = (this.ssthresh + resent) >>> 0;
        this.incr = this.cwnd * this.mss;
      }
      if (lost > 0) {
        this.ssthresh = Math.max(Math.floor(cwnd / 2), IKCP_THRESH_MIN);
        this.cwnd = 1;
        this.incr = this.mss;
      }
      if (this.cwnd < 1) {
        this.cwnd = 1;
        this.incr = this.mss;
      }
    }
    return minrto;
  }

  /** Sets the MTU (50..); returns 0 or -1. */
  setMtu(mtu: number): number {
    if (mtu < 50 || mtu < IKCP_OVERHEAD) return -1;
    this.mtu = mtu;
    this.mss = mtu - IKCP_OVERHEAD;
    this.#buffer = new Uint8Array(mtu);
    return 0;
  }

  /** ikcp_nodelay(nodelay, interval, resend, nc); negative values keep the current setting. */
  setNoDelay(nodelay: number, interval: number, resend: number, nc: number): void {
    if (nodelay >= 0) {
      this.nodelay = nodelay;
      this.rxMinrto = nodelay !== 0 ? IKCP_RTO_NDL : IKCP_RTO_MIN;
    }
    if (interval >= 0) this.interval = Math.min(Math.max(interval, 10), 5000);
    if (resend >= 0) this.fastresend = resend;
    if (nc >= 0) this.nocwnd = nc;
  }

  /** Maximum send / receive windows in segments (0 keeps the current one). */
  setWndSize(sndwnd: number, rcvwnd: number): void {
    if (sndwnd > 0) this.sndWnd = sndwnd;
    if (rcvwnd > 0) this.rcvWnd = rcvwnd;
  }

  /** Segments not yet acknowledged or not yet sent. */
  waitSnd(): number {
    return this.sndBuf.length + this.sndQueue.length;
  }
}
