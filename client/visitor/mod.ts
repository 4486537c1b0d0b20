/**
 * Client side of stcp/sudp/xtcp visitors.
 *
 * @module
 */
export { VisitorManager } from "./manager.ts";
export { openVisitorConn, targetProxyName } from "./base.ts";
export type { Visitor, VisitorContext } from "./base.ts";
export { StcpVisitor } from "./stcp.ts";
export { SudpVisitor } from "./sudp.ts";
export { XtcpVisitor } from "./xtcp.ts";
