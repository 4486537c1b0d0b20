/**
 * frps' hole-punching strategy book (frp's pkg/nathole/analysis.go): for each pair of NAT
 * features a scored list of (mode, behaviour index) candidates; every recommendation costs
 * the chosen candidate a point, every NatHoleReport success gives it two (max 10), so the
 * next attempt between the same pair of networks tries what worked or moves on.
 *
 * @module
 */
import {
  classifyFeatureCount,
  EASY_NAT,
  HARD_NAT,
  type NatFeature,
} from "../../protocol/nathole/classify.ts";

export const DETECT_MODE_0 = 0;
export const DETECT_MODE_1 = 1;
export const DETECT_MODE_2 = 2;
export const DETECT_MODE_3 = 3;
export const DETECT_MODE_4 = 4;
export const ROLE_SENDER = "sender";
export const ROLE_RECEIVER = "receiver";

/** Go's RecommandBehavior (zero fields omitted here, default 0/""). */
export interface RecommendBehavior {
  role: string;
  ttl: number;
  sendDelayMs: number;
  portsRangeNumber: number;
  portsRandomNumber: number;
  listenRandomPorts: number;
}

const ZERO: RecommendBehavior = {
  role: "",
  ttl: 0,
  sendDelayMs: 0,
  portsRangeNumber: 0,
  portsRandomNumber: 0,
  listenRandomPorts: 0,
};

function b(role: string, more: Partial<RecommendBehavior> = {}): RecommendBehavior {
  return { ...ZERO, role, ...more };
}

type Pair = readonly [RecommendBehavior, RecommendBehavior];
const S = ROLE_SENDER;
const R = ROLE_RECEIVER;

// The lists and their order are Go's: the index is what NatHoleReport scores refer to.
/** mode 0: both EasyNAT (a public network is always the receiver). */
const MODE0: readonly Pair[] = [
  [b(S), b(R, { ttl: 7 })],
  [b(R, { ttl: 7 }), b(S)],
  [b(S), b(R, { ttl: 4 })],
  [b(R, { ttl: 4 }), b(S)],
  [b(S), b(R)],
  [b(R), b(S)],
  [b(S, { sendDelayMs: 5000 }), b(R)],
  [b(S, { sendDelayMs: 10000 }), b(R)],
  [b(R), b(S, { sendDelayMs: 5000 })],
  [b(R), b(S, { sendDelayMs: 10000 })],
];

/** mode 1: HardNAT sender, EasyNAT receiver, regular port changes. */
const MODE1: readonly Pair[] = [
  [b(S), b(R, { ttl: 7, portsRangeNumber: 10 })],
  [b(S, { sendDelayMs: 2000 }), b(R, { ttl: 7, portsRangeNumber: 10 })],
  [b(S), b(R, { ttl: 4, portsRangeNumber: 10 })],
  [b(S, { sendDelayMs: 2000 }), b(R, { ttl: 4, portsRangeNumber: 10 })],
  [b(S), b(R, { portsRangeNumber: 10 })],
  [b(S, { sendDelayMs: 2000 }), b(R, { portsRangeNumber: 10 })],
];

const M2_SENDER = b(S, { portsRandomNumber: 1000, sendDelayMs: 3000 });
/** mode 2: HardNAT receiver (listens on 256 ports), EasyNAT sender to random ports. */
const MODE2: readonly Pair[] = [
  [M2_SENDER, b(R, { listenRandomPorts: 256, ttl: 7 })],
  [M2_SENDER, b(R, { listenRandomPorts: 256, ttl: 4 })],
  [M2_SENDER, b(R, { listenRandomPorts: 256 })],
];

/** mode 3: HardNAT & HardNAT, both with regular port changes. */
const MODE3: readonly Pair[] = [
  [b(S, { portsRangeNumber: 10 }), b(R, { ttl: 7, portsRangeNumber: 10 })],
  [b(S, { portsRangeNumber: 10 }), b(R, { ttl: 4, portsRangeNumber: 10 })],
  [b(S, { portsRangeNumber: 10 }), b(R, { portsRangeNumber: 10 })],
  [b(R, { ttl: 7, portsRangeNumber: 10 }), b(S, { portsRangeNumber: 10 })],
  [b(R, { ttl: 4, portsRangeNumber: 10 }), b(S, { portsRangeNumber: 10 })],
  [b(R, { portsRangeNumber: 10 }), b(S, { portsRangeNumber: 10 })],
];

/** mode 4: HardNAT & HardNAT, one regular; the regular one sends. */
const MODE4: readonly Pair[] = [
  [M2_SENDER, b(R, { listenRandomPorts: 256, ttl: 7, portsRangeNumber: 2 })],
  [M2_SENDER, b(R, { listenRandomPorts: 256, ttl: 4, portsRangeNumber: 2 })],
  [M2_SENDER, b(R, { listenRandomPorts: 256, portsRangeNumber: 2 })],
];

/** getBehaviorByMode (an unknown mode falls back to mode 0, as in Go). */
export function behaviorsOfMode(mode: number): readonly Pair[] {
  return [MODE0, MODE1, MODE2, MODE3, MODE4][mode] ?? MODE0;
}

