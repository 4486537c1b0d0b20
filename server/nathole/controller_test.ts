import { assertEquals } from "../../tests/_helpers/assert.ts";
import { privilegeKey } from "../../protocol/crypto/mod.ts";
import { encodeBody } from "../../protocol/msg/mod.ts";
import type { Message, NatHoleResp } from "../../protocol/msg/messages.ts";
import { Logger, MemorySink } from "../../log/logger.ts";
import { NatHoleController, type NatHoleTransporter } from "./controller.ts";
import { rangePorts } from "./response.ts";

/** Collects what the controller sends to one side. */
class FakeSide implements NatHoleTransporter {
  readonly got: NatHoleResp[] = [];
  #waiters: Array<() => void> = [];
  send(m: Message): void {
    if (m.type !== "NatHoleResp") throw new Error(`unexpected ${m.type}`);
    this.got.push(m.body);
    for (const w of this.#waiters.splice(0)) w();
  }
  async next(i = 0): Promise<NatHoleResp> {
    while (this.got.length <= i) await new Promise<void>((r) => this.#waiters.push(r));
    return this.got[i];
  }
}

function newController(sink = new MemorySink()): NatHoleController {
  const log = new Logger({ level: "trace", sink }, "nathole/controller.ts");
  return new NatHoleController(3600_000, log, {
    clientTimeoutMs: 300,
    senderDelayMs: 5,
    reportGraceMs: 10,
  });
}

const TS = 1700000000;
const SIGN = privilegeKey("sk", TS);

interface GoCase {
  vMapped: string[];
  cMapped: string[];
  visitor: Record<string, unknown>;
  client: Record<string, unknown>;
}

// Inputs of tests/fixtures/nathole/gen_go_analysis.go.txt, in its order (the analyzer's state
// carries over between cases, as in the Go run).
const CASES: Array<
  [string, string[], string[] | undefined, string[], string[] | undefined, boolean]
> = [
  [
    "easy-easy",
    ["127.0.0.1:5000", "127.0.0.1:5000"],
    ["192.0.2.2:5000"],
    [
      "127.0.0.1:6000",
      "127.0.0.1:6000",
    ],
    ["192.0.2.2:6000"],
    false,
  ],
  [
    "easy-easy-again",
    ["127.0.0.1:5000", "127.0.0.1:5000"],
    ["192.0.2.2:5000"],
    [
      "127.0.0.1:6000",
      "127.0.0.1:6000",
    ],
    ["192.0.2.2:6000"],
    true,
  ],
  [
    "easy-easy-third",
    ["127.0.0.1:5001", "127.0.0.1:5001"],
    undefined,
    [
      "127.0.0.1:6001",
      "127.0.0.1:6001",
    ],
    undefined,
    false,
  ],
  [
    "client-hard-regular",
    ["5.6.7.8:4000", "5.6.7.8:4000"],
    ["10.0.0.1:4000"],
    [
      "1.2.3.4:51430",
      "1.2.3.4:51432",
    ],
    ["10.0.0.2:51430"],
    false,
  ],
  [
    "visitor-hard-irregular",
    ["5.6.7.8:4000", "5.6.7.8:4100"],
    undefined,
    [
      "1.2.3.4:3000",
      "1.2.3.4:3000",
    ],
    undefined,
    false,
  ],
  [
    "client-hard-irregular",
    ["5.6.7.8:4000", "5.6.7.8:4000"],
    undefined,
    [
      "1.2.3.4:3000",
      "1.2.3.4:3100",
    ],
    undefined,
    false,
  ],
  [
    "both-hard-regular",
    ["5.6.7.8:4000", "5.6.7.8:4003"],
    undefined,
    [
      "1.2.3.4:3000",
      "1.2.3.4:3001",
    ],
    undefined,
    false,
  ],
  [
    "both-hard-one-regular-c",
    ["5.6.7.8:4000", "5.6.7.8:4300"],
    undefined,
    [
      "1.2.3.4:3000",
      "1.2.3.4:3001",
    ],
    undefined,
    false,
  ],
  [
    "both-hard-one-regular-v",
    ["5.6.7.8:4000", "5.6.7.8:4003"],
    undefined,
    [
      "1.2.3.4:3000",
      "1.2.3.4:3301",
    ],
    undefined,
    false,
  ],
  [
    "both-hard-ipchange",
    ["5.6.7.8:4000", "5.6.7.9:4000"],
    undefined,
    [
      "1.2.3.4:3000",
      "1.2.3.5:3000",
    ],
    undefined,
    false,
  ],
  [
    "client-public",
    ["5.6.7.8:4000", "5.6.7.8:4000"],
    undefined,
    [
      "1.2.3.4:3000",
      "1.2.3.4:3000",
    ],
    ["1.2.3.4:3000"],
    false,
  ],
  [
    "visitor-public",
    ["5.6.7.8:4000", "5.6.7.8:4000"],
    ["5.6.7.8:4000", "10.1.1.1:4000"],
    [
      "1.2.3.4:3000",
      "1.2.3.4:3000",
    ],
    undefined,
    false,
  ],
  [
    "dup-nonadjacent",
    ["5.6.7.8:4000", "5.6.7.8:4001", "5.6.7.8:4000"],
    ["a:1", "a:1", "b:2"],
    [
      "1.2.3.4:3000",
      "1.2.3.4:3000",
      "1.2.3.4:3002",
    ],
    undefined,
    false,
  ],
  [
    "client-one-addr",
    ["5.6.7.8:4000", "5.6.7.8:4000"],
    undefined,
    ["1.2.3.4:3000"],
    undefined,
    false,
  ],
  [
    "visitor-bad-port",
    ["5.6.7.8:x", "5.6.7.8:4000"],
    undefined,
    [
      "1.2.3.4:3000",
      "1.2.3.4:3000",
    ],
    undefined,
    false,
  ],
  [
    "client-bad-addr",
    ["5.6.7.8:4000", "5.6.7.8:4000"],
    undefined,
    [
      "1.2.3.4",
      "1.2.3.4:3000",
    ],
    undefined,
    false,
  ],
];

Deno.test("controller: same NatHoleResp as Go frps' controller, case by case", async () => {
  const golden: Record<string, GoCase> = JSON.parse(
    await Deno.readTextFile(
      new URL("../../tests/fixtures/nathole/go_analysis.json", import.meta.url),
    ),
  );
  const ctl = newController();
  const sids = ctl.listenClient("p2p", "sk", ["alice"]);
  const pending: Promise<void>[] = [];
  for (const [name, vMapped, vAssisted, cMapped, cAssisted, report] of CASES) {
    const v = new FakeSide();
    const c = new FakeSide();
    const vm = {
      transaction_id: "vt",
      proxy_name: "p2p",
      protocol: "quic",
      sign_key: SIGN,
      timestamp: TS,
      mapped_addrs: [...vMapped],
      assisted_addrs: vAssisted && [...vAssisted],
    };
    pending.push(ctl.handleVisitor(vm, v, "alice"));
    const sid = await sids.receive();
    if (sid === null) throw new Error("no sid");
    const cm = {
      transaction_id: "ct",
      proxy_name: "p2p",
      sid,
      mapped_addrs: [...cMapped],
      assisted_addrs: cAssisted && [...cAssisted],
    };
    ctl.handleClient(cm, c);
    const [vr, cr] = await Promise.all([v.next(), c.next()]);
    if (report) ctl.handleReport({ sid, success: true });
    const norm = (r: NatHoleResp) =>
      encodeBody("NatHoleResp", { ...r, sid: r.sid ? r.sid.replace(sid, "SID") : r.sid });
    const want = golden[name];
    assertEquals(norm(vr), want.visitor, `${name}: visitor response`);
    assertEquals(norm(cr), want.client, `${name}: client response`);
    // Go's slices.Compact left its mark on the request arrays
    assertEquals(vm.mapped_addrs, want.vMapped, `${name}: visitor mapped_addrs afterwards`);
    assertEquals(cm.mapped_addrs, want.cMapped, `${name}: client mapped_addrs afterwards`);
  }
  ctl.close();
  await Promise.all(pending);
  assertEquals(ctl.sessionCount, 0);
});

Deno.test("controller: pre-check, unknown proxy, sign key, timeouts, late report", async () => {
  const sink = new MemorySink();
  const ctl = newController(sink);
  const sids = ctl.listenClient("bob.p2p", "sk", ["bob", "carol"]);
  const side = new FakeSide();
  await ctl.handleVisitor({ transaction_id: "1", proxy_name: "nope", pre_check: true }, side, "x");
  await ctl.handleVisitor(
    { transaction_id: "2", proxy_name: "bob.p2p", pre_check: true },
    side,
    "x",
  );
  await ctl.handleVisitor(
    { transaction_id: "3", proxy_name: "bob.p2p", pre_check: true },
    side,
    "carol",
  );
  await ctl.handleVisitor({ transaction_id: "4", proxy_name: "nope" }, side, "carol");
  await ctl.handleVisitor(
    {
      transaction_id: "5",
      proxy_name: "bob.p2p",
      sign_key: privilegeKey("wrong", TS),
      timestamp: TS,
    },
    side,
    "carol",
  );
  // no sign key at all, and a malformed message shape that still must not throw
  await ctl.handleVisitor({ proxy_name: "bob.p2p" }, side, "carol");
  assertEquals(side.got.map((r) => encodeBody("NatHoleResp", r)), [
    { transaction_id: "1", detect_behavior: {}, error: "xtcp server for [nope] doesn't exist" },
    {
      transaction_id: "2",
      detect_behavior: {},
      error: "xtcp visitor user [x] not allowed for [bob.p2p]",
    },
    { transaction_id: "3", detect_behavior: {} },
    { transaction_id: "4", detect_behavior: {}, error: "xtcp server for [nope] doesn't exist" },
    { transaction_id: "5", detect_behavior: {}, error: "xtcp connection of [bob.p2p] auth failed" },
    { detect_behavior: {}, error: "xtcp connection of [bob.p2p] auth failed" },
  ]);
  // the proxy owner never answers: the session ends after the client timeout, nothing is sent
  const quiet = new FakeSide();
  const done = ctl.handleVisitor(
    { transaction_id: "6", proxy_name: "bob.p2p", sign_key: SIGN, timestamp: TS },
    quiet,
    "carol",
  );
  const sid = await sids.receive();
  assertEquals(ctl.sessionCount, 1);
  await done;
  assertEquals([quiet.got.length, ctl.sessionCount], [0, 0]);
  // a NatHoleClient or report for that sid now is ignored
  ctl.handleClient({ sid: sid ?? "" }, quiet);
  ctl.handleReport({ sid: sid ?? "", success: true });
  ctl.handleReport({});
  const text = sink.lines.join("");
  for (
    const want of [
      "[W] [nathole/controller.ts] handle visitorMsg error: xtcp connection of [bob.p2p] auth failed",
      `[D] [nathole/controller.ts] wait for NatHoleClient message timeout, sid [${sid}]`,
      `[T] [nathole/controller.ts] sid [${sid}] report make hole success: true, but session not found`,
    ]
  ) assertEquals(text.includes(want), true, `log has: ${want}\n${text}`);
  ctl.close();
});

Deno.test("controller: closing the proxy releases a waiting visitor session", async () => {
  const ctl = newController();
  const sids = ctl.listenClient("p", "sk", [""]);
  const v = new FakeSide();
  const done = ctl.handleVisitor({ proxy_name: "p", sign_key: SIGN, timestamp: TS }, v, "");
  assertEquals(ctl.sessionCount, 1);
  ctl.closeClient("p", sids); // nobody ever received the sid
  await done;
  assertEquals([ctl.sessionCount, v.got.length], [0, 0]);
  // the name is free again; a stale close of the old registration does not remove the new one
  const again = ctl.listenClient("p", "sk", [""]);
  ctl.closeClient("p", sids);
  let repeated = "";
  try {
    ctl.listenClient("p", "sk", [""]);
  } catch (err) {
    repeated = (err as Error).message;
  }
  assertEquals(repeated, "proxy [p] is repeated");
  ctl.closeClient("p", again);
  ctl.close();
});

Deno.test("getRangePorts: window around the last address, clamped to 1..65535", () => {
  assertEquals(rangePorts(["1.1.1.1:3"], 100, 10), [{ from: 1, to: 13 }]);
  assertEquals(rangePorts(["a:1", "1.1.1.1:65534"], 0, 10), [{ from: 65529, to: 65535 }]);
  assertEquals(rangePorts(["1.1.1.1:5000"], 2, 2), [{ from: 4998, to: 5002 }]);
  assertEquals(rangePorts(["1.1.1.1:5000", ""], 2, 10), undefined); // Go's zeroed tail
  assertEquals(rangePorts([], 2, 10), undefined);
  assertEquals(rangePorts(["1.1.1.1:5000"], 2, 0), undefined);
});
