/**
 * Loading pipeline: read → (legacy INI | template → parse → decode) → complete → validate.
 *
 * @module
 */

import { type ConfigHost, denoHost, EnvAccessDenied } from "./_fs.ts";
import {
  completeClientCommon,
  completeProxy,
  completeServer,
  completeVisitor,
} from "./complete.ts";
import { DecodeError, decodeValue } from "./decode.ts";
import { ConfigError } from "./errors.ts";
import { convertLegacyClient, convertLegacyServer, isLegacyIni } from "./legacy.ts";
import { parseConfigText, type Parsed, ParseError } from "./parse.ts";
import { clientSchema, serverSchema } from "./schema.ts";
import { renderTemplate, TemplateError } from "./template/mod.ts";
import type {
  ClientConfig,
  ClientConfigInput,
  ProxyConfig,
  ServerConfig,
  ServerConfigInput,
  VisitorConfig,
} from "./types.ts";
import { unsupportedSettings } from "./unsupported.ts";
import {
  validateClientCommon,
  validateProxy,
  validateServer,
  validateValueSource,
  validateVisitor,
} from "./validate.ts";

/** Options for {@link loadServerConfig} and {@link loadClientConfig}. */
export interface LoadOptions {
  /** Reject unknown fields (default true, like `--strict_config`). */
  strict?: boolean;
  /** Enabled unsafe features (`--allow-unsafe`), e.g. `["TokenSourceExec"]`. */
  allowUnsafe?: string[];
  /** Resolve `auth.tokenSource` into `auth.token` (default true; verify does not). */
  resolveTokenSource?: boolean;
  /**
   * Validate the client config (default true). Go's `frpc reload|status|stop` load the file
   * without validating it: the running frpc's reload judges it.
   */
  validate?: boolean;
  /** @internal Runtime services (default: Deno). */
  host?: ConfigHost;
  /** Environment for templates and `http_proxy` (default: host.envs()). */
  env?: Record<string, string>;
}

/** A loaded, completed and validated config with its warnings. */
export interface LoadedConfig<T> {
  /** The completed config, defaults filled in. */
  config: T;
  /** Warning texts (print as `WARNING: <text>`); includes the INI deprecation notice. */
  warnings: string[];
  /** Whether the file was in frp's deprecated INI format. */
  legacyIni: boolean;
}

export const INI_DEPRECATION_WARNING =
  "ini format is deprecated and the support will be removed in the future, please use yaml/json/toml format instead!";

// ------------------------------------------------------------------ path helpers

function isAbs(p: string): boolean {
  return p.startsWith("/") || /^[A-Za-z]:[\\/]/.test(p);
}

/** Go filepath.Clean (POSIX flavour). */
export function cleanPath(p: string): string {
  const abs = p.startsWith("/");
  const parts: string[] = [];
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (parts.length && parts[parts.length - 1] !== "..") parts.pop();
      else if (!abs) parts.push("..");
    } else parts.push(seg);
  }
  const out = (abs ? "/" : "") + parts.join("/");
  return out || (abs ? "/" : ".");
}

export function absPath(cwd: string, p: string): string {
  return cleanPath(isAbs(p) ? p : `${cwd}/${p}`);
}

function dirname(p: string): string {
  const i = p.lastIndexOf("/");
  if (i < 0) return ".";
  if (i === 0) return "/";
  return p.slice(0, i);
}

function basename(p: string): string {
  const i = p.lastIndexOf("/");
  return i < 0 ? p : p.slice(i + 1);
}

/** Go filepath.Match for one path element (`*`, `?`, `[...]`, `\\` escapes). */
export function globMatch(pattern: string, name: string): boolean {
  let re = "^";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end < 0) return false;
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith("^")) cls = "^" + cls.slice(1);
      re += "[" + cls.replace(/\\/g, "\\\\") + "]";
      i = end;
    } else if (c === "\\" && i + 1 < pattern.length) {
      re += "\\" + pattern[++i];
    } else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  try {
    return new RegExp(re + "$").test(name);
  } catch {
    return false;
  }
}

// ------------------------------------------------------------------ parse + decode

function dropDotKeys(v: unknown): unknown {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, e] of Object.entries(v)) if (!k.startsWith(".")) out[k] = e;
  return out;
}

