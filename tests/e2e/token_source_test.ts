/**
 * `auth.tokenSource` (file and exec) end to end: the resolved token logs in to our frps and to Go
 * frps, Go frpc's exec source logs in to our frps, and the exec source is refused unless
 * `--allow-unsafe TokenSourceExec` is given (Go's error text) or Deno's --allow-run is missing
 * (a message naming the flag; the shipped tasks do not grant it). `auth.oidc.tokenSource` exec
 * logs in to our OIDC frps (ours and Go frpc), and a failing command gives Go's login error.
 */
import { assert, assertEquals } from "../_helpers/assert.ts";
import { freePorts } from "../_helpers/ports.ts";
import { hasGoFrp, type Impl, startFrpc, startFrps, withLogs } from "../_helpers/proc.ts";
import { startTcpEcho, tcpRoundTrip } from "../_helpers/services.ts";
import { startFakeIdp } from "../_helpers/oidc_idp.ts";

const TOKEN = "from-a-source-7f3a";
const UNSAFE = ["--allow-unsafe", "TokenSourceExec"];

type Source = "literal" | "file" | "exec";

/** The auth table for a side: the token literally, from a file, or printed by `cat file`. */
function auth(source: Source, file: string): Record<string, unknown> {
  if (source === "literal") return { token: TOKEN };
  if (source === "file") return { tokenSource: { type: "file", file: { path: file } } };
  return { tokenSource: { type: "exec", exec: { command: "cat", args: [file] } } };
}

/** Flags a process needs for its source: Go's gate, and Deno's --allow-run for ours. */
function flags(impl: Impl, source: Source) {
  if (source !== "exec") return {};
  return { args: UNSAFE, denoFlags: impl === "ts" ? ["--allow-run=cat"] : [] };
}

// Every case has a literal token or a source on the other side, so a source that resolved to
// the wrong (or empty) token fails the login.
const CASES: Array<{ server: Impl; ss: Source; client: Impl; cs: Source }> = [
  { server: "ts", ss: "exec", client: "ts", cs: "literal" },
  { server: "ts", ss: "file", client: "ts", cs: "literal" },
  { server: "go", ss: "literal", client: "ts", cs: "exec" },
  { server: "go", ss: "literal", client: "ts", cs: "file" },
  { server: "ts", ss: "file", client: "go", cs: "exec" },
];

