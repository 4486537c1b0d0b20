/**
 * The frps dashboard served under `/static/`: overview, proxies by type, per-proxy traffic
 * (7-day inline-SVG chart), clients; auto-refresh every 5 s. Plain HTML/CSS and one vanilla ES
 * module over the JSON API of server/api (docs/api.md). Everything user-controlled (proxy
 * names, metadata, hostnames) enters the DOM as text nodes only.
 *
 * `index.html` has a `{{started}}` placeholder: the server's start time (unix seconds), used
 * for the uptime card.
 *
 * @module
 */
import { COMMON_JS, STYLE_CSS } from "../common.ts";
import type { AssetMap } from "../serve.ts";
import { INSPECT_CSS, INSPECT_JS } from "./inspect.ts";

const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="frps-started" content="{{started}}">
<title>frps dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="style.css">
<script type="module" src="app.js"></script>
</head>
<body>
<header class="topbar"><div class="topbar-in">
  <a class="brand" href="#/"><span class="logo">frp</span><span>frps</span><span class="version" id="version"></span></a>
  <nav class="tabs" id="nav">
    <a href="#/" data-nav="overview">Overview</a>
    <a href="#/proxies" data-nav="proxies">Proxies</a>
    <a href="#/clients" data-nav="clients">Clients</a>
    <a href="#/inspect" data-nav="inspect">Inspector</a>
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
  <noscript>This dashboard needs JavaScript.</noscript>
</main>
</body>
</html>
`;

const APP_JS = String.raw`
import {
  $, api, ago, badge, bytes, card, datetime, duration, facts, h, kv, notify, num, refresher, stat,
  table, trafficChart, trafficDays,
} from "./common.js";
import { inspectorList, inspectorView } from "./inspect.js";

const TYPES = ["tcp", "udp", "http", "https", "tcpmux", "stcp", "sudp", "xtcp"];
const REFRESH_MS = 5000;
const started = Number(document.querySelector('meta[name="frps-started"]').content) || 0;
const ui = { q: "", status: "all", cq: "", cstatus: "all" };
let info = null;

// ------------------------------------------------------------------ data

async function loadInfo() {
  info = await api("api/serverinfo");
  $("version").textContent = "v" + info.version;
  return info;
}

async function allProxies() {
  const items = [];
  for (let page = 1; page < 100; page++) {
    const r = await api("api/v2/proxies?pageSize=200&page=" + page);
    items.push(...r.data.items);
    if (items.length >= r.data.total || r.data.items.length === 0) break;
  }
  return items;
}

const typeOf = (p) => p.spec.type;
const specOf = (p) => p.spec[p.spec.type] || {};
const isOnline = (p) => p.status.phase === "online";
const clientKey = (p) => (p.user ? p.user + "." + p.clientID : p.clientID);
const proxyHref = (name) => "#/proxy/" + encodeURIComponent(name);
const statusBadge = (online) => badge(online ? "online" : "offline", online ? "ok" : "off");

function remoteOf(p) {
  const sp = specOf(p);
  const t = typeOf(p);
  if (t === "tcp" || t === "udp") {
    return sp.remotePort ? h("span", { class: "mono" }, ":" + sp.remotePort) : "—";
  }
  const tags = [];
  for (const d of sp.customDomains || []) tags.push(h("span", { class: "tag" }, d));
  if (sp.subdomain) {
    const host = info && info.subdomainHost ? sp.subdomain + "." + info.subdomainHost : sp.subdomain;
    tags.push(h("span", { class: "tag" }, host));
  }
  if (tags.length) return tags;
  if (t === "stcp" || t === "sudp" || t === "xtcp") return h("span", { class: "muted" }, "visitors only");
  return "—";
}

function matches(q, values) {
  if (!q) return true;
  q = q.toLowerCase();
  return values.some((v) => v !== undefined && v !== null && String(v).toLowerCase().includes(q));
}

function sinceCell(p) {
  const st = p.status;
  const t = isOnline(p) ? st.lastStartAt : (st.lastCloseAt || st.lastStartAt);
  return h("span", { title: datetime(t) }, ago(t));
}