/** Render + parse + decode one v1 file. Throws ConfigError with Go's texts (no file name or position, as Go). */
async function decodeV1Text(
  text: string,
  file: string,
  kind: "server" | "client",
  strict: boolean,
  env: Record<string, string>,
): Promise<Record<string, unknown>> {
  let rendered: string;
  try {
    rendered = renderTemplate(text, env);
  } catch (e) {
    if (e instanceof TemplateError || e instanceof EnvAccessDenied) {
      throw new ConfigError(e.message);
    }
    throw e;
  }
  let parsed: Parsed;
  try {
    parsed = await parseConfigText(rendered, file);
  } catch (e) {
    if (e instanceof ParseError) throw new ConfigError(e.message);
    throw e;
  }
  let value = parsed.value;
  if (parsed.format === "yaml") value = dropDotKeys(value);
  if (value === null || value === undefined) value = {};
  try {
    return (decodeValue(value, kind === "server" ? serverSchema : clientSchema, [], {
      strict,
      sortKeys: parsed.format !== "json",
    }) ??
      {}) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof DecodeError) throw new ConfigError(e.message);
    throw e;
  }
}

async function readFile(host: ConfigHost, path: string): Promise<string> {
  try {
    return await host.readTextFile(path);
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
}

// ------------------------------------------------------------------ token sources

/**
 * frp's ValueSource.Resolve: the trimmed content of a file, or the trimmed stdout of a command
 * (`exec` needs frp's `--allow-unsafe TokenSourceExec`, checked by the caller, and Deno's
 * --allow-run). Throws Go's texts (`failed to read file …`, `failed to execute command …`).
 */
export async function resolveValueSource(
  src: import("./types.ts").ValueSource,
  host: ConfigHost = denoHost,
): Promise<string> {
  const v = validateValueSource(src);
  if (v) throw new Error(v);
  if (src.type === "file") {
    try {
      return (await host.readTextFile(src.file!.path)).trim();
    } catch (e) {
      throw new Error(`failed to read file ${src.file!.path}: ${(e as Error).message}`);
    }
  }
  const env: Record<string, string> = {};
  for (const e of src.exec!.env ?? []) env[e.name] = e.value;
  const cmd = src.exec!.command;
  try {
    return (await host.exec(cmd, src.exec!.args ?? [], env)).trim();
  } catch (e) {
    throw new Error(`failed to execute command ${cmd}: ${(e as Error).message}`);
  }
}

async function resolveTokenSource(
  auth: { token: string; tokenSource?: import("./types.ts").ValueSource },
  host: ConfigHost,
  allowUnsafe: string[],
): Promise<void> {
  const ts = auth.tokenSource;
  if (!ts) return;
  const v = validateValueSource(ts);
  if (v) throw new ConfigError(`failed to resolve auth.tokenSource: ${v}`);
  if (ts.type === "exec" && !allowUnsafe.includes("TokenSourceExec")) {
    throw new ConfigError(
      `failed to resolve auth.tokenSource: unsafe feature "TokenSourceExec" is not enabled. To enable it, ensure it is allowed in the configuration or command line flags`,
    );
  }
  try {
    auth.token = await resolveValueSource(ts, host);
  } catch (e) {
    throw new ConfigError(`failed to resolve auth.tokenSource: ${(e as Error).message}`);
  }
  delete auth.tokenSource;
}

// ------------------------------------------------------------------ server

function finishServer(
  decoded: unknown,
  allowUnsafe: string[],
): { config: ServerConfig; warnings: string[] } {
  const config = completeServer(decoded);
  const r = validateServer(config, allowUnsafe);
  if (r.errors.length) throw new ConfigError(r.errors.join("\n"));
  return { config, warnings: r.warnings };
}

/**
 * Reads, templates, completes and validates an frps config file (TOML, YAML, JSON or legacy
 * INI), like `frps -c`. Throws {@link ConfigError} with frp's message on bad input.
 *
 * @example
 * ```ts ignore
 * const { config, warnings } = await loadServerConfig("./frps.toml");
 * const server = await startServer(config);
 * ```
 */
export async function loadServerConfig(
  path: string,
  opts: LoadOptions = {},
): Promise<LoadedConfig<ServerConfig>> {
  const host = opts.host ?? denoHost;
  const env = opts.env ?? host.envs();
  const strict = opts.strict ?? true;
  const allowUnsafe = opts.allowUnsafe ?? [];
  const text = await readFile(host, path);
  const warnings: string[] = [];
  let decoded: Record<string, unknown>;
  const legacy = isLegacyIni(text);
  if (legacy) {
    decoded = convertLegacyServer(renderLegacy(text, env), path);
    warnings.push(INI_DEPRECATION_WARNING);
  } else decoded = await decodeV1Text(text, path, "server", strict, env);
  const r = finishServer(decoded, allowUnsafe);
  warnings.push(...r.warnings);
  if (opts.resolveTokenSource !== false && r.config.auth.method === "token") {
    await resolveTokenSource(r.config.auth, host, allowUnsafe);
  }
  return { config: r.config, warnings, legacyIni: legacy };
}

function renderLegacy(text: string, env: Record<string, string>): string {
  try {
    return renderTemplate(text, env);
  } catch (e) {
    if (e instanceof TemplateError || e instanceof EnvAccessDenied) {
      throw new ConfigError(e.message);
    }
    throw e;
  }
}

/**
 * Complete + validate a server config given as an object (embedders/tests). Throws
 * {@link ConfigError} with frp's message on bad input.
 *
 * @example
 * ```ts ignore
 * const config = completeServerConfig({ bindPort: 7000, vhostHTTPPort: 8080 });
 * ```
 */
export function completeServerConfig(
  input: ServerConfigInput,
  opts: LoadOptions = {},
): ServerConfig {
  let decoded: unknown;
  try {
    decoded = decodeValue(input ?? {}, serverSchema, [], { strict: opts.strict ?? true });
  } catch (e) {
    if (e instanceof DecodeError) throw new ConfigError(e.message);
    throw e;
  }
  return finishServer(decoded, opts.allowUnsafe ?? []).config;
}

// ------------------------------------------------------------------ client

interface ClientParts {
  common: Record<string, unknown>;
  proxies: Record<string, unknown>[];
  visitors: Record<string, unknown>[];
}

function finishClient(
  parts: ClientParts,
  env: Record<string, string>,
  allowUnsafe: string[],
  filter: boolean,
  includeDirExists?: (p: string) => boolean,
  validate = true,
): { config: ClientConfig; warnings: string[] } {
  const common = completeClientCommon(parts.common, env);
  // duplicates
  const seenP = new Set<string>();
  for (const p of parts.proxies) {
    const n = String(p.name ?? "");
    if (seenP.has(n)) throw new ConfigError(`proxy name [${n}] is duplicated`);
    seenP.add(n);
  }
  const seenV = new Set<string>();
  for (const v of parts.visitors) {
    const n = String(v.name ?? "");
    if (seenV.has(n)) throw new ConfigError(`visitor name [${n}] is duplicated`);
    seenV.add(n);
  }
  let proxies = parts.proxies;
  let visitors = parts.visitors;
  if (filter) {
    if (common.start.length > 0) {
      const start = new Set(common.start);
      proxies = proxies.filter((p) => start.has(String(p.name ?? "")));
      visitors = visitors.filter((v) => start.has(String(v.name ?? "")));
    }
    proxies = proxies.filter((p) => p.enabled !== false);
    visitors = visitors.filter((v) => v.enabled !== false);
  }
  const cps: ProxyConfig[] = proxies.map(completeProxy);
  const cvs: VisitorConfig[] = visitors.map(completeVisitor);
  if (!validate) return { config: { ...common, proxies: cps, visitors: cvs }, warnings: [] };
  const r = validateClientCommon(common, allowUnsafe, includeDirExists);
  if (r.errors.length) throw new ConfigError(r.errors.join("\n"));
  for (const p of cps) {
    const e = validateProxy(p, common.featureGates);
    if (e) throw new ConfigError(`proxy ${p.name}: ${e}`);
  }
  for (const v of cvs) {
    const e = validateVisitor(v);
    if (e) throw new ConfigError(`visitor ${v.name}: ${e}`);
  }
  return { config: { ...common, proxies: cps, visitors: cvs }, warnings: r.warnings };
}

function splitClient(decoded: Record<string, unknown>): ClientParts {
  const { proxies, visitors, ...common } = decoded;
  return {
    common,
    proxies: (proxies as Record<string, unknown>[] | undefined) ?? [],
    visitors: (visitors as Record<string, unknown>[] | undefined) ?? [],
  };
}

/**
 * Reads, templates, completes and validates an frpc config file (with `includes`), like
 * `frpc -c`. Throws {@link ConfigError} with frp's message on bad input.
 *
 * @example
 * ```ts ignore
 * const { config } = await loadClientConfig("./frpc.toml");
 * await startClient(config).run();
 * ```
 */
export async function loadClientConfig(
  path: string,
  opts: LoadOptions = {},
): Promise<LoadedConfig<ClientConfig>> {
  const host = opts.host ?? denoHost;
  const env = opts.env ?? host.envs();
  const strict = opts.strict ?? true;
  const allowUnsafe = opts.allowUnsafe ?? [];
  const text = await readFile(host, path);
  const warnings: string[] = [];
  const legacy = isLegacyIni(text);
  let parts: ClientParts;
  if (legacy) {
    const rendered = renderLegacy(text, env);
    const conv = convertLegacyClient(rendered, path);
    parts = splitClient(conv);
    warnings.push(INI_DEPRECATION_WARNING);
  } else {
    parts = splitClient(await decodeV1Text(text, path, "client", strict, env));
    // includes
    const cwd = host.cwd();
    for (const pattern of (parts.common.includes as string[] | undefined) ?? []) {
      const dir = absPath(cwd, dirname(pattern));
      let isDir: boolean;
      try {
        isDir = await host.isDir(dir);
      } catch (e) {
        throw new ConfigError((e as Error).message);
      }
      if (!isDir) throw new ConfigError(`stat ${dir}: no such file or directory`);
      let entries;
      try {
        entries = await host.readDir(dir);
      } catch (e) {
        throw new ConfigError(`open ${dir}: ${(e as Error).message}`);
      }
      const base = basename(pattern);
      const files = entries.filter((e) => e.isFile && globMatch(base, e.name)).map((e) => e.name)
        .sort();
      for (const f of files) {
        const full = `${dir}/${f}`;
        try {
          const t = await readFile(host, full);
          const d = splitClient(await decodeV1Text(t, full, "client", strict, env));
          parts.proxies.push(...d.proxies);
          parts.visitors.push(...d.visitors);
        } catch (e) {
          const what = `load additional config from ${full} error: `;
          throw new ConfigError(
            what + (e as Error).message,
            what + (e instanceof ConfigError ? e.goText : (e as Error).message),
          );
        }
      }
    }
  }
  const r = finishClient(parts, env, allowUnsafe, true, undefined, opts.validate ?? true);
  warnings.push(...r.warnings);
  if (opts.resolveTokenSource !== false && r.config.auth.method === "token") {
    await resolveTokenSource(r.config.auth, host, allowUnsafe);
  }
  return { config: r.config, warnings, legacyIni: legacy };
}

/**
 * Complete + validate a client config given as an object (no includes, no start filter).
 *
 * @example
 * ```ts ignore
 * const config = completeClientConfig({
 *   serverAddr: "frps.example.com",
 *   proxies: [{ name: "web", type: "http", localPort: 80, customDomains: ["example.com"] }],
 * });
 * ```
 */
export function completeClientConfig(
  input: ClientConfigInput,
  opts: LoadOptions = {},
): ClientConfig {
  let decoded: Record<string, unknown>;
  try {
    decoded = (decodeValue(input ?? {}, clientSchema, [], { strict: opts.strict ?? true }) ??
      {}) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof DecodeError) throw new ConfigError(e.message);
    throw e;
  }
  return finishClient(splitClient(decoded), opts.env ?? {}, opts.allowUnsafe ?? [], false).config;
}

