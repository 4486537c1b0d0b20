/**
 * The request inspector pages of the frps dashboard (beyond frp; docs/beyond-frp.md): `#/inspect`
 * lists the http proxies with their capture switch, `#/inspect/{name}` the recent requests of
 * one proxy with a detail panel (headers, body previews) and replay. Served as `inspect.js`
 * next to `app.js`; user-controlled data (paths, headers, bodies) enters the DOM as text only.
 *
 * @module
 */

export const INSPECT_CSS = String.raw`
tbody tr.sel td { background: var(--accent-soft); }
.insp-grid { display: grid; gap: 16px; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); align-items: start; }
@media (max-width: 900px) { .insp-grid { grid-template-columns: minmax(0, 1fr); } }
pre.body { margin: 0; padding: 10px 12px; background: var(--surface-2); border-radius: 6px; font-size: 12px;
  white-space: pre-wrap; overflow-wrap: anywhere; max-height: 320px; overflow: auto; }
.insp-h { font-weight: 600; margin: 14px 0 6px; }
.insp-switch { display: inline-flex; gap: 6px; align-items: center; }
`;

export const INSPECT_JS = String.raw`
import { api, badge, bytes, card, h, kv, notify } from "./common.js";

const enc = (s) => encodeURIComponent(s);
const href = (name) => "#/inspect/" + enc(name);
const DISABLED = "The request inspector is disabled. Enable it in frps.toml with [inspector] enable = true.";

function head(title, extra) {
  return h("div", { class: "page-head" }, h("h1", null, title), extra || null);
}

async function orDisabled(el, f) {
  try {
    return await f();
  } catch (e) {
    if (e.status === 404 && /disabled/.test(e.message)) {
      el.replaceChildren(head("Inspector"), h("div", { class: "card empty", id: "insp-disabled" }, DISABLED));
      return undefined;
    }
    throw e;
  }
}

/** #/inspect: http proxies and their capture state. */
export function inspectorList() {
  const body = h("div", { id: "insp-proxies" });
  const el = h("div", null, head("Inspector"), card("HTTP proxies", body,
    { hint: "capture recent requests per proxy (memory only)" }));
  async function refresh() {
    const r = await orDisabled(el, () => api("api/inspect"));
    if (!r) return;
    body.replaceChildren(r.proxies.length === 0
      ? h("div", { class: "empty" }, "No http proxy is online.")
      : h("div", { class: "table-wrap" }, h("table", { class: "responsive" },
        h("thead", null, h("tr", null, h("th", null, "Proxy"), h("th", null, "Capture"), h("th", { class: "num" }, "Requests"))),
        h("tbody", null, r.proxies.map((p) =>
          h("tr", { class: "link", onclick: () => { location.hash = href(p.name); } },
            h("td", { "data-label": "Proxy" }, h("a", { href: href(p.name), class: "insp-link" }, p.name)),
            h("td", { "data-label": "Capture" }, badge(p.enabled ? "on" : "off", p.enabled ? "ok" : "off")),
            h("td", { class: "num", "data-label": "Requests" }, String(p.count))))))));
  }
  return { el, refresh, title: "Inspector" };
}

function statusBadge(e) {
  if (e.state === "pending") return badge("pending", "off");
  if (e.state === "error") return badge("error", "err");
  const k = e.status >= 500 ? "err" : e.status >= 400 ? "warn" : "ok";
  return badge(String(e.status) + (e.upgrade ? " " + e.upgrade : ""), k);
}

const time = (ms) => new Date(ms).toLocaleTimeString([], { hour12: false });

function headersTable(list) {
  if (!list.length) return h("div", { class: "muted" }, "none");
  return kv(list.map(([k, v]) => [k, h("span", { class: "mono" }, v)]));
}

function bodyBlock(b) {
  if (b.size === 0) return h("div", { class: "muted" }, "no body");
  const note = bytes(b.size) + (b.truncated ? " · preview of the first " + bytes(b.encoding === "base64" ? atob(b.preview).length : new TextEncoder().encode(b.preview).length) : "") +
    (b.encoding === "base64" ? " · binary (base64)" : "") +
    (b.decodedFrom ? " · " + b.decodedFrom + ", shown inflated" : "");
  return [h("div", { class: "muted" }, note), h("pre", { class: "body" }, b.preview)];
}

/** #/inspect/{name}: the recorded requests of one proxy. */
export function inspectorView(name) {
  const n = enc(name);
  let selected = 0;
  let data = null;
  const details = new Map();
  const toggle = h("input", { type: "checkbox", id: "insp-toggle", onchange: () => setCapture(toggle.checked) });
  const clear = h("button", { class: "danger", id: "insp-clear", onclick: clearAll }, "Clear");
  const count = h("span", { class: "hint", id: "insp-count" });
  const list = h("div", { id: "insp-table" });
  const detail = h("div", { id: "insp-detail" }, h("div", { class: "muted" }, "Select a request."));
  const el = h("div", null,
    h("div", { class: "crumbs" }, h("a", { href: "#/inspect" }, "Inspector"), " / ", name),
    head(name, h("label", { class: "insp-switch" }, toggle, "Capture")),
    h("div", { class: "insp-grid" },
      card("Requests", list, { actions: [count, " ", clear], raw: false }),
      card("Request", detail, { id: "insp-detail-card" })));

  async function setCapture(on) {
    try {
      await api("api/inspect/" + n, { method: "PUT", body: JSON.stringify({ enable: on }) });
      notify("Capture " + (on ? "enabled" : "disabled") + " for " + name + ".", true);
    } catch (e) {
      notify("Could not change capture: " + e.message, false);
    }
    await refresh();
  }

  async function clearAll() {
    try {
      await api("api/inspect/" + n + "/requests", { method: "DELETE" });
      selected = 0;
      details.clear();
      detail.replaceChildren(h("div", { class: "muted" }, "Select a request."));
    } catch (e) {
      notify("Clearing failed: " + e.message, false);
    }
    await refresh();
  }

  async function replay(id) {
    const btn = $replay();
    if (btn) btn.disabled = true;
    try {
      const e = await api("api/inspect/" + n + "/requests/" + id + "/replay", { method: "POST" });
      details.set(e.id, e);
      selected = e.id;
      notify("Replayed request " + id + " as " + e.id + " (" + (e.status || e.error) + ").", true);
    } catch (e) {
      notify("Replay failed: " + e.message, false);
    } finally {
      if (btn) btn.disabled = false;
    }
    await refresh();
  }
  const $replay = () => document.getElementById("insp-replay");

  async function select(id) {
    selected = id;
    draw();
    await showDetail();
  }

  async function showDetail() {
    if (!selected) return;
    let d = details.get(selected);
    if (!d || d.state === "pending") {
      try {
        d = await api("api/inspect/" + n + "/requests/" + selected);
      } catch (e) {
        if (e.status !== 404) throw e;
        detail.replaceChildren(h("div", { class: "muted" }, "This request is no longer kept."));
        return;
      }
      details.set(d.id, d);
    }
    detail.replaceChildren(
      h("div", { class: "toolbar", style: { padding: "0 0 10px", border: "0" } },
        h("strong", { class: "mono", id: "insp-detail-line" }, d.method + " " + d.path), h("span", { class: "spacer" }),
        h("button", { id: "insp-replay", onclick: () => replay(d.id), disabled: d.request.body.truncated,
          title: d.request.body.truncated ? "The body is longer than the preview: cannot replay." : "Send this request again" }, "Replay")),
      kv([
        ["Status", statusBadge(d)],
        ["Host", d.host],
        ["From", d.remoteAddr],
        ["Started", new Date(d.startedAt).toLocaleString()],
        ["Duration", d.durationMs === null ? "—" : d.durationMs + " ms"],
        d.replayOf && ["Replay of", "#" + d.replayOf],
        d.error && ["Error", d.error],
      ]),
      h("div", { class: "insp-h" }, "Request headers"), headersTable(d.request.headers),
      h("div", { class: "insp-h" }, "Request body"), h("div", null, bodyBlock(d.request.body)),
      h("div", { class: "insp-h" }, "Response headers"), headersTable(d.response.headers),
      h("div", { class: "insp-h" }, "Response body"), h("div", null, bodyBlock(d.response.body)));
  }

  function draw() {
    toggle.checked = data.enabled;
    count.textContent = data.requests.length + " / " + data.maxRequests + " kept";
    if (data.requests.length === 0) {
      list.replaceChildren(h("div", { class: "empty" }, data.enabled
        ? "No requests yet. Send one to this proxy."
        : "Capture is off for this proxy."));
      return;
    }
    const cols = [
      ["Time", (e) => time(e.startedAt)],
      ["Method", (e) => h("span", { class: "mono" }, e.method)],
      ["Path", (e) => [h("span", { class: "mono" }, e.path), e.replayOf ? h("span", { class: "tag" }, "replay") : null]],
      ["Status", statusBadge],
      ["Duration", (e) => (e.durationMs === null ? "—" : e.durationMs + " ms")],
      ["Req", (e) => bytes(e.requestSize)],
      ["Res", (e) => bytes(e.responseSize)],
    ];
    list.replaceChildren(h("div", { class: "table-wrap" }, h("table", { class: "responsive" },
      h("thead", null, h("tr", null, cols.map(([t]) => h("th", null, t)))),
      h("tbody", null, data.requests.map((e) =>
        h("tr", {
          class: "link" + (e.id === selected ? " sel" : ""), "data-id": e.id,
          onclick: () => select(e.id),
        }, cols.map(([t, f]) => h("td", { "data-label": t }, h("div", { class: "cv" }, f(e))))))))));
  }

  async function refresh() {
    const r = await orDisabled(el, () => api("api/inspect/" + n + "/requests"));
    if (!r) return;
    data = r;
    if (!selected && r.requests.length) selected = r.requests[0].id;
    draw();
    await showDetail();
  }
  return { el, refresh, title: "Inspector · " + name };
}
`;