for (const { server, ss, client, cs } of CASES) {
  Deno.test({
    name: `tokenSource [${client} frpc ${cs} → ${server} frps ${ss}] logs in and proxies`,
    ignore: (server === "go" || client === "go") && !hasGoFrp(),
    async fn() {
      const dir = await Deno.makeTempDir({ prefix: "frp-tokensrc-" });
      const file = `${dir}/token`;
      // Whitespace around the token: both sources trim it, as Go does.
      await Deno.writeTextFile(file, `  ${TOKEN}\n\n`);
      try {
        await using echo = startTcpEcho();
        const [bindPort, remotePort] = freePorts(2);
        await using frps = await startFrps({
          impl: server,
          config: { bindAddr: "127.0.0.1", bindPort, auth: auth(ss, file) },
          ...flags(server, ss),
        });
        await using frpc = await startFrpc({
          impl: client,
          config: {
            serverAddr: "127.0.0.1",
            serverPort: bindPort,
            loginFailExit: true,
            auth: auth(cs, file),
            proxies: [{ name: "tsrc", type: "tcp", localPort: echo.port, remotePort }],
          },
          waitFor: /\[tsrc\] start proxy success/,
          ...flags(client, cs),
        });
        await withLogs([frps, frpc], async () => {
          const back = await tcpRoundTrip(remotePort, new TextEncoder().encode("sourced"));
          assertEquals(new TextDecoder().decode(back), "sourced");
        });
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

const EXEC_CONFIG = {
  serverAddr: "127.0.0.1",
  serverPort: 1,
  auth: { tokenSource: { type: "exec", exec: { command: "cat", args: ["/dev/null"] } } },
};

/** Runs a process that must fail at start; returns its output lines. */
async function failing(
  bin: "frps" | "frpc",
  impl: Impl,
  args: string[],
): Promise<string[]> {
  const start = bin === "frps" ? startFrps : startFrpc;
  const config = bin === "frps" ? { bindPort: 1, auth: EXEC_CONFIG.auth } : EXEC_CONFIG;
  await using p = await start({ impl, config, args, waitFor: null });
  const status = await p.waitExit(20_000);
  assertEquals(status.code, 1, p.output());
  // Info log lines (Go) and Deno's certificate-check warning are not part of the error.
  return p.lines.filter((l) => l.trim() !== "" && !/ \[I\] |^DANGER: TLS/.test(l));
}

Deno.test("tokenSource exec: refused without --allow-unsafe (Go's text), and without --allow-run", async () => {
  const GATE =
    'unsafe feature "TokenSourceExec" is not enabled. To enable it, ensure it is allowed in the configuration or command line flags';
  for (const bin of ["frpc", "frps"] as const) {
    const ours = await failing(bin, "ts", []);
    assertEquals(ours, [GATE]);
    if (hasGoFrp()) assertEquals(await failing(bin, "go", []), ours, `go ${bin}`);
  }
  // Allowed by frp's gate but not by Deno's permissions: one line naming the flag.
  const denied = await failing("frpc", "ts", UNSAFE);
  assertEquals(denied.length, 1, denied.join("\n"));
  assert(
    denied[0].startsWith("failed to resolve auth.tokenSource: failed to execute command cat: ") &&
      denied[0].includes("--allow-run=cat"),
    denied[0],
  );
});

const OIDC_CLIENT = { id: "frpc-src", secret: "s3cret", audience: "frp" };

/** An access token from the fake IdP, as an operator's script would fetch it. */
async function fetchToken(tokenURL: string): Promise<string> {
  const res = await fetch(tokenURL, {
    method: "POST",
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: OIDC_CLIENT.id,
      client_secret: OIDC_CLIENT.secret,
    }),
  });
  return (await res.json()).access_token;
}

for (const client of ["ts", "go"] as Impl[]) {
  Deno.test({
    name: `tokenSource: auth.oidc.tokenSource exec [${client} frpc → ts frps]; a failing command`,
    ignore: client === "go" && !hasGoFrp(),
    async fn() {
      await using idp = await startFakeIdp(OIDC_CLIENT);
      const dir = await Deno.makeTempDir({ prefix: "frp-oidcsrc-" });
      try {
        await Deno.writeTextFile(`${dir}/jwt`, `${await fetchToken(idp.tokenURL)}\n`);
        const [bindPort] = freePorts(1);
        await using frps = await startFrps({
          impl: "ts",
          config: {
            bindAddr: "127.0.0.1",
            bindPort,
            auth: { method: "oidc", oidc: { issuer: idp.issuer, audience: OIDC_CLIENT.audience } },
          },
        });
        const frpcConfig = (command: string, args: string[]) => ({
          serverAddr: "127.0.0.1",
          serverPort: bindPort,
          loginFailExit: true,
          auth: {
            method: "oidc",
            oidc: { tokenSource: { type: "exec", exec: { command, args } } },
          },
        });
        const denoFlags = ["--allow-run=cat,false"];
        await using ok = await startFrpc({
          impl: client,
          config: frpcConfig("cat", [`${dir}/jwt`]),
          args: UNSAFE,
          denoFlags,
        });
        await ok.kill();
        await using bad = await startFrpc({
          impl: client,
          config: frpcConfig("false", []),
          args: UNSAFE,
          denoFlags,
          waitFor: null,
        });
        assertEquals((await bad.waitExit(20_000)).code, 1, bad.output());
        await withLogs([frps, bad], () => {
          assert(
            bad.lines.includes(
              "login to the server failed: couldn't acquire OIDC token for login: failed to execute command false: exit status 1. With loginFailExit enabled, no additional retries will be attempted",
            ),
            "Go's message",
          );
          return Promise.resolve();
        });
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}