// ------------------------------------------------------------------ views

function pageHead(title, sub, extra) {
  return h("div", { class: "page-head" }, h("h1", null, title),
    sub ? h("span", { class: "sub" }, sub) : null, extra || null);
}

function overview() {
  const stats = h("div", { class: "grid stats" });
  const types = h("div", { class: "bars" });
  const top = h("div");
  const server = h("div");
  const el = h("div", null,
    pageHead("Overview"),
    stats,
    h("div", { class: "grid cols-2" },
      card("Proxies by type", types, {
        hint: "online / total",
        actions: h("div", { class: "legend" },
          h("span", null, h("i", { class: "sw on" }), "online"),
          h("span", null, h("i", { class: "sw off" }), "offline")),
      }),
      card("Top proxies today", top, { hint: "traffic in + out" })),
    card("Server", server, { hint: "configuration" }));

  async function refresh() {
    const [si, proxies, clients] = await Promise.all([loadInfo(), allProxies(), api("api/clients")]);
    const online = proxies.filter(isOnline).length;
    const now = Date.now() / 1000;
    stats.replaceChildren(
      stat("Clients online", num(si.clientCounts), num(clients.length) + " known", "st-clients"),
      stat("Proxies online", num(online), num(proxies.length - online) + " offline", "st-proxies"),
      stat("Connections", num(si.curConns), "open right now", "st-conns"),
      stat("Traffic in", bytes(si.totalTrafficIn), "today", "st-in"),
      stat("Traffic out", bytes(si.totalTrafficOut), "today", "st-out"),
      stat("Uptime", started ? duration(now - started) : "—",
        started ? "since " + datetime(started) : "", "st-uptime"),
    );

    const counts = TYPES.map((t) => {
      const of = proxies.filter((p) => typeOf(p) === t);
      return { t, total: of.length, online: of.filter(isOnline).length };
    }).filter((c) => c.total > 0);
    const maxTotal = Math.max(1, ...counts.map((c) => c.total));
    types.replaceChildren(...(counts.length === 0
      ? [h("div", { class: "empty" }, "No proxies registered yet.")]
      : counts.map((c) =>
        h("a", { class: "bar-row", href: "#/proxies/" + c.t, title: c.t + " proxies" },
          h("span", { class: "type" }, c.t),
          h("span", { class: "track" },
            h("span", { class: "fill", style: { width: (100 * c.online / maxTotal) + "%" } }),
            h("span", { class: "fill off", style: { width: (100 * (c.total - c.online) / maxTotal) + "%" } })),
          h("span", { class: "n" }, c.online + " / " + c.total))
      )));

    const busiest = proxies
      .map((p) => ({ p, i: p.status.todayTrafficIn, o: p.status.todayTrafficOut }))
      .filter((x) => x.i + x.o > 0)
      .sort((a, b) => (b.i + b.o) - (a.i + a.o))
      .slice(0, 6);
    const maxT = Math.max(1, ...busiest.map((x) => x.i + x.o));
    top.replaceChildren(...(busiest.length === 0
      ? [h("div", { class: "empty" }, "No traffic yet today.")]
      : busiest.map((x) =>
        h("div", { class: "top-row" },
          h("a", { class: "name", href: proxyHref(x.p.name) }, x.p.name),
          h("span", { class: "amt" }, "in " + bytes(x.i) + " · out " + bytes(x.o)),
          h("span", { class: "track" },
            h("span", { class: "fill in", style: { width: (100 * x.i / maxT) + "%" } }),
            h("span", { class: "fill out", style: { width: (100 * x.o / maxT) + "%" } })))
      )));

    const port = (n) => (n > 0 ? String(n) : "disabled");
    server.replaceChildren(facts([
      ["Version", si.version],
      ["Bind port", String(si.bindPort)],
      ["HTTP vhost port", port(si.vhostHTTPPort)],
      ["HTTPS vhost port", port(si.vhostHTTPSPort)],
      ["TCPMux (HTTP CONNECT)", port(si.tcpmuxHTTPConnectPort)],
      ["KCP bind port", port(si.kcpBindPort)],
      ["QUIC bind port", port(si.quicBindPort)],
      ["Subdomain host", si.subdomainHost || "—"],
      ["Allowed ports", si.allowPortsStr || "any"],
      ["Max ports per client", si.maxPortsPerClient > 0 ? String(si.maxPortsPerClient) : "unlimited"],
      ["Max pool count", String(si.maxPoolCount)],
      ["Heartbeat timeout", si.heartbeatTimeout > 0 ? si.heartbeatTimeout + " s" : "disabled"],
      ["TLS required", si.tlsForce ? "yes" : "no"],
    ]));
  }
  return { el, refresh, title: "Overview" };
}

