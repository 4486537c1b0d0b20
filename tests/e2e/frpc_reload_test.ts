/**
 * `frpc reload` of visitors, and what the reload refuses, as Go frpc v0.70.1 (client/visitor/
 * visitor_manager.go UpdateAll, client/config_manager.go ReloadFromFile). A visitor frpc (ours,
 * then Go's) reaches stcp/sudp proxies of a second frpc through our frps; reloads then
 * change (same bindPort, another server name), remove and add visitors — each change serves (or
 * is closed) within 2 s, with no bind error; an xtcp visitor with keepTunnelOpen gets its bindPort
 * back (only its listener is checked: punching is xtcp_client_test's) — and change the common
 * section (`user`: ignored, `start`: applied). Then broken files: the API's status and body and `frpc reload`'s output and
 * exit code. Both frpcs' observations must be equal.
 */
import { assert, assertEquals } from "../_helpers/assert.ts";
import { freePorts, freeUdpPort } from "../_helpers/ports.ts";
import { hasGoFrp, type Impl, runToEnd, startFrpc, startFrps } from "../_helpers/proc.ts";
import { startNamers, tcpText, udpText } from "../_helpers/namers.ts";
import { toToml } from "../_helpers/toml.ts";

const TOKEN = "frpc-reload-token";
const SK = "frpc-reload-sk";
const BACK_WITHIN_MS = 2000;

/** True once nothing listens on the TCP port (connection refused). */
async function tcpClosed(port: number): Promise<boolean> {
  try {
    const c = await Deno.connect({ hostname: "127.0.0.1", port });
    c.close();
    return false;
  } catch {
    return true;
  }
}

