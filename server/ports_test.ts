import { assertEquals } from "../tests/_helpers/assert.ts";
import { PortManager } from "./ports.ts";

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
