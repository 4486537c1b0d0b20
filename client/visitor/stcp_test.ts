import { assert, assertEquals } from "../../tests/_helpers/assert.ts";
import { Logger, MemorySink } from "../../log/logger.ts";
import type { Conn } from "../../protocol/duplex.ts";
import type { Connector } from "../connector.ts";
import type { VisitorContext } from "./base.ts";
import { StcpVisitor } from "./stcp.ts";

Deno.test("stcp visitor: a failed visitor conn is logged once with Go's dialRawVisitorConn prefix", async () => {
  const sink = new MemorySink();
  let closed = false;
  const user = { close: () => void (closed = true) } as unknown as Conn;
  const connector = {
    connect: () => Promise.reject(new Error("connection refused")),
  } as unknown as Connector;
  const ctx = {
    common: { user: "" },
    cfg: { name: "v", serverName: "s", bindPort: -1, transport: {} },
    log: new Logger({ sink, level: "debug" }, "visitor/stcp.ts", ["v"]),
    connector,
    runId: "r",
  } as unknown as VisitorContext;
  const v = new StcpVisitor(ctx);
  v.acceptConn(user);
  for (let i = 0; i < 50 && !closed; i++) await new Promise((r) => setTimeout(r, 10));
  await v.close();
  assert(closed, "the user conn is closed");
  const warns = sink.lines.filter((l) => l.includes("[W]") && l.includes("dialRawVisitorConn"));
  assertEquals(warns.length, 1, sink.lines.join(""));
  assert(
    warns[0].endsWith(
      "[v] dialRawVisitorConn error: frpc connect frps error: connection refused\n",
    ),
    warns[0],
  );
});
