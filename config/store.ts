/**
 * frpc's store (`store.path`, Go's pkg/config/source/store.go and client/http/model): the
 * persisted file `{"proxies": [...], "visitors": [...]}` of typed proxy/visitor configs, and
 * the `/api/store/*` request bodies `{"name", "type", "<type>": {...}}`. Pure: file and
 * network I/O live in client/store.ts.
 *
 * @module
 */

import { DecodeError, decodeValue } from "./decode.ts";
import type { Schema } from "./schema.ts";
import { proxySchemas, visitorSchemas } from "./schema.ts";

/** Decoded (not completed) proxy or visitor entries, in the v1 field names. */
export type StoreEntry = Record<string, unknown>;

/** The store file's content. */
export interface StoreData {
  proxies: StoreEntry[];
  visitors: StoreEntry[];
}

export type StoreKind = "proxy" | "visitor";

const storeFileSchema: Schema = {
  k: "struct",
  name: "storeData",
  fields: { proxies: { k: "proxies" }, visitors: { k: "visitors" } },
};

/** Parses a store file like Go's loadFromFileUnlocked (unknown fields allowed). */
export function decodeStoreData(text: string): StoreData {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`failed to parse JSON: ${(e as Error).message}`);
  }
  let d: Record<string, unknown>;
  try {
    d = (decodeValue(raw, storeFileSchema, [], { strict: false }) ?? {}) as Record<
      string,
      unknown
    >;
  } catch (e) {
    throw new Error(`failed to parse JSON: ${(e as Error).message}`);
  }
  const out: StoreData = {
    proxies: (d.proxies as StoreEntry[] | undefined) ?? [],
    visitors: (d.visitors as StoreEntry[] | undefined) ?? [],
  };
  if (out.proxies.some((p) => !p.name)) throw new Error("proxy name cannot be empty");
  if (out.visitors.some((v) => !v.name)) throw new Error("visitor name cannot be empty");
  return out;
}

/** The store file text (Go: MarshalIndent with two spaces, empty lists omitted). */
export function encodeStoreData(d: StoreData): string {
  const o: Record<string, unknown> = {};
  if (d.proxies.length) o.proxies = d.proxies;
  if (d.visitors.length) o.visitors = d.visitors;
  return JSON.stringify(o, null, 2);
}

const PROXY_TYPES = ["tcp", "udp", "http", "https", "tcpmux", "stcp", "sudp", "xtcp"];
const VISITOR_TYPES = ["stcp", "sudp", "xtcp"];

/** Case-insensitive member lookup, as Go's encoding/json matches field names. */
function member(o: Record<string, unknown>, key: string): unknown {
  if (Object.hasOwn(o, key)) return o[key];
  const k = Object.keys(o).find((x) => x.toLowerCase() === key.toLowerCase());
  return k === undefined ? undefined : o[k];
}

/**
 * A `/api/store/*` body as an entry: Go's json.Unmarshal into ProxyDefinition/VisitorDefinition,
 * then `Validate(pathName, isUpdate)` and `ToConfigurer()`. Throws an Error whose message is
 * the HTTP 400 text.
 */
export function decodeDefinition(
  kind: StoreKind,
  body: string,
  pathName = "",
  isUpdate = false,
): StoreEntry {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (e) {
    const why = body.trim() === "" ? "unexpected end of JSON input" : (e as Error).message;
    throw new Error(`parse JSON error: ${why}`);
  }
  if (raw === null) raw = {};
  if (typeof raw !== "object" || Array.isArray(raw)) {
    throw new Error(
      `parse JSON error: json: cannot unmarshal ${
        Array.isArray(raw) ? "array" : typeof raw
      } into Go value of type model.${kind === "proxy" ? "Proxy" : "Visitor"}Definition`,
    );
  }
  const o = raw as Record<string, unknown>;
  const types = kind === "proxy" ? PROXY_TYPES : VISITOR_TYPES;
  const schemas = kind === "proxy" ? proxySchemas : visitorSchemas;
  const blocks: [string, StoreEntry][] = [];
  for (const t of types) {
    const b = member(o, t);
    if (b === undefined || b === null) continue;
    try {
      blocks.push([t, (decodeValue(b, schemas[t], [t], { strict: false }) ?? {}) as StoreEntry]);
    } catch (e) {
      if (e instanceof DecodeError) throw new Error(`parse JSON error: ${e.message}`);
      throw e;
    }
  }
  const name = member(o, "name");
  const type = member(o, "type");
  if (typeof name !== "string" && name !== undefined) {
    throw new Error(
      `parse JSON error: json: cannot unmarshal ${typeof name} into Go struct field .name of type string`,
    );
  }
  const n = (name as string | undefined) ?? "";
  const t = typeof type === "string" ? type : "";
  if (n.trim() === "") throw new Error(`${kind} name is required`);
  if (!types.includes(t)) throw new Error(`invalid ${kind} type: ${t}`);
  if (isUpdate && pathName !== "" && pathName !== n) {
    throw new Error(`${kind} name in URL must match name in body`);
  }
  if (blocks.length !== 1) throw new Error(`exactly one ${kind} type block is required`);
  const [blockType, block] = blocks[0];
  if (blockType !== t) {
    throw new Error(`${kind} type block "${blockType}" does not match type "${t}"`);
  }
  return { ...block, name: n, type: t };
}
