/**
 * A TCP relay standing in for the network path between frpc and frps (127.0.0.1 only): tests
 * cut one relayed connection (a work conn dying on the way) and hold new ones for a while (a
 * slow path), to reproduce the moments Go frp's queues are there for.
 */

/** A running relay. */
export interface TcpRelay extends AsyncDisposable {
  /** Port frpc dials instead of frps's bindPort. */
  port: number;
  /** Client-side conns in accept order (index 0 is frpc's first conn: its control). */
  readonly accepted: number;
  /** Closes both sides of the `i`-th accepted conn (a reset path). */
  cut(i: number): void;
  /**
   * Closes only frpc's side of the `i`-th conn and leaves frps's side open and silent (a path
   * whose state was lost on the client side): frpc reconnects while frps still has the session.
   */
  dropClientSide(i: number): void;
  /** Delays connecting upstream for conns accepted from now on. */
  holdNew(ms: number): void;
  close(): Promise<void>;
}

/** Starts a relay to 127.0.0.1:`target`. */
export function startTcpRelay(target: number): TcpRelay {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const links: Link[] = [];
  let holdMs = 0;
  const linkAt = (i: number) => {
    const link = links[i];
    if (!link) throw new Error(`relay: no connection #${i}`);
    return link;
  };
  const accepting = (async () => {
    for await (const down of l) {
      const link: Link = { down, cut: false };
      links.push(link);
      relay(link, target, holdMs).catch(() => {}).finally(() => cutLink(link));
    }
  })().catch(() => {});
  let closed: Promise<void> | undefined;
  const close = () =>
    closed ??= (async () => {
      l.close();
      await accepting;
      for (const link of links) cutLink(link, true);
    })();
  return {
    port: (l.addr as Deno.NetAddr).port,
    get accepted() {
      return links.length;
    },
    cut(i: number) {
      cutLink(linkAt(i));
    },
    dropClientSide(i: number) {
      const link = linkAt(i);
      link.keepUp = true;
      cutLink(link);
    },
    holdNew(ms: number) {
      holdMs = ms;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

interface Link {
  down: Deno.Conn;
  up?: Deno.Conn;
  cut: boolean;
  /** Leave the upstream conn open when cut (until the relay closes). */
  keepUp?: boolean;
}

function cutLink(link: Link, all = false): void {
  link.cut = true;
  for (const c of [link.down, all || !link.keepUp ? link.up : undefined]) {
    try {
      c?.close();
    } catch { /* closed */ }
  }
}

async function relay(link: Link, target: number, holdMs: number): Promise<void> {
  if (holdMs > 0) await new Promise((r) => setTimeout(r, holdMs));
  if (link.cut) return;
  link.up = await Deno.connect({ hostname: "127.0.0.1", port: target });
  if (link.cut) return cutLink(link);
  // Ending a pipe must not close the other conn: cutLink decides (dropClientSide keeps `up`).
  const keep = { preventClose: true, preventAbort: true, preventCancel: true };
  await Promise.race([
    link.down.readable.pipeTo(link.up.writable, keep),
    link.up.readable.pipeTo(link.down.writable, keep),
  ]);
}
