/**
 * Decoding of a parsed document (plain JS values) into the frp model, following Go
 * `encoding/json` semantics as frp uses them: field names match case-insensitively (exact
 * match preferred), unknown fields are errors in strict mode, ints must be integral, `null`
 * leaves a field unset, later duplicate keys win.
 *
 * @module
 */

import { parseBandwidth } from "./validate.ts";
import {
  clientPluginSchemas,
  proxySchemas,
  type Schema,
  visitorPluginSchemas,
  visitorSchemas,
} from "./schema.ts";

export type PathPart = string | number;

/** A decode failure with the path of the offending field. */
export class DecodeError extends Error {
  /** For a type mismatch: the JSON kind found (`string`, `number 5`…), for Go's texts. */
  found?: string;
  constructor(message: string, public path: PathPart[]) {
    super(message);
    this.name = "DecodeError";
  }
}

export interface DecodeOptions {
  strict: boolean;
  /** Visit object keys in sorted order (Go re-marshals TOML/YAML maps, which sorts keys). */
  sortKeys?: boolean;
}

function entries(v: Record<string, unknown>, opts: DecodeOptions): [string, unknown][] {
  const e = Object.entries(v);
  if (opts.sortKeys) e.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return e;
}

function jsonType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (v instanceof Date) return "string";
  switch (typeof v) {
    case "string":
      return "string";
    case "number":
    case "bigint":
      return "number";
    case "boolean":
      return "bool";
    default:
      return "object";
  }
}

function goType(s: Schema): string {
  switch (s.k) {
    case "string":
      return "string";
    case "int":
      return s.go ?? "int";
    case "bool":
      return "bool";
    case "float":
      return "float64";
    case "map":
      return `map[string]${goType(s.v)}`;
    case "array":
      return `[]${goType(s.of)}`;
    case "struct":
      return `v1.${s.name}`;
    case "proxies":
      return "[]jsonx.RawMessage"; // Go frpc decodes proxies raw first
    case "visitors":
      return "[]jsonx.RawMessage";
    case "clientPlugin":
      return "v1.TypedClientPluginOptions";
    case "visitorPlugin":
      return "v1.TypedVisitorPluginOptions";
    default:
      return "interface {}";
  }
}

