/** Permission flags for running our binaries: the product's own sets (cli/permissions.ts). */
export { FRPC_FLAGS, FRPS_FLAGS } from "../../cli/permissions.ts";
