/**
 * Benchmarks of our frps/frpc side by side with Go frp, on 127.0.0.1 only.
 *
 *   deno task bench [--quick] [--only=case,...] [--pairs=go-go,ts-ts,go-ts,ts-go] [--reps=N]
 *                   [--sequential] [--out=FILE] [--profile[=CASE]] [--go-version=v0.70.1]
 *
 * Pairs are named <frps>-<frpc>: go-ts = Go frps + our frpc. Every figure is the median of
 * --reps runs (default 3; each round runs every pair once, unless --sequential) and is also
 * given as a ratio to the go-go pair. Results go to the terminal (markdown) and to
 * bench-results/bench-<time>.json (or --out). See docs/performance.md.
 *
 * --profile[=CASE]: after the cases, run the ts-ts tcp bulk case (or nomux, enc, http, vhost1k,
 * parallel) once more with `--cpu-prof` on our frps and frpc and print the top self-time
 * functions (scripts/bench/cpuprofile.ts).
 */
import { DEFAULT_GO_VERSION, hasGoFrp, hasTsFrp, REPO_ROOT } from "../tests/_helpers/proc.ts";
import { freePort } from "../tests/_helpers/ports.ts";
import {
  type Pair,
  PAIRS,
  type Setup,
  startPair,
  type Variant,
  VHOST,
  vhostDomain,
} from "./bench/frp.ts";
import {
  type Backend,
  buildTcpbench,
  connectLatency,
  cpuSeconds,
  holdConnections,
  killAll,
  median,
  readProc,
  rssMiB,
  sendThroughput,
  sleep,
  startBackend,
  which,
  wrkRps,
} from "./bench/tools.ts";
import { formatProfile, summarizeProfile } from "./bench/cpuprofile.ts";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** All cases, in run order. */
const CASES = [
  "raw",
  "bulk",
  "nomux",
  "enc",
  "parallel",
  "latency",
  "http",
  "vhost1k",
  "ws",
  "quic",
  "mem",
  "memnomux",
  "proxies",
  "scale",
] as const;
type Case = typeof CASES[number];

interface Sizes {
  rawBytes: number;
  bulkBytes: number;
  nomuxBytes: number;
  encBytes: number;
  parallelConns: number;
  parallelBytesPerConn: number;
  latencyConns: number;
  httpSeconds: number;
  httpConns: number;
  holdConns: number;
  proxies: number;
  settleMs: number;
  /** vhost1k: distinct http domains (one proxy each) and wrk keep-alive connections. */
  vhostDomains: number;
  vhostConns: number;
  /** ws / quic: bytes through a tcp proxy over frpc's websocket / quic transport. */
  transportBytes: number;
  /** scale: proxies on one frps, and (separately) idle connections through one proxy. */
  scaleProxies: number;
  scaleConns: number;
}

const FULL: Sizes = {
  rawBytes: GiB,
  bulkBytes: GiB,
  nomuxBytes: GiB,
  encBytes: 256 * MiB,
  parallelConns: 16,
  parallelBytesPerConn: 64 * MiB,
  latencyConns: 2000,
  httpSeconds: 5,
  httpConns: 50,
  holdConns: 1000,
  proxies: 1000,
  settleMs: 2000,
  vhostDomains: 1000,
  vhostConns: 200,
  transportBytes: GiB,
  scaleProxies: 10_000,
  scaleConns: 10_000,
};

const QUICK: Sizes = {
  rawBytes: 64 * MiB,
  bulkBytes: 16 * MiB,
  nomuxBytes: 16 * MiB,
  encBytes: 4 * MiB,
  parallelConns: 16,
  parallelBytesPerConn: MiB,
  latencyConns: 100,
  httpSeconds: 1,
  httpConns: 10,
  holdConns: 50,
  proxies: 20,
  settleMs: 200,
  vhostDomains: 20,
  vhostConns: 20,
  transportBytes: 16 * MiB,
  scaleProxies: 100,
  scaleConns: 100,
};

/** One reported figure. */
interface MetricSpec {
  key: string;
  label: (s: Sizes) => string;
  unit: string;
  better: "higher" | "lower";
  case: Case;
  digits: number;
}

