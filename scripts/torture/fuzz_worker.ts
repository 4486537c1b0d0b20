/**
 * Runs one fuzz target inside a Worker. Before each input it copies the input into shared
 * memory and bumps a counter there, so the parent can tell a synchronous hang (the counter
 * stops) and still know which input caused it. Async hangs are caught here by a per-input
 * timer; memory by sampling RSS.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { type FuzzTarget, TARGETS } from "./fuzz_targets.ts";
import { mutate, Rng } from "./mutate.ts";

/** The parent's request. */
export interface FuzzJob {
  target: number;
  count: number;
  seconds: number;
  seed: number;
  hangMs: number;
  memLimitMiB: number;
  sab: SharedArrayBuffer;
}

/** One finding (crash, hang, unhandled rejection, memory). */
export interface Finding {
  kind: "crash" | "hang" | "rejection" | "memory" | "slow";
  detail: string;
  input: number[];
}

/** The worker's answer. */
export interface FuzzResult {
  inputs: number;
  seconds: number;
  corpus: number;
  outcomes: number;
  peakHeapMiB: number;
  /** Slowest single input, ms (hangs excluded). */
  slowestMs: number;
  findings: Finding[];
}

/** Shared-memory layout: [0] inputs started, [1] current input length, bytes from offset 8. */
export const SAB_HEADER = 8;

/** True for errors that mean "bad input, handled": not a bug in the decoder. */
export function isCleanError(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  if (
    e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError ||
    e instanceof SyntaxError || e instanceof EvalError
  ) return false;
  return !/Maximum call stack|allocation failed|Invalid array length|out of memory/i.test(
    e.message,
  );
}

function signature(e: unknown): string {
  const name = (e as Error)?.constructor?.name ?? typeof e;
  const msg = String((e as Error)?.message ?? e).replace(/[0-9]+/g, "#").slice(0, 48);
  return `err:${name}:${msg}`;
}

const MAX_CORPUS = 2000;

/** `gc()` when the process runs with --v8-flags=--expose-gc. */
const gc = (globalThis as { gc?: () => void }).gc;

function heapMiB(collect: boolean): number {
  if (collect) gc?.();
  const m = Deno.memoryUsage();
  return (m.heapUsed + m.external) / 1048576;
}

/** A single input may allocate at most this much (a 2^32 length prefix must not). */
const BOMB_LIMIT_MIB = 32;

/**
 * Length-prefix bombs: every seed with each 4-byte window of its first 64 bytes (and each
 * 8-byte one) set to huge values. Measured one by one, with a GC before each.
 */
function* bombs(seeds: Uint8Array[]): Generator<Uint8Array> {
  for (const s of seeds.slice(0, 8)) {
    for (let off = 0; off < Math.min(64, s.byteLength); off++) {
      for (const [w, v] of [[4, 0xffffffff], [4, 0x7fffffff], [8, -1]] as const) {
        if (off + w > s.byteLength) continue;
        const b = s.slice();
        const dv = new DataView(b.buffer);
        if (w === 4) dv.setUint32(off, v);
        else dv.setBigInt64(off, 0x7fffffffffffffffn);
        yield b;
      }
    }
  }
}
const MAX_FINDINGS = 8;

type Outcome = { kind: "ok"; sig: string } | { kind: "hang" } | { kind: "crash"; detail: string };

/**
 * The async hang bound. One interval checks the running input's start time: a timer per
 * input would be cheaper to write, but cleared Deno timers stay queued until their due time,
 * keeping every input's promise chain alive for `hangMs` (hundreds of MiB at 10k inputs/s).
 */
let running: { since: number; hangMs: number; fire: () => void } | null = null;
setInterval(() => {
  if (running && performance.now() - running.since > running.hangMs) running.fire();
}, 100);

/** Runs one input with the async hang bound; clean errors become outcome signatures. */
async function runOne(
  t: FuzzTarget,
  input: Uint8Array,
  rng: Rng,
  hangMs: number,
): Promise<Outcome> {
  try {
    const r = t.run(input, rng);
    if (!(r instanceof Promise)) return { kind: "ok", sig: r };
    const hang = new Promise<"hang">((res) => {
      running = { since: performance.now(), hangMs, fire: () => res("hang") };
    });
    const out = await Promise.race([r, hang]).finally(() => (running = null));
    if (out === "hang") {
      r.catch(() => {});
      return { kind: "hang" };
    }
    return { kind: "ok", sig: out };
  } catch (e) {
    if (isCleanError(e)) return { kind: "ok", sig: signature(e) };
    return {
      kind: "crash",
      detail: `${(e as Error)?.constructor?.name}: ${(e as Error)?.message ?? e}`,
    };
  }
}

