/**
 * frps' NAT-hole broker for xtcp (frp's pkg/nathole/controller.go). An xtcp proxy registers
 * here; a visitor's NatHoleVisitor (sign key checked) opens a session whose sid is handed to
 * the proxy, which passes it to its frpc on a work conn; that frpc answers with NatHoleClient
 * on its control channel. Both sides' STUN addresses are then classified, the analyzer picks a
 * punching plan, and each side gets a NatHoleResp with the other's addresses. The session
 * stays known for the punching time plus 30 s so NatHoleReport can score the plan.
 *
 * @module
 */
import type {
  Message,
  NatHoleClient,
  NatHoleReport,
  NatHoleResp,
  NatHoleVisitor,
} from "../../protocol/msg/messages.ts";
import { privilegeKey } from "../../protocol/crypto/mod.ts";
import { randomHexId, timingSafeEqualString } from "../../protocol/ids.ts";
import { errorText } from "../../protocol/errors.ts";
import type { Logger } from "../../log/logger.ts";
import { parseIPs } from "../../protocol/nathole/addr.ts";
import {
  classifyNatFeature,
  formatNatFeature,
  type NatFeature,
} from "../../protocol/nathole/classify.ts";
import { Analyzer, ROLE_SENDER } from "./analysis.ts";
import { goDetectBehavior, goDuration, goStrings } from "./format.ts";
import { SidChannel } from "./sid_channel.ts";
import { analysisKey, natHoleResponse } from "./response.ts";

/** Where a NatHoleResp goes: the control session the request came from. */
export interface NatHoleTransporter {
  send(m: Message): unknown;
}

/** Timings; the defaults are Go's. */
export interface NatHoleTimings {
  /** How long a session waits for the proxy owner's NatHoleClient (Go's NatHoleTimeout). */
  clientTimeoutMs: number;
  /** Delay before the sender side gets its response, so the receiver punched first. */
  senderDelayMs: number;
  /** How long a session outlives the punching window (for NatHoleReport). */
  reportGraceMs: number;
  /** Period of the analysis data clean-up. */
  cleanIntervalMs: number;
}

const DEFAULT_TIMINGS: NatHoleTimings = {
  clientTimeoutMs: 10_000,
  senderDelayMs: 1000,
  reportGraceMs: 30_000,
  cleanIntervalMs: 3600_000,
};

interface ClientCfg {
  sk: string;
  allowUsers: readonly string[];
  sids: SidChannel;
}

interface Session {
  sid: string;
  analysisKey: string;
  mode: number;
  index: number;
  visitorMsg: NatHoleVisitor;
  clientMsg?: NatHoleClient;
  clientTransporter?: NatHoleTransporter;
  notify: PromiseWithResolvers<void>;
}

/** `<unix seconds><16 hex>`, Go's GenSid / NewTransactionID. */
function genSid(): string {
  return `${Math.floor(Date.now() / 1000)}${randomHexId(8)}`;
}

/** GenNatHoleResponse without a session: only the transaction id and the error. */
function errorResp(transactionId: string | undefined, error: string): NatHoleResp {
  return { transaction_id: transactionId, error, detect_behavior: {} };
}