// ------------------------------------------------------------------ verify

export interface VerifyResult {
  ok: boolean;
  output: string[];
  exitCode: number;
}

async function verify(
  bin: "frps" | "frpc",
  path: string | undefined,
  opts: LoadOptions,
): Promise<VerifyResult> {
  if (!path) {
    return { ok: true, output: [`${bin}: the configuration file is not specified`], exitCode: 0 };
  }
  try {
    const o = { ...opts, resolveTokenSource: false };
    const r = bin === "frps" ? await loadServerConfig(path, o) : await loadClientConfig(path, o);
    const unsupported = bin === "frps"
      ? unsupportedSettings("server", r.config as ServerConfig)
      : unsupportedSettings("client", r.config as ClientConfig);
    const out = [...r.warnings.filter((w) => w !== INI_DEPRECATION_WARNING), ...unsupported]
      .map((w) => `WARNING: ${w}`);
    out.push(`${bin}: the configuration file ${path} syntax is ok`);
    return { ok: true, output: out, exitCode: 0 };
  } catch (e) {
    if (e instanceof ConfigError) return { ok: false, output: [e.message], exitCode: 1 };
    return { ok: false, output: [e instanceof Error ? e.message : String(e)], exitCode: 1 };
  }
}

/** `frps verify -c <path>`: frp's output lines and exit code. */
export function verifyServerConfig(path: string | undefined, opts: LoadOptions = {}) {
  return verify("frps", path, opts);
}

/** `frpc verify -c <path>`: frp's output lines and exit code. */
export function verifyClientConfig(path: string | undefined, opts: LoadOptions = {}) {
  return verify("frpc", path, opts);
}
