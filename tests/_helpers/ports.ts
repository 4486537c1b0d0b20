/** Free port helpers. Only 127.0.0.1 is used. */
import dgram from "node:dgram";

/** Ports handed out by this process recently, so two calls never return the same port. */
const handedOut = new Set<number>();

function remember(port: number): number {
  handedOut.add(port);
  if (handedOut.size > 4096) handedOut.delete(handedOut.values().next().value as number);
  return port;
}

/** Returns a TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): number {
  for (let i = 0; i < 50; i++) {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close();
    if (!handedOut.has(port)) return remember(port);
  }
  throw new Error("freePort: no unused port found after 50 attempts");
}

/** Returns `n` distinct free TCP ports. */
export function freePorts(n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(freePort());
  return out;
}

/** Returns a UDP port that was free on 127.0.0.1 a moment ago (and is also free for TCP). */
export async function freeUdpPort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const sock = dgram.createSocket("udp4");
    const port = await new Promise<number>((resolve, reject) => {
      sock.once("error", reject);
      sock.bind(0, "127.0.0.1", () => resolve(sock.address().port));
    });
    await new Promise<void>((resolve) => sock.close(() => resolve()));
    if (handedOut.has(port)) continue;
    try {
      Deno.listen({ hostname: "127.0.0.1", port }).close();
    } catch {
      continue;
    }
    return remember(port);
  }
  throw new Error("freeUdpPort: no unused port found after 50 attempts");
}