/** getBehaviorByModeAndIndex: zero behaviours for an index past the list. */
export function behaviorAt(mode: number, index: number): [RecommendBehavior, RecommendBehavior] {
  const list = behaviorsOfMode(mode);
  if (index >= list.length) return [{ ...ZERO }, { ...ZERO }];
  return [list[index][0], list[index][1]];
}

/** One candidate's score, between -10 and 10. */
export interface BehaviorScore {
  mode: number;
  index: number;
  score: number;
}

function scoresOfMode(mode: number, senderScore: number, receiverScore: number): BehaviorScore[] {
  return behaviorsOfMode(mode).map((pair, index) => ({
    mode,
    index,
    score: pair[0].role === ROLE_SENDER ? senderScore : receiverScore,
  }));
}

/** Milliseconds since the epoch; injectable for tests. */
export type Clock = () => number;

/** Go's makeHoleRecords: the scored candidates of one analysis key. */
export class MakeHoleRecords {
  readonly scores: BehaviorScore[] = [];
  lastUpdateTime: number;
  readonly #clock: Clock;

  constructor(c: NatFeature, v: NatFeature, clock: Clock) {
    this.#clock = clock;
    this.lastUpdateTime = clock();
    const s = this.scores;
    const [easy, hard, regular] = classifyFeatureCount([c, v]);
    const mode0 = () => {
      if (c.publicNetwork) s.push(...scoresOfMode(DETECT_MODE_0, 0, 1));
      else if (v.publicNetwork) s.push(...scoresOfMode(DETECT_MODE_0, 1, 0));
      else s.push(...scoresOfMode(DETECT_MODE_0, 0, 0));
    };
    if (easy === 2) {
      mode0();
    } else if (hard === 1 && regular === 1) {
      s.push(...scoresOfMode(DETECT_MODE_1, 0, 0), ...scoresOfMode(DETECT_MODE_2, 0, 0));
      mode0();
    } else if (hard === 1 && regular === 0) {
      s.push(...scoresOfMode(DETECT_MODE_2, 0, 0), ...scoresOfMode(DETECT_MODE_1, 0, 0));
      mode0();
    } else if (hard === 2 && regular === 2) {
      s.push(...scoresOfMode(DETECT_MODE_3, 0, 0), ...scoresOfMode(DETECT_MODE_4, 0, 0));
    } else if (hard === 2 && regular === 1) {
      s.push(...scoresOfMode(DETECT_MODE_4, 0, 0));
    } else {
      // hard to make a hole: just try
      s.push(
        ...scoresOfMode(DETECT_MODE_0, 1, 1),
        ...scoresOfMode(DETECT_MODE_1, 1, 1),
        ...scoresOfMode(DETECT_MODE_3, 1, 1),
      );
    }
  }

  /** A success of (mode, index): +2, at most 10. */
  reportSuccess(mode: number, index: number): void {
    this.lastUpdateTime = this.#clock();
    const s = this.scores.find((x) => x.mode === mode && x.index === index);
    if (s) s.score = Math.min(s.score + 2, 10);
  }

  /** The first best-scored candidate, which loses a point for being tried. */
  recommend(): [mode: number, index: number] {
    if (this.scores.length === 0) return [0, 0];
    let best = this.scores[0];
    for (const s of this.scores) if (s.score > best.score) best = s;
    best.score--;
    this.lastUpdateTime = this.#clock();
    return [best.mode, best.index];
  }
}

/** What GetRecommandBehaviors returns: behaviours already swapped to client/visitor. */
export interface Recommendation {
  mode: number;
  index: number;
  client: RecommendBehavior;
  visitor: RecommendBehavior;
}

/** Go's Analyzer: records by analysis key, dropped after `dataReserveMs` unused. */
export class Analyzer {
  readonly records: Map<string, MakeHoleRecords> = new Map();
  readonly #reserveMs: number;
  readonly #clock: Clock;

  constructor(dataReserveMs: number, clock: Clock = Date.now) {
    this.#reserveMs = dataReserveMs;
    this.#clock = clock;
  }

  /** GetRecommandBehaviors for client feature `c` and visitor feature `v`. */
  recommend(key: string, c: NatFeature, v: NatFeature): Recommendation {
    let records = this.records.get(key);
    if (!records) {
      records = new MakeHoleRecords(c, v, this.#clock);
      this.records.set(key, records);
    }
    const [mode, index] = records.recommend();
    let [client, visitor] = behaviorAt(mode, index);
    const swap = (mode === DETECT_MODE_1 && c.natType === EASY_NAT) || // HardNAT sends
      (mode === DETECT_MODE_2 && c.natType === HARD_NAT) || // HardNAT receives
      (mode === DETECT_MODE_4 && !c.regularPortsChange); // the regular one sends
    if (swap) [client, visitor] = [visitor, client];
    return { mode, index, client, visitor };
  }

  /** ReportSuccess; unknown keys are ignored. */
  reportSuccess(key: string, mode: number, index: number): void {
    this.records.get(key)?.reportSuccess(mode, index);
  }

  /** Clean: drops records unused for longer than the reserve; returns [removed, total]. */
  clean(): [count: number, total: number] {
    const now = this.#clock();
    const total = this.records.size;
    let count = 0;
    for (const [key, r] of this.records) {
      if (now - r.lastUpdateTime > this.#reserveMs) {
        this.records.delete(key);
        count++;
      }
    }
    return [count, total];
  }
}
