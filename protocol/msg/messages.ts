/**
 * frp control messages (pkg/msg/msg.go): the type-byte table and one interface per message,
 * keyed by the exact JSON names Go uses, so bodies go to/from the wire without renaming.
 * All fields are optional (Go `omitempty`) except the two nested structs Go always emits.
 *
 * @module
 */

/** Message name → v1 type byte (wire-v1.md §1.2; identical in frp 0.62–0.70). */
export const MESSAGE_TYPES = {
  Login: "o",
  LoginResp: "1",
  NewProxy: "p",
  NewProxyResp: "2",
  CloseProxy: "c",
  NewWorkConn: "w",
  ReqWorkConn: "r",
  StartWorkConn: "s",
  NewVisitorConn: "v",
  NewVisitorConnResp: "3",
  Ping: "h",
  Pong: "4",
  UDPPacket: "u",
  NatHoleVisitor: "i",
  NatHoleClient: "n",
  NatHoleResp: "m",
  NatHoleSid: "5",
  NatHoleReport: "6",
} as const;

/** Name of an frp message, e.g. `"Login"`. */
export type MessageName = keyof typeof MESSAGE_TYPES;

/** Type byte (as a number) → message name, for the frame decoder. */
export const MESSAGE_NAME_BY_BYTE: ReadonlyMap<number, MessageName> = new Map(
  (Object.entries(MESSAGE_TYPES) as [MessageName, string][]).map((
    [name, ch],
  ) => [ch.charCodeAt(0), name]),
);

/** Go `*net.UDPAddr` as encoding/json writes it (capitalised keys, always all three). */
export interface UDPAddr {
  /** Dotted quad / RFC 5952 text; "" for a nil IP. */
  IP: string;
  Port: number;
  /** IPv6 zone, usually "". */
  Zone: string;
}

/** Login.client_spec; `type` is "ssh-tunnel" only for frps' SSH gateway clients. */
export interface ClientSpec {
  type?: string;
  always_auth_pass?: boolean;
}

/** frpc → frps, first message on the control connection. */
export interface Login {
  version?: string;
  hostname?: string;
  os?: string;
  arch?: string;
  user?: string;
  privilege_key?: string;
  /** Unix seconds. */
  timestamp?: number;
  run_id?: string;
  client_id?: string;
  metas?: Record<string, string>;
  /** Always emitted by Go (`{}` when empty). */
  client_spec: ClientSpec;
  pool_count?: number;
}

/** frps → frpc answer to Login; non-empty `error` = rejected. */
export interface LoginResp {
  version?: string;
  run_id?: string;
  error?: string;
}

/** frpc → frps proxy registration (wire-v1.md §2.3). */
export interface NewProxy {
  proxy_name?: string;
  proxy_type?: string;
  use_encryption?: boolean;
  use_compression?: boolean;
  bandwidth_limit?: string;
  bandwidth_limit_mode?: string;
  group?: string;
  group_key?: string;
  metas?: Record<string, string>;
  annotations?: Record<string, string>;
  remote_port?: number;
  custom_domains?: string[];
  subdomain?: string;
  locations?: string[];
  http_user?: string;
  http_pwd?: string;
  host_header_rewrite?: string;
  headers?: Record<string, string>;
  response_headers?: Record<string, string>;
  route_by_http_user?: string;
  sk?: string;
  allow_users?: string[];
  multiplexer?: string;
}

/** frps → frpc answer to NewProxy. */
export interface NewProxyResp {
  proxy_name?: string;
  remote_addr?: string;
  error?: string;
}

/** frpc → frps proxy removal. */
export interface CloseProxy {
  proxy_name?: string;
}

/** frpc → frps, first message on a work connection. */
export interface NewWorkConn {
  run_id?: string;
  privilege_key?: string;
  timestamp?: number;
}

/** frps → frpc request for one more work connection (always `{}`). */
export type ReqWorkConn = Record<string, never>;

