/**
 * A one-page dashboard served at `/static/`: lists every proxy with its status and traffic,
 * from the same JSON API (frp ships a full Vue UI; this is the minimal stand-in).
 *
 * @module
 */

/** The page. */
export const DASHBOARD_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>frps dashboard</title>
<style>body{font:14px sans-serif;margin:2em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}</style></head>
<body><h1>frps</h1><p id="info"></p>
<table><thead><tr><th>Name</th><th>Type</th><th>User</th><th>Status</th><th>Conns</th>
<th>Traffic in</th><th>Traffic out</th></tr></thead><tbody id="rows"></tbody></table>
<script>
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => "&#" + c.charCodeAt(0) + ";");
async function load() {
  const info = await (await fetch("../api/serverinfo")).json();
  document.getElementById("info").textContent =
    "version " + info.version + ", clients " + info.clientCounts + ", connections " + info.curConns;
  const res = await (await fetch("../api/v2/proxies?pageSize=200")).json();
  document.getElementById("rows").innerHTML = res.data.items.map((p) =>
    "<tr><td>" + [p.name, p.spec.type, p.user, p.status.phase, p.status.curConns,
      p.status.todayTrafficIn, p.status.todayTrafficOut].map(esc).join("</td><td>") + "</td></tr>"
  ).join("");
}
load();
setInterval(load, 5000);
</script></body></html>
`;