const METRICS: MetricSpec[] = [
  {
    key: "tcp_bulk_mbps",
    label: (s) => `tcp bulk, 1 conn, ${size(s.bulkBytes)}, TLS+tcpMux (default)`,
    unit: "MB/s",
    better: "higher",
    case: "bulk",
    digits: 0,
  },
  {
    key: "tcp_bulk_cpu_frps_s_per_gib",
    label: () => "  frps CPU per GiB (bulk default)",
    unit: "s/GiB",
    better: "lower",
    case: "bulk",
    digits: 2,
  },
  {
    key: "tcp_bulk_cpu_frpc_s_per_gib",
    label: () => "  frpc CPU per GiB (bulk default)",
    unit: "s/GiB",
    better: "lower",
    case: "bulk",
    digits: 2,
  },
  {
    key: "tcp_bulk_nomux_mbps",
    label: (s) => `tcp bulk, 1 conn, ${size(s.nomuxBytes)}, TLS, tcpMux off`,
    unit: "MB/s",
    better: "higher",
    case: "nomux",
    digits: 0,
  },
  {
    key: "tcp_bulk_nomux_cpu_frps_s_per_gib",
    label: () => "  frps CPU per GiB (tcpMux off)",
    unit: "s/GiB",
    better: "lower",
    case: "nomux",
    digits: 2,
  },
  {
    key: "tcp_bulk_enc_mbps",
    label: (s) => `tcp bulk, 1 conn, ${size(s.encBytes)}, useEncryption+useCompression`,
    unit: "MB/s",
    better: "higher",
    case: "enc",
    digits: 1,
  },
  {
    key: "tcp_parallel_mbps",
    label: (s) =>
      `tcp aggregate, ${s.parallelConns} conns × ${size(s.parallelBytesPerConn)} (default)`,
    unit: "MB/s",
    better: "higher",
    case: "parallel",
    digits: 0,
  },
  {
    key: "tcp_parallel_cpu_frps_s_per_gib",
    label: () => "  frps CPU per GiB (16 conns)",
    unit: "s/GiB",
    better: "lower",
    case: "parallel",
    digits: 2,
  },
  {
    key: "latency_p50_us",
    label: (s) => `new conn connect+echo+close, p50 (${s.latencyConns} sequential)`,
    unit: "µs",
    better: "lower",
    case: "latency",
    digits: 0,
  },
  {
    key: "latency_p99_us",
    label: () => "new conn connect+echo+close, p99",
    unit: "µs",
    better: "lower",
    case: "latency",
    digits: 0,
  },
  {
    key: "http_rps",
    label: (s) => `http vhost, wrk -t1 -c${s.httpConns} -d${s.httpSeconds}s keep-alive`,
    unit: "req/s",
    better: "higher",
    case: "http",
    digits: 0,
  },
  {
    key: "http_cpu_frps_ms_per_kreq",
    label: () => "  frps CPU per 1000 requests (http)",
    unit: "ms",
    better: "lower",
    case: "http",
    digits: 0,
  },
  {
    key: "http_1k_rps",
    label: (s) =>
      `http vhost, ${s.vhostDomains} domains, wrk -t1 -c${s.vhostConns} -d${s.httpSeconds}s, Host round robin`,
    unit: "req/s",
    better: "higher",
    case: "vhost1k",
    digits: 0,
  },
  {
    key: "http_1k_cpu_frps_ms_per_kreq",
    label: () => "  frps CPU per 1000 requests (1000 domains)",
    unit: "ms",
    better: "lower",
    case: "vhost1k",
    digits: 0,
  },
  {
    key: "tcp_bulk_ws_mbps",
    label: (s) => `tcp bulk, 1 conn, ${size(s.transportBytes)}, protocol=websocket (TLS+tcpMux)`,
    unit: "MB/s",
    better: "higher",
    case: "ws",
    digits: 0,
  },
  {
    key: "tcp_bulk_ws_cpu_frps_s_per_gib",
    label: () => "  frps CPU per GiB (websocket)",
    unit: "s/GiB",
    better: "lower",
    case: "ws",
    digits: 2,
  },
  {
    key: "tcp_bulk_quic_mbps",
    label: (s) => `tcp bulk, 1 conn, ${size(s.transportBytes)}, protocol=quic`,
    unit: "MB/s",
    better: "higher",
    case: "quic",
    digits: 0,
  },
  {
    key: "tcp_bulk_quic_cpu_frps_s_per_gib",
    label: () => "  frps CPU per GiB (quic)",
    unit: "s/GiB",
    better: "lower",
    case: "quic",
    digits: 2,
  },
  {
    key: "rss_idle_frps_mib",
    label: () => "RSS frps idle (1 proxy)",
    unit: "MiB",
    better: "lower",
    case: "mem",
    digits: 1,
  },
  {
    key: "rss_idle_frpc_mib",
    label: () => "RSS frpc idle (1 proxy)",
    unit: "MiB",
    better: "lower",
    case: "mem",
    digits: 1,
  },
  {
    key: "rss_conns_frps_mib",
    label: (s) => `RSS frps, ${s.holdConns} idle conns open`,
    unit: "MiB",
    better: "lower",
    case: "mem",
    digits: 1,
  },
  {
    key: "rss_conns_frpc_mib",
    label: (s) => `RSS frpc, ${s.holdConns} idle conns open`,
    unit: "MiB",
    better: "lower",
    case: "mem",
    digits: 1,
  },
  {
    key: "rss_conn_frps_kib",
    label: () => "  frps RSS per idle conn, tcpMux on (marginal)",
    unit: "KiB",
    better: "lower",
    case: "mem",
    digits: 1,
  },
  {
    key: "rss_conn_frpc_kib",
    label: () => "  frpc RSS per idle conn, tcpMux on (marginal)",
    unit: "KiB",
    better: "lower",
    case: "mem",
    digits: 1,
  },
  {
    key: "rss_conns_nomux_frps_mib",
    label: (s) => `RSS frps, ${s.holdConns} idle conns open, tcpMux off`,
    unit: "MiB",
    better: "lower",
    case: "memnomux",
    digits: 1,
  },
  {
    key: "rss_conns_nomux_frpc_mib",
    label: (s) => `RSS frpc, ${s.holdConns} idle conns open, tcpMux off`,
    unit: "MiB",
    better: "lower",
    case: "memnomux",
    digits: 1,
  },
  {
    key: "rss_conn_nomux_frps_kib",
    label: () => "  frps RSS per idle conn, tcpMux off (marginal)",
    unit: "KiB",
    better: "lower",
    case: "memnomux",
    digits: 1,
  },
  {
    key: "rss_conn_nomux_frpc_kib",
    label: () => "  frpc RSS per idle conn, tcpMux off (marginal)",
    unit: "KiB",
    better: "lower",
    case: "memnomux",
    digits: 1,
  },
  {
    key: "rss_proxies_frps_mib",
    label: (s) => `RSS frps, ${s.proxies} tcp proxies`,
    unit: "MiB",
    better: "lower",
    case: "proxies",
    digits: 1,
  },
  {
    key: "rss_proxies_frpc_mib",
    label: (s) => `RSS frpc, ${s.proxies} tcp proxies`,
    unit: "MiB",
    better: "lower",
    case: "proxies",
    digits: 1,
  },
  {
    key: "rss_proxy_frps_kib",
    label: () => "  frps RSS per idle tcp proxy (marginal)",
    unit: "KiB",
    better: "lower",
    case: "proxies",
    digits: 1,
  },
  {
    key: "rss_proxy_frpc_kib",
    label: () => "  frpc RSS per idle tcp proxy (marginal)",
    unit: "KiB",
    better: "lower",
    case: "proxies",
    digits: 1,
  },
  {
    key: "proxies_up_s",
    label: (s) => `time to register ${s.proxies} tcp proxies (frpc start → all ports listen)`,
    unit: "s",
    better: "lower",
    case: "proxies",
    digits: 2,
  },
  {
    key: "scale_proxies_up_s",
    label: (s) => `scale: time to register ${s.scaleProxies} tcp proxies`,
    unit: "s",
    better: "lower",
    case: "scale",
    digits: 1,
  },
  {
    key: "scale_proxies_frps_cpu_s",
    label: (s) => `scale: frps CPU from start until ${s.scaleProxies} proxies are up`,
    unit: "s",
    better: "lower",
    case: "scale",
    digits: 2,
  },
  {
    key: "scale_proxies_frps_mib",
    label: (s) => `scale: RSS frps, ${s.scaleProxies} tcp proxies`,
    unit: "MiB",
    better: "lower",
    case: "scale",
    digits: 1,
  },
  {
    key: "scale_proxies_frpc_mib",
    label: (s) => `scale: RSS frpc, ${s.scaleProxies} tcp proxies`,
    unit: "MiB",
    better: "lower",
    case: "scale",
    digits: 1,
  },
  {
    key: "scale_conns_s",
    label: (s) => `scale: time to open+echo ${s.scaleConns} concurrent conns (1 proxy)`,
    unit: "s",
    better: "lower",
    case: "scale",
    digits: 1,
  },
  {
    key: "scale_conns_frps_cpu_s",
    label: (s) => `scale: frps CPU for ${s.scaleConns} conns`,
    unit: "s",
    better: "lower",
    case: "scale",
    digits: 2,
  },
  {
    key: "scale_conns_frps_mib",
    label: (s) => `scale: RSS frps, ${s.scaleConns} idle conns open`,
    unit: "MiB",
    better: "lower",
    case: "scale",
    digits: 1,
  },
  {
    key: "scale_conns_frpc_mib",
    label: (s) => `scale: RSS frpc, ${s.scaleConns} idle conns open`,
    unit: "MiB",
    better: "lower",
    case: "scale",
    digits: 1,
  },
];

