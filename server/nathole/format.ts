/**
 * Go `%v`/`%+v` renderings used in frps' NAT-hole log lines, so they read like Go frps'.
 *
 * @module
 */
import type { NatHoleDetectBehavior } from "../../protocol/msg/messages.ts";

/** A []string as `%v` prints it: `[a b]`, `[]` for nil or empty. */
export function goStrings(s: readonly string[] | undefined): string {
  return `[${(s ?? []).join(" ")}]`;
}

/** msg.NatHoleDetectBehavior as `%+v` prints it. */
export function goDetectBehavior(d: NatHoleDetectBehavior): string {
  const ports = (d.candidate_ports ?? []).map((p) => `{From:${p.from ?? 0} To:${p.to ?? 0}}`);
  return `{Role:${d.role ?? ""} Mode:${d.mode ?? 0} TTL:${d.ttl ?? 0} ` +
    `SendDelayMs:${d.send_delay_ms ?? 0} ReadTimeoutMs:${d.read_timeout ?? 0} ` +
    `CandidatePorts:[${ports.join(" ")}] SendRandomPorts:${d.send_random_ports ?? 0} ` +
    `ListenRandomPorts:${d.listen_random_ports ?? 0}}`;
}

/** A time.Duration as Go's String() prints it, from milliseconds (sub-second values). */
export function goDuration(ms: number): string {
  if (ms <= 0) return "0s";
  const ns = Math.round(ms * 1e6);
  if (ns < 1000) return `${ns}ns`;
  if (ns < 1e6) return `${trim(ns / 1e3)}µs`;
  if (ns < 1e9) return `${trim(ns / 1e6)}ms`;
  return `${trim(ns / 1e9)}s`;
}

function trim(n: number): string {
  return String(Number(n.toFixed(9)));
}
