/** Our frpc against our frps over the shared tunnel case table. */
import { registerTunnelTests } from "../_helpers/tunnel_cases.ts";

registerTunnelTests([{ server: "ts", client: "ts" }]);
