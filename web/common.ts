/**
 * What the frps and frpc web UIs share: the stylesheet (light/dark through
 * `prefers-color-scheme`, phone widths) and a small ES module of helpers (`common.js`): a DOM
 * builder that only ever sets text through text nodes (no `innerHTML` anywhere), formatting,
 * same-origin API calls and the inline-SVG traffic chart.
 *
 * Plain strings, no build step: the servers hand them out as they are.
 *
 * @module
 */

/** `style.css` of both UIs. */
export const STYLE_CSS = String.raw`
:root {
  color-scheme: light dark;
  --bg: #f5f6f8; --surface: #ffffff; --surface-2: #f0f2f5; --border: #e3e6eb;
  --text: #1b1f24; --muted: #667085; --accent: #2f6fed; --accent-soft: #e8effd;
  --ok: #14804a; --ok-soft: #e3f5ea; --warn: #a15c00; --warn-soft: #fdf1dc;
  --err: #c4320a; --err-soft: #fde8e2; --off: #6b7280; --off-soft: #eef0f3;
  --in: #2f6fed; --out: #14a37f; --grid: #e8ebef;
  --shadow: 0 1px 2px rgba(16, 24, 40, .05);
  --radius: 10px;
  --mono: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1216; --surface: #171b21; --surface-2: #1e232b; --border: #2a3039;
    --text: #e6e9ee; --muted: #98a2b3; --accent: #6b9bff; --accent-soft: #1c2740;
    --ok: #4ad08a; --ok-soft: #15301f; --warn: #f2b450; --warn-soft: #35280f;
    --err: #ff8a6b; --err-soft: #3a1d16; --off: #9aa3af; --off-soft: #242a33;
    --in: #6b9bff; --out: #3ccfa5; --grid: #252b34;
    --shadow: none;
  }
}
* { box-sizing: border-box; }
html, body { margin: 0; }
body {
  background: var(--bg); color: var(--text);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  -webkit-text-size-adjust: 100%;
}
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
code, .mono { font-family: var(--mono); font-size: 12.5px; }
.topbar {
  position: sticky; top: 0; z-index: 10;
  background: var(--surface); border-bottom: 1px solid var(--border);
}
.topbar-in {
  max-width: 1280px; margin: 0 auto; padding: 0 20px; height: 56px;
  display: flex; align-items: center; gap: 20px;
}
.brand { display: flex; align-items: center; gap: 10px; font-weight: 650; font-size: 16px; color: var(--text); }
.brand:hover { text-decoration: none; }
.logo {
  width: 28px; height: 28px; border-radius: 7px; background: var(--accent); color: #fff;
  display: grid; place-items: center; font-size: 12px; font-weight: 700; letter-spacing: -.3px;
}
.version { font-size: 12px; font-weight: 500; color: var(--muted); }
nav.tabs { display: flex; gap: 4px; }
nav.tabs a {
  padding: 6px 12px; border-radius: 7px; color: var(--muted); font-weight: 550;
}
nav.tabs a:hover { background: var(--surface-2); color: var(--text); text-decoration: none; }
nav.tabs a.active { background: var(--accent-soft); color: var(--accent); }
.spacer { flex: 1; }
.refresh { display: flex; align-items: center; gap: 8px; color: var(--muted); font-size: 12.5px; white-space: nowrap; }
.refresh label { display: flex; align-items: center; gap: 6px; cursor: pointer; }
.dot { width: 8px; height: 8px; border-radius: 50%; background: var(--ok); flex: none; }
.dot.busy { background: var(--warn); }
.dot.down { background: var(--err); }
main { max-width: 1280px; margin: 0 auto; padding: 20px; }
.banner {
  margin-bottom: 16px; padding: 10px 14px; border-radius: var(--radius);
  background: var(--err-soft); color: var(--err); border: 1px solid var(--err);
}
.banner.ok { background: var(--ok-soft); color: var(--ok); border-color: var(--ok); }
.banner[hidden] { display: none; }
h1 { font-size: 20px; margin: 0; font-weight: 650; }
h2 { font-size: 14px; margin: 0; font-weight: 650; }
.page-head { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; margin-bottom: 16px; }
.page-head .sub { color: var(--muted); }
.crumbs { color: var(--muted); margin-bottom: 6px; font-size: 13px; }
.crumbs a { color: var(--muted); }
.grid { display: grid; gap: 16px; }
.stats { grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); margin-bottom: 16px; }
.cols-2 { grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); margin-bottom: 16px; }
.card {
  background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius);
  box-shadow: var(--shadow); min-width: 0;
}
.card-head {
  display: flex; align-items: center; gap: 10px; padding: 12px 16px; border-bottom: 1px solid var(--border);
}
.card-head .hint { color: var(--muted); font-size: 12.5px; }
.card-body { padding: 14px 16px; }
.stat { padding: 14px 16px; }
.stat .label { color: var(--muted); font-size: 12.5px; font-weight: 550; }
.stat .value { font-size: 24px; font-weight: 650; margin-top: 2px; font-variant-numeric: tabular-nums; }
.stat .note { color: var(--muted); font-size: 12.5px; margin-top: 2px; }
dl.kv { display: grid; grid-template-columns: minmax(120px, max-content) 1fr; gap: 8px 16px; margin: 0; }
dl.kv dt { color: var(--muted); }
dl.kv dd { margin: 0; overflow-wrap: anywhere; font-variant-numeric: tabular-nums; }
.toolbar { display: flex; gap: 8px; flex-wrap: wrap; align-items: center; padding: 12px 16px; border-bottom: 1px solid var(--border); }
.seg { display: flex; gap: 2px; flex-wrap: wrap; background: var(--surface-2); padding: 3px; border-radius: 8px; }
.seg a { padding: 4px 10px; border-radius: 6px; color: var(--muted); font-weight: 550; font-size: 13px; }
.seg a:hover { color: var(--text); text-decoration: none; }
.seg a.active { background: var(--surface); color: var(--text); box-shadow: var(--shadow); }
.seg .count { color: var(--muted); font-weight: 500; margin-left: 4px; font-size: 12px; }
input[type=search], select, textarea {
  font: inherit; color: var(--text); background: var(--surface); border: 1px solid var(--border);
  border-radius: 7px; padding: 6px 10px;
}
input[type=search] { min-width: 0; width: 220px; }
input[type=search]:focus, select:focus, textarea:focus { outline: 2px solid var(--accent-soft); border-color: var(--accent); }
button {
  font: inherit; font-weight: 550; cursor: pointer; border-radius: 7px; padding: 6px 12px;
  border: 1px solid var(--border); background: var(--surface); color: var(--text);
}
button:hover { background: var(--surface-2); }
button:disabled { opacity: .55; cursor: default; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.primary:hover { filter: brightness(1.08); }
button.danger { color: var(--err); }
button.danger:hover { background: var(--err-soft); }
.table-wrap { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 9px 16px; border-bottom: 1px solid var(--border); vertical-align: top; }
th { font-size: 12px; font-weight: 600; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; white-space: nowrap; background: var(--surface); }
tbody tr:last-child td { border-bottom: 0; }
tbody tr.link { cursor: pointer; }
tbody tr.link:hover td { background: var(--surface-2); }
td.num, th.num { text-align: right; white-space: nowrap; }
td.name { font-weight: 600; overflow-wrap: anywhere; min-width: 120px; }
td .sub { display: block; color: var(--muted); font-weight: 400; font-size: 12.5px; }
td.err { color: var(--err); overflow-wrap: anywhere; min-width: 160px; }
.empty { padding: 32px 16px; text-align: center; color: var(--muted); }
.badge {
  display: inline-flex; align-items: center; gap: 6px; padding: 2px 9px; border-radius: 999px;
  font-size: 12px; font-weight: 600; white-space: nowrap; background: var(--off-soft); color: var(--off);
}
.badge::before { content: ""; width: 6px; height: 6px; border-radius: 50%; background: currentColor; }
.badge.ok { background: var(--ok-soft); color: var(--ok); }
.badge.warn { background: var(--warn-soft); color: var(--warn); }
.badge.err { background: var(--err-soft); color: var(--err); }
.tag {
  display: inline-block; padding: 1px 7px; border-radius: 5px; background: var(--surface-2);
  border: 1px solid var(--border); font-size: 12px; font-family: var(--mono); margin: 1px 4px 1px 0;
  overflow-wrap: anywhere;
}
.type { font-family: var(--mono); font-size: 12px; text-transform: uppercase; color: var(--muted); font-weight: 600; }
.bars { display: grid; gap: 10px; }
a.bar-row { color: inherit; }
a.bar-row:hover { text-decoration: none; }
a.bar-row:hover .type { color: var(--accent); }
.bar-row { display: grid; grid-template-columns: 64px 1fr 56px; gap: 10px; align-items: center; }
.bar-row .track { height: 8px; background: var(--surface-2); border-radius: 4px; overflow: hidden; display: flex; }
.bar-row .fill { height: 100%; background: var(--accent); }
.bar-row .fill.off { background: var(--off); opacity: .45; }
.bar-row .n { text-align: right; color: var(--muted); font-variant-numeric: tabular-nums; font-size: 12.5px; }
.top-row { display: grid; grid-template-columns: minmax(0, 1fr) auto; gap: 4px 12px; padding: 8px 0; border-bottom: 1px solid var(--border); }
.top-row:last-child { border-bottom: 0; }
.top-row .name { overflow-wrap: anywhere; font-weight: 600; }
.top-row .amt { color: var(--muted); font-variant-numeric: tabular-nums; white-space: nowrap; }
.top-row .track { grid-column: 1 / -1; height: 4px; border-radius: 2px; background: var(--surface-2); display: flex; overflow: hidden; }
.legend { display: flex; gap: 16px; flex-wrap: wrap; color: var(--muted); font-size: 12.5px; }
.legend span { display: inline-flex; align-items: center; gap: 6px; }
.sw { width: 10px; height: 10px; border-radius: 3px; display: inline-block; }
.sw.in, .fill.in { background: var(--in); }
.sw.out, .fill.out { background: var(--out); }
svg.chart { display: block; width: 100%; height: auto; }
svg.chart .grid-line { stroke: var(--grid); stroke-width: 1; }
svg.chart .axis { fill: var(--muted); font-size: 11px; font-family: inherit; }
svg.chart .bar-in { fill: var(--in); }
svg.chart .bar-out { fill: var(--out); }
svg.chart .bar-in:hover, svg.chart .bar-out:hover { opacity: .8; }
details summary { cursor: pointer; color: var(--muted); font-size: 13px; }
td.detail-cell { padding: 0; }
textarea.editor {
  display: block; width: 100%; min-height: max(360px, calc(100vh - 230px)); resize: vertical; border: 0; border-radius: 0;
  font-family: var(--mono); font-size: 13px; line-height: 1.55; padding: 14px 16px; tab-size: 2;
  background: var(--surface); white-space: pre; overflow-wrap: normal; overflow-x: auto;
}
textarea.editor:focus { outline: none; }
.msg { font-size: 13px; color: var(--muted); }
.msg.ok { color: var(--ok); }
.msg.err { color: var(--err); white-space: pre-wrap; }
pre.json {
  margin: 0; padding: 12px 16px; background: var(--surface-2); font-family: var(--mono); font-size: 12.5px;
  overflow-x: auto; white-space: pre; border-top: 1px solid var(--border);
}
.muted { color: var(--muted); }
.nowrap { white-space: nowrap; }
.kv-title { color: var(--muted); font-size: 12px; font-weight: 600; text-transform: uppercase; letter-spacing: .04em; margin: 0 0 8px; }
dl.kv + .kv-title { margin-top: 16px; }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 14px 20px; }
.fact .k { color: var(--muted); font-size: 12.5px; }
.fact .v { font-weight: 550; overflow-wrap: anywhere; font-variant-numeric: tabular-nums; }
.sw.on { background: var(--accent); }
.sw.off { background: var(--off); opacity: .45; }
.hide-sm { }
@media (max-width: 760px) {
  .topbar-in { height: auto; padding: 10px 14px; flex-wrap: wrap; gap: 8px 14px; }
  nav.tabs { order: 3; width: 100%; overflow-x: auto; }
  .refresh .updated { display: none; }
  main { padding: 14px; }
  .stats { grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 10px; }
  .cols-2 { grid-template-columns: minmax(0, 1fr); }
  .stat { padding: 12px; }
  .stat .value { font-size: 20px; }
  th, td { padding: 8px 10px; }
  .hide-sm { display: none; }
  table.responsive thead { display: none; }
  table.responsive, table.responsive tbody, table.responsive tr { display: block; width: 100%; }
  table.responsive tr { padding: 10px 14px; border-bottom: 1px solid var(--border); }
  table.responsive tbody tr:last-child { border-bottom: 0; }
  table.responsive td {
    display: grid; grid-template-columns: 92px minmax(0, 1fr); gap: 10px; align-items: baseline;
    border: 0; padding: 3px 0; text-align: left; white-space: normal;
  }
  table.responsive td.hide-sm { display: none; }
  table.responsive td::before {
    content: attr(data-label); color: var(--muted); font-size: 11.5px; font-weight: 600;
    text-transform: uppercase; letter-spacing: .04em;
  }
  table.responsive td.name { display: block; font-size: 15px; padding-bottom: 6px; }
  table.responsive td.name::before { display: none; }
  table.responsive tr.detail { padding: 0; }
  table.responsive td.detail-cell { display: block; padding: 0; }
  table.responsive td.detail-cell::before { display: none; }
  table.responsive td.err:has(> .cv:empty) { display: none; }
  tbody tr.link:hover td { background: none; }
  input[type=search] { flex: 1 1 140px; width: auto; }
  dl.kv { grid-template-columns: minmax(96px, max-content) 1fr; }
}
`;

