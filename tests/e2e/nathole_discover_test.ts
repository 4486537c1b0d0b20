/**
 * `frpc nathole discover` against the in-test STUN server: our report has Go frpc's six lines
 * (ports masked: each run binds its own), the STUN server comes from the config file or the
 * flag (flag wins), `-l` picks the local address; help and flag errors are Go's bytes.
 */
import { assert, assertEquals } from "../_helpers/assert.ts";
import { FRPC_FLAGS } from "../../cli/permissions.ts";
import { goFrpPath, hasGoFrp, type Impl, REPO_ROOT } from "../_helpers/proc.ts";
import { startStunServer } from "../_helpers/stun_server.ts";
import { localIPsForNatHole } from "../../client/nathole/discover.ts";

async function frpc(impl: Impl, args: string[]) {
  const [cmd, pre] = impl === "go"
    ? [goFrpPath("frpc"), []]
    : [Deno.execPath(), ["run", ...FRPC_FLAGS, `${REPO_ROOT}/client/main.ts`]];
  const out = await new Deno.Command(cmd, {
    args: [...pre, ...args],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(20_000),
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/** The report with every port replaced by `P` (each run has its own socket). */
function masked(stdout: string): string[] {
  return stdout.trim().split("\n").map((l) => l.replace(/:\d+/g, ":P"));
}

const impls: Impl[] = hasGoFrp() ? ["ts", "go"] : ["ts"];

Deno.test("nathole discover: Go's report, STUN server from config or flag, -l local address", async () => {
  await using stun = await startStunServer();
  const dir = await Deno.makeTempDir({ prefix: "frp-nathole-" });
  try {
    const cfg = `${dir}/frpc.toml`;
    await Deno.writeTextFile(cfg, `natHoleStunServer = "${stun.addr}"\n`);
    // A LAN address (if the host has one) makes the mapped IP local: "Public Network: true".
    const lan = localIPsForNatHole()[0];
    await using stunLan = lan ? await startStunServer(lan) : undefined;
    for (const impl of impls) {
      const viaConfig = await frpc(impl, ["nathole", "discover", "-c", cfg]);
      assertEquals(viaConfig.code, 0, viaConfig.stderr);
      assertEquals(masked(viaConfig.stdout), [
        "STUN server: 127.0.0.1:P",
        "Your NAT type is: EasyNAT",
        "Behavior is: BehaviorNoChange",
        "External address is: [127.0.0.1:P 127.0.0.1:P]",
        "Local address is: 0.0.0.0:P",
        "Public Network: false",
      ], impl);
      // Both mapped ports are the one local port the report names.
      const ports = [...viaConfig.stdout.matchAll(/127\.0\.0\.1:(\d+)/g)].map((m) => m[1]);
      const local = viaConfig.stdout.match(/Local address is: 0\.0\.0\.0:(\d+)/)![1];
      assertEquals(ports.slice(1), [local, local], impl);
      assertEquals(viaConfig.stdout.split("\n")[0], `STUN server: ${stun.addr}`);
      if (stunLan) {
        // The flag overrides the config; `-l` binds the given address.
        const r = await frpc(impl, [
          "nathole",
          "discover",
          "-c",
          cfg,
          "--nat_hole_stun_server",
          stunLan.addr,
          "-l",
          `${lan}:0`,
        ]);
        assertEquals(r.code, 0, r.stderr);
        assertEquals(masked(r.stdout), [
          `STUN server: ${lan}:P`,
          "Your NAT type is: EasyNAT",
          "Behavior is: BehaviorNoChange",
          `External address is: [${lan}:P ${lan}:P]`,
          `Local address is: ${lan}:P`,
          "Public Network: true",
        ], impl);
      }
    }
    assert(stun.requests() >= 2 * impls.length, "the STUN server saw no requests");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "nathole: help, flag errors and discover errors are Go's",
  ignore: !hasGoFrp(),
  async fn() {
    for (
      const args of [
        ["nathole"],
        ["nathole", "discover", "--help"],
        ["nathole", "discover", "--nope"],
        ["nathole", "discover", "--nat-hole-stun-server", "nohost"],
        ["nathole", "discover", "-l", "192.0.2.1:5", "--nat-hole-stun-server", "127.0.0.1:9"],
      ]
    ) {
      const [ours, go] = await Promise.all([frpc("ts", args), frpc("go", args)]);
      const ourErr = ours.stderr.split("\n").filter((l) => !l.startsWith("DANGER: TLS")).join(
        "\n",
      );
      assertEquals(
        [ours.code, ours.stdout, ourErr],
        [go.code, go.stdout, go.stderr],
        args.join(" "),
      );
    }
  },
});
