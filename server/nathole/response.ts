/**
 * The NatHoleResp each side gets (frp's newNatHoleResponse, getRangePorts) and the key the
 * analyzer files a pair of networks under (Session.genAnalysisKey).
 *
 * @module
 */
import { createHash } from "node:crypto";
import type {
  NatHoleClient,
  NatHoleResp,
  NatHoleVisitor,
  PortsRange,
} from "../../protocol/msg/messages.ts";
import { atoi, compactInPlace, parseIPs, splitHostPort } from "../../protocol/nathole/addr.ts";
import type { NatFeature } from "../../protocol/nathole/classify.ts";
import type { RecommendBehavior } from "./analysis.ts";

/** genAnalysisKey: MD5 over both sides' first mapped IP and NAT feature. */
export function analysisKey(
  vm: NatHoleVisitor,
  v: NatFeature,
  cm: NatHoleClient,
  c: NatFeature,
): string {
  const h = createHash("md5");
  for (const [addrs, f] of [[vm.mapped_addrs, v], [cm.mapped_addrs, c]] as const) {
    const ips = compactInPlace(parseIPs(addrs)) ?? [];
    if (ips.length > 0) h.update(ips[0]);
    h.update(f.natType).update(f.behavior).update(String(f.regularPortsChange));
  }
  return h.digest("hex");
}

/** newNatHoleResponse; compacts the caller's address arrays in place, as Go does. */
export function natHoleResponse(
  transactionId: string | undefined,
  sid: string,
  protocol: string | undefined,
  mode: number,
  candidateAddrs: string[] | undefined,
  assistedAddrs: string[] | undefined,
  b: RecommendBehavior,
  readTimeoutMs: number,
  portsDifference: number,
): NatHoleResp {
  const compactCandidates = compactInPlace(candidateAddrs);
  const compactAssisted = compactInPlace(assistedAddrs);
  return {
    transaction_id: transactionId,
    sid,
    protocol,
    candidate_addrs: compactCandidates,
    assisted_addrs: compactAssisted,
    detect_behavior: {
      role: b.role,
      mode,
      ttl: b.ttl,
      send_delay_ms: b.sendDelayMs,
      read_timeout: readTimeoutMs,
      // read after the compaction above: Go sees the zeroed tail too
      candidate_ports: rangePorts(candidateAddrs, portsDifference, b.portsRangeNumber),
      send_random_ports: b.portsRandomNumber,
      listen_random_ports: b.listenRandomPorts,
    },
  };
}

/** getRangePorts: the guessed port window around the last candidate address. */
export function rangePorts(
  addrs: readonly string[] | undefined,
  difference: number,
  maxNumber: number,
): PortsRange[] | undefined {
  if (maxNumber <= 0 || !addrs || addrs.length === 0) return undefined;
  let port: number;
  try {
    port = atoi(splitHostPort(addrs[addrs.length - 1])[1]);
  } catch {
    return undefined;
  }
  return [{
    from: Math.max(port - difference - 5, port - maxNumber, 1),
    to: Math.min(port + difference + 5, port + maxNumber, 65535),
  }];
}
