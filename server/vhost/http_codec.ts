/**
 * The HTTP/1.x codec now lives in protocol/http_codec.ts (shared with frpc's HTTP plugins);
 * re-exported here for the vhost modules.
 *
 * @module
 */
export * from "../../protocol/http_codec.ts";
