/**
 * Timeouts for reads that must not hang (first message, LoginResp). Web timers only, so the
 * protocol layer stays runtime-agnostic.
 *
 * @module
 */

/** Raised when `deadline` fires before the guarded promise settles. */
export class DeadlineError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} timed out after ${ms}ms`);
    this.name = "DeadlineError";
  }
}

/**
 * Races `p` against a timer. On timeout `onTimeout` runs (typically closing the connection,
 * which also unblocks the pending read) and the result rejects with {@link DeadlineError}.
 */
export function deadline<T>(
  p: Promise<T>,
  ms: number,
  what: string,
  onTimeout?: () => void,
): Promise<T> {
  if (!(ms > 0)) return p;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      try {
        onTimeout?.();
      } finally {
        reject(new DeadlineError(what, ms));
      }
    }, ms);
  });
  p.catch(() => {}); // the loser of the race must not become an unhandled rejection
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves after `ms` milliseconds, or early (rejecting) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Awaits `p` (e.g. a closed socket's `close()`: the port is free once it settles), giving up
 * silently after `ms`.
 */
export async function waitBounded(p: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([p, new Promise<void>((r) => timer = setTimeout(r, ms))]);
  clearTimeout(timer);
}
