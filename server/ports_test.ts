import { rejects } from "node:assert/strict";
import { assertEquals } from "../tests/_helpers/assert.ts";
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

const bindOk = (p: number) => p;

Deno.test("ports: a released port is free again and its old name gets it back for port 0", async () => {
  const pm = new PortManager([{ start: 20000, end: 29999 }]);
  const ports: number[] = [];
  for (let i = 0; i < 2000; i++) ports.push((await pm.acquire(`p${i}`, 0, bindOk)).port);
  assertEquals(new Set(ports).size, 2000);
  const held = await pm.acquire("other", ports[7], bindOk).then(() => "", (e) => e.message);
  assertEquals(held, "port already used");
  for (const p of ports) pm.release(p);
  // Free for anyone by number, and each name's random pick prefers its previous port.
  assertEquals((await pm.acquire("other", ports[7], bindOk)).port, ports[7]);
  for (let i = 0; i < 2000; i += 97) {
    if (i === 7) continue;
    assertEquals((await pm.acquire(`p${i}`, 0, bindOk)).port, ports[i]);
  }
});
