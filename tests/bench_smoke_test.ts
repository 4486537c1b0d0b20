/**
 * Smoke test of scripts/bench.ts: `--quick --pairs=go-go` exits 0 and writes a JSON report with
 * the expected keys. No timing is asserted. Skipped when the Go frp binaries are not built.
 */
import { assert, assertEquals } from "./_helpers/assert.ts";
import { hasGoFrp, REPO_ROOT } from "./_helpers/proc.ts";

Deno.test({
  name: "bench: --quick --pairs=go-go runs and writes the JSON report",
  ignore: !hasGoFrp(),
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "frp-bench-smoke-" });
  const out = `${dir}/bench.json`;
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-run",
        "--allow-sys",
        `${REPO_ROOT}/scripts/bench.ts`,
        "--quick",
        "--pairs=go-go",
        `--out=${out}`,
      ],
      cwd: REPO_ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    const res = await child.output();
    clearTimeout(timer);
    const dec = new TextDecoder();
    assertEquals(
      res.code,
      0,
      `bench failed:\n${dec.decode(res.stdout)}\n${dec.decode(res.stderr)}`,
    );
    const report = JSON.parse(await Deno.readTextFile(out));
    for (
      const k of ["schema", "quick", "reps", "pairs", "sizes", "env", "raw", "metrics", "results"]
    ) {
      assert(k in report, `report lacks "${k}"`);
    }
    assertEquals(report.quick, true);
    assertEquals(report.pairs, ["go-go"]);
    const go = report.results["go-go"];
    assert(go, "no go-go results");
    for (
      const k of [
        "tcp_bulk_mbps",
        "tcp_bulk_nomux_mbps",
        "tcp_bulk_enc_mbps",
        "tcp_parallel_mbps",
        "latency_p50_us",
        "latency_p99_us",
        "http_rps",
        "rss_idle_frps_mib",
        "rss_conns_frpc_mib",
        "rss_proxies_frps_mib",
        "http_1k_rps",
        "tcp_bulk_ws_mbps",
        "tcp_bulk_quic_mbps",
        "rss_conn_frps_kib",
        "rss_conn_nomux_frps_kib",
        "rss_proxy_frps_kib",
        "scale_proxies_up_s",
        "scale_conns_frps_mib",
      ]
    ) {
      assert(k in go, `go-go results lack "${k}"`);
      // Each cell is measured ({value, ratio}), n/a, or an error; the pair must not fail.
      assert(!("error" in go[k]), `${k} failed: ${go[k].error}`);
    }
    assert("raw_mbps" in report.raw, "report lacks raw_mbps");
    assert(report.results["go-go"].tcp_bulk_mbps.ratio === 1, "go-go ratio is not 1");
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
