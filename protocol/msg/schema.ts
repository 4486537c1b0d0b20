/**
 * Field schemas of the frp messages, used to reproduce Go `encoding/json` behaviour:
 * `omitempty` on encode, and on decode type checks, null-as-absent, unknown-key dropping and
 * Go's case-insensitive key matching. One table keeps encode and decode in step.
 *
 * @module
 */

import { MalformedMessageError } from "../errors.ts";
import type { MessageBodies, MessageName } from "./messages.ts";

/** A nested Go struct (never omitted by omitempty). */
interface StructField {
  struct: Schema;
}
/** A Go slice of structs. */
interface ListField {
  list: Schema;
}
type Field = "str" | "int" | "bool" | "strs" | "map" | "addr" | StructField | ListField;
type Schema = Readonly<Record<string, Field>>;

const PORTS_RANGE: Schema = { from: "int", to: "int" };
const CLIENT_SPEC: Schema = { type: "str", always_auth_pass: "bool" };
const DETECT_BEHAVIOR: Schema = {
  role: "str",
  mode: "int",
  ttl: "int",
  send_delay_ms: "int",
  read_timeout: "int",
  candidate_ports: { list: PORTS_RANGE },
  send_random_ports: "int",
  listen_random_ports: "int",
};

/** Field tables in Go struct order (pkg/msg/msg.go), so encoded key order matches Go's. */
const SCHEMAS: { readonly [K in MessageName]: Schema } = {
  Login: {
    version: "str",
    hostname: "str",
    os: "str",
    arch: "str",
    user: "str",
    privilege_key: "str",
    timestamp: "int",
    run_id: "str",
    client_id: "str",
    metas: "map",
    client_spec: { struct: CLIENT_SPEC },
    pool_count: "int",
  },
  LoginResp: { version: "str", run_id: "str", error: "str" },
  NewProxy: {
    proxy_name: "str",
    proxy_type: "str",
    use_encryption: "bool",
    use_compression: "bool",
    bandwidth_limit: "str",
    bandwidth_limit_mode: "str",
    group: "str",
    group_key: "str",
    metas: "map",
    annotations: "map",
    remote_port: "int",
    custom_domains: "strs",
    subdomain: "str",
    locations: "strs",
    http_user: "str",
    http_pwd: "str",
    host_header_rewrite: "str",
    headers: "map",
    response_headers: "map",
    route_by_http_user: "str",
    sk: "str",
    allow_users: "strs",
    multiplexer: "str",
  },
  NewProxyResp: { proxy_name: "str", remote_addr: "str", error: "str" },
  CloseProxy: { proxy_name: "str" },
  NewWorkConn: { run_id: "str", privilege_key: "str", timestamp: "int" },
  ReqWorkConn: {},
  StartWorkConn: {
    proxy_name: "str",
    src_addr: "str",
    dst_addr: "str",
    src_port: "int",
    dst_port: "int",
    error: "str",
  },
  NewVisitorConn: {
    run_id: "str",
    proxy_name: "str",
    sign_key: "str",
    timestamp: "int",
    use_encryption: "bool",
    use_compression: "bool",
  },
  NewVisitorConnResp: { proxy_name: "str", error: "str" },
  Ping: { privilege_key: "str", timestamp: "int" },
  Pong: { error: "str" },
  UDPPacket: { c: "str", l: "addr", r: "addr" },
  NatHoleVisitor: {
    transaction_id: "str",
    proxy_name: "str",
    pre_check: "bool",
    protocol: "str",
    sign_key: "str",
    timestamp: "int",
    mapped_addrs: "strs",
    assisted_addrs: "strs",
  },
  NatHoleClient: {
    transaction_id: "str",
    proxy_name: "str",
    sid: "str",
    mapped_addrs: "strs",
    assisted_addrs: "strs",
  },
  NatHoleResp: {
    transaction_id: "str",
    sid: "str",
    protocol: "str",
    candidate_addrs: "strs",
    assisted_addrs: "strs",
    detect_behavior: { struct: DETECT_BEHAVIOR },
    error: "str",
  },
  NatHoleSid: { transaction_id: "str", sid: "str", response: "bool", nonce: "str" },
  NatHoleReport: { sid: "str", success: "bool" },
};

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isEmptyValue(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === "") return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isObject(v)) {
    for (const _ in v) return false;
    return true;
  }
  return false;
}