function proxiesView(type, client) {
  let data = [];
  const seg = h("div", { class: "seg", id: "type-tabs" });
  const search = h("input", {
    type: "search", placeholder: "Search name, client, domain, port…", value: ui.q,
    "aria-label": "Search proxies",
    oninput: () => { ui.q = search.value; draw(); },
  });
  const status = h("select", {
    "aria-label": "Status",
    onchange: () => { ui.status = status.value; draw(); },
  }, [["all", "All statuses"], ["online", "Online"], ["offline", "Offline"]].map(([v, l]) =>
    h("option", { value: v, selected: ui.status === v }, l)));
  const clear = h("button", { class: "danger", id: "clear-offline", onclick: clearOffline },
    "Clear offline");
  const body = h("div", { id: "proxy-table" });
  const chip = client
    ? h("span", { class: "tag" }, "client " + client + " ",
      h("a", { href: "#/proxies" + (type ? "/" + type : ""), title: "Show all clients" }, "×"))
    : null;
  const el = h("div", null,
    pageHead("Proxies", null, chip),
    h("section", { class: "card" },
      h("div", { class: "toolbar" }, seg, h("span", { class: "spacer" }), search, status, clear),
      body));

  async function clearOffline() {
    const n = data.filter((p) => !isOnline(p)).length;
    if (n === 0) { notify("There are no offline proxies to clear.", true); return; }
    if (!confirm("Remove " + n + " offline prox" + (n === 1 ? "y" : "ies") + " from the statistics?")) return;
    clear.disabled = true;
    try {
      await api("api/proxies?status=offline", { method: "DELETE" });
      notify("Cleared " + n + " offline prox" + (n === 1 ? "y" : "ies") + ".", true);
      await refresh();
    } catch (e) {
      notify("Clearing failed: " + e.message, false);
    } finally {
      clear.disabled = false;
    }
  }

  function draw() {
    const scoped = client ? data.filter((p) => clientKey(p) === client) : data;
    const present = TYPES.filter((t) => t === type || scoped.some((p) => typeOf(p) === t));
    const suffix = client ? "?client=" + encodeURIComponent(client) : "";
    seg.replaceChildren(
      h("a", { href: "#/proxies" + suffix, class: type ? null : "active" }, "All",
        h("span", { class: "count" }, scoped.length)),
      ...present.map((t) =>
        h("a", { href: "#/proxies/" + t + suffix, class: t === type ? "active" : null, "data-type": t },
          t.toUpperCase(),
          h("span", { class: "count" }, scoped.filter((p) => typeOf(p) === t).length))
      ),
    );
    const rows = scoped.filter((p) => (!type || typeOf(p) === type) &&
      (ui.status === "all" || (ui.status === "online") === isOnline(p)) &&
      matches(ui.q, [p.name, typeOf(p), clientKey(p), p.user, specOf(p).remotePort,
        ...(specOf(p).customDomains || []), specOf(p).subdomain]));
    const cols = [
      {
        title: "Name", cls: "name",
        render: (p) => h("a", { href: proxyHref(p.name), class: "proxy-link" }, p.name),
      },
      !type && { title: "Type", render: (p) => h("span", { class: "type" }, typeOf(p)) },
      { title: "Status", render: (p) => statusBadge(isOnline(p)) },
      { title: "Client", render: (p) => h("span", { class: "mono" }, clientKey(p) || "—") },
      { title: "Remote", render: remoteOf },
      { title: "Conns", cls: "num", render: (p) => num(p.status.curConns) },
      { title: "In today", cls: "num", render: (p) => bytes(p.status.todayTrafficIn) },
      { title: "Out today", cls: "num", render: (p) => bytes(p.status.todayTrafficOut) },
      { title: "Since", cls: "hide-sm nowrap", render: sinceCell },
    ].filter(Boolean);
    body.replaceChildren(table(cols, rows, {
      href: (p) => proxyHref(p.name),
      empty: data.length === 0 ? "No proxies registered yet." : "No proxy matches the filter.",
    }));
  }

  async function refresh() {
    const [, items] = await Promise.all([loadInfo(), allProxies()]);
    items.sort((a, b) => (typeOf(a) < typeOf(b) ? -1 : typeOf(a) > typeOf(b) ? 1 : a.name < b.name ? -1 : 1));
    data = items;
    draw();
  }
  return { el, refresh, title: "Proxies" };
}

