/**
 * Fuzz harness: every decoder that reads peer-controlled bytes (scripts/torture/fuzz_targets.ts)
 * gets structure-aware mutations of real frames, one Worker per target. The parent watches a
 * shared progress counter to catch synchronous hangs (and terminates the worker); the worker
 * catches async hangs, unclean errors, unhandled rejections and RSS growth.
 *
 *   deno run --v8-flags=--expose-gc --allow-read --allow-write=bench-results \
 *     scripts/torture/fuzz.ts [--count N] [--seconds S] [--target substring] [--seed N] [--json]
 *
 * No --allow-net on purpose: plugins that try to dial fuzzed addresses get PermissionDenied,
 * so a run never sends bytes anywhere. Findings go to bench-results/fuzz/ (input bytes as hex).
 *
 * @module
 */

import { TARGETS } from "./fuzz_targets.ts";
import { type Finding, type FuzzJob, type FuzzResult, SAB_HEADER } from "./fuzz_worker.ts";

/** Options for one fuzz run. */
export interface FuzzOptions {
  /** Inputs per target (upper bound). */
  count: number;
  /** Seconds per target (upper bound). */
  seconds: number;
  seed: number;
  /** Only targets whose name contains this. */
  filter?: string;
  hangMs?: number;
  memLimitMiB?: number;
  /** Where findings are written (skipped when undefined). */
  outDir?: string;
}

/** One row of the fuzz table. */
export interface FuzzRow extends FuzzResult {
  name: string;
}

function runTarget(index: number, o: FuzzOptions): Promise<FuzzResult> {
  const hangMs = o.hangMs ?? 3000;
  const sab = new SharedArrayBuffer(SAB_HEADER + 128 * 1024);
  const ctr = new Int32Array(sab, 0, 2);
  const w = new Worker(new URL("./fuzz_worker.ts", import.meta.url), { type: "module" });
  return new Promise<FuzzResult>((resolve) => {
    let last = -1, stuckSince = performance.now();
    const finish = (r: FuzzResult) => {
      clearInterval(watch);
      w.terminate();
      resolve(r);
    };
    // A synchronous loop never yields to the worker's timers: only the parent can see it.
    const watch = setInterval(() => {
      const now = Atomics.load(ctr, 0);
      if (now !== last) {
        last = now;
        stuckSince = performance.now();
        return;
      }
      if (now > 0 && performance.now() - stuckSince > hangMs * 2 + 2000) {
        died("hang", "synchronous: worker stopped making progress");
      }
    }, 250);
    // The worker is gone or stuck: the input it was running is still in shared memory.
    const died = (kind: Finding["kind"], detail: string) => {
      const len = Atomics.load(ctr, 1);
      const input = Array.from(new Uint8Array(sab, SAB_HEADER, len).subarray(0, 4096));
      finish({
        inputs: Atomics.load(ctr, 0),
        seconds: 0,
        corpus: 0,
        outcomes: 0,
        peakHeapMiB: 0,
        slowestMs: 0,
        findings: [{ kind, detail, input }],
      });
    };
    w.onmessage = (ev: MessageEvent<FuzzResult>) => finish(ev.data);
    w.onerror = (ev: ErrorEvent) => {
      ev.preventDefault();
      died("crash", `worker died: ${ev.message}`);
    };
    const job: FuzzJob = {
      target: index,
      count: o.count,
      seconds: o.seconds,
      seed: o.seed + index,
      hangMs,
      memLimitMiB: o.memLimitMiB ?? 1024,
      sab,
    };
    w.postMessage(job);
  });
}

const hex = (a: number[]): string => a.map((x) => x.toString(16).padStart(2, "0")).join("");

async function saveFindings(dir: string, name: string, fs: Finding[]): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const slug = name.replace(/[^a-z0-9]+/gi, "_").toLowerCase();
  const lines = fs.map((f) => `${f.kind}\t${f.detail}\t${hex(f.input)}`);
  await Deno.writeTextFile(`${dir}/${slug}.tsv`, lines.join("\n") + "\n");
}

/** Runs every (matching) target in turn. */
export async function runFuzz(o: FuzzOptions): Promise<FuzzRow[]> {
  const rows: FuzzRow[] = [];
  for (let i = 0; i < TARGETS.length; i++) {
    const name = TARGETS[i].name;
    if (o.filter && !name.toLowerCase().includes(o.filter.toLowerCase())) continue;
    const r = await runTarget(i, o);
    rows.push({ name, ...r });
    if (r.findings.length && o.outDir) await saveFindings(o.outDir, name, r.findings);
  }
  return rows;
}

/** The fuzz table as Markdown. */
export function fuzzTable(rows: FuzzRow[]): string {
  const out = [
    "| target | inputs | s | outcomes | crashes | hangs | rejections | memory | slow | slowest ms | heap MiB after (GC) |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of rows) {
    const n = (k: Finding["kind"]) => r.findings.filter((f) => f.kind === k).length;
    out.push(
      `| ${r.name} | ${r.inputs} | ${r.seconds.toFixed(1)} | ${r.outcomes} | ${n("crash")} | ${
        n("hang")
      } | ${n("rejection")} | ${n("memory")} | ${n("slow")} | ${r.slowestMs.toFixed(0)} | ${
        r.peakHeapMiB.toFixed(0)
      } |`,
    );
  }
  return out.join("\n");
}

function arg(name: string, def: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < Deno.args.length ? Deno.args[i + 1] : def;
}

if (import.meta.main) {
  const rows = await runFuzz({
    count: Number(arg("count", "1000000")),
    seconds: Number(arg("seconds", "600")),
    seed: Number(arg("seed", "1")),
    filter: arg("target", "") || undefined,
    outDir: "bench-results/fuzz",
  });
  if (Deno.args.includes("--json")) {
    console.log(JSON.stringify(rows));
    Deno.exit(0);
  }
  console.log(fuzzTable(rows));
  for (const r of rows) {
    for (const f of r.findings) {
      console.log(`${r.name}: ${f.kind}: ${f.detail}\n  input: ${hex(f.input.slice(0, 96))}`);
    }
  }
  Deno.exit(rows.some((r) => r.findings.length) ? 1 : 0);
}