/** A figure of one pair: measured, not applicable, or failed. */
type Cell =
  | { value: number; runs: number[]; ratio: number | null }
  | { na: string }
  | { error: string };

function size(n: number): string {
  if (n >= GiB && n % GiB === 0) return `${n / GiB} GiB`;
  if (n >= MiB && n % MiB === 0) return `${n / MiB} MiB`;
  return `${n} B`;
}

function log(msg: string): void {
  console.error(`[bench] ${msg}`);
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0];
}

interface Options {
  quick: boolean;
  only: Set<Case>;
  pairs: Pair[];
  reps: number;
  out: string;
  /** Case to profile after the run (bulk, nomux, enc or http), or null. */
  profile: "bulk" | "nomux" | "enc" | "http" | "vhost1k" | "parallel" | null;
  goVersion: string;
  /** Run all repetitions of one pair before the next (the default interleaves pairs per round). */
  sequential: boolean;
}

const FLAGS = [
  "quick",
  "profile",
  "help",
  "only",
  "pairs",
  "reps",
  "out",
  "go-version",
  "sequential",
];

function parseOptions(argv: string[]): Options {
  const a: Record<string, string | true> = {};
  for (const arg of argv) {
    const m = arg.match(/^--([a-z-]+)(?:=(.*))?$/);
    if (!m || !FLAGS.includes(m[1])) throw new Error(`unknown argument: ${arg} (try --help)`);
    a[m[1]] = m[2] ?? true;
  }
  const str = (k: string) => (typeof a[k] === "string" ? a[k] as string : undefined);
  if (a.help) {
    console.log(
      "usage: deno task bench [--quick] [--only=case,...] [--pairs=go-go,ts-ts,go-ts,ts-go]" +
        " [--reps=N] [--sequential] [--out=FILE] [--profile[=bulk|nomux|enc|http|vhost1k|parallel]]" +
        " [--go-version=v0.70.1]\n" +
        `cases: ${CASES.join(", ")}`,
    );
    Deno.exit(0);
  }
  const only = new Set<Case>();
  for (
    const c of (str("only") ?? CASES.join(",")).split(",").map((s) => s.trim()).filter(Boolean)
  ) {
    if (!(CASES as readonly string[]).includes(c)) {
      throw new Error(`unknown case "${c}"; cases: ${CASES.join(", ")}`);
    }
    only.add(c as Case);
  }
  const pairs: Pair[] = [];
  for (
    const p of (str("pairs") ?? PAIRS.map((p) => p.name).join(",")).split(",").map((s) => s.trim())
  ) {
    const pair = PAIRS.find((x) => x.name === p);
    if (!pair) {
      throw new Error(`unknown pair "${p}"; pairs: ${PAIRS.map((x) => x.name).join(", ")}`);
    }
    if (!pairs.includes(pair)) pairs.push(pair);
  }
  const quick = a.quick === true;
  const reps = str("reps") !== undefined ? Number(str("reps")) : quick ? 1 : 3;
  if (!Number.isInteger(reps) || reps < 1 || reps > 50) throw new Error(`bad --reps=${a.reps}`);
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  return {
    quick,
    only,
    pairs,
    reps,
    out: str("out") ?? `${REPO_ROOT}/bench-results/bench-${stamp}.json`,
    profile: profileCase(a.profile),
    goVersion: str("go-version") ?? DEFAULT_GO_VERSION,
    sequential: a.sequential === true,
  };
}

