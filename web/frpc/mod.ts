/**
 * The frpc admin UI served under `/static/`: proxy statuses (phase, error, local and remote
 * address, each proxy's config on click) refreshed every 5 s, and a config editor over
 * `GET/PUT /api/config` + `GET /api/reload`, like Go frpc's dashboard. Text only ever enters
 * the DOM as text nodes.
 *
 * @module
 */
import { COMMON_JS, STYLE_CSS } from "../common.ts";
import type { AssetMap } from "../serve.ts";

const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>frpc</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="style.css">
<script type="module" src="app.js"></script>
</head>
<body>
<header class="topbar"><div class="topbar-in">
  <a class="brand" href="#/"><span class="logo">frp</span><span>frpc</span><span class="version">admin</span></a>
  <nav class="tabs" id="nav">
    <a href="#/" data-nav="status">Proxies</a>
    <a href="#/config" data-nav="config">Configuration</a>
  </nav>
  <span class="spacer"></span>
  <div class="refresh">
    <span class="dot" id="dot"></span><span class="updated" id="updated"></span>
    <label><input type="checkbox" id="auto" checked> Auto-refresh</label>
  </div>
</div></header>
<main>
  <div class="banner" id="banner" hidden></div>
  <div id="view"></div>
  <noscript>This page needs JavaScript.</noscript>
</main>
</body>
</html>
`;

const APP_JS = String.raw`
import { $, api, badge, card, h, notify, num, refresher, stat, table } from "./common.js";

const REFRESH_MS = 5000;
const ORDER = ["tcp", "udp", "tcpmux", "http", "https", "stcp", "sudp", "xtcp"];
const ui = { q: "", open: new Set() };

function phaseBadge(r) {
  const p = r.status || "unknown";
  if (p === "running") return badge(p, "ok");
  if (r.err || p === "start error" || p === "check failed" || p === "closed") {
    return badge(p, p === "closed" ? "off" : "err");
  }
  return badge(p, "warn");
}

function statusView() {
  let rows = [];
  const stats = h("div", { class: "grid stats" });
  const search = h("input", {
    type: "search", placeholder: "Search name, address, error…", value: ui.q,
    "aria-label": "Search proxies",
    oninput: () => { ui.q = search.value; draw(); },
  });
  const reload = h("button", { onclick: doReload, title: "Re-read the config file and apply it" },
    "Reload config");
  const body = h("div", { id: "status-table" });
  const el = h("div", null,
    h("div", { class: "page-head" }, h("h1", null, "Proxies")),
    stats,
    h("section", { class: "card" },
      h("div", { class: "toolbar" }, h("span", { class: "spacer" }), search, reload), body));

  async function doReload() {
    reload.disabled = true;
    try {
      await api("api/reload");
      notify("Configuration reloaded.", true);
      await refresh();
    } catch (e) {
      notify("Reload failed: " + e.message, false);
    } finally {
      reload.disabled = false;
    }
  }

  async function toggle(r, tr) {
    const key = r.type + "/" + r.name;
    if (ui.open.has(key)) { ui.open.delete(key); draw(); return; }
    ui.open.add(key);
    draw();
  }

  const configs = new Map();
  async function configOf(r) {
    const key = r.type + "/" + r.name;
    if (!configs.has(key)) {
      configs.set(key, api("api/proxy/" + encodeURIComponent(r.name) + "/config")
        .then((c) => JSON.stringify(c, null, 2), (e) => "(" + e.message + ")"));
    }
    return configs.get(key);
  }

  function draw() {
    const q = ui.q.toLowerCase();
    const shown = rows.filter((r) => !q ||
      [r.name, r.type, r.status, r.err, r.local_addr, r.plugin, r.remote_addr]
        .some((v) => String(v || "").toLowerCase().includes(q)));
    const running = rows.filter((r) => r.status === "running").length;
    const failing = rows.filter((r) => r.err).length;
    stats.replaceChildren(
      stat("Proxies", num(rows.length), "configured", "st-total"),
      stat("Running", num(running), rows.length ? Math.round(100 * running / rows.length) + "% of all" : "", "st-running"),
      stat("Not running", num(rows.length - running), failing ? failing + " with errors" : "no errors", "st-down"),
    );
    if (shown.length === 0) {
      body.replaceChildren(h("div", { class: "empty" },
        rows.length === 0 ? "No proxy is configured (or frpc is not logged in yet)." : "No proxy matches the filter."));
      return;
    }
    const cols = [
      { title: "Name", cls: "name", render: (r) => r.name },
      { title: "Type", render: (r) => h("span", { class: "type" }, r.type) },
      { title: "Status", render: phaseBadge },
      { title: "Local", render: (r) => h("span", { class: "mono" }, r.plugin ? "plugin " + r.plugin : (r.local_addr || "—")) },
      {
        title: "Remote",
        render: (r) => r.remote_addr
          ? r.remote_addr.split(",").map((x) => h("span", { class: "tag" }, x))
          : "—",
      },
      { title: "Error", cls: "err", render: (r) => r.err || "" },
    ];
    const tbl = table(cols, shown);
    const trs = tbl.querySelectorAll("tbody tr");
    shown.forEach((r, i) => {
      const tr = trs[i];
      tr.classList.add("link");
      tr.title = "Show the proxy's configuration";
      tr.addEventListener("click", () => toggle(r, tr));
      if (ui.open.has(r.type + "/" + r.name)) {
        const pre = h("pre", { class: "json" }, "loading…");
        configOf(r).then((t) => { pre.textContent = t; });
        tr.after(h("tr", { class: "detail" },
          h("td", { colspan: cols.length, class: "detail-cell" }, pre)));
      }
    });
    body.replaceChildren(tbl);
  }

  async function refresh() {
    const st = await api("api/status");
    const types = Object.keys(st).sort((a, b) => {
      const ia = ORDER.indexOf(a), ib = ORDER.indexOf(b);
      return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || (a < b ? -1 : 1);
    });
    rows = types.flatMap((t) => st[t] || []);
    configs.clear();
    draw();
  }
  return { el, refresh, title: "Proxies" };
}

