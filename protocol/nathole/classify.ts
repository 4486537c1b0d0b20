/**
 * NAT classification from the addresses a client's STUN discovery saw (frp's
 * pkg/nathole/classify.go): whether the mapped IP/port changed between STUN servers, how far
 * the ports moved, and whether the client is on a public network.
 *
 * @module
 */
import { atoi, splitHostPort } from "./addr.ts";

export const EASY_NAT = "EasyNAT";
export const HARD_NAT = "HardNAT";

export const BEHAVIOR_NO_CHANGE = "BehaviorNoChange";
export const BEHAVIOR_IP_CHANGED = "BehaviorIPChanged";
export const BEHAVIOR_PORT_CHANGED = "BehaviorPortChanged";
export const BEHAVIOR_BOTH_CHANGED = "BehaviorBothChanged";

/** Go's NatFeature (field order kept: frps logs it with %+v). */
export interface NatFeature {
  natType: string;
  behavior: string;
  portsDifference: number;
  regularPortsChange: boolean;
  publicNetwork: boolean;
}

/** A NatFeature as Go's `%+v` prints it. */
export function formatNatFeature(f: NatFeature): string {
  return `{NatType:${f.natType} Behavior:${f.behavior} PortsDifference:${f.portsDifference} ` +
    `RegularPortsChange:${f.regularPortsChange} PublicNetwork:${f.publicNetwork}}`;
}

/**
 * ClassifyNATFeature: `addresses` are the mapped `ip:port`s (at least two), `localIPs` the
 * client's own IPs. Throws Go's error text on too few or malformed addresses.
 */
export function classifyNatFeature(
  addresses: readonly string[] | undefined,
  localIPs: readonly string[],
): NatFeature {
  if (!addresses || addresses.length <= 1) throw new Error("not enough addresses");
  const f: NatFeature = {
    natType: "",
    behavior: "",
    portsDifference: 0,
    regularPortsChange: false,
    publicNetwork: false,
  };
  let ipChanged = false;
  let portChanged = false;
  let baseIP = "";
  let basePort = "";
  let portMax = 0;
  let portMin = 0;
  for (const addr of addresses) {
    const [ip, port] = splitHostPort(addr);
    const portNum = atoi(port);
    if (localIPs.includes(ip)) f.publicNetwork = true;
    if (baseIP === "") {
      baseIP = ip;
      basePort = port;
      portMax = portNum;
      portMin = portNum;
      continue;
    }
    portMax = Math.max(portMax, portNum);
    portMin = Math.min(portMin, portNum);
    if (baseIP !== ip) ipChanged = true;
    if (basePort !== port) portChanged = true;
  }
  if (ipChanged && portChanged) {
    f.natType = HARD_NAT;
    f.behavior = BEHAVIOR_BOTH_CHANGED;
  } else if (ipChanged) {
    f.natType = HARD_NAT;
    f.behavior = BEHAVIOR_IP_CHANGED;
  } else if (portChanged) {
    f.natType = HARD_NAT;
    f.behavior = BEHAVIOR_PORT_CHANGED;
  } else {
    f.natType = EASY_NAT;
    f.behavior = BEHAVIOR_NO_CHANGE;
  }
  if (f.behavior === BEHAVIOR_PORT_CHANGED) {
    f.portsDifference = portMax - portMin;
    if (f.portsDifference <= 5 && f.portsDifference >= 1) f.regularPortsChange = true;
  }
  return f;
}

/** ClassifyFeatureCount: [easy, hard, hard-with-regular-port-changes]. */
export function classifyFeatureCount(
  features: readonly NatFeature[],
): [easy: number, hard: number, regular: number] {
  let easy = 0;
  let hard = 0;
  let regular = 0;
  for (const f of features) {
    if (f.natType === EASY_NAT) {
      easy++;
      continue;
    }
    hard++;
    if (f.regularPortsChange) regular++;
  }
  return [easy, hard, regular];
}