function proxyView(name) {
  const enc = encodeURIComponent(name);
  const crumbs = h("div", { class: "crumbs" }, h("a", { href: "#/proxies" }, "Proxies"));
  const head = h("div", { class: "page-head" }, h("h1", { id: "proxy-name" }, name));
  const stats = h("div", { class: "grid stats" });
  const chart = h("div", { id: "traffic-chart" });
  const perDayTable = h("div");
  const perDay = h("details", null, h("summary", null, "Daily numbers"), perDayTable);
  const details = h("div");
  const meta = h("div");
  const legend = h("div", { class: "legend" },
    h("span", null, h("i", { class: "sw in" }), "Traffic in"),
    h("span", null, h("i", { class: "sw out" }), "Traffic out"));
  const el = h("div", null, crumbs, head, stats,
    h("div", { class: "grid", style: { marginBottom: "16px" } },
      card("Traffic, last 7 days", [chart, perDay], { actions: legend })),
    h("div", { class: "grid cols-2" }, card("Details", details), card("Metadata & annotations", meta)));

  async function refresh() {
    let p, tr;
    try {
      [, p, tr] = await Promise.all([
        loadInfo(), api("api/v2/proxies/" + enc), api("api/traffic/" + enc),
      ]);
    } catch (e) {
      if (e.status !== 404) throw e;
      el.replaceChildren(crumbs, h("div", { class: "card empty" },
        "Proxy ", h("strong", null, name), " is not known to this server (it may have been cleared).",
        h("div", { style: { marginTop: "10px" } }, h("a", { href: "#/proxies" }, "Back to proxies"))));
      return;
    }
    p = p.data;
    const t = typeOf(p), sp = specOf(p), on = isOnline(p);
    crumbs.replaceChildren(h("a", { href: "#/proxies" }, "Proxies"), " / ",
      h("a", { href: "#/proxies/" + t }, t.toUpperCase()), " / ", name);
    head.replaceChildren(h("h1", { id: "proxy-name" }, name), h("span", { class: "type" }, t),
      statusBadge(on));
    const days = trafficDays(tr.trafficIn, tr.trafficOut);
    const sum = (k) => days.reduce((a, d) => a + d[k], 0);
    stats.replaceChildren(
      stat("Connections", num(p.status.curConns), "open right now"),
      stat("In today", bytes(p.status.todayTrafficIn), "from visitors"),
      stat("Out today", bytes(p.status.todayTrafficOut), "to visitors"),
      stat("Last 7 days", bytes(sum("in") + sum("out")),
        "in " + bytes(sum("in")) + " · out " + bytes(sum("out"))),
    );
    chart.replaceChildren(trafficChart(days, chart.clientWidth));
    perDayTable.replaceChildren(table([
      { title: "Date", render: (d) => d.date },
      { title: "In", cls: "num", render: (d) => bytes(d.in) },
      { title: "Out", cls: "num", render: (d) => bytes(d.out) },
    ], days.slice().reverse()));
    const tp = sp.transport || {};
    const yes = (b) => (b ? "yes" : "no");
    const client = clientKey(p);
    details.replaceChildren(kv([
      ["Client", client ? h("a", { href: "#/proxies?client=" + encodeURIComponent(client) }, client) : "—"],
      ["User", p.user || "—"],
      ["Type", t],
      sp.remotePort !== undefined && ["Remote port", String(sp.remotePort)],
      sp.customDomains && ["Custom domains", sp.customDomains.map((d) => h("span", { class: "tag" }, d))],
      sp.subdomain && ["Subdomain", remoteOf({ spec: { type: t, [t]: { subdomain: sp.subdomain } } })],
      sp.locations && ["Locations", sp.locations.map((d) => h("span", { class: "tag" }, d))],
      sp.hostHeaderRewrite && ["Host header rewrite", sp.hostHeaderRewrite],
      sp.multiplexer && ["Multiplexer", sp.multiplexer],
      sp.routeByHTTPUser && ["Route by HTTP user", sp.routeByHTTPUser],
      t === "http" && ["Requests", h("a", { href: "#/inspect/" + enc, id: "inspect-link" }, "Open in the inspector")],
      on && ["Encryption", yes(tp.useEncryption)],
      on && ["Compression", yes(tp.useCompression)],
      on && ["Bandwidth limit", tp.bandwidthLimit ? tp.bandwidthLimit + " (" + tp.bandwidthLimitMode + ")" : "none"],
      sp.loadBalancer && sp.loadBalancer.group && ["Group", sp.loadBalancer.group],
      ["Last started", p.status.lastStartAt ? datetime(p.status.lastStartAt) + " (" + ago(p.status.lastStartAt) + ")" : "—"],
      ["Last closed", p.status.lastCloseAt ? datetime(p.status.lastCloseAt) + " (" + ago(p.status.lastCloseAt) + ")" : "—"],
    ]));
    const pairs = (o) => Object.keys(o || {}).sort().map((k) => [k, o[k]]);
    const m = pairs(sp.metadatas), a = pairs(sp.annotations);
    meta.replaceChildren(
      ...(m.length + a.length === 0
        ? [
          h(
            "div",
            { class: "muted" },
            on ? "No metadata or annotations." : "Shown while the proxy is online.",
          ),
        ]
        : [
          m.length ? h("div", { class: "kv-title" }, "Metadata") : null,
          m.length ? kv(m) : null,
          a.length ? h("div", { class: "kv-title" }, "Annotations") : null,
          a.length ? kv(a) : null,
        ].filter(Boolean)),
    );
  }
  return { el, refresh, title: name };
}

