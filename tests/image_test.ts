/**
 * Container images (deploy/Dockerfile, deploy/Dockerfile.alpine): multi-stage with a cached
 * dependency layer, no tests or .git in the context, a non-root user and a healthcheck whose
 * script really tells a serving frps from a dead one. The full build + run through podman
 * (scripts/image.sh, ~4 min with the vfs driver) runs when FRP_IMAGE_TEST=1.
 */
import { assert, assertEquals } from "./_helpers/assert.ts";
import { freePorts } from "./_helpers/ports.ts";
import { startFrps } from "./_helpers/proc.ts";

const ROOT = new URL("../", import.meta.url).pathname;

Deno.test("image: Dockerfiles are multi-stage, non-root, with healthchecks; .dockerignore", async () => {
  for (const file of ["Dockerfile", "Dockerfile.alpine"]) {
    const text = await Deno.readTextFile(`${ROOT}deploy/${file}`);
    const stages = [...text.matchAll(/^FROM \S+ AS (\S+)/gm)].map((m) => m[1]);
    for (const s of ["deno", "deps", "runtime", "frpc", "frps"]) {
      assert(stages.includes(s), `${file}: stage ${s} missing (${stages})`);
    }
    // Dependencies are fetched from deno.json + deno.lock alone, before the sources.
    const install = text.indexOf("deno install --frozen");
    assert(install > text.indexOf("COPY deno.json deno.lock"), `${file}: dependency layer`);
    assert(install < text.indexOf("COPY server server"), `${file}: deps before sources`);
    assert(!/^COPY \. /m.test(text), `${file}: copies the whole checkout`);
    assert(/^USER frp$/m.test(text), `${file}: non-root user`);
    assertEquals(text.match(/^HEALTHCHECK /gm)?.length, 2, `${file}: healthchecks`);
    assert(/registry\.npmjs\.org\/@deno\/linux-arm64-glibc/.test(text), `${file}: arm64 deno`);
  }
  const ignore = (await Deno.readTextFile(`${ROOT}.dockerignore`)).split("\n");
  for (const p of [".git", ".cache", "tests", "**/*_test.ts"]) {
    assert(ignore.includes(p), `.dockerignore lacks ${p}`);
  }
});

async function healthcheck(side: string, config: string): Promise<number> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-net",
      "--allow-env",
      `${ROOT}scripts/healthcheck.ts`,
      side,
      config,
    ],
    stdout: "null",
    stderr: "null",
  }).output();
  return out.code;
}

Deno.test("image: the healthcheck script is healthy for a serving frps, unhealthy otherwise", async () => {
  const dir = await Deno.makeTempDir({ prefix: "frp-health-" });
  const [bindPort, deadPort] = freePorts(2);
  try {
    await using _frps = await startFrps({
      impl: "ts",
      config: { bindAddr: "127.0.0.1", bindPort },
    });
    await Deno.writeTextFile(`${dir}/up.toml`, `bindAddr = "127.0.0.1"\nbindPort = ${bindPort}\n`);
    await Deno.writeTextFile(
      `${dir}/down.toml`,
      `bindAddr = "127.0.0.1"\nbindPort = ${deadPort}\n`,
    );
    await Deno.writeTextFile(`${dir}/c.toml`, `webServer.port = ${deadPort}\n`);
    assertEquals(await healthcheck("frps", `${dir}/up.toml`), 0, "serving frps");
    assertEquals(await healthcheck("frps", `${dir}/down.toml`), 1, "nothing on bindPort");
    assertEquals(await healthcheck("frpc", `${dir}/c.toml`), 1, "frpc admin API down");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "image: build the Debian images and tunnel through containerised frps + frpc",
  ignore: Deno.env.get("FRP_IMAGE_TEST") !== "1",
  fn: async () => {
    const out = await new Deno.Command(`${ROOT}scripts/image.sh`, {
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    if (out.code === 77) {
      console.log(`image: ${text.trim().split("\n").at(-1)}`);
      return;
    }
    assertEquals(out.code, 0, text);
    assert(/curl through containerised frps \+ frpc: ok/.test(text), text);
  },
});

if (Deno.env.get("FRP_IMAGE_TEST") !== "1") {
  console.log("image: container build + run skipped (FRP_IMAGE_TEST=1 runs scripts/image.sh)");
}
