/**
 * frps between an sudp visitor and the sudp proxy's frpc that speak different wire protocols
 * (frp's joinSUDPMessageBridge): instead of joining bytes, each UDPPacket is decoded with one
 * side's codec and re-encoded with the other's. Pings travel proxy → visitor only; traffic
 * counts are UDP payload bytes, as in frp.
 *
 * @module
 */
import type { Duplex } from "../../protocol/duplex.ts";
import type { MessageCodec } from "../../protocol/msg/codec.ts";
import { udpPacketLength } from "../../protocol/udp_packet.ts";
import { UnexpectedEofError } from "../../protocol/errors.ts";

/** Options for {@link bridgeSudp}. */
export interface SudpBridgeOptions {
  /** "ab" = visitor → proxy (traffic in), "ba" = proxy → visitor (traffic out). */
  onBytes?: (dir: "ab" | "ba", n: number) => void;
  onError?: (err: unknown) => void;
}

/**
 * Re-encodes messages both ways until either side ends or sends something other than
 * UDPPacket/Ping; then closes both. Never rejects.
 */
export async function bridgeSudp(
  visitor: Duplex,
  visitorCodec: MessageCodec,
  proxy: Duplex,
  proxyCodec: MessageCodec,
  opts: SudpBridgeOptions = {},
): Promise<void> {
  let done = false;
  const closeBoth = (): void => {
    if (done) return;
    done = true;
    visitor.close();
    proxy.close();
  };
  const pump = async (
    from: Duplex,
    fromCodec: MessageCodec,
    to: Duplex,
    toCodec: MessageCodec,
    dir: "ab" | "ba",
  ): Promise<void> => {
    try {
      for (;;) {
        const m = await fromCodec.readMessage(from);
        if (m.type === "UDPPacket") {
          await toCodec.writeMessage(to, m);
          opts.onBytes?.(dir, udpPacketLength(m.body));
        } else if (m.type === "Ping") {
          if (dir === "ba") await toCodec.writeMessage(to, m);
        } else {
          throw new Error(
            `unexpected SUDP ${dir === "ab" ? "visitor" : "proxy"} message ${m.type}`,
          );
        }
      }
    } catch (err) {
      if (!done && !(err instanceof UnexpectedEofError && err.atBoundary)) opts.onError?.(err);
    } finally {
      closeBoth();
    }
  };
  await Promise.all([
    pump(visitor, visitorCodec, proxy, proxyCodec, "ab"),
    pump(proxy, proxyCodec, visitor, visitorCodec, "ba"),
  ]);
}
