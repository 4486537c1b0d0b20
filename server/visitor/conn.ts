/**
 * Gives a wrapped visitor stream (yamux stream and/or CFB/snappy layers, which know no
 * addresses) the endpoints of the physical connection it arrived on, so the stcp/sudp proxy
 * can fill StartWorkConn's src/dst fields as frp does.
 *
 * @module
 */
import type { Conn, Duplex, NetAddr } from "../../protocol/duplex.ts";
import type { MessageCodec } from "../../protocol/msg/codec.ts";

/** A Duplex plus fixed local/remote addresses (and the visitor's wire protocol). */
export class AddressedConn implements Conn {
  readonly #inner: Duplex;
  readonly localAddr: NetAddr;
  readonly remoteAddr: NetAddr;
  /** The codec the visitor's frpc speaks (sudp: frps bridges v1 ↔ v2). */
  readonly codec: MessageCodec | undefined;

  constructor(inner: Duplex, localAddr: NetAddr, remoteAddr: NetAddr, codec?: MessageCodec) {
    this.#inner = inner;
    this.localAddr = localAddr;
    this.remoteAddr = remoteAddr;
    this.codec = codec;
  }

  read(p: Uint8Array): Promise<number | null> {
    return this.#inner.read(p);
  }
  write(p: Uint8Array): Promise<number> {
    return this.#inner.write(p);
  }
  closeWrite(): Promise<void> {
    return this.#inner.closeWrite();
  }
  close(): void {
    this.#inner.close();
  }
}