function profileCase(v: string | true | undefined): Options["profile"] {
  if (v === undefined) return null;
  if (v === true || v === "bulk") return "bulk";
  if (v === "nomux" || v === "enc" || v === "http" || v === "vhost1k" || v === "parallel") return v;
  throw new Error(`bad --profile=${v}; profiled cases: bulk, nomux, enc, http, vhost1k, parallel`);
}

/** Results of one pair, filled as cases run. */
type PairResults = Record<string, Cell>;

class Collector {
  readonly runs: Record<string, Record<string, number[]>> = {};
  readonly fails: Record<string, Record<string, Cell>> = {};

  add(pair: string, key: string, v: number): void {
    ((this.runs[pair] ??= {})[key] ??= []).push(v);
  }

  fail(pair: string, keys: string[], cell: Cell): void {
    for (const k of keys) {
      // A failure after some successful runs still reports those runs.
      if (this.runs[pair]?.[k]?.length) continue;
      (this.fails[pair] ??= {})[k] = cell;
    }
  }

  cells(pairs: Pair[]): Record<string, PairResults> {
    const out: Record<string, PairResults> = {};
    for (const p of pairs) {
      const r: PairResults = {};
      for (const m of METRICS) {
        const runs = this.runs[p.name]?.[m.key];
        if (runs?.length) r[m.key] = { value: median(runs), runs, ratio: null };
        else if (this.fails[p.name]?.[m.key]) r[m.key] = this.fails[p.name][m.key];
      }
      out[p.name] = r;
    }
    const ref = out["go-go"];
    for (const r of Object.values(out)) {
      for (const [k, c] of Object.entries(r)) {
        const base = ref?.[k];
        if ("value" in c && base && "value" in base && base.value > 0) {
          c.ratio = c.value / base.value;
        }
      }
    }
    return out;
  }
}

function keysOf(c: Case): string[] {
  return METRICS.filter((m) => m.case === c).map((m) => m.key);
}

async function withSetup(
  pair: Pair,
  variant: Variant,
  backend: Backend,
  opts: Options,
  fn: (s: Setup) => Promise<void>,
): Promise<void> {
  const setup = await startPair(pair, variant, backend.port, { goVersion: opts.goVersion });
  try {
    await fn(setup);
    if (setup.frps.status || setup.frpc.status) {
      throw new Error(
        `frps/frpc exited during the case:\n${setup.frps.output()}\n${setup.frpc.output()}`,
      );
    }
  } finally {
    await setup.close();
  }
}