/** `common.js`: helpers both UIs import. Text only ever enters the DOM as text nodes. */
export const COMMON_JS = String.raw`
const SVG_NS = "http://www.w3.org/2000/svg";

function put(el, attrs, kids) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) {
      if (typeof v !== "function") throw new Error("inline handler attribute refused: " + k);
      el.addEventListener(k.slice(2), v);
    } else if (k === "hidden" || k === "disabled" || k === "checked" || k === "selected") {
      el[k] = Boolean(v);
    } else if (k === "style") {
      Object.assign(el.style, v); // CSSOM, allowed by the CSP (style attributes are not)
    } else if (k === "value") {
      el.value = String(v);
    } else {
      el.setAttribute(k, v === true ? "" : String(v));
    }
  }
  for (const kid of [kids].flat(Infinity)) {
    if (kid === null || kid === undefined || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}

/** An HTML element; strings among the children become text nodes. */
export function h(tag, attrs, ...kids) {
  return put(document.createElement(tag), attrs, kids);
}

/** An SVG element. */
export function s(tag, attrs, ...kids) {
  return put(document.createElementNS(SVG_NS, tag), attrs, kids);
}

/** The element with this id. */
export const $ = (id) => document.getElementById(id);

/** An error with the HTTP status of a failed API call. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** Same-origin API call relative to /static/ (so the UI also works under a path prefix). */
export async function api(path, init) {
  const res = await fetch("../" + path.replace(/^\//, ""), {
    credentials: "same-origin",
    cache: "no-store",
    ...(init || {}),
  });
  const text = await res.text();
  if (!res.ok) {
    let msg = text.trim();
    try {
      const j = JSON.parse(text);
      msg = j.Msg || j.msg || msg;
    } catch (_) { /* plain text */ }
    throw new ApiError(res.status, msg || ("HTTP " + res.status));
  }
  if ((res.headers.get("content-type") || "").includes("json")) return JSON.parse(text);
  return text;
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/** 1536 → "1.5 KiB". */
export function bytes(n) {
  n = Number(n) || 0;
  let i = 0;
  while (Math.abs(n) >= 1024 && i < UNITS.length - 1) { n /= 1024; i++; }
  const digits = i === 0 ? 0 : Math.abs(n) < 10 ? 2 : Math.abs(n) < 100 ? 1 : 0;
  return n.toFixed(digits) + " " + UNITS[i];
}

/** Thousands separators. */
export const num = (n) => (Number(n) || 0).toLocaleString("en-US");

/** "3 min ago" for a unix time in seconds (0 ⇒ "—"). */
export function ago(sec) {
  if (!sec) return "—";
  let d = Math.max(0, Math.round(Date.now() / 1000 - sec));
  if (d < 45) return "just now";
  return duration(d) + " ago";
}

/** 93784 → "1d 2h". */
export function duration(d) {
  d = Math.max(0, Math.floor(d));
  if (d < 60) return d + "s";
  if (d < 3600) return Math.floor(d / 60) + " min";
  if (d < 86400) return Math.floor(d / 3600) + "h " + Math.floor((d % 3600) / 60) + "m";
  return Math.floor(d / 86400) + "d " + Math.floor((d % 86400) / 3600) + "h";
}

const pad = (n) => String(n).padStart(2, "0");

/** Local "2024-05-01 13:04:05" for a unix time in seconds. */
export function datetime(sec) {
  if (!sec) return "—";
  const d = new Date(sec * 1000);
  return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " +
    pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
}

/** A coloured status pill. kind: ok | warn | err | off */
export function badge(text, kind) {
  return h("span", { class: "badge " + (kind || "off") }, text);
}

/** A "label / value / note" statistic card. */
export function stat(label, value, note, id) {
  return h("div", { class: "card stat", id: id },
    h("div", { class: "label" }, label),
    h("div", { class: "value" }, value),
    h("div", { class: "note" }, note || "\u00a0"));
}

/** A card with a header (title, optional hint and right-hand actions) and a body. */
export function card(title, body, opts) {
  opts = opts || {};
  return h("section", { class: "card " + (opts.class || ""), id: opts.id },
    h("div", { class: "card-head" },
      h("h2", null, title),
      opts.hint ? h("span", { class: "hint" }, opts.hint) : null,
      h("span", { class: "spacer" }),
      opts.actions || null),
    opts.raw ? body : h("div", { class: "card-body" }, body));
}

/** A definition list from [label, value] pairs (values: text or nodes; empty pairs skipped). */
export function kv(pairs) {
  return h("dl", { class: "kv" }, pairs.filter(Boolean).flatMap(([k, v]) => [
    h("dt", null, k),
    h("dd", null, v === "" || v === null || v === undefined ? "—" : v),
  ]));
}

/** A grid of label-above-value facts from [label, value] pairs (for wide config lists). */
export function facts(pairs) {
  return h("div", { class: "facts" }, pairs.filter(Boolean).map(([k, v]) =>
    h("div", { class: "fact" }, h("div", { class: "k" }, k),
      h("div", { class: "v" }, v === "" || v === null || v === undefined ? "—" : v))));
}

/**
 * A table: cols = [{ title, cls, render(row) → text|node }]; rows with opts.href(row) become
 * links (the whole row is clickable, the first cell holds a real anchor).
 */
export function table(cols, rows, opts) {
  opts = opts || {};
  if (rows.length === 0) return h("div", { class: "empty" }, opts.empty || "Nothing here yet.");
  return h("div", { class: "table-wrap" }, h("table", { class: "responsive" },
    h("thead", null, h("tr", null, cols.map((c) => h("th", { class: c.cls || null }, c.title)))),
    h("tbody", null, rows.map((r) => {
      const href = opts.href ? opts.href(r) : null;
      const tr = h("tr", {
        class: href ? "link" : null,
        onclick: href ? (ev) => {
          if (ev.target.closest("a,button,input,select")) return;
          location.hash = href;
        } : null,
      }, cols.map((c) => h("td", { class: c.cls || null, "data-label": c.title },
        h("div", { class: "cv" }, c.render(r)))));
      return tr;
    }))));
}

function niceStep(max, ticks) {
  const raw = max / ticks;
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

/**
 * A grouped bar chart of days = [{ label, title, in, out }] as inline SVG (in/out bytes, one
 * pair of bars per day), with a byte-scaled y axis and a <title> tooltip on every bar.
 */
export function trafficChart(days, width) {
  const W = Math.max(320, Math.round(width || 720)), H = W < 560 ? 220 : 260, L = 64, R = 12, T = 14, B = 30;
  const pw = W - L - R, ph = H - T - B;
  const top = Math.max(1, ...days.map((d) => Math.max(d.in, d.out)));
  let unit = 0;
  while (top / Math.pow(1024, unit) >= 1024 && unit < UNITS.length - 1) unit++;
  const scale = Math.pow(1024, unit);
  const step = niceStep(top / scale, 4) * scale;
  const ymax = Math.max(step, Math.ceil(top / step) * step);
  const y = (v) => T + ph - (v / ymax) * ph;
  const svg = s("svg", {
    class: "chart", viewBox: "0 0 " + W + " " + H, role: "img",
    "aria-label": "Traffic of the last " + days.length + " days",
  });
  for (let v = 0; v <= ymax + step / 2; v += step) {
    const yy = Math.round(y(v)) + 0.5;
    svg.append(s("line", { class: "grid-line", x1: L, x2: W - R, y1: yy, y2: yy }));
    const label = v === 0 ? "0" : (+(v / scale).toFixed(2)) + " " + UNITS[unit];
    svg.append(s("text", { class: "axis", x: L - 8, y: yy + 4, "text-anchor": "end" }, label));
  }
  const gw = pw / days.length;
  const bw = Math.min(28, gw * 0.3);
  days.forEach((d, i) => {
    const cx = L + gw * i + gw / 2;
    for (const [k, x] of [["in", cx - bw - 1.5], ["out", cx + 1.5]]) {
      const v = d[k];
      const hgt = v > 0 ? Math.max(1.5, (v / ymax) * ph) : 0;
      svg.append(s("rect", {
        class: "bar-" + k, x: x.toFixed(1), y: (T + ph - hgt).toFixed(1), width: bw.toFixed(1),
        height: hgt.toFixed(1), rx: Math.min(3, bw / 4),
      }, s("title", null, d.title + " — " + (k === "in" ? "in: " : "out: ") + bytes(v))));
    }
    const label = gw >= 56 ? d.label : d.short;
    svg.append(s("text", { class: "axis", x: cx, y: H - 9, "text-anchor": "middle" }, label));
  });
  return svg;
}

/** Days for /api/traffic/{name} arrays (index 0 = today), oldest first. */
export function trafficDays(ins, outs) {
  const out = [];
  const now = new Date();
  const wd = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  for (let i = ins.length - 1; i >= 0; i--) {
    const d = new Date(now.getFullYear(), now.getMonth(), now.getDate() - i);
    const date = d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
    out.push({
      label: i === 0 ? "Today" : wd[d.getDay()] + " " + pad(d.getDate()),
      short: String(d.getDate()), title: date, date, in: ins[i] || 0, out: (outs && outs[i]) || 0,
    });
  }
  return out;
}

/**
 * The page shell's refresh loop: calls tick() every ms while the tab is visible and the
 * auto-refresh box is ticked; shows the time of the last success and a status dot.
 */
export function refresher(tick, ms) {
  const dot = $("dot"), upd = $("updated"), box = $("auto"), banner = $("banner");
  let timer = 0, busy = false;
  async function run(force) {
    if (busy && !force) return;
    busy = true;
    dot.className = "dot busy";
    try {
      await tick();
      dot.className = "dot";
      upd.textContent = "Updated " + new Date().toLocaleTimeString();
      if (banner.dataset.kind === "conn") { banner.hidden = true; banner.dataset.kind = ""; }
    } catch (e) {
      dot.className = "dot down";
      banner.hidden = false;
      banner.className = "banner";
      banner.dataset.kind = "conn";
      banner.textContent = e && e.status === 401
        ? "Not authorized: reload the page and sign in again."
        : "Cannot reach the server: " + ((e && e.message) || e) + ". Retrying…";
    } finally {
      busy = false;
    }
  }
  function arm() {
    clearInterval(timer);
    if (box.checked) timer = setInterval(() => { if (!document.hidden) run(); }, ms);
  }
  box.addEventListener("change", () => { arm(); if (box.checked) run(); });
  document.addEventListener("visibilitychange", () => { if (!document.hidden && box.checked) run(); });
  arm();
  return run;
}

/** A transient message in the page banner. */
export function notify(text, ok) {
  const banner = $("banner");
  banner.hidden = false;
  banner.className = ok ? "banner ok" : "banner";
  banner.dataset.kind = "note";
  banner.textContent = text;
  clearTimeout(notify.t);
  notify.t = setTimeout(() => { if (banner.dataset.kind === "note") banner.hidden = true; }, 4000);
}
`;