function configView() {
  let saved = null;
  const editor = h("textarea", {
    class: "editor", id: "config-editor", spellcheck: "false", autocomplete: "off",
    "aria-label": "frpc configuration file",
    oninput: () => mark(),
    onkeydown: (ev) => {
      if (ev.key === "Tab" && !ev.shiftKey) {
        ev.preventDefault();
        editor.setRangeText("  ", editor.selectionStart, editor.selectionEnd, "end");
        mark();
      } else if ((ev.ctrlKey || ev.metaKey) && ev.key === "s") {
        ev.preventDefault();
        save(true);
      }
    },
  });
  const msg = h("span", { class: "msg", id: "config-msg" });
  const revert = h("button", { onclick: () => load(true) }, "Revert");
  const saveBtn = h("button", { onclick: () => save(false) }, "Save");
  const apply = h("button", { class: "primary", id: "config-apply", onclick: () => save(true) },
    "Save & reload");
  const el = h("div", null,
    h("div", { class: "page-head" }, h("h1", null, "Configuration"),
      h("span", { class: "sub" }, "the file frpc was started with (-c)")),
    h("section", { class: "card" },
      h("div", { class: "toolbar" }, msg, h("span", { class: "spacer" }), revert, saveBtn, apply),
      editor));

  function say(text, kind) {
    msg.textContent = text;
    msg.className = "msg" + (kind ? " " + kind : "");
  }
  function mark() {
    if (saved !== null && editor.value !== saved) say("Unsaved changes", "");
    else if (msg.textContent === "Unsaved changes") say("", "");
  }
  async function load(ask) {
    if (ask && saved !== null && editor.value !== saved && !confirm("Discard your changes?")) return;
    try {
      saved = await api("api/config");
      editor.value = saved;
      say(ask ? "Reloaded from disk." : "", ask ? "ok" : "");
    } catch (e) {
      say("Cannot read the config: " + e.message, "err");
    }
  }
  async function save(andReload) {
    const text = editor.value;
    if (text.trim() === "") { say("The configuration cannot be empty.", "err"); return; }
    for (const b of [revert, saveBtn, apply]) b.disabled = true;
    try {
      await api("api/config", { method: "PUT", body: text, headers: { "content-type": "text/plain" } });
      saved = text;
      if (andReload) {
        try {
          await api("api/reload");
        } catch (e) {
          say("Saved, but reload failed: " + e.message, "err");
          return;
        }
        say("Saved and reloaded.", "ok");
      } else {
        say("Saved. Reload to apply.", "ok");
      }
    } catch (e) {
      say("Save failed: " + e.message, "err");
    } finally {
      for (const b of [revert, saveBtn, apply]) b.disabled = false;
    }
  }
  dirty = () => saved !== null && editor.value !== saved;
  let loaded = false;
  async function refresh() {
    if (!loaded) { loaded = true; await load(false); }
  }
  return { el, refresh, title: "Configuration" };
}

let current = null;
let dirty = () => false;
addEventListener("beforeunload", (ev) => { if (dirty()) ev.preventDefault(); });
function route() {
  dirty = () => false;
  const cfg = location.hash.replace(/^#/, "").startsWith("/config");
  current = cfg ? configView() : statusView();
  for (const a of document.querySelectorAll("#nav a")) {
    a.classList.toggle("active", a.dataset.nav === (cfg ? "config" : "status"));
  }
  document.title = current.title + " · frpc";
  $("view").replaceChildren(current.el);
  run(true);
}
const run = refresher(() => current.refresh(), REFRESH_MS);
addEventListener("hashchange", route);
route();
`;

/** Files under `/static/`. */
export const FRPC_ASSETS: AssetMap = {
  "index.html": { contentType: "text/html; charset=utf-8", body: INDEX_HTML },
  "app.js": { contentType: "text/javascript; charset=utf-8", body: APP_JS },
  "common.js": { contentType: "text/javascript; charset=utf-8", body: COMMON_JS },
  "style.css": { contentType: "text/css; charset=utf-8", body: STYLE_CSS },
};
