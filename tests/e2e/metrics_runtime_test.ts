/**
 * frps `/metrics` runtime series (server/api/process_metrics.ts): the scrape parses as the
 * Prometheus text format (every sample under its own HELP and TYPE), the `process_*` series a
 * Go frps dashboard uses are there with Go's HELP/TYPE lines and plausible values, the `deno_*`
 * heap series and promhttp's scrape counter work, and open descriptors follow held connections.
 */
import { assert, assertEquals } from "../_helpers/assert.ts";
import { freePorts } from "../_helpers/ports.ts";
import { hasGoFrp, type Impl, startFrps, withLogs } from "../_helpers/proc.ts";

interface Scrape {
  /** `# HELP`/`# TYPE` lines by family. */
  meta: Map<string, string[]>;
  /** sample name{labels} → value */
  samples: Map<string, number>;
}

/** Parses the text format strictly enough to catch a malformed exposition. */
function parse(text: string): Scrape {
  const meta = new Map<string, string[]>();
  const samples = new Map<string, number>();
  assert(text.endsWith("\n"), "exposition must end with a newline");
  for (const line of text.trimEnd().split("\n")) {
    const m = line.match(/^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/);
    if (m) {
      meta.set(m[2], [...(meta.get(m[2]) ?? []), line]);
      continue;
    }
    const s = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/);
    assert(s !== null, `not a sample line: ${line}`);
    // Summaries and histograms: name_sum/_count/_bucket belong to the family "name".
    const family = meta.has(s![1]) ? s![1] : s![1].replace(/_(sum|count|bucket)$/, "");
    const kinds = (meta.get(family) ?? []).map((l) => l.split(" ")[1]);
    assertEquals(kinds, ["HELP", "TYPE"], `${family}: HELP and TYPE before its samples`);
    const v = Number(s![3]);
    assert(Number.isFinite(v), `${line}: value`);
    samples.set(family + (s![2] ?? ""), v);
  }
  return { meta, samples };
}

async function scrape(port: number): Promise<Scrape> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, {
    signal: AbortSignal.timeout(10_000),
  });
  assertEquals(res.status, 200);
  return parse(await res.text());
}

async function frpsWithMetrics(impl: Impl) {
  const [bindPort, webPort] = freePorts(2);
  const frps = await startFrps({
    impl,
    config: {
      bindAddr: "127.0.0.1",
      bindPort,
      enablePrometheus: true,
      webServer: { addr: "127.0.0.1", port: webPort },
    },
  });
  return { frps, bindPort, webPort };
}

const PROCESS = [
  "process_cpu_seconds_total",
  "process_open_fds",
  "process_resident_memory_bytes",
  "process_start_time_seconds",
];

Deno.test("metrics: process_* and deno_* runtime series, Go's HELP/TYPE, plausible values", async () => {
  const startedAfter = Date.now() / 1000;
  const { frps, bindPort, webPort } = await frpsWithMetrics("ts");
  await using _frps = frps;
  const held: Deno.Conn[] = [];
  try {
    await withLogs([frps], async () => {
      const a = await scrape(webPort);
      const v = (k: string) => a.samples.get(k);
      for (const name of PROCESS) assert(v(name) !== undefined, `${name} missing`);
      assert(v("process_cpu_seconds_total")! > 0, "cpu seconds");
      assert(v("process_resident_memory_bytes")! > 1 << 20, "rss > 1 MiB");
      const start = v("process_start_time_seconds")!;
      assert(start >= startedAfter - 5 && start <= Date.now() / 1000, `start time ${start}`);
      assert(v("process_open_fds")! >= 3, "open fds (stdio, listeners)");
      for (const optional of ["process_max_fds", "process_virtual_memory_bytes"]) {
        if (v(optional) !== undefined) assert(v(optional)! > 0, optional);
      }
      const used = v("deno_heap_size_used_bytes")!;
      const total = v("deno_heap_size_total_bytes")!;
      assert(used > 0 && used <= total, `heap used ${used} of ${total}`);
      assert(v('deno_heap_space_size_used_bytes{space="old"}')! > 0, "old space");
      assert(
        [...a.samples.keys()].some((k) => k.startsWith(`deno_info{version="${Deno.version.deno}"`)),
        "deno_info",
      );
      assertEquals(v('promhttp_metric_handler_requests_total{code="200"}'), 0);

      // Held connections to frps show up as open descriptors; the scrape counter counts.
      for (let i = 0; i < 8; i++) {
        held.push(await Deno.connect({ hostname: "127.0.0.1", port: bindPort }));
      }
      await new Promise((r) => setTimeout(r, 300));
      const b = await scrape(webPort);
      const fdsA = v("process_open_fds")!;
      const fdsB = b.samples.get("process_open_fds")!;
      assert(fdsB >= fdsA + 8, `open fds ${fdsA} → ${fdsB} with 8 held connections`);
      assert(
        b.samples.get("process_cpu_seconds_total")! >= v("process_cpu_seconds_total")!,
        "cpu counter never decreases",
      );
      assertEquals(b.samples.get('promhttp_metric_handler_requests_total{code="200"}'), 1);
    });
  } finally {
    for (const c of held) c.close();
  }
});

Deno.test({
  name: "metrics: our process_* HELP/TYPE lines are Go frps's",
  ignore: !hasGoFrp(),
  async fn() {
    const ours = await frpsWithMetrics("ts");
    await using _o = ours.frps;
    const go = await frpsWithMetrics("go");
    await using _g = go.frps;
    const [a, b] = await Promise.all([scrape(ours.webPort), scrape(go.webPort)]);
    const shared = [...a.meta.keys()].filter((k) => /^(process|promhttp)_/.test(k));
    assert(shared.length >= PROCESS.length + 2, shared.join(" "));
    for (const name of shared) assertEquals(a.meta.get(name), b.meta.get(name), name);
  },
});
