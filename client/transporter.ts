/**
 * frp's MessageTransporter (pkg/transport/message.go) for the control channel: send a request
 * and wait for the answer of a given message type carrying the same lane key (NatHole
 * exchanges match NatHoleResp by transaction id). Answers nobody waits for are dropped.
 *
 * @module
 */
import type { Message, MessageName, MessageOf } from "../protocol/msg/messages.ts";

/** Go's context errors, kept verbatim because frp logs them. */
export const DEADLINE_EXCEEDED = "context deadline exceeded";
/** Go's context.Canceled text. */
export const CONTEXT_CANCELED = "context canceled";

type Waiter = (m: Message | Error) => void;

/** Request/answer matching over one control session. */
export class MessageTransporter {
  readonly #send: (m: Message) => void;
  readonly #lanes = new Map<string, Waiter>();
  #closed = false;

  constructor(send: (m: Message) => void) {
    this.#send = send;
  }

  /** Queues `m` on the control channel. */
  send(m: Message): void {
    if (!this.#closed) this.#send(m);
  }

  /**
   * Sends `req`, then resolves with the first `respType` message dispatched with `laneKey`.
   * Rejects with `context deadline exceeded` after `timeoutMs`, `context canceled` when
   * `signal` aborts or the session ends.
   */
  do<K extends MessageName>(
    req: Message,
    laneKey: string,
    respType: K,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<MessageOf<K>> {
    if (this.#closed || signal?.aborted) return Promise.reject(new Error(CONTEXT_CANCELED));
    const key = `${respType}\0${laneKey}`;
    return new Promise<MessageOf<K>>((resolve, reject) => {
      const finish: Waiter = (m) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        if (this.#lanes.get(key) === finish) this.#lanes.delete(key);
        if (m instanceof Error) reject(m);
        else resolve(m as MessageOf<K>);
      };
      const onAbort = () => finish(new Error(CONTEXT_CANCELED));
      const timer = setTimeout(() => finish(new Error(DEADLINE_EXCEEDED)), timeoutMs);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#lanes.get(key)?.(new Error(CONTEXT_CANCELED)); // Go replaces the lane's channel
      this.#lanes.set(key, finish);
      this.send(req);
    });
  }

  /** Hands `m` to whoever waits for its type and `laneKey`; false when nobody does. */
  dispatch(m: Message, laneKey: string): boolean {
    const w = this.#lanes.get(`${m.type}\0${laneKey}`);
    if (!w) return false;
    w(m);
    return true;
  }

  /** Fails every pending request; later ones fail at once. */
  close(): void {
    this.#closed = true;
    for (const w of [...this.#lanes.values()]) w(new Error(CONTEXT_CANCELED));
    this.#lanes.clear();
  }
}
