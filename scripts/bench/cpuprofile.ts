/**
 * Summarizes a V8 .cpuprofile (from `deno run --cpu-prof`): self time per function, sorted.
 *
 *   deno run --allow-read scripts/bench/cpuprofile.ts FILE.cpuprofile [TOP]
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}

/** The parts of the .cpuprofile JSON we read. */
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** Self time of one function. */
export interface FunctionTime {
  name: string;
  location: string;
  selfMs: number;
  /** Share of all non-idle samples. */
  pct: number;
}

/** Result of {@linkcode summarizeProfile}. */
export interface ProfileSummary {
  wallMs: number;
  /** Sampled time not in "(idle)". */
  busyMs: number;
  idleMs: number;
  functions: FunctionTime[];
  /** Busy time grouped by source file (or pseudo-node such as "(garbage collector)"). */
  files: { file: string; selfMs: number; pct: number }[];
}

function shortUrl(url: string): string {
  if (!url) return "";
  const i = url.indexOf("/work/main/");
  if (i >= 0) return url.slice(i + "/work/main/".length);
  return url.replace(/^file:\/\//, "").replace(/^ext:/, "ext:");
}

/** Self time per function (samples × their time deltas), idle excluded from percentages. */
export function summarizeProfile(p: CpuProfile): ProfileSummary {
  const selfUs = new Map<number, number>();
  if (p.samples && p.timeDeltas && p.samples.length === p.timeDeltas.length) {
    // timeDeltas[i] is the time before sample i; attribute it to that sample's node.
    for (let i = 0; i < p.samples.length; i++) {
      const d = Math.max(0, p.timeDeltas[i + 1] ?? 0);
      selfUs.set(p.samples[i], (selfUs.get(p.samples[i]) ?? 0) + d);
    }
  } else {
    const total = p.endTime - p.startTime;
    const hits = p.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0) || 1;
    for (const n of p.nodes) selfUs.set(n.id, ((n.hitCount ?? 0) / hits) * total);
  }
  const byFn = new Map<string, FunctionTime>();
  const byFile = new Map<string, number>();
  let idle = 0;
  let busy = 0;
  for (const n of p.nodes) {
    const us = selfUs.get(n.id) ?? 0;
    if (us === 0) continue;
    const cf = n.callFrame;
    if (cf.functionName === "(idle)") {
      idle += us;
      continue;
    }
    busy += us;
    const loc = cf.url ? `${shortUrl(cf.url)}:${cf.lineNumber + 1}` : "";
    const name = cf.functionName || "(anonymous)";
    const key = `${name}@${loc}`;
    const f = byFn.get(key) ?? { name, location: loc, selfMs: 0, pct: 0 };
    f.selfMs += us / 1000;
    byFn.set(key, f);
    const file = cf.url ? shortUrl(cf.url) : name;
    byFile.set(file, (byFile.get(file) ?? 0) + us / 1000);
  }
  const busyMs = busy / 1000;
  const functions = [...byFn.values()].sort((a, b) => b.selfMs - a.selfMs);
  for (const f of functions) f.pct = busyMs > 0 ? (100 * f.selfMs) / busyMs : 0;
  const files = [...byFile.entries()]
    .map(([file, selfMs]) => ({ file, selfMs, pct: busyMs > 0 ? (100 * selfMs) / busyMs : 0 }))
    .sort((a, b) => b.selfMs - a.selfMs);
  return {
    wallMs: (p.endTime - p.startTime) / 1000,
    busyMs,
    idleMs: idle / 1000,
    functions,
    files,
  };
}

/** Markdown tables of the top `top` functions and files. */
export function formatProfile(s: ProfileSummary, top = 20): string {
  const lines = [
    `wall ${s.wallMs.toFixed(0)} ms, busy (non-idle samples) ${s.busyMs.toFixed(0)} ms, ` +
    `idle ${s.idleMs.toFixed(0)} ms`,
    "",
    "| self ms | % of busy | function | location |",
    "|---:|---:|---|---|",
  ];
  for (const f of s.functions.slice(0, top)) {
    lines.push(`| ${f.selfMs.toFixed(0)} | ${f.pct.toFixed(1)} | ${f.name} | ${f.location} |`);
  }
  lines.push("", "| self ms | % of busy | file |", "|---:|---:|---|");
  for (const f of s.files.slice(0, Math.min(top, 12))) {
    lines.push(`| ${f.selfMs.toFixed(0)} | ${f.pct.toFixed(1)} | ${f.file} |`);
  }
  return lines.join("\n");
}

if (import.meta.main) {
  const [file, top] = Deno.args;
  if (!file) {
    console.error("usage: cpuprofile.ts FILE.cpuprofile [TOP]");
    Deno.exit(2);
  }
  const prof = JSON.parse(await Deno.readTextFile(file)) as CpuProfile;
  console.log(formatProfile(summarizeProfile(prof), Number(top ?? 25)));
}
