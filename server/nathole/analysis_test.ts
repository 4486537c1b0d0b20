import { assertEquals } from "../../tests/_helpers/assert.ts";
import { Analyzer, behaviorAt, behaviorsOfMode } from "./analysis.ts";
import type { NatFeature } from "../../protocol/nathole/classify.ts";

const EASY: NatFeature = {
  natType: "EasyNAT",
  behavior: "BehaviorNoChange",
  portsDifference: 0,
  regularPortsChange: false,
  publicNetwork: false,
};

// Go's TestAnalyzerUsesClockForRecordTimestamps.
Deno.test("analyzer: record timestamps follow the clock; clean drops stale records", () => {
  const start = Date.UTC(2026, 4, 8, 12, 30);
  let now = start;
  const analyzer = new Analyzer(3600_000, () => now);
  const rec = analyzer.recommend("key", EASY, EASY);
  assertEquals(analyzer.records.get("key")?.lastUpdateTime, start);
  now = start + 60_000;
  analyzer.reportSuccess("key", rec.mode, rec.index);
  assertEquals(analyzer.records.get("key")?.lastUpdateTime, now);
  now = start + 2 * 3600_000;
  assertEquals(analyzer.clean(), [1, 1]);
  assertEquals(analyzer.records.size, 0);
});

Deno.test("analyzer: scores walk the mode 0 list; a success brings a plan back", () => {
  const analyzer = new Analyzer(3600_000);
  const seen: number[] = [];
  for (let i = 0; i < 3; i++) seen.push(analyzer.recommend("k", EASY, EASY).index);
  assertEquals(seen, [0, 1, 2]); // each try costs a point, the first best wins ties
  analyzer.reportSuccess("k", 0, 1); // -1 + 2 = 1: best again
  assertEquals(analyzer.recommend("k", EASY, EASY).index, 1);
  assertEquals(analyzer.recommend("k", EASY, EASY).index, 1); // 0 again, still the first best
  assertEquals(analyzer.recommend("k", EASY, EASY).index, 3);
  // visitor on a public network: plans where the client sends start one point ahead
  const pub = new Analyzer(3600_000);
  const r = pub.recommend("p", EASY, { ...EASY, publicNetwork: true });
  assertEquals([r.mode, r.index, r.client.role, r.visitor.role], [0, 0, "sender", "receiver"]);
});

Deno.test("analysis tables: sizes and out-of-range index", () => {
  assertEquals([0, 1, 2, 3, 4, 9].map((m) => behaviorsOfMode(m).length), [10, 6, 3, 6, 3, 10]);
  assertEquals(behaviorAt(2, 3)[0].role, "");
  assertEquals(behaviorAt(4, 0)[1].portsRangeNumber, 2);
});
