/**
 * The SSH gateway's in-process frpc (Go's pkg/virtual): it logs in to this frps over
 * in-memory connections, registers one proxy, and answers each StartWorkConn by joining the
 * work connection with a channel the caller opens (an SSH `forwarded-tcpip` channel). Going
 * through frps's own Login/NewProxy/NewWorkConn handling is what makes gateway proxies show
 * in the dashboard and reach the server plugins like any frpc's.
 *
 * @module
 */
import type { Duplex } from "../../protocol/duplex.ts";
import type { Login, Message, NewProxy } from "../../protocol/msg/messages.ts";
import { V1_CODEC } from "../../protocol/msg/codec.ts";
import { deadline } from "../../protocol/deadline.ts";
import { relay } from "../../protocol/io.ts";
import { errorText } from "../../protocol/errors.ts";
import type { Logger } from "../../log/logger.ts";

const codec = V1_CODEC;
/** Go's waitProxyStatusReady timeout. */
const PROXY_READY_TIMEOUT_MS = 1000;
const LOGIN_TIMEOUT_MS = 10_000;

/** What the virtual client needs from its host. */
export interface VirtualClientOptions {
  /** Opens a logical connection into frps (Service.handleInternal on one end of a pipe). */
  connect(): Duplex;
  login: Login;
  /** The NewProxy message (proxy_name already carries the user prefix). */
  proxy: NewProxy;
  /** Opens the stream a user connection is joined with; rejects when it cannot. */
  openTarget(): Promise<Duplex>;
  log: Logger;
}

/** The outcome of {@link VirtualClient.start}: the proxy's remote address or the error text. */
export type StartResult = { ok: true; remoteAddr: string } | { ok: false; error: string };

/** One virtual frpc with one proxy. */
export class VirtualClient {
  readonly #opts: VirtualClientOptions;
  #control: Duplex | undefined;
  #runId = "";
  #closed = false;
  readonly #work = new Set<Duplex>();
  #proxyResp: PromiseWithResolvers<StartResult> = Promise.withResolvers();

  constructor(opts: VirtualClientOptions) {
    this.#opts = opts;
  }

  /** Logs in and registers the proxy; resolves once frps answered (or Go's 1 s ran out). */
  async start(): Promise<StartResult> {
    const conn = this.#opts.connect();
    this.#control = conn;
    try {
      await codec.writeMessage(conn, { type: "Login", body: this.#opts.login });
      const resp = await deadline(codec.readMessage(conn), LOGIN_TIMEOUT_MS, "LoginResp read");
      if (resp.type !== "LoginResp") throw new Error(`unexpected message ${resp.type}`);
      if (resp.body.error) throw new Error(resp.body.error);
      this.#runId = resp.body.run_id ?? "";
    } catch (err) {
      return {
        ok: false,
        error: `login to the server failed: ${
          errorText(err)
        }. With loginFailExit enabled, no additional retries will be attempted`,
      };
    }
    this.#readLoop(conn);
    await codec.writeMessage(conn, { type: "NewProxy", body: this.#opts.proxy });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<StartResult>((resolve) => {
      timer = setTimeout(
        () => resolve({ ok: false, error: "wait proxy status ready timeout" }),
        PROXY_READY_TIMEOUT_MS,
      );
    });
    try {
      return await Promise.race([this.#proxyResp.promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #readLoop(conn: Duplex): Promise<void> {
    try {
      while (!this.#closed) {
        const m = await codec.readMessage(conn);
        this.#dispatch(m);
      }
    } catch (err) {
      if (!this.#closed) this.#opts.log.debug(`virtual client control closed: ${errorText(err)}`);
    }
    this.#proxyResp.resolve({ ok: false, error: "ssh tunnel server closed" });
  }

  #dispatch(m: Message): void {
    switch (m.type) {
      case "NewProxyResp":
        this.#proxyResp.resolve(
          m.body.error
            ? { ok: false, error: m.body.error }
            : { ok: true, remoteAddr: m.body.remote_addr ?? "" },
        );
        break;
      case "ReqWorkConn":
        this.#newWorkConn().catch((err) =>
          this.#opts.log.debug(`virtual client work connection: ${errorText(err)}`)
        );
        break;
    }
  }

  /** A pooled work connection: NewWorkConn, wait for StartWorkConn, then join the target. */
  async #newWorkConn(): Promise<void> {
    if (this.#closed) return;
    const conn = this.#opts.connect();
    this.#work.add(conn);
    try {
      await codec.writeMessage(conn, { type: "NewWorkConn", body: { run_id: this.#runId } });
      const m = await codec.readMessage(conn);
      if (m.type !== "StartWorkConn" || m.body.error) {
        throw new Error(m.type === "StartWorkConn" ? m.body.error : `unexpected ${m.type}`);
      }
      const target = await this.#opts.openTarget();
      await relay(conn, target);
    } finally {
      conn.close();
      this.#work.delete(conn);
    }
  }

  /** Logs out: frps closes the proxy (CloseProxy plugin included) as for any frpc. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#control?.close();
    for (const c of this.#work) c.close();
    this.#work.clear();
  }
}