async function runPair(
  pair: Pair,
  opts: Options,
  sizes: Sizes,
  backend: Backend,
  col: Collector,
): Promise<void> {
  const want = (c: Case) => opts.only.has(c);
  const name = pair.name;
  const guard = async (cases: Case[], fn: () => Promise<void>, naIfTsServer?: string) => {
    try {
      await fn();
    } catch (e) {
      const keys = cases.flatMap(keysOf);
      if (naIfTsServer && pair.server === "ts") {
        log(`${name} ${cases.join(",")}: n/a (${naIfTsServer}): ${firstLine(e)}`);
        col.fail(name, keys, { na: naIfTsServer });
      } else {
        log(`${name} ${cases.join(",")}: FAILED: ${e instanceof Error ? e.message : e}`);
        col.fail(name, keys, { error: firstLine(e) });
      }
    }
  };

  // Default config (TLS + tcpMux): bulk, parallel, latency share one frps/frpc.
  const defaultCases = (["bulk", "parallel", "latency"] as Case[]).filter(want);
  if (defaultCases.length > 0) {
    await guard(defaultCases, () =>
      withSetup(pair, {}, backend, opts, async (s) => {
        const port = s.remotePorts[0];
        if (want("bulk")) {
          for (let r = 0; r < opts.reps; r++) {
            const c0 = [await cpuSeconds(s.frps.pid), await cpuSeconds(s.frpc.pid)];
            const res = await sendThroughput(port, sizes.bulkBytes, 1);
            const c1 = [await cpuSeconds(s.frps.pid), await cpuSeconds(s.frpc.pid)];
            const gib = sizes.bulkBytes / GiB;
            col.add(name, "tcp_bulk_mbps", res.mbps);
            col.add(name, "tcp_bulk_cpu_frps_s_per_gib", (c1[0] - c0[0]) / gib);
            col.add(name, "tcp_bulk_cpu_frpc_s_per_gib", (c1[1] - c0[1]) / gib);
            log(`${name} bulk #${r + 1}: ${res.mbps.toFixed(0)} MB/s`);
          }
        }
        if (want("parallel")) {
          for (let r = 0; r < opts.reps; r++) {
            const c0 = await cpuSeconds(s.frps.pid);
            const res = await sendThroughput(
              port,
              sizes.parallelBytesPerConn,
              sizes.parallelConns,
            );
            const gib = sizes.parallelBytesPerConn * sizes.parallelConns / GiB;
            col.add(name, "tcp_parallel_mbps", res.mbps);
            col.add(
              name,
              "tcp_parallel_cpu_frps_s_per_gib",
              (await cpuSeconds(s.frps.pid) - c0) / gib,
            );
            log(`${name} parallel #${r + 1}: ${res.mbps.toFixed(0)} MB/s`);
          }
        }
        if (want("latency")) {
          for (let r = 0; r < opts.reps; r++) {
            const res = await connectLatency(port, sizes.latencyConns);
            col.add(name, "latency_p50_us", res.p50_us);
            col.add(name, "latency_p99_us", res.p99_us);
            log(`${name} latency #${r + 1}: p50 ${res.p50_us} µs, p99 ${res.p99_us} µs`);
          }
        }
      }));
  }

  if (want("nomux")) {
    await guard(["nomux"], () =>
      withSetup(pair, { tcpMux: false }, backend, opts, async (s) => {
        for (let r = 0; r < opts.reps; r++) {
          const c0 = await cpuSeconds(s.frps.pid);
          const res = await sendThroughput(s.remotePorts[0], sizes.nomuxBytes, 1);
          const gib = sizes.nomuxBytes / GiB;
          col.add(name, "tcp_bulk_nomux_mbps", res.mbps);
          col.add(
            name,
            "tcp_bulk_nomux_cpu_frps_s_per_gib",
            (await cpuSeconds(s.frps.pid) - c0) / gib,
          );
          log(`${name} nomux #${r + 1}: ${res.mbps.toFixed(0)} MB/s`);
        }
      }));
  }

  if (want("enc")) {
    await guard(["enc"], () =>
      withSetup(pair, { encrypt: true }, backend, opts, async (s) => {
        for (let r = 0; r < opts.reps; r++) {
          const res = await sendThroughput(s.remotePorts[0], sizes.encBytes, 1);
          col.add(name, "tcp_bulk_enc_mbps", res.mbps);
          log(`${name} enc #${r + 1}: ${res.mbps.toFixed(1)} MB/s`);
        }
      }));
  }

  // http: one domain, 50 clients; vhost1k: 1000 domains (one proxy each), 200 clients.
  for (const c of ["http", "vhost1k"] as const) {
    if (!want(c)) continue;
    if (!(await which("wrk"))) {
      col.fail(name, keysOf(c), { na: "wrk not installed" });
      continue;
    }
    const many = c === "vhost1k";
    const key = many ? "http_1k" : "http";
    const variant = { http: true, domains: many ? sizes.vhostDomains : 1 };
    await guard(
      [c],
      () =>
        withSetup(pair, variant, backend, opts, async (s) => {
          for (let r = 0; r < opts.reps; r++) {
            const c0 = await cpuSeconds(s.frps.pid);
            const rps = await wrkRps(
              `http://127.0.0.1:${s.vhostPort}/`,
              many ? { domains: sizes.vhostDomains, name: vhostDomain } : VHOST,
              sizes.httpSeconds,
              many ? sizes.vhostConns : sizes.httpConns,
            );
            const cpu = await cpuSeconds(s.frps.pid) - c0;
            col.add(name, `${key}_rps`, rps);
            col.add(name, `${key}_cpu_frps_ms_per_kreq`, cpu * 1e6 / (rps * sizes.httpSeconds));
            log(`${name} ${c} #${r + 1}: ${rps.toFixed(0)} req/s`);
          }
        }),
      "vhost not available",
    );
  }

  for (const protocol of ["websocket", "quic"] as const) {
    const c: Case = protocol === "websocket" ? "ws" : "quic";
    if (!want(c)) continue;
    const key = protocol === "websocket" ? "tcp_bulk_ws" : "tcp_bulk_quic";
    await guard([c], () =>
      withSetup(pair, { protocol }, backend, opts, async (s) => {
        for (let r = 0; r < opts.reps; r++) {
          const c0 = await cpuSeconds(s.frps.pid);
          const res = await sendThroughput(s.remotePorts[0], sizes.transportBytes, 1);
          const c1 = await cpuSeconds(s.frps.pid);
          col.add(name, `${key}_mbps`, res.mbps);
          col.add(name, `${key}_cpu_frps_s_per_gib`, (c1 - c0) / (sizes.transportBytes / GiB));
          log(`${name} ${c} #${r + 1}: ${res.mbps.toFixed(0)} MB/s`);
        }
      }));
  }

  for (const c of ["mem", "memnomux"] as const) {
    if (!want(c)) continue;
    const tcpMux = c === "mem";
    const k = tcpMux ? "" : "_nomux";
    await guard([c], async () => {
      for (let r = 0; r < opts.reps; r++) {
        await withSetup(pair, { tcpMux }, backend, opts, async (s) => {
          await sleep(sizes.settleMs);
          const is = await rssMiB(s.frps.pid), ic = await rssMiB(s.frpc.pid);
          if (tcpMux) {
            col.add(name, "rss_idle_frps_mib", is);
            col.add(name, "rss_idle_frpc_mib", ic);
          }
          const hold = await holdConnections(s.remotePorts[0], sizes.holdConns, 120_000);
          try {
            await sleep(sizes.settleMs);
            const fs = await rssMiB(s.frps.pid), fc = await rssMiB(s.frpc.pid);
            col.add(name, `rss_conns${k}_frps_mib`, fs);
            col.add(name, `rss_conns${k}_frpc_mib`, fc);
            col.add(name, `rss_conn${k}_frps_kib`, (fs - is) * 1024 / sizes.holdConns);
            col.add(name, `rss_conn${k}_frpc_kib`, (fc - ic) * 1024 / sizes.holdConns);
            log(
              `${name} ${c} #${r + 1}: idle frps ${is.toFixed(1)}, frpc ${ic.toFixed(1)} MiB; ` +
                `${sizes.holdConns} conns frps ${fs.toFixed(1)} MiB, frpc ${fc.toFixed(1)} MiB`,
            );
          } finally {
            await hold.release();
          }
        });
      }
    });
  }

  if (want("proxies")) {
    await guard(["proxies"], async () => {
      for (let r = 0; r < opts.reps; r++) {
        await withSetup(pair, { proxies: sizes.proxies }, backend, opts, async (s) => {
          const took = s.upMs / 1000;
          await sleep(sizes.settleMs);
          const fs = await rssMiB(s.frps.pid), fc = await rssMiB(s.frpc.pid);
          col.add(name, "rss_proxies_frps_mib", fs);
          col.add(name, "rss_proxies_frpc_mib", fc);
          col.add(name, "proxies_up_s", took);
          // Marginal cost against the 1-proxy idle RSS of the mem case (same pair, medians).
          const idle = (k: string) => col.runs[name]?.[k];
          const is = idle("rss_idle_frps_mib"), ic = idle("rss_idle_frpc_mib");
          if (is?.length && ic?.length) {
            const per = (v: number, base: number[]) =>
              (v - median(base)) * 1024 / (sizes.proxies - 1);
            col.add(name, "rss_proxy_frps_kib", per(fs, is));
            col.add(name, "rss_proxy_frpc_kib", per(fc, ic));
          }
          log(
            `${name} proxies #${r + 1}: ${sizes.proxies} proxies up in ${took.toFixed(1)} s;` +
              ` frps ${fs.toFixed(1)} MiB, frpc ${fc.toFixed(1)} MiB`,
          );
        });
      }
    });
  }

  if (want("scale")) {
    await guard(["scale"], async () => {
      for (let r = 0; r < opts.reps; r++) {
        const variant = { proxies: sizes.scaleProxies, raiseNofile: true };
        await withSetup(pair, variant, backend, opts, async (s) => {
          const cpu = await cpuSeconds(s.frps.pid);
          await sleep(sizes.settleMs);
          const fs = await rssMiB(s.frps.pid), fc = await rssMiB(s.frpc.pid);
          col.add(name, "scale_proxies_up_s", s.upMs / 1000);
          col.add(name, "scale_proxies_frps_cpu_s", cpu);
          col.add(name, "scale_proxies_frps_mib", fs);
          col.add(name, "scale_proxies_frpc_mib", fc);
          log(
            `${name} scale #${r + 1}: ${sizes.scaleProxies} proxies up in ${
              (s.upMs / 1000).toFixed(1)
            } s, frps CPU ${cpu.toFixed(2)} s; frps ${fs.toFixed(1)} MiB, frpc ${
              fc.toFixed(1)
            } MiB`,
          );
        });
        await withSetup(pair, { raiseNofile: true }, backend, opts, async (s) => {
          const c0 = await cpuSeconds(s.frps.pid);
          const t0 = performance.now();
          const hold = await holdConnections(s.remotePorts[0], sizes.scaleConns, 300_000);
          try {
            const took = (performance.now() - t0) / 1000;
            const cpu = await cpuSeconds(s.frps.pid) - c0;
            await sleep(sizes.settleMs);
            const fs = await rssMiB(s.frps.pid), fc = await rssMiB(s.frpc.pid);
            col.add(name, "scale_conns_s", took);
            col.add(name, "scale_conns_frps_cpu_s", cpu);
            col.add(name, "scale_conns_frps_mib", fs);
            col.add(name, "scale_conns_frpc_mib", fc);
            log(
              `${name} scale #${r + 1}: ${sizes.scaleConns} conns in ${took.toFixed(1)} s, ` +
                `frps CPU ${cpu.toFixed(2)} s; frps ${fs.toFixed(1)} MiB, frpc ${
                  fc.toFixed(1)
                } MiB`,
            );
          } finally {
            await hold.release();
          }
        });
      }
    });
  }
}