/** Polls every probe until it answers what `want` says; the probes still wrong at the end. */
async function waitAll(
  probes: Record<string, () => Promise<string>>,
  want: Record<string, string>,
): Promise<Record<string, string>> {
  const end = Date.now() + BACK_WITHIN_MS;
  const wrong: Record<string, string> = {};
  await Promise.all(
    Object.entries(want).map(async ([k, w]) => {
      for (;;) {
        const got = await probes[k]().catch(() => "");
        if (got === w) return;
        if (Date.now() > end) {
          wrong[k] = got;
          return;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }),
  );
  return wrong;
}

const results: Partial<Record<Impl, Record<string, unknown>>> = {};

async function scenario(impl: Impl): Promise<Record<string, unknown>> {
  await using a = startNamers("A");
  await using b = startNamers("B");
  await Promise.all([a.ready, b.ready]);
  const [bind, admin, p1, p2, p3, p4, p5] = freePorts(7);
  const u1 = await freeUdpPort();
  await using frps = await startFrps({
    impl: "ts",
    config: { bindAddr: "127.0.0.1", bindPort: bind, auth: { token: TOKEN } },
  });
  const common = { serverAddr: "127.0.0.1", serverPort: bind, auth: { token: TOKEN } };
  const la = a.ports();
  const lb = b.ports();
  const secret = { secretKey: SK, localIP: "127.0.0.1" };
  await using server = await startFrpc({
    impl: "ts",
    label: "proxy frpc",
    config: {
      ...common,
      proxies: [
        { name: "s1", type: "stcp", localPort: la.tcp, ...secret },
        { name: "s2", type: "stcp", localPort: lb.tcp, ...secret },
        { name: "u1", type: "sudp", localPort: la.udp, ...secret },
        { name: "u2", type: "sudp", localPort: lb.udp, ...secret },
      ],
    },
    waitFor: /\[u2\] start proxy success/,
  });
  const stcp = (name: string, serverName: string, bindPort: number) => ({
    name,
    type: "stcp",
    serverName,
    secretKey: SK,
    bindAddr: "127.0.0.1",
    bindPort,
  });
  const sudp = (name: string, serverName: string, bindPort: number) => ({
    ...stcp(name, serverName, bindPort),
    type: "sudp",
  });
  const xtcp = (serverName: string) => ({
    ...stcp("vx", serverName, p5),
    type: "xtcp",
    keepTunnelOpen: true,
  });
  const visitorConfig = (extra: Record<string, unknown>, visitors: unknown[]) =>
    toToml({
      ...common,
      natHoleStunServer: "127.0.0.1:1", // nothing answers: no punching, no lookups
      webServer: { addr: "127.0.0.1", port: admin },
      ...extra,
      visitors,
    });
  await using vis = await startFrpc({
    impl,
    label: `${impl} visitor frpc`,
    config: visitorConfig({}, [
      stcp("vs", "s1", p1),
      stcp("vr", "s1", p2),
      sudp("vu", "u1", u1),
      xtcp("x1"),
    ]),
    waitFor: /visitor added/,
  });
  const procs = [frps, server, vis];
  const fail = (msg: string): never => {
    throw new Error(`${msg}\n${procs.map((x) => x.output()).join("\n")}`);
  };
  const tcp = (port: number) => async () => (await tcpText(port)).trim();
  const probes: Record<string, () => Promise<string>> = {
    vs: tcp(p1),
    vr: async () => (await tcpClosed(p2)) ? "closed" : "open",
    vx: async () => (await tcpClosed(p5)) ? "closed" : "open",
    vu: () => udpText(u1),
    va: tcp(p3),
    vb: tcp(p4),
  };
  const out: Record<string, unknown> = {};
  const check = async (step: string, want: Record<string, string>) => {
    const wrong = await waitAll(probes, want);
    out[step] = wrong;
    if (Object.keys(wrong).length > 0) fail(`${step}: wrong answers ${JSON.stringify(wrong)}`);
  };
  const reload = async (query = "") => {
    const res = await fetch(`http://127.0.0.1:${admin}/api/reload${query}`);
    return { status: res.status, body: await res.text() };
  };
  await check("before reload", { vs: "A", vr: "open", vu: "A", vx: "open" });

  // Changed (same bindPort, another proxy), removed, added.
  await Deno.writeTextFile(
    vis.configPath,
    visitorConfig({}, [
      stcp("vs", "s2", p1),
      sudp("vu", "u2", u1),
      stcp("va", "s1", p3),
      xtcp("x2"),
    ]),
  );
  out["reload 1"] = await reload();
  await check("after reload 1", { vs: "B", vu: "B", va: "A", vr: "closed", vx: "open" });
  // Go lists them in map order.
  const removed = vis.lines.map((l) => /visitor removed: \[(.*)\]/.exec(l)?.[1]).filter((x) => x);
  out["removed by reload 1"] = removed.map((x) => x!.split(" ").sort().join(" "));
  assertEquals(out["removed by reload 1"], ["vr vs vu vx"], "visitor removed: line");

  // The common section: `user` is not applied (the new visitor still finds `s1` without a
  // user prefix), `start` is: vu is dropped.
  await Deno.writeTextFile(
    vis.configPath,
    visitorConfig({ user: "zz", start: ["vs", "va", "vb"] }, [
      xtcp("x2"),
      stcp("vs", "s2", p1),
      sudp("vu", "u2", u1),
      stcp("va", "s1", p3),
      stcp("vb", "s1", p4),
    ]),
  );
  out["reload 2"] = await reload();
  await check("after reload 2", { vs: "B", va: "A", vb: "A", vu: "", vx: "closed" });
  const bindErrors = vis.lines.filter((l) => /start error|in use|bind/i.test(l));
  if (bindErrors.length > 0) fail(`bind errors after reload:\n${bindErrors.join("\n")}`);

  // Refused reloads: answers, and `frpc reload`'s output; the running visitors stay.
  const good = await Deno.readTextFile(vis.configPath);
  const broken: Record<string, string> = {
    "validation": visitorConfig({}, [{ name: "bad", type: "stcp", bindPort: p2 }]),
    "duplicate": visitorConfig({}, [stcp("vs", "s2", p1), stcp("vs", "s1", p2)]),
    "unknown field": good + "\nnoSuchField = 1\n",
    "syntax": good + "\n[[visitors]\n",
    // Accepted by Go too (no range check on remotePort at reload): both answer 200.
    "remotePort 70000": good +
      `\n[[proxies]]\nname = "p"\ntype = "tcp"\nlocalPort = 1\nremotePort = 70000\n`,
  };
  // The TOML parsers' own wording after `line L, column C:` differs (documented).
  const cut = (name: string, s: string) =>
    name === "syntax" ? s.replace(/(column \d+:).*/, "$1") : s;
  for (const [name, text] of Object.entries(broken)) {
    await Deno.writeTextFile(vis.configPath, text);
    const api = await reload("?strictConfig=true");
    out[`${name}: GET /api/reload?strictConfig=true`] = { ...api, body: cut(name, api.body) };
    const cli = await runToEnd(impl, "frpc", ["reload", "-c", vis.configPath]);
    out[`${name}: frpc reload -c`] = { code: cli.code, out: cut(name, cli.out) };
  }
  // Not strict: the unknown field is ignored, the reload applies (nothing changed).
  await Deno.writeTextFile(vis.configPath, broken["unknown field"]);
  out["unknown field: GET /api/reload"] = await reload();
  const relaxed = await runToEnd(impl, "frpc", [
    "reload",
    "--strict_config=false",
    "-c",
    vis.configPath,
  ]);
  out["unknown field: frpc reload --strict_config=false -c"] = {
    code: relaxed.code,
    out: relaxed.out,
  };
  await check("after refused reloads", { vs: "B", va: "A", vb: "A" });
  await Deno.writeTextFile(vis.configPath, good);
  const cli = await runToEnd(impl, "frpc", ["reload", "-c", vis.configPath]);
  out["frpc reload -c"] = { code: cli.code, out: cli.out };
  return out;
}

for (const impl of ["ts", "go"] as const) {
  Deno.test({
    name: `frpc reload [${impl} frpc → ts frps] visitors changed, removed, added; refused files`,
    ignore: impl === "go" && !hasGoFrp(),
    async fn() {
      const out = await scenario(impl);
      results[impl] = out;
      assertEquals(out["reload 1"], { status: 200, body: "" }, "reload 1");
      assertEquals(out["frpc reload -c"], { code: 0, out: "reload success\n" }, "frpc reload");
      assertEquals(
        out["unknown field: frpc reload --strict_config=false -c"],
        { code: 0, out: "reload success\n" },
        "frpc reload --strict_config=false",
      );
      const other = results[impl === "go" ? "ts" : "go"];
      if (!other) return;
      const diffs = Object.keys(out).filter((k) =>
        JSON.stringify(out[k]) !== JSON.stringify(other[k])
      ).map((k) =>
        `${k}\n    ${impl}: ${JSON.stringify(out[k])}\n    other: ${JSON.stringify(other[k])}`
      );
      assert(diffs.length === 0, `ours and Go frpc differ:\n  ${diffs.join("\n  ")}`);
    },
  });
}
