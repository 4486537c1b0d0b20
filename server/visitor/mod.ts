/**
 * Server side of stcp/sudp visitors: the listener registry and the NewVisitorConn handler.
 *
 * @module
 */
export { VisitorRegistry } from "./registry.ts";
export type { AdmittedVisitor } from "./registry.ts";
export { VisitorListener } from "./listener.ts";
export { AddressedConn } from "./conn.ts";
export { handleNewVisitorConn } from "./handle.ts";
export type { ConnAddrs } from "./handle.ts";