/** The NAT-hole broker; one per frps. */
export class NatHoleController {
  readonly analyzer: Analyzer;
  readonly #clients = new Map<string, ClientCfg>();
  readonly #sessions = new Map<string, Session>();
  readonly #log: Logger;
  readonly #t: NatHoleTimings;
  readonly #timers = new Set<{ id: ReturnType<typeof setTimeout>; done: () => void }>();
  #cleanTimer: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  constructor(analysisReserveMs: number, log: Logger, timings: Partial<NatHoleTimings> = {}) {
    this.analyzer = new Analyzer(analysisReserveMs);
    this.#log = log;
    this.#t = { ...DEFAULT_TIMINGS, ...timings };
  }

  /** Starts the hourly analysis clean-up (Go's CleanWorker); it never holds the process. */
  startCleanWorker(): void {
    if (this.#cleanTimer !== undefined || this.#closed) return;
    this.#cleanTimer = setInterval(() => {
      const start = performance.now();
      const [count, total] = this.analyzer.clean();
      const cost = goDuration(performance.now() - start);
      this.#log.trace(`clean ${count}/${total} nathole analysis data, cost ${cost}`);
    }, this.#t.cleanIntervalMs);
    Deno.unrefTimer(this.#cleanTimer);
  }

  /** Number of live sessions (tests). */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /**
   * ListenClient: registers xtcp proxy `name`; returns the channel its sids arrive on. Throws
   * Go's error when the name is taken.
   */
  listenClient(name: string, sk: string, allowUsers: readonly string[]): SidChannel {
    if (this.#clients.has(name)) throw new Error(`proxy [${name}] is repeated`);
    const cfg: ClientCfg = { sk, allowUsers, sids: new SidChannel() };
    this.#clients.set(name, cfg);
    return cfg.sids;
  }

  /** CloseClient: forgets proxy `name` (only if `sids` is still its registration). */
  closeClient(name: string, sids: SidChannel): void {
    const cfg = this.#clients.get(name);
    if (cfg?.sids !== sids) return;
    this.#clients.delete(name);
    sids.close();
  }

  /** HandleVisitor: a visitor frpc's NatHoleVisitor, from a session of user `visitorUser`. */
  async handleVisitor(
    m: NatHoleVisitor,
    transporter: NatHoleTransporter,
    visitorUser: string,
  ): Promise<void> {
    const name = m.proxy_name ?? "";
    if (m.pre_check) {
      const cfg = this.#clients.get(name);
      let error = "";
      if (!cfg) error = `xtcp server for [${name}] doesn't exist`;
      else if (!cfg.allowUsers.includes(visitorUser) && !cfg.allowUsers.includes("*")) {
        error = `xtcp visitor user [${visitorUser}] not allowed for [${name}]`;
      }
      transporter.send({ type: "NatHoleResp", body: errorResp(m.transaction_id, error) });
      return;
    }

    const sid = genSid();
    const cfg = this.#clients.get(name);
    let error = "";
    if (!cfg) error = `xtcp server for [${name}] doesn't exist`;
    else if (
      !timingSafeEqualString(m.sign_key ?? "", privilegeKey(cfg.sk, m.timestamp ?? 0))
    ) error = `xtcp connection of [${name}] auth failed`;
    if (!cfg || error) {
      this.#log.warn(`handle visitorMsg error: ${error}`);
      transporter.send({ type: "NatHoleResp", body: errorResp(m.transaction_id, error) });
      return;
    }
    const session: Session = {
      sid,
      analysisKey: "",
      mode: 0,
      index: 0,
      visitorMsg: m,
      notify: Promise.withResolvers(),
    };
    this.#sessions.set(sid, session);
    this.#log.trace(`handle visitor message, sid [${sid}], server name: ${name}`);
    try {
      if (!await cfg.sids.send(sid)) return;
      const notified = await Promise.race([
        session.notify.promise.then(() => true),
        this.#sleep(this.#t.clientTimeoutMs).then(() => false),
      ]);
      if (this.#closed) return;
      if (!notified) {
        this.#log.debug(`wait for NatHoleClient message timeout, sid [${sid}]`);
        return;
      }
      const clientMsg = session.clientMsg ?? {};
      const clientTransporter = session.clientTransporter ?? transporter;
      let vResp: NatHoleResp;
      let cResp: NatHoleResp;
      try {
        [vResp, cResp] = this.#analysis(session, clientMsg);
      } catch (err) {
        // Go's format string has one verb too many; its line is kept as frps prints it.
        this.#log.debug(`sid [${errorText(err)}] analysis error: %!v(MISSING)`);
        const text = errorText(err);
        vResp = errorResp(m.transaction_id, text);
        cResp = errorResp(clientMsg.transaction_id, text);
      }
      const deliver = async (t: NatHoleTransporter, resp: NatHoleResp): Promise<void> => {
        // the sender waits so that the receiver's low-TTL packets went out first
        if (resp.detect_behavior.role === ROLE_SENDER) await this.#sleep(this.#t.senderDelayMs);
        if (!this.#closed) t.send({ type: "NatHoleResp", body: resp });
      };
      await Promise.all([deliver(transporter, vResp), deliver(clientTransporter, cResp)]);
      await this.#sleep((cResp.detect_behavior.read_timeout ?? 0) + this.#t.reportGraceMs);
    } finally {
      this.#sessions.delete(sid);
    }
  }

  /** HandleClient: the proxy owner's NatHoleClient for a session it was given. */
  handleClient(m: NatHoleClient, transporter: NatHoleTransporter): void {
    const session = this.#sessions.get(m.sid ?? "");
    if (!session) return;
    this.#log.trace(
      `handle client message, sid [${session.sid}], server name: ${m.proxy_name ?? ""}`,
    );
    session.clientMsg = m;
    session.clientTransporter = transporter;
    session.notify.resolve();
  }

  /** HandleReport: scores the session's plan on success. */
  handleReport(m: NatHoleReport): void {
    const sid = m.sid ?? "";
    const success = !!m.success;
    const session = this.#sessions.get(sid);
    if (!session) {
      this.#log.trace(`sid [${sid}] report make hole success: ${success}, but session not found`);
      return;
    }
    if (success) this.analyzer.reportSuccess(session.analysisKey, session.mode, session.index);
    this.#log.info(
      `sid [${sid}] report make hole success: ${success}, mode ${session.mode}, index ${session.index}`,
    );
  }

  /** Stops the clean-up and ends every waiting session (frps shutdown). */
  close(): void {
    this.#closed = true;
    clearInterval(this.#cleanTimer);
    for (const t of this.#timers) {
      clearTimeout(t.id);
      t.done();
    }
    this.#timers.clear();
    for (const cfg of this.#clients.values()) cfg.sids.close();
    this.#clients.clear();
  }

  /** A timer that close() cuts short. */
  #sleep(ms: number): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const t = {
        id: setTimeout(() => {
          this.#timers.delete(t);
          resolve();
        }, ms),
        done: resolve,
      };
      this.#timers.add(t);
    });
  }

  #analysis(session: Session, cm: NatHoleClient): [NatHoleResp, NatHoleResp] {
    const vm = session.visitorMsg;
    let cFeature: NatFeature;
    let vFeature: NatFeature;
    try {
      cFeature = classifyNatFeature(cm.mapped_addrs, parseIPs(cm.assisted_addrs));
    } catch (err) {
      throw new Error(`classify client nat feature error: ${errorText(err)}`);
    }
    try {
      vFeature = classifyNatFeature(vm.mapped_addrs, parseIPs(vm.assisted_addrs));
    } catch (err) {
      throw new Error(`classify visitor nat feature error: ${errorText(err)}`);
    }
    session.analysisKey = analysisKey(vm, vFeature, cm, cFeature);
    const rec = this.analyzer.recommend(session.analysisKey, cFeature, vFeature);
    session.mode = rec.mode;
    session.index = rec.index;

    let timeoutMs = Math.max(rec.client.sendDelayMs, rec.visitor.sendDelayMs) + 5000;
    if (rec.client.listenRandomPorts > 0 || rec.visitor.listenRandomPorts > 0) timeoutMs += 30000;
    const protocol = vm.protocol;
    const vResp = natHoleResponse(
      vm.transaction_id,
      session.sid,
      protocol,
      rec.mode,
      cm.mapped_addrs,
      cm.assisted_addrs,
      rec.visitor,
      timeoutMs - rec.visitor.sendDelayMs,
      cFeature.portsDifference,
    );
    const cResp = natHoleResponse(
      cm.transaction_id,
      session.sid,
      protocol,
      rec.mode,
      vm.mapped_addrs,
      vm.assisted_addrs,
      rec.client,
      timeoutMs - rec.client.sendDelayMs,
      vFeature.portsDifference,
    );
    const sid = session.sid;
    this.#log.debug(
      `sid [${sid}] visitor nat: ${formatNatFeature(vFeature)}, candidateAddrs: ${
        goStrings(vm.mapped_addrs)
      }; client nat: ${formatNatFeature(cFeature)}, candidateAddrs: ${
        goStrings(cm.mapped_addrs)
      }, protocol: ${protocol ?? ""}`,
    );
    this.#log.debug(
      `sid [${sid}] visitor detect behavior: ${goDetectBehavior(vResp.detect_behavior)}`,
    );
    this.#log.debug(
      `sid [${sid}] client detect behavior: ${goDetectBehavior(cResp.detect_behavior)}`,
    );
    return [vResp, cResp];
  }
}
