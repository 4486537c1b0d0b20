/**
 * Runtime series for frps's `/metrics`, next to frp's own: the `process_*` family Go's default
 * Prometheus registry exports (same names, HELP texts and types, so dashboards built for Go frps
 * keep working), `deno_*` in place of `go_*` (V8 heap, as prom-client's `nodejs_*` defaults
 * report it), and promhttp's scrape counters.
 *
 * Deno guards `/proc` behind `--allow-all` (not `--allow-read`), so under the shipped
 * permissions the series come from APIs that need none: getrusage for CPU, V8 for memory,
 * `performance.timeOrigin` for the start time and Deno's resource table for open descriptors.
 * `process_max_fds` and `process_virtual_memory_*` exist only in /proc: they are exported when
 * it is readable and left out otherwise (docs/api.md).
 *
 * @module
 */
import process from "node:process";
import { getHeapSpaceStatistics } from "node:v8";

/** One metric family in the text exposition format. */
interface Family {
  name: string;
  help: string;
  type: "gauge" | "counter";
  samples: Array<[labels: string, value: number]>;
}

/** Go prints 2^64-1 ("unlimited" rlimits) as this float. */
const RLIM_INFINITY = 18446744073709551615;

/** /proc figures, or null once a read was refused (Deno: needs --allow-all). */
let procReadable = true;

function readProc(path: string): string | null {
  if (!procReadable) return null;
  try {
    return Deno.readTextFileSync(path);
  } catch {
    // NotCapable under the shipped flags, NotFound off Linux: stop trying either way.
    procReadable = false;
    return null;
  }
}

/** A soft limit from /proc/self/limits (`unlimited` → 2^64-1, as Go's procfs reports it). */
function softLimit(limits: string, name: string): number | undefined {
  const line = limits.split("\n").find((l) => l.startsWith(name));
  const soft = line?.slice(name.length).trim().split(/\s+/)[0];
  if (soft === undefined) return undefined;
  return soft === "unlimited" ? RLIM_INFINITY : Number(soft);
}

/** Open descriptors: /proc/self/fd when readable, else Deno's resource table (sockets, files). */
function openFds(): number | undefined {
  if (procReadable) {
    try {
      let n = 0;
      for (const _ of Deno.readDirSync("/proc/self/fd")) n++;
      return n;
    } catch {
      procReadable = false;
    }
  }
  try {
    // deno-lint-ignore no-explicit-any
    const internal = (Deno as any)[(Deno as any).internal];
    const table = internal?.core?.resources?.();
    return table ? Object.keys(table).length : undefined;
  } catch {
    return undefined;
  }
}

/** promhttp's scrape counters (Go: `promhttp_metric_handler_requests_*`). */
let scrapes = 0;

/** The runtime families, rendered; call once per scrape (it counts the scrape). */
export function renderProcessMetrics(): string[] {
  const families: Family[] = [];
  const add = (name: string, help: string, type: Family["type"], value: number | undefined) => {
    if (value !== undefined && Number.isFinite(value)) {
      families.push({ name, help, type, samples: [["", value]] });
    }
  };

  const mem = Deno.memoryUsage();
  const info =
    `version="${Deno.version.deno}",v8="${Deno.version.v8}",typescript="${Deno.version.typescript}"`;
  families.push({
    name: "deno_info",
    help: "Information about the Deno runtime.",
    type: "gauge",
    samples: [[info, 1]],
  });
  add("deno_heap_size_total_bytes", "Process heap size from V8 in bytes.", "gauge", mem.heapTotal);
  add(
    "deno_heap_size_used_bytes",
    "Process heap size used from V8 in bytes.",
    "gauge",
    mem.heapUsed,
  );
  add(
    "deno_external_memory_bytes",
    "V8 memory of objects outside the heap (e.g. array buffers) in bytes.",
    "gauge",
    mem.external,
  );
  try {
    const spaces = getHeapSpaceStatistics();
    for (
      const [suffix, help, key] of [
        ["total", "Process heap space size total from V8 in bytes.", "space_size"],
        ["used", "Process heap space size used from V8 in bytes.", "space_used_size"],
        [
          "available",
          "Process heap space size available from V8 in bytes.",
          "space_available_size",
        ],
      ] as const
    ) {
      families.push({
        name: `deno_heap_space_size_${suffix}_bytes`,
        help,
        type: "gauge",
        samples: spaces.map((s) => [`space="${s.space_name.replace(/_space$/, "")}"`, s[key]]),
      });
    }
  } catch { /* node:v8 statistics unavailable: the totals above remain */ }

  const cpu = process.cpuUsage();
  add(
    "process_cpu_seconds_total",
    "Total user and system CPU time spent in seconds.",
    "counter",
    (cpu.user + cpu.system) / 1e6,
  );
  const limits = readProc("/proc/self/limits");
  add(
    "process_max_fds",
    "Maximum number of open file descriptors.",
    "gauge",
    limits ? softLimit(limits, "Max open files") : undefined,
  );
  add("process_open_fds", "Number of open file descriptors.", "gauge", openFds());
  add("process_resident_memory_bytes", "Resident memory size in bytes.", "gauge", mem.rss);
  add(
    "process_start_time_seconds",
    "Start time of the process since unix epoch in seconds.",
    "gauge",
    Math.floor(performance.timeOrigin / 10) / 100,
  );
  const stat = readProc("/proc/self/stat");
  // Fields after "(comm)": state is [0]; vsize (field 23) is [20].
  const vsize = stat ? Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[20]) : undefined;
  add("process_virtual_memory_bytes", "Virtual memory size in bytes.", "gauge", vsize);
  add(
    "process_virtual_memory_max_bytes",
    "Maximum amount of virtual memory available in bytes.",
    "gauge",
    limits ? softLimit(limits, "Max address space") : undefined,
  );
  families.push({
    name: "promhttp_metric_handler_requests_in_flight",
    help: "Current number of scrapes being served.",
    type: "gauge",
    samples: [["", 1]],
  }, {
    name: "promhttp_metric_handler_requests_total",
    help: "Total number of scrapes by HTTP status code.",
    type: "counter",
    // Like promhttp: the scrape being served is counted once it is done.
    samples: [['code="200"', scrapes++], ['code="500"', 0], ['code="503"', 0]],
  });

  const out: string[] = [];
  for (const f of families) {
    out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    for (const [labels, v] of f.samples) out.push(`${f.name}${labels ? `{${labels}}` : ""} ${v}`);
  }
  return out;
}