/** frps → frpc on a work connection: which proxy/user it now serves. */
export interface StartWorkConn {
  proxy_name?: string;
  src_addr?: string;
  dst_addr?: string;
  src_port?: number;
  dst_port?: number;
  error?: string;
}

/** Visitor frpc → frps, first message on a visitor connection. */
export interface NewVisitorConn {
  run_id?: string;
  proxy_name?: string;
  sign_key?: string;
  timestamp?: number;
  use_encryption?: boolean;
  use_compression?: boolean;
}

/** frps → visitor frpc answer to NewVisitorConn. */
export interface NewVisitorConnResp {
  proxy_name?: string;
  error?: string;
}

/** Heartbeat (control) or keep-alive (UDP work conns). */
export interface Ping {
  privilege_key?: string;
  timestamp?: number;
}

/** Heartbeat answer; non-empty `error` ends the session. */
export interface Pong {
  error?: string;
}

/** One datagram inside UDP/SUDP work and visitor connections. */
export interface UDPPacket {
  /** Payload, standard base64 with padding (Go `[]byte`). */
  c?: string;
  l?: UDPAddr;
  r?: UDPAddr;
}

/** xtcp visitor → frps hole-punch request. */
export interface NatHoleVisitor {
  transaction_id?: string;
  proxy_name?: string;
  pre_check?: boolean;
  protocol?: string;
  sign_key?: string;
  timestamp?: number;
  mapped_addrs?: string[];
  assisted_addrs?: string[];
}

/** xtcp proxy frpc → frps hole-punch participation. */
export interface NatHoleClient {
  transaction_id?: string;
  proxy_name?: string;
  sid?: string;
  mapped_addrs?: string[];
  assisted_addrs?: string[];
}

/** A port range inside NatHoleDetectBehavior.candidate_ports. */
export interface PortsRange {
  from?: number;
  to?: number;
}

/** How one side should punch (NatHoleResp.detect_behavior). */
export interface NatHoleDetectBehavior {
  role?: string;
  mode?: number;
  ttl?: number;
  send_delay_ms?: number;
  /** Milliseconds, despite the key name. */
  read_timeout?: number;
  candidate_ports?: PortsRange[];
  send_random_ports?: number;
  listen_random_ports?: number;
}

/** frps → both frpc: peer addresses and punching plan. */
export interface NatHoleResp {
  transaction_id?: string;
  sid?: string;
  protocol?: string;
  candidate_addrs?: string[];
  assisted_addrs?: string[];
  /** Always emitted by Go (`{}` when zero). */
  detect_behavior: NatHoleDetectBehavior;
  error?: string;
}

/** Session id exchange on xtcp work conns and hole-punch packets. */
export interface NatHoleSid {
  transaction_id?: string;
  sid?: string;
  response?: boolean;
  nonce?: string;
}

/** frpc → frps punching outcome. */
export interface NatHoleReport {
  sid?: string;
  success?: boolean;
}

/** Body type of each message name. */
export interface MessageBodies {
  Login: Login;
  LoginResp: LoginResp;
  NewProxy: NewProxy;
  NewProxyResp: NewProxyResp;
  CloseProxy: CloseProxy;
  NewWorkConn: NewWorkConn;
  ReqWorkConn: ReqWorkConn;
  StartWorkConn: StartWorkConn;
  NewVisitorConn: NewVisitorConn;
  NewVisitorConnResp: NewVisitorConnResp;
  Ping: Ping;
  Pong: Pong;
  UDPPacket: UDPPacket;
  NatHoleVisitor: NatHoleVisitor;
  NatHoleClient: NatHoleClient;
  NatHoleResp: NatHoleResp;
  NatHoleSid: NatHoleSid;
  NatHoleReport: NatHoleReport;
}

/** A decoded frp message: discriminated by `type`. */
export type Message = { [K in MessageName]: { type: K; body: MessageBodies[K] } }[MessageName];

/** The message variant with name `K`. */
export type MessageOf<K extends MessageName> = { type: K; body: MessageBodies[K] };
