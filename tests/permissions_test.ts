import { FRPC_FLAGS, FRPS_FLAGS } from "../cli/permissions.ts";

const tasks = JSON.parse(Deno.readTextFileSync(new URL("../deno.json", import.meta.url))).tasks;

function taskFlags(task: string): string[] {
  return task.split(/\s+/).filter((w) => w.startsWith("--"));
}

Deno.test("permissions: deno.json frps/frpc tasks use exactly cli/permissions.ts, never -A", () => {
  for (const [name, flags] of [["frps", FRPS_FLAGS], ["frpc", FRPC_FLAGS]] as const) {
    const got = taskFlags(tasks[name]);
    if (JSON.stringify(got) !== JSON.stringify(flags)) {
      throw new Error(`task ${name} has ${got.join(" ")}, expected ${flags.join(" ")}`);
    }
    if (got.includes("-A") || got.includes("--allow-all")) throw new Error(`${name} uses -A`);
  }
});

Deno.test("permissions: deploy/Dockerfile{,.alpine} entrypoints use the same sets", () => {
  for (const file of ["Dockerfile", "Dockerfile.alpine"]) {
    const text = Deno.readTextFileSync(new URL(`../deploy/${file}`, import.meta.url));
    // Each target stage (`FROM runtime AS frps`) has its own ENTRYPOINT.
    let seen = 0;
    for (const stage of text.split(/^FROM /m).slice(1)) {
      const name = stage.match(/ AS (frps|frpc)\s/)?.[1] as "frps" | "frpc" | undefined;
      if (!name) continue;
      const entry = stage.split("\n").find((l) => l.startsWith("ENTRYPOINT"))!;
      const got = (JSON.parse(entry.slice("ENTRYPOINT".length)) as string[])
        .filter((w) => w.startsWith("--") && w !== "--cached-only");
      const flags = name === "frps" ? FRPS_FLAGS : FRPC_FLAGS;
      if (JSON.stringify(got) !== JSON.stringify(flags)) {
        throw new Error(`${file} ${name} has ${got.join(" ")}, expected ${flags.join(" ")}`);
      }
      seen++;
    }
    if (seen !== 2) throw new Error(`${file}: ${seen} of the frps/frpc target stages found`);
  }
});
