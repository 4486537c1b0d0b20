import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import { PortManager } from "./ports.ts";

Deno.test("ports: binding a released port waits for its socket to close", async () => {
  const pm = new PortManager();
  let open = true;
  const bind = (p: number) => {
    if (open) throw new Error("EADDRINUSE");
    return p;
  };
  const { port } = await pm.acquire("a", 4000, (p) => p);
  let free!: () => void;
  pm.release(port, new Promise<void>((r) => free = r));
  const again = pm.acquire("b", 4000, bind);
  await rejects(pm.acquire("c", 4000, bind), /port already used/);
  open = false;
  free();
  assertEquals((await again).value, 4000);
});

Deno.test("ports: a port that stays taken is still 'port unavailable'", async () => {
  const pm = new PortManager();
  await rejects(
    pm.acquire("a", 4001, () => {
      throw new Error("EADDRINUSE");
    }),
    /port unavailable/,
  );
});

Deno.test("ports: a just-released port is re-bound a few times before giving up", async () => {
  const pm = new PortManager();
  await pm.acquire("a", 4002, (p) => p);
  pm.release(4002);
  let tries = 0;
  const got = await pm.acquire("b", 4002, (p) => {
    if (++tries < 3) throw new Error("EADDRINUSE");
    return p;
  });
  assertEquals([got.value, tries], [4002, 3]);
});
