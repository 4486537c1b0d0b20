/**
 * frpc's visitor manager (frp's client/visitor/visitor_manager.go): starts every configured
 * visitor when a session begins, retries the ones whose local bind failed every 10 s, and closes
 * them all when the session ends (a new session starts fresh ones with the new run id).
 *
 * @module
 */
import { sortedByName } from "../proxy_manager.ts";
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

/** Visitor constructors by type. */
const VISITOR_TYPES: Partial<Record<string, (ctx: VisitorContext) => Visitor>> = {
  stcp: (ctx) => new StcpVisitor(ctx),
  sudp: (ctx) => new SudpVisitor(ctx),
  xtcp: (ctx) => new XtcpVisitor(ctx),
};

/** The visitors of one client session. */
export class VisitorManager {
  readonly #common: ClientCommonConfig;
  readonly #cfgs: readonly VisitorConfig[];
  readonly #log: Logger;
  readonly #connector: Connector;
  readonly #runId: string;
  readonly #transporter: MessageTransporter | undefined;
  readonly #running = new Map<string, Visitor>();
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
    this.#cfgs = sortedByName(cfgs);
    this.#log = log;
    this.#connector = connector;
    this.#runId = runId;
  }

  /** Starts every visitor, then keeps retrying the failed ones. */
  start(): void {
    const supported = this.#cfgs.filter((cfg) => {
      if (VISITOR_TYPES[cfg.type]) return true;
      this.#log.child(undefined, cfg.name).warn(
        `start error: visitor type [${cfg.type}] is not supported yet`,
      );
      return false;
    });
    if (supported.length === 0) return;
    Promise.all(supported.map((cfg) => this.#startOne(cfg))).then(() => {
      if (!this.#closed) {
        this.#log.info(`visitor added: [${supported.map((c) => c.name).join(" ")}]`);
      }
    });
    this.#timer = setInterval(() => {
      for (const cfg of supported) {
        if (this.#running.has(cfg.name)) continue;
        this.#log.info(`try to start visitor [${cfg.name}]`);
        this.#startOne(cfg);
      }
    }, CHECK_INTERVAL_MS);
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
    if (this.#closed) return v.close();
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

  /** Closes every visitor and stops retrying. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    for (const v of this.#running.values()) v.close();
    this.#running.clear();
  }
}
