/**
 * The token bucket behind xtcp's `maxRetriesAnHour` (Go's rate.NewLimiter(rate.Every(hour/n),
 * n)): a burst of n, refilled at n per hour.
 *
 * @module
 */
import { sleep } from "../../protocol/deadline.ts";

const HOUR_MS = 3_600_000;

/** Waits until a retry is allowed. */
export class RetryLimiter {
  readonly #burst: number;
  readonly #intervalMs: number;
  #tokens: number;
  #last = Date.now();

  constructor(perHour: number) {
    this.#burst = Math.max(1, perHour);
    this.#intervalMs = HOUR_MS / this.#burst;
    this.#tokens = this.#burst;
  }

  #refill(): void {
    const now = Date.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#last) / this.#intervalMs);
    this.#last = now;
  }

  /** Takes one token, sleeping until one is available; rejects when `signal` aborts. */
  async wait(signal?: AbortSignal): Promise<void> {
    this.#refill();
    if (this.#tokens < 1) {
      await sleep((1 - this.#tokens) * this.#intervalMs, signal);
      this.#refill();
    }
    this.#tokens -= 1;
  }
}