function fmt(v: number, digits: number): string {
  return v.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

function cellText(c: Cell | undefined, m: MetricSpec): string {
  if (!c) return "–";
  if ("na" in c) return `n/a (${c.na})`;
  if ("error" in c) return "error";
  const ratio = c.ratio === null ? "" : ` (${c.ratio.toFixed(2)}×)`;
  return `${fmt(c.value, m.digits)}${ratio}`;
}

interface Report {
  schema: "frp-bench/1";
  startedAt: string;
  finishedAt: string;
  quick: boolean;
  reps: number;
  interleaved: boolean;
  cases: string[];
  pairs: string[];
  sizes: Sizes;
  env: Record<string, unknown>;
  raw: Record<string, Cell>;
  metrics: { key: string; label: string; unit: string; better: string }[];
  results: Record<string, PairResults>;
  notes: string[];
}

function markdown(rep: Report, sizes: Sizes): string {
  const lines: string[] = [];
  const pairs = rep.pairs;
  lines.push(
    `Pairs are <frps>-<frpc>; each cell: median of ${rep.reps} run(s)${
      rep.interleaved ? ", pairs interleaved per round" : ""
    } (ratio to go-go = 1.00).`,
  );
  lines.push("");
  lines.push(`| case | unit | better | ${pairs.join(" | ")} |`);
  lines.push(`|---|---|---|${pairs.map(() => "---:").join("|")}|`);
  for (const m of METRICS) {
    if (!rep.cases.includes(m.case)) continue;
    const cells = pairs.map((p) => cellText(rep.results[p]?.[m.key], m));
    lines.push(`| ${m.label(sizes)} | ${m.unit} | ${m.better} | ${cells.join(" | ")} |`);
  }
  const raw1 = rep.raw["raw_mbps"];
  const rawN = rep.raw["raw_parallel_mbps"];
  if (raw1 || rawN) {
    const t = (c: Cell | undefined) =>
      c && "value" in c ? fmt(c.value, 0) : c && "error" in c ? "error" : "–";
    lines.push("");
    lines.push(
      `Raw loopback without any proxy (native C source → sink): 1 conn ${size(sizes.rawBytes)}: ` +
        `**${t(raw1)} MB/s**; ${sizes.parallelConns} conns: **${t(rawN)} MB/s**.`,
    );
  }
  return lines.join("\n");
}

async function envInfo(goVersion: string): Promise<Record<string, unknown>> {
  const read = (p: string) => readProc(p).catch(() => "");
  const cpu = (await read("/proc/cpuinfo")).match(/model name\s*:\s*(.+)/)?.[1] ?? "unknown";
  return {
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    goFrp: goVersion,
    cpus: navigator.hardwareConcurrency,
    cpuModel: cpu,
    kernel: (await read("/proc/sys/kernel/osrelease")).trim(),
    loadavgAtEnd: (await read("/proc/loadavg")).trim(),
    wrk: (await which("wrk")) !== null,
  };
}

async function runProfile(opts: Options, sizes: Sizes, backend: Backend): Promise<void> {
  const dir = `${REPO_ROOT}/bench-results/profile-${
    new Date().toISOString().replace(/[:.]/g, "-")
  }`;
  await Deno.mkdir(dir, { recursive: true });
  const pair = PAIRS.find((p) => p.name === "ts-ts")!;
  const which = opts.profile ?? "bulk";
  const variant = which === "nomux"
    ? { tcpMux: false }
    : which === "enc"
    ? { encrypt: true }
    : which === "http"
    ? { http: true }
    : which === "vhost1k"
    ? { http: true, domains: sizes.vhostDomains }
    : {};
  const bytes = which === "nomux"
    ? sizes.nomuxBytes
    : which === "enc"
    ? sizes.encBytes
    : sizes.bulkBytes;
  log(`profiling ts-ts ${which} into ${dir}`);
  const setup = await startPair(pair, variant, backend.port, {
    goVersion: opts.goVersion,
    cpuProfDir: dir,
  });
  try {
    if (which === "http" || which === "vhost1k") {
      const rps = await wrkRps(
        `http://127.0.0.1:${setup.vhostPort}/`,
        which === "http" ? VHOST : { domains: sizes.vhostDomains, name: vhostDomain },
        sizes.httpSeconds,
        which === "http" ? sizes.httpConns : sizes.vhostConns,
      );
      log(`profiled run: ${rps.toFixed(0)} req/s (profiling overhead included)`);
    } else if (which === "parallel") {
      const res = await sendThroughput(
        setup.remotePorts[0],
        sizes.parallelBytesPerConn,
        sizes.parallelConns,
      );
      log(`profiled run: ${res.mbps.toFixed(0)} MB/s (profiling overhead included)`);
    } else {
      const res = await sendThroughput(setup.remotePorts[0], bytes, 1);
      log(`profiled run: ${res.mbps.toFixed(0)} MB/s (profiling overhead included)`);
    }
  } finally {
    await setup.close(); // SIGTERM: our processes call Deno.exit, which writes the profiles
  }
  for (const bin of ["frps", "frpc"]) {
    const path = `${dir}/${bin}.cpuprofile`;
    try {
      const prof = JSON.parse(await Deno.readTextFile(path));
      console.log(`\n### ${bin} (${path})\n`);
      console.log(formatProfile(summarizeProfile(prof), 25));
    } catch (e) {
      log(`no profile for ${bin}: ${firstLine(e)}`);
    }
  }
}

async function main(): Promise<number> {
  const opts = parseOptions(Deno.args);
  const sizes = opts.quick ? QUICK : FULL;
  const startedAt = new Date().toISOString();
  const notes: string[] = [];
  if (!opts.quick && opts.only.has("enc")) {
    notes.push(`encrypted+compressed case uses ${size(sizes.encBytes)} (slow path)`);
  }
  notes.push("payload is random (incompressible) data repeated from a 256 KiB buffer");

  await buildTcpbench();
  const loadavgAtStart = (await readProc("/proc/loadavg").catch(() => "")).trim();
  const backend = await startBackend(freePort());
  const col = new Collector();
  const raw: Record<string, Cell> = {};

  if (opts.only.has("raw")) {
    for (
      const [key, bytes, conns] of [
        ["raw_mbps", sizes.rawBytes, 1],
        ["raw_parallel_mbps", Math.max(sizes.parallelBytesPerConn, 4 * MiB), sizes.parallelConns],
      ] as const
    ) {
      try {
        const runs: number[] = [];
        for (let r = 0; r < opts.reps; r++) {
          runs.push((await sendThroughput(backend.port, bytes, conns)).mbps);
        }
        raw[key] = { value: median(runs), runs, ratio: null };
        log(`${key}: ${median(runs).toFixed(0)} MB/s`);
      } catch (e) {
        raw[key] = { error: firstLine(e) };
      }
    }
  }

  const runnable = opts.pairs.filter((pair) => {
    const needsGo = pair.server === "go" || pair.client === "go";
    const needsTs = pair.server === "ts" || pair.client === "ts";
    const missing = needsGo && !hasGoFrp(opts.goVersion)
      ? `Go frp ${opts.goVersion} not built (scripts/get_go_frp.sh)`
      : needsTs && !hasTsFrp()
      ? "server/main.ts or client/main.ts missing"
      : null;
    if (missing) {
      log(`${pair.name}: skipped: ${missing}`);
      col.fail(pair.name, METRICS.map((m) => m.key), { na: missing });
    }
    return !missing;
  });
  if (opts.sequential) {
    for (const pair of runnable) {
      log(`=== ${pair.name} (frps: ${pair.server}, frpc: ${pair.client}) ===`);
      await runPair(pair, opts, sizes, backend, col);
    }
  } else {
    // Interleaved: round r runs every pair once, so drift on a shared box (other jobs, thermal)
    // spreads over all pairs instead of landing on whichever pair ran last.
    for (let r = 0; r < opts.reps; r++) {
      for (const pair of runnable) {
        log(`=== round ${r + 1}/${opts.reps}: ${pair.name} ===`);
        await runPair(pair, { ...opts, reps: 1 }, sizes, backend, col);
      }
    }
  }

  const report: Report = {
    schema: "frp-bench/1",
    startedAt,
    finishedAt: new Date().toISOString(),
    quick: opts.quick,
    reps: opts.reps,
    interleaved: !opts.sequential,
    cases: CASES.filter((c) => opts.only.has(c)),
    pairs: opts.pairs.map((p) => p.name),
    sizes,
    env: { ...await envInfo(opts.goVersion), loadavgAtStart },
    raw,
    metrics: METRICS.filter((m) => opts.only.has(m.case)).map((m) => ({
      key: m.key,
      label: m.label(sizes),
      unit: m.unit,
      better: m.better,
    })),
    results: col.cells(opts.pairs),
    notes,
  };
  const outDir = opts.out.slice(0, opts.out.lastIndexOf("/"));
  if (outDir) await Deno.mkdir(outDir, { recursive: true });
  await Deno.writeTextFile(opts.out, JSON.stringify(report, null, 2) + "\n");

  console.log(markdown(report, sizes));
  for (const n of notes) console.log(`- ${n}`);
  log(`wrote ${opts.out}`);

  if (opts.profile !== null) await runProfile(opts, sizes, backend);
  return 0;
}

if (import.meta.main) {
  let stopping = false;
  const onSignal = (sig: Deno.Signal) => () => {
    if (stopping) return;
    stopping = true;
    log(`${sig}: stopping all spawned processes`);
    killAll().finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", onSignal("SIGINT"));
  Deno.addSignalListener("SIGTERM", onSignal("SIGTERM"));
  let code = 1;
  try {
    code = await main();
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    code = 1;
  } finally {
    await killAll();
  }
  Deno.exit(code);
}