/** Dotted path for messages: `proxies[0].localPort`. */
export function pathText(path: PathPart[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out ? `.${p}` : p;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Find the canonical field name for `key` (exact first, then ASCII case-insensitive). */
function matchField(fields: Record<string, Schema>, key: string): string | undefined {
  if (Object.hasOwn(fields, key)) return key;
  const lk = key.toLowerCase();
  for (const f of Object.keys(fields)) if (f.toLowerCase() === lk) return f;
  return undefined;
}

function mismatch(v: unknown, s: Schema, path: PathPart[]): DecodeError {
  if (path.length === 0) {
    // The whole document has the wrong shape: encoding/json's own text (Go frpc decodes
    // into its rawClientConfig first).
    const t = s.k === "struct" && s.name === "ClientConfig" ? "v1.rawClientConfig" : goType(s);
    return new DecodeError(
      `json: cannot unmarshal ${jsonType(v)} into Go value of type ${t}`,
      path,
    );
  }
  const found = `${jsonType(v)}${typeof v === "number" && s.k === "int" ? " " + v : ""}`;
  const e = new DecodeError(
    `field "${pathText(path)}": cannot unmarshal ${found} into ${goType(s)}`,
    path,
  );
  e.found = found;
  return e;
}

/** Fields Go frp's proxy/visitor structs get from embedded structs (they show in Go's texts). */
const EMBEDDED: Record<string, string> = {
  name: "ProxyBaseConfig",
  type: "ProxyBaseConfig",
  enabled: "ProxyBaseConfig",
  annotations: "ProxyBaseConfig",
  transport: "ProxyBaseConfig",
  metadatas: "ProxyBaseConfig",
  loadBalancer: "ProxyBaseConfig",
  healthCheck: "ProxyBaseConfig",
  localIP: "ProxyBaseConfig.ProxyBackend",
  localPort: "ProxyBaseConfig.ProxyBackend",
  plugin: "ProxyBaseConfig.ProxyBackend",
  customDomains: "DomainConfig",
  subdomain: "DomainConfig",
};
const VISITOR_BASE = [
  "name",
  "type",
  "enabled",
  "transport",
  "secretKey",
  "serverUser",
  "serverName",
  "bindAddr",
  "bindPort",
  "plugin",
];

/**
 * encoding/json's text for a type mismatch inside a proxy or visitor (Go decodes those into
 * the concrete struct): `json: cannot unmarshal string into Go struct field
 * TCPProxyConfig.ProxyBaseConfig.ProxyBackend.localPort of type int`.
 */
function goStructFieldError(
  e: DecodeError,
  s: Schema,
  rel: PathPart[],
  kind: "proxy" | "visitor" | "plugin",
): string | undefined {
  let cur: Schema | undefined = s;
  let struct = "";
  const names: string[] = [];
  for (const part of rel) {
    if (cur?.k === "struct") {
      const f = matchField(cur.fields, String(part));
      if (f === undefined) return undefined;
      if (names.length === 0) {
        const emb = kind === "proxy"
          ? EMBEDDED[f]
          : kind === "visitor" && VISITOR_BASE.includes(f)
          ? "VisitorBaseConfig"
          : undefined;
        if (emb) names.push(emb);
      }
      struct = cur.name;
      names.push(f);
      cur = cur.fields[f];
    } else if (cur?.k === "array") cur = cur.of;
    else if (cur?.k === "map") cur = cur.v;
    else return undefined;
  }
  if (!cur || !struct) return undefined;
  return `json: cannot unmarshal ${e.found} into Go struct field ${struct}.${
    names.join(".")
  } of type ${goType(cur)}`;
}

/** Decode `v` against `s`. Returns undefined for `null`. */
export function decodeValue(
  v: unknown,
  s: Schema,
  path: PathPart[],
  opts: DecodeOptions,
): unknown {
  if (v === null || v === undefined) return undefined;
  switch (s.k) {
    case "raw":
      return v;
    case "string":
      if (typeof v === "string") return v;
      if (v instanceof Date) return v.toISOString();
      throw mismatch(v, s, path);
    case "bool":
      if (typeof v === "boolean") return v;
      throw mismatch(v, s, path);
    case "int": {
      if (typeof v === "bigint") {
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
          throw new DecodeError(
            `field "${pathText(path)}": cannot unmarshal number ${v} into int`,
            path,
          );
        }
        return Number(v);
      }
      if (typeof v === "number") {
        if (!Number.isInteger(v)) throw mismatch(v, s, path);
        return v;
      }
      throw mismatch(v, s, path);
    }
    case "float":
      if (typeof v === "number") return v;
      if (typeof v === "bigint") return Number(v);
      throw mismatch(v, s, path);
    case "array": {
      if (!Array.isArray(v)) throw mismatch(v, s, path);
      return v.map((e, i) => decodeValue(e, s.of, [...path, i], opts) ?? zeroOf(s.of));
    }
    case "map": {
      if (!isPlainObject(v)) throw mismatch(v, s, path);
      const out: Record<string, unknown> = {};
      for (const [k, e] of Object.entries(v)) {
        out[k] = decodeValue(e, s.v, [...path, k], opts) ?? zeroOf(s.v);
      }
      return out;
    }
    case "struct":
      if (s.name !== "ClientConfig" || path.length > 0) return decodeStruct(v, s, path, opts);
      try {
        return decodeStruct(v, s, path, opts);
      } catch (e) {
        // Go's ClientConfig embeds ClientCommonConfig: its name shows in the field path.
        const top = e instanceof DecodeError ? String(e.path[0]) : "";
        if (
          e instanceof DecodeError && e.found !== undefined && !/^(proxies|visitors)$/.test(top)
        ) {
          e.message = e.message.replace('field "', 'field "ClientCommonConfig.');
        }
        throw e;
      }
    case "proxies":
    case "visitors": {
      if (!Array.isArray(v)) throw mismatch(v, s, path);
      const kind = s.k === "proxies" ? "proxy" : "visitor";
      return v.map((e, i) => decodeTyped(e, kind, [...path, i], opts, i));
    }
    case "clientPlugin":
    case "visitorPlugin":
      return decodePlugin(v, s.k === "clientPlugin", path, opts);
  }
}

function zeroOf(s: Schema): unknown {
  switch (s.k) {
    case "string":
      return "";
    case "int":
    case "float":
      return 0;
    case "bool":
      return false;
    case "struct":
    case "map":
      return {};
    default:
      return undefined;
  }
}

function decodeStruct(
  v: unknown,
  s: Extract<Schema, { k: "struct" }>,
  path: PathPart[],
  opts: DecodeOptions,
  skip: Set<string> = new Set(),
): Record<string, unknown> {
  if (!isPlainObject(v)) throw mismatch(v, s, path);
  const out: Record<string, unknown> = {};
  for (const [k, e] of entries(v, opts)) {
    const f = matchField(s.fields, k);
    if (f === undefined) {
      if (opts.strict) throw new DecodeError(`json: unknown field "${k}"`, [...path, k]);
      continue;
    }
    if (skip.has(f)) continue;
    const d = decodeValue(e, s.fields[f], [...path, k], opts);
    if (d !== undefined) out[f] = d;
    else delete out[f];
  }
  return out;
}

function getTypeField(v: Record<string, unknown>, path: PathPart[]): string {
  let t: unknown = undefined;
  for (const [k, e] of Object.entries(v)) if (k.toLowerCase() === "type") t = e;
  if (t === undefined || t === null) return "";
  if (typeof t !== "string") {
    throw new DecodeError(
      `json: cannot unmarshal ${jsonType(t)} into Go struct field .type of type string`,
      [
        ...path,
        "type",
      ],
    );
  }
  return t;
}

function decodeTyped(
  v: unknown,
  kind: "proxy" | "visitor",
  path: PathPart[],
  opts: DecodeOptions,
  index: number,
): Record<string, unknown> {
  const prefix = `decode ${kind} at index ${index}: `;
  try {
    if (v === null || v === undefined) throw new DecodeError("type is required", path);
    if (!isPlainObject(v)) {
      throw new DecodeError(
        `json: cannot unmarshal ${jsonType(v)} into Go value of type v1.Typed${
          kind === "proxy" ? "Proxy" : "Visitor"
        }Config`,
        path,
      );
    }
    const t = getTypeField(v, path);
    const schemas = kind === "proxy" ? proxySchemas : visitorSchemas;
    const s = Object.hasOwn(schemas, t) ? schemas[t] : undefined;
    if (!s || s.k !== "struct") {
      throw new DecodeError(`unknown ${kind} type: ${t}`, [...path, "type"]);
    }
    try {
      const out = decodeStruct(v, s, path, opts);
      out.type = t;
      // Go parses the bandwidth while decoding (BandwidthQuantity.UnmarshalJSON).
      const bw = (out.transport as Record<string, unknown> | undefined)?.bandwidthLimit;
      if (typeof bw === "string" && bw !== "") {
        try {
          parseBandwidth(bw);
        } catch (err) {
          throw new DecodeError((err as Error).message, [...path, "transport", "bandwidthLimit"]);
        }
      }
      return out;
    } catch (e) {
      if (e instanceof DecodeError && e.found !== undefined) {
        e.message = goStructFieldError(e, s, e.path.slice(path.length), kind) ?? e.message;
      }
      if (e instanceof DecodeError && !/^unmarshal (proxy|visitor) plugin/.test(e.message)) {
        e.message = `unmarshal ${
          kind === "proxy" ? "ProxyConfig" : "VisitorConfig"
        } error: ${e.message}`;
      }
      throw e;
    }
  } catch (e) {
    if (e instanceof DecodeError) e.message = prefix + e.message;
    throw e;
  }
}

function decodePlugin(
  v: unknown,
  client: boolean,
  path: PathPart[],
  opts: DecodeOptions,
): Record<string, unknown> | undefined {
  if (!isPlainObject(v)) {
    throw mismatch(v, { k: client ? "clientPlugin" : "visitorPlugin" }, path);
  }
  if (Object.keys(v).length === 0) return undefined;
  const t = getTypeField(v, path);
  if (t === "") throw new DecodeError("plugin type is empty", [...path, "type"]);
  const schemas = client ? clientPluginSchemas : visitorPluginSchemas;
  const s = Object.hasOwn(schemas, t) ? schemas[t] : undefined;
  if (!s || s.k !== "struct") {
    throw new DecodeError(`unknown ${client ? "" : "visitor "}plugin type: ${t}`, [
      ...path,
      "type",
    ]);
  }
  try {
    const out = decodeStruct(v, s, path, opts);
    out.type = t;
    return out;
  } catch (e) {
    if (e instanceof DecodeError && e.found !== undefined) {
      // Go meets a type error while decoding the proxy struct (its plugin field's own
      // UnmarshalJSON), an unknown field only in the strict second pass.
      const text = goStructFieldError(e, s, e.path.slice(path.length), "plugin");
      e.found = undefined;
      e.message = `unmarshal ${client ? "Client" : "Visitor"}PluginOptions error: ${
        text ?? e.message
      }`;
    } else if (e instanceof DecodeError) {
      e.message = `unmarshal ${client ? "proxy" : "visitor"} plugin error: unmarshal ${
        client ? "Client" : "Visitor"
      }PluginOptions error: ${e.message}`;
    }
    throw e;
  }
}
