/**
 * Interop over the shared tunnel case table: Go frpc → our frps and our frpc → Go frps, for each
 * Go frp version. `FRP_TEST_GO_GO=1` adds Go frpc → Go frps rows (validates the harness alone).
 */
import { registerTunnelTests, type TunnelPair } from "../_helpers/tunnel_cases.ts";
import { GO_VERSIONS } from "../_helpers/proc.ts";

const pairs: TunnelPair[] = [];
for (const goVersion of GO_VERSIONS) {
  pairs.push({ server: "ts", client: "go", goVersion });
  pairs.push({ server: "go", client: "ts", goVersion });
}
if (Deno.env.get("FRP_TEST_GO_GO") === "1") {
  for (const goVersion of GO_VERSIONS) pairs.push({ server: "go", client: "go", goVersion });
}
registerTunnelTests(pairs, "interop");
