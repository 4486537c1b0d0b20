/** Free port helpers. Only 127.0.0.1 is used. */
import dgram from "node:dgram";

/** Ports handed out by this process recently, so two calls never return the same port. */
const handedOut = new Set<number>();

/**
 * Claims of ports handed out by any test worker on this machine (`deno test --parallel` runs
 * modules side by side, and other test runs may share the machine): a port stays claimed for
 * CLAIM_MS, long enough for the process it was meant for to bind it.
 */
const CLAIM_DIR = `${tmpDir()}/frp-test-port-claims`;
const CLAIM_MS = 60_000;

/** TMPDIR where the caller may read it (the torture task runs without --allow-env). */
function tmpDir(): string {
  try {
    return Deno.env.get("TMPDIR") ?? "/tmp";
  } catch {
    return "/tmp";
  }
}

/** Whether this worker now holds the claim on `port` (atomic create across processes). */
function claim(port: number): boolean {
  const path = `${CLAIM_DIR}/${port}`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      Deno.mkdirSync(CLAIM_DIR, { recursive: true });
      Deno.openSync(path, { write: true, createNew: true }).close();
      return true;
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists)) return true; // no claims possible: as before
      try {
        const age = Date.now() - (Deno.statSync(path).mtime?.getTime() ?? 0);
        if (age < CLAIM_MS) return false;
        Deno.removeSync(path); // stale claim: take it over
      } catch {
        return false;
      }
    }
  }
  return false;
}

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
    if (!handedOut.has(port) && claim(port)) return remember(port);
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
    if (handedOut.has(port) || !claim(port)) continue;
    try {
      Deno.listen({ hostname: "127.0.0.1", port }).close();
    } catch {
      continue;
    }
    return remember(port);
  }
  throw new Error("freeUdpPort: no unused port found after 50 attempts");
}