function clientsView() {
  let data = [], proxies = [];
  const search = h("input", {
    type: "search", placeholder: "Search client, hostname, address…", value: ui.cq,
    "aria-label": "Search clients",
    oninput: () => { ui.cq = search.value; draw(); },
  });
  const status = h("select", {
    "aria-label": "Status",
    onchange: () => { ui.cstatus = status.value; draw(); },
  }, [["all", "All statuses"], ["online", "Online"], ["offline", "Offline"]].map(([v, l]) =>
    h("option", { value: v, selected: ui.cstatus === v }, l)));
  const summary = h("span", { class: "sub" });
  const body = h("div", { id: "client-table" });
  const el = h("div", null, pageHead("Clients", null, summary),
    h("section", { class: "card" },
      h("div", { class: "toolbar" }, h("span", { class: "spacer" }), search, status), body));

  function draw() {
    const online = data.filter((c) => c.online).length;
    summary.textContent = online + " online · " + (data.length - online) + " offline";
    const rows = data.filter((c) => (ui.cstatus === "all" || (ui.cstatus === "online") === c.online) &&
      matches(ui.cq, [c.key, c.user, c.clientID, c.runID, c.hostname, c.clientIP, c.version, c.os, c.arch]));
    const platform = data.some((c) => c.os || c.arch);
    const count = (c) => proxies.filter((p) => clientKey(p) === c.key).length;
    const cols = [
      {
        title: "Client", cls: "name",
        render: (c) => [c.key, c.user ? h("span", { class: "sub" }, "user " + c.user) : null],
      },
      { title: "Status", render: (c) => statusBadge(c.online) },
      { title: "Hostname", render: (c) => c.hostname || "—" },
      platform && { title: "OS / Arch", render: (c) => [c.os, c.arch].filter(Boolean).join(" / ") || "—" },
      { title: "Version", render: (c) => c.version || "—" },
      { title: "Address", cls: "hide-sm", render: (c) => h("span", { class: "mono" }, c.clientIP || "—") },
      {
        title: "Proxies", cls: "num",
        render: (c) => h("a", { href: "#/proxies?client=" + encodeURIComponent(c.key) }, String(count(c))),
      },
      {
        title: "Last connected",
        render: (c) => [
          h("span", { title: datetime(c.lastConnectedAt) }, ago(c.lastConnectedAt)),
          !c.online && c.disconnectedAt
            ? h("span", { class: "sub" }, "disconnected " + ago(c.disconnectedAt))
            : null,
        ],
      },
      { title: "First seen", cls: "hide-sm", render: (c) => datetime(c.firstConnectedAt) },
    ].filter(Boolean);
    body.replaceChildren(table(cols, rows, {
      href: (c) => "#/proxies?client=" + encodeURIComponent(c.key),
      empty: data.length === 0 ? "No client has connected yet." : "No client matches the filter.",
    }));
  }

  async function refresh() {
    [, data, proxies] = await Promise.all([loadInfo(), api("api/clients"), allProxies()]);
    data.sort((a, b) => (b.online - a.online) || (a.key < b.key ? -1 : 1));
    draw();
  }
  return { el, refresh, title: "Clients" };
}