function encodeStruct(schema: Schema, body: Obj): Obj {
  const out: Obj = {};
  for (const key in schema) {
    const f = schema[key];
    const v = body[key];
    if (typeof f === "object" && "struct" in f) {
      // Go's omitempty never omits a non-pointer struct.
      out[key] = encodeStruct(f.struct, isObject(v) ? v : {});
    } else if (isEmptyValue(v)) {
      continue;
    } else if (typeof f === "object") {
      out[key] = (v as Obj[]).map((item) => encodeStruct(f.list, item));
    } else if (f === "addr") {
      const a = v as Obj;
      out[key] = { IP: a.IP ?? "", Port: a.Port ?? 0, Zone: a.Zone ?? "" };
    } else {
      out[key] = v;
    }
  }
  return out;
}

/**
 * Go-compatible JSON object for a message body: omitempty fields dropped, always-present
 * structs filled in, keys in Go struct order, unknown keys dropped.
 */
export function encodeBody<K extends MessageName>(name: K, body: MessageBodies[K]): Obj {
  return encodeStruct(SCHEMAS[name], body as unknown as Obj);
}

const foldCache = new WeakMap<Schema, Map<string, string>>();

/** Go matches JSON keys to fields case-insensitively when there is no exact match. */
function foldKey(schema: Schema, key: string): string | undefined {
  let m = foldCache.get(schema);
  if (m === undefined) {
    m = new Map(Object.keys(schema).map((k) => [k.toLowerCase(), k]));
    foldCache.set(schema, m);
  }
  return m.get(key.toLowerCase());
}

const UDP_ADDR: Schema = { IP: "str", Port: "int", Zone: "str" };

function bad(path: string, want: string): never {
  throw new MalformedMessageError(`Cannot decode message: field ${path} is not ${want}`);
}

function decodeField(f: Field, v: unknown, path: string): unknown {
  switch (f) {
    case "str":
      return typeof v === "string" ? v : bad(path, "a string");
    case "int":
      return typeof v === "number" && Number.isInteger(v) ? v : bad(path, "an integer");
    case "bool":
      return typeof v === "boolean" ? v : bad(path, "a boolean");
    case "strs":
      if (!Array.isArray(v) || !v.every((s) => typeof s === "string")) {
        bad(path, "an array of strings");
      }
      return v;
    case "map":
      if (!isObject(v) || !Object.values(v).every((s) => typeof s === "string")) {
        bad(path, "an object of strings");
      }
      return v;
    case "addr": {
      if (!isObject(v)) bad(path, "an address object");
      const a = decodeStruct(UDP_ADDR, v, path);
      return { IP: a.IP ?? "", Port: a.Port ?? 0, Zone: a.Zone ?? "" };
    }
  }
  if ("struct" in f) return isObject(v) ? decodeStruct(f.struct, v, path) : bad(path, "an object");
  if (!Array.isArray(v)) bad(path, "an array");
  return v.map((item, i) =>
    isObject(item) ? decodeStruct(f.list, item, `${path}[${i}]`) : bad(`${path}[${i}]`, "an object")
  );
}

function decodeStruct(schema: Schema, raw: Obj, path: string): Obj {
  const out: Obj = {};
  for (const rawKey in raw) {
    const key = Object.hasOwn(schema, rawKey) ? rawKey : foldKey(schema, rawKey);
    if (key === undefined) continue; // Go ignores unknown fields.
    const v = raw[rawKey];
    if (v === null) continue; // Go leaves the field untouched on null.
    out[key] = decodeField(schema[key], v, path === "" ? key : `${path}.${key}`);
  }
  for (const key in schema) {
    const f = schema[key];
    if (typeof f === "object" && "struct" in f && out[key] === undefined) out[key] = {};
  }
  return out;
}

/**
 * Validates a parsed JSON value as the body of message `name`. Throws
 * MalformedMessageError on a non-object or a wrongly typed field.
 */
export function decodeBody<K extends MessageName>(name: K, raw: unknown): MessageBodies[K] {
  if (!isObject(raw)) {
    throw new MalformedMessageError(`Cannot decode ${name}: JSON body is not an object`);
  }
  return decodeStruct(SCHEMAS[name], raw, "") as unknown as MessageBodies[K];
}
