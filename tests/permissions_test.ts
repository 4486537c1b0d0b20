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

Deno.test("permissions: deploy/Dockerfile.* entrypoints use the same sets", () => {
  for (const [name, flags] of [["frps", FRPS_FLAGS], ["frpc", FRPC_FLAGS]] as const) {
    const text = Deno.readTextFileSync(new URL(`../deploy/Dockerfile.${name}`, import.meta.url));
    const entry = text.split("\n").find((l) => l.startsWith("ENTRYPOINT"))!;
    const got = (JSON.parse(entry.slice("ENTRYPOINT".length)) as string[])
      .filter((w) => w.startsWith("--"));
    if (JSON.stringify(got) !== JSON.stringify(flags)) {
      throw new Error(`Dockerfile.${name} has ${got.join(" ")}, expected ${flags.join(" ")}`);
    }
  }
});
