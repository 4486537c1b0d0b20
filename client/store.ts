/**
 * frpc's store source (`store.path`, Go's pkg/config/source/store.go + client/config_manager.go):
 * proxies and visitors created through `/api/store/*`, persisted to a JSON file (written to
 * `<path>.tmp`, then renamed), merged over the config file's entries (same name: the store
 * wins), and applied like a reload.
 *
 * @module
 */

import {
  completeProxy,
  completeVisitor,
  decodeStoreData,
  encodeStoreData,
  type StoreEntry,
  type StoreKind,
  validateProxy,
  validateVisitor,
} from "../config/mod.ts";
import type { ClientConfig, ProxyConfig, VisitorConfig } from "../config/types.ts";

/** A store operation's failure: the HTTP status and frp's message. */
export class StoreError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
    this.name = "StoreError";
  }
}

const byName = <T extends { name: string }>(a: T, b: T) =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

/** The store file and its entries. */
export class ConfigStore {
  readonly path: string;
  readonly #entries: Record<StoreKind, Map<string, StoreEntry>> = {
    proxy: new Map(),
    visitor: new Map(),
  };

  private constructor(path: string) {
    this.path = path;
  }

  /** Opens the store at `path`; a missing file is an empty store (Go's NewStoreSource). */
  static async open(path: string): Promise<ConfigStore> {
    const s = new ConfigStore(path);
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return s;
      throw new Error(`failed to load existing data: ${(e as Error).message}`);
    }
    let d;
    try {
      d = decodeStoreData(text);
    } catch (e) {
      throw new Error(`failed to load existing data: ${(e as Error).message}`);
    }
    for (const p of d.proxies) s.#entries.proxy.set(String(p.name), p);
    for (const v of d.visitors) s.#entries.visitor.set(String(v.name), v);
    return s;
  }

  /** The stored entries of `kind` (not completed). */
  list(kind: StoreKind): StoreEntry[] {
    return [...this.#entries[kind].values()];
  }

  get(kind: StoreKind, name: string): StoreEntry | undefined {
    return this.#entries[kind].get(name);
  }

  /** True when `name` is a store proxy that is enabled (`/api/status` marks it `store`). */
  isStoreProxyEnabled(name: string): boolean {
    const p = this.#entries.proxy.get(name);
    return !!p && p.enabled !== false;
  }

  /** Adds an entry: 400 when invalid, 409 when the name exists; persisted before it resolves. */
  async create(kind: StoreKind, entry: StoreEntry): Promise<void> {
    validate(kind, entry);
    const m = this.#entries[kind];
    const name = String(entry.name);
    if (m.has(name)) throw new StoreError(409, `conflict: already exists: ${kind} "${name}"`);
    m.set(name, entry);
    await this.#persistOr(() => m.delete(name));
  }

  /** Replaces the entry `name`: 400 when invalid, 404 when missing. */
  async update(kind: StoreKind, name: string, entry: StoreEntry): Promise<void> {
    if (entry.name !== name) {
      throw new StoreError(400, `invalid argument: ${kind} name in URL must match name in body`);
    }
    validate(kind, entry);
    const m = this.#entries[kind];
    const old = m.get(name);
    if (!old) throw new StoreError(404, `not found: not found: ${kind} "${name}"`);
    m.set(name, entry);
    await this.#persistOr(() => m.set(name, old));
  }

  /** Deletes the entry `name`: 404 when missing. */
  async delete(kind: StoreKind, name: string): Promise<void> {
    const m = this.#entries[kind];
    const old = m.get(name);
    if (!old) throw new StoreError(404, `not found: not found: ${kind} "${name}"`);
    m.delete(name);
    await this.#persistOr(() => m.set(name, old));
  }

  async #persistOr(rollback: () => void): Promise<void> {
    try {
      await this.#save();
    } catch (e) {
      rollback();
      throw new StoreError(500, `failed to persist: ${(e as Error).message}`);
    }
  }

  async #save(): Promise<void> {
    const text = encodeStoreData({
      proxies: this.list("proxy"),
      visitors: this.list("visitor"),
    });
    const dir = this.path.includes("/") ? this.path.slice(0, this.path.lastIndexOf("/")) : ".";
    try {
      await Deno.mkdir(dir || "/", { recursive: true, mode: 0o755 });
    } catch (e) {
      throw new Error(`failed to create directory: ${(e as Error).message}`);
    }
    const tmp = `${this.path}.tmp`;
    try {
      await Deno.writeTextFile(tmp, text, { mode: 0o600 });
    } catch (e) {
      await Deno.remove(tmp).catch(() => {});
      throw new Error(`failed to write temp file: ${(e as Error).message}`);
    }
    try {
      await Deno.rename(tmp, this.path);
    } catch (e) {
      await Deno.remove(tmp).catch(() => {});
      throw new Error(`failed to rename temp file: ${(e as Error).message}`);
    }
  }

  /**
   * `base` (the config file's completed config) with the store's enabled entries merged over
   * it by name, filtered by `start` and sorted by name, as Go's aggregator does.
   */
  merge(base: ClientConfig): ClientConfig {
    const keep = (e: StoreEntry) =>
      e.enabled !== false && (base.start.length === 0 || base.start.includes(String(e.name)));
    const proxies = new Map<string, ProxyConfig>(base.proxies.map((p) => [p.name, p]));
    for (const e of this.list("proxy").filter(keep)) proxies.set(String(e.name), completeProxy(e));
    const visitors = new Map<string, VisitorConfig>(base.visitors.map((v) => [v.name, v]));
    for (const e of this.list("visitor").filter(keep)) {
      visitors.set(String(e.name), completeVisitor(e));
    }
    return {
      ...base,
      proxies: [...proxies.values()].sort(byName),
      visitors: [...visitors.values()].sort(byName),
    };
  }
}

/** Go's validateStoreProxyConfigurer / validateStoreVisitorConfigurer on a completed copy. */
function validate(kind: StoreKind, entry: StoreEntry): void {
  const err = kind === "proxy"
    ? validateProxy(completeProxy(entry))
    : validateVisitor(completeVisitor(entry));
  if (err) throw new StoreError(400, `invalid argument: validation error: ${err}`);
}