// ------------------------------------------------------------------ router

let current = null;

function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const i = raw.indexOf("?");
  const path = i < 0 ? raw : raw.slice(0, i);
  const query = new URLSearchParams(i < 0 ? "" : raw.slice(i + 1));
  const parts = path.split("/").filter(Boolean).map((x) => {
    try { return decodeURIComponent(x); } catch (_) { return x; }
  });
  return { parts, query };
}

function route() {
  const { parts, query } = parseHash();
  let nav = "overview";
  if (parts[0] === "proxies") {
    const type = TYPES.includes(parts[1]) ? parts[1] : "";
    current = proxiesView(type, query.get("client") || "");
    nav = "proxies";
  } else if (parts[0] === "proxy" && parts[1]) {
    current = proxyView(parts[1]);
    nav = "proxies";
  } else if (parts[0] === "inspect") {
    current = parts[1] ? inspectorView(parts[1]) : inspectorList();
    nav = "inspect";
  } else if (parts[0] === "clients") {
    current = clientsView();
    nav = "clients";
  } else {
    current = overview();
  }
  for (const a of document.querySelectorAll("#nav a")) {
    a.classList.toggle("active", a.dataset.nav === nav);
  }
  document.title = current.title + " · frps";
  $("view").replaceChildren(current.el);
  run(true);
}

const run = refresher(() => current.refresh(), REFRESH_MS);
addEventListener("hashchange", route);
route();
`;

/** Files under `/static/`. */
export const FRPS_ASSETS: AssetMap = {
  "index.html": { contentType: "text/html; charset=utf-8", body: INDEX_HTML },
  "app.js": { contentType: "text/javascript; charset=utf-8", body: APP_JS },
  "common.js": { contentType: "text/javascript; charset=utf-8", body: COMMON_JS },
  "style.css": { contentType: "text/css; charset=utf-8", body: STYLE_CSS + INSPECT_CSS },
  "inspect.js": { contentType: "text/javascript; charset=utf-8", body: INSPECT_JS },
};