async function runJob(job: FuzzJob): Promise<FuzzResult> {
  const t = TARGETS[job.target];
  const rng = new Rng(job.seed);
  const corpus = (await t.seeds()).filter((s) => s.byteLength <= t.maxLen);
  if (corpus.length === 0) corpus.push(new Uint8Array(0));
  const outcomes = new Set<string>();
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const ctr = new Int32Array(job.sab, 0, 2);
  const shared = new Uint8Array(job.sab, SAB_HEADER);
  let current: Uint8Array = new Uint8Array(0);
  let peak = 0;
  let slowest = 0;

  const record = (kind: Finding["kind"], detail: string, input: Uint8Array) => {
    const key = `${kind}:${detail.replace(/[0-9]+/g, "#").slice(0, 80)}`;
    if (seen.has(key)) return;
    seen.add(key);
    findings.push({ kind, detail, input: Array.from(input.subarray(0, 4096)) });
  };
  // Tell the parent which input runs now (it reads it back after a synchronous hang).
  const mark = (input: Uint8Array) => {
    current = input;
    const n = Math.min(input.byteLength, shared.byteLength);
    shared.set(input.subarray(0, n));
    Atomics.store(ctr, 1, n);
    Atomics.add(ctr, 0, 1);
  };
  globalThis.addEventListener("unhandledrejection", (ev) => {
    ev.preventDefault();
    const r = ev.reason as Error;
    record("rejection", `${r?.constructor?.name}: ${r?.message ?? r}`, current);
  });

  // Phase 1: length-prefix bombs, memory measured per input.
  let bombCount = 0;
  for (const b of bombs(corpus)) {
    if (bombCount >= job.count / 4) break;
    bombCount++;
    const before = heapMiB(bombCount % 16 === 1);
    mark(b);
    const o = await runOne(t, b, rng, job.hangMs);
    if (o.kind === "hang") record("hang", `length bomb: no result within ${job.hangMs} ms`, b);
    if (o.kind === "crash") record("crash", o.detail, b);
    const grew = heapMiB(false) - before;
    if (grew > BOMB_LIMIT_MIB) {
      record("memory", `length bomb: one input grew the heap by ${grew.toFixed(0)} MiB`, b);
    }
  }

  const start = performance.now();
  const deadline = start + job.seconds * 1000;
  let i = 0;
  for (; i < job.count && findings.length < MAX_FINDINGS; i++) {
    if ((i & 63) === 0 && performance.now() > deadline) break;
    // The seeds themselves first, then mutations (half of them length-repaired).
    let input = i < corpus.length
      ? corpus[i]
      : t.generate && rng.int(3) === 0
      ? t.generate(rng)
      : mutate(rng, rng.pick(corpus), corpus, t.maxLen);
    if (i >= corpus.length && t.fix && rng.int(2) === 0) input = t.fix(input, rng);
    mark(input);
    const t0 = performance.now();
    const o = await runOne(t, input, rng, job.hangMs);
    if (o.kind === "hang") {
      record("hang", `no result within ${job.hangMs} ms`, input);
      continue;
    }
    if (o.kind === "crash") {
      record("crash", o.detail, input);
      continue;
    }
    const sig = o.sig;
    const took = performance.now() - t0;
    if (took > slowest) slowest = took;
    // Not a hang, but a DoS lever: one small input holding a core for a second.
    if (took > job.hangMs / 3) {
      record("slow", `${took.toFixed(0)} ms for ${input.byteLength} bytes`, input);
    }
    if (!outcomes.has(sig) && outcomes.size < 10_000) {
      outcomes.add(sig);
      if (corpus.length < MAX_CORPUS) corpus.push(input);
    }
    if ((i & 255) === 0) {
      // This isolate's heap + ArrayBuffers (RSS is the whole process, all workers).
      let mib = heapMiB(false);
      if (mib > peak) peak = mib;
      // Over the limit: garbage or a leak? Only what survives a full GC counts.
      if (mib > job.memLimitMiB / 2 && gc) mib = heapMiB(true);
      if (mib > job.memLimitMiB) {
        record("memory", `heap+external ${mib.toFixed(0)} MiB > ${job.memLimitMiB} MiB`, input);
        break;
      }
    }
  }
  const mib = heapMiB(true);
  return {
    inputs: i + bombCount,
    seconds: (performance.now() - start) / 1000,
    corpus: corpus.length,
    outcomes: outcomes.size,
    peakHeapMiB: mib,
    slowestMs: slowest,
    findings,
  };
}

self.onmessage = async (ev: MessageEvent<FuzzJob>) => {
  const res = await runJob(ev.data);
  self.postMessage(res);
};
