/**
 * yamux stream multiplexer (frp's tcpMux), wire-compatible with hashicorp/yamux as frp
 * configures it (wire-v1.md §5). Runtime-neutral: works over any {@link Duplex}.
 *
 * ```ts ignore
 * const session = new YamuxSession(conn, { role: "client" });
 * const stream = await session.openStream();
 * await stream.write(new TextEncoder().encode("hello"));
 * ```
 *
 * @module
 */

export type { Duplex } from "../duplex.ts";
export { type YamuxOptions, YamuxSession } from "./session.ts";
export { YamuxStream } from "./stream.ts";
export * from "./errors.ts";
export * from "./frame.ts";
export { FrameDecoder, type FrameHandler } from "./decode.ts";
