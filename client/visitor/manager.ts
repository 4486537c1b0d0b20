/**
 * frpc's visitor manager (frp's client/visitor/visitor_manager.go): starts every configured
 * visitor when a session begins, applies reloads (UpdateAll: removed and changed visitors close,
 * changed and new ones start), retries the ones whose local bind failed every 10 s, and closes
 * them all when the session ends (a new session starts fresh ones with the new run id).
 *
 * @module
 */
import { sameConfig, sortedByName } from "../proxy_manager.ts";
import { waitBounded } from "../../protocol/deadline.ts";
import { errorText } from "../../protocol/errors.ts";
import type { ClientCommonConfig, VisitorConfig } from "../../config/types.ts";
import type { Logger } from "../../log/logger.ts";
import type { Connector } from "../connector.ts";
import type { Visitor, VisitorContext } from "./base.ts";
import { StcpVisitor } from "./stcp.ts";
import { SudpVisitor } from "./sudp.ts";
import { XtcpVisitor } from "./xtcp.ts";
import type { Conn } from "../../protocol/duplex.ts";
import type { MessageTransporter } from "../transporter.ts";

const CHECK_INTERVAL_MS = 10_000;
/** Longest wait for closed visitors' ports to be free before new visitors bind. */
const RELEASE_WAIT_MS = 2000;

/** Visitor constructors by type. */
const VISITOR_TYPES: Partial<Record<string, (ctx: VisitorContext) => Visitor>> = {
  stcp: (ctx) => new StcpVisitor(ctx),
  sudp: (ctx) => new SudpVisitor(ctx),
  xtcp: (ctx) => new XtcpVisitor(ctx),
};

/** The visitors of one client session. */
export class VisitorManager {
  readonly #common: ClientCommonConfig;
  readonly #initial: readonly VisitorConfig[];
  readonly #log: Logger;
  readonly #connector: Connector;
  readonly #runId: string;
  readonly #transporter: MessageTransporter | undefined;
  /** The configured visitors (Go's cfgs), running or waiting for a retry. */
  readonly #cfgs = new Map<string, VisitorConfig>();
  readonly #running = new Map<string, Visitor>();
  /** Updates and retries run one at a time (Go holds the manager's lock for them). */
  #queue: Promise<void> = Promise.resolve();
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  constructor(
    common: ClientCommonConfig,
    cfgs: readonly VisitorConfig[],
    log: Logger,
    connector: Connector,
    runId: string,
    transporter?: MessageTransporter,
  ) {
    this.#transporter = transporter;
    this.#common = common;
    this.#initial = cfgs;
    this.#log = log;
    this.#connector = connector;
    this.#runId = runId;
  }

  /** Starts the session's visitors (Go's first UpdateAll after login). */
  start(): Promise<void> {
    return this.update(this.#initial);
  }

  /**
   * frp's UpdateAll: visitors missing from `cfgs` or whose config changed (deep compare) close;
   * changed and new ones start once the closed ones' ports are free. Resolves when every new
   * visitor has bound its port (or failed to: it is retried every 10 s).
   */
  update(cfgs: readonly VisitorConfig[]): Promise<void> {
    return this.#serial(() => this.#update(cfgs));
  }

  #serial(f: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(f);
    this.#queue = run.catch(() => {});
    return run;
  }

  async #update(cfgs: readonly VisitorConfig[]): Promise<void> {
    if (this.#closed) return;
    // Go starts its retry loop once, on the first update that has a visitor.
    if (cfgs.length > 0 && this.#timer === undefined) {
      this.#timer = setInterval(() => this.#serial(() => this.#retry()), CHECK_INTERVAL_MS);
    }
    const next = new Map(cfgs.map((c) => [c.name, c]));
    const removed: string[] = [];
    const released: Promise<void>[] = [];
    for (const [name, old] of this.#cfgs) {
      const cfg = next.get(name);
      if (cfg && sameConfig(cfg, old)) continue;
      removed.push(name);
      this.#cfgs.delete(name);
      const v = this.#running.get(name);
      if (v) released.push(v.close());
      this.#running.delete(name);
    }
    if (removed.length > 0) this.#log.info(`visitor removed: [${removed.join(" ")}]`);
    // A changed visitor re-binds its port right away: wait until Deno has really freed it.
    if (released.length > 0) {
      await waitBounded(Promise.all(released).then(() => {}), RELEASE_WAIT_MS);
    }
    if (this.#closed) return;
    const added: VisitorConfig[] = [];
    for (const cfg of sortedByName(cfgs)) {
      if (this.#cfgs.has(cfg.name)) continue;
      if (!VISITOR_TYPES[cfg.type]) {
        this.#log.child(undefined, cfg.name).warn(
          `start error: visitor type [${cfg.type}] is not supported yet`,
        );
        continue;
      }
      this.#cfgs.set(cfg.name, cfg);
      added.push(cfg);
    }
    // Started together: each binds in start()'s first step, so by the first `start visitor
    // success` line every new TCP listener is up (Go starts them one by one, as fast).
    await Promise.all(added.map((cfg) => this.#startOne(cfg)));
    if (added.length > 0 && !this.#closed) {
      this.#log.info(`visitor added: [${added.map((c) => c.name).join(" ")}]`);
    }
  }

  /** Go's keepVisitorsRunning tick: starts the configured visitors that are not running. */
  async #retry(): Promise<void> {
    for (const cfg of this.#cfgs.values()) {
      if (this.#closed) return;
      if (this.#running.has(cfg.name)) continue;
      this.#log.info(`try to start visitor [${cfg.name}]`);
      await this.#startOne(cfg);
    }
  }

  async #startOne(cfg: VisitorConfig): Promise<void> {
    const log = this.#log.child(`visitor/${cfg.type}.ts`, cfg.name);
    const v = VISITOR_TYPES[cfg.type]!({
      common: this.#common,
      cfg,
      log,
      connector: this.#connector,
      runId: this.#runId,
      transporter: this.#transporter,
      transferConn: (name, conn) => this.#transferConn(name, conn),
    });
    this.#running.set(cfg.name, v);
    try {
      await v.start();
    } catch (err) {
      v.close();
      if (this.#running.get(cfg.name) === v) this.#running.delete(cfg.name);
      this.#log.warn(`start error: ${errorText(err)}`);
      return;
    }
    if (this.#closed) {
      v.close();
      return;
    }
    // Go logs these two on the manager's logger, without the visitor's name.
    this.#log.info("start visitor success");
  }

  /** frp's TransferConn: another visitor of this session serves `conn`. */
  #transferConn(name: string, conn: Conn): void {
    const v = this.#running.get(name);
    if (!v) throw new Error(`visitor [${name}] not found`);
    if (!v.acceptConn) throw new Error(`visitor [${name}] does not accept connections`);
    v.acceptConn(conn);
  }

  /** Closes every visitor and stops retrying; settles once their ports are free. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    clearInterval(this.#timer);
    const released = [...this.#running.values()].map((v) => v.close());
    this.#running.clear();
    return Promise.all(released).then(() => {});
  }
}
