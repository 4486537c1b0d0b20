/**
 * Format detection and parsing (TOML, JSON, YAML) into plain JS values, as frp does:
 * try TOML first; on failure a `.toml` file is an error, otherwise JSON if the text starts
 * with `{`, else YAML. Also a best-effort locator mapping a field path back to line/column.
 *
 * @module
 */

import { parse as parseToml, TomlError } from "smol-toml";
import type { PathPart } from "./decode.ts";

export type Format = "toml" | "json" | "yaml";

export class ParseError extends Error {
  constructor(message: string, public line?: number, public column?: number) {
    super(message);
    this.name = "ParseError";
  }
}

export interface Parsed {
  format: Format;
  value: unknown;
  /** Returns `line:col` (1-based) of a field, if it can be found. */
  locate(path: PathPart[]): { line: number; column: number } | undefined;
}

function firstLine(s: string): string {
  return s.split("\n")[0].trim();
}

function lineCol(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === "\n") {
      line++;
      last = i;
    }
  }
  return { line, column: offset - last };
}

/** Parse rendered config text, choosing the format like frp. */
export async function parseConfigText(text: string, fileName: string): Promise<Parsed> {
  let tomlErr: unknown;
  try {
    const v = parseToml(text);
    return { format: "toml", value: v, locate: (p) => locateHeuristic(text, p, "toml") };
  } catch (e) {
    tomlErr = e;
  }
  if (fileName.toLowerCase().endsWith(".toml")) {
    if (tomlErr instanceof TomlError) {
      const msg = firstLine(tomlErr.message.replace(/^Invalid TOML document: /, ""));
      throw new ParseError(
        `toml: line ${tomlErr.line}, column ${tomlErr.column}: toml: ${msg}`,
        tomlErr.line,
        tomlErr.column,
      );
    }
    throw new ParseError(`toml: ${(tomlErr as Error)?.message ?? String(tomlErr)}`);
  }
  if (text.trimStart().startsWith("{")) {
    try {
      const v = JSON.parse(text);
      return { format: "json", value: v, locate: (p) => locateHeuristic(text, p, "json") };
    } catch (e) {
      const msg = (e as Error).message;
      const m = /position (\d+)/.exec(msg);
      const lc = m ? lineCol(text, Number(m[1])) : undefined;
      const lm = /line (\d+) column (\d+)/.exec(msg);
      const line = lc?.line ?? (lm ? Number(lm[1]) : undefined);
      const column = lc?.column ?? (lm ? Number(lm[2]) : undefined);
      throw new ParseError(
        `json: ${line !== undefined ? `line ${line}, column ${column}: ` : ""}${
          msg.replace(/ in JSON at position \d+.*$/s, "").replace(/ \(line \d+ column \d+\)$/, "")
        }`,
        line,
        column,
      );
    }
  }
  return await parseYaml(text);
}

/** The YAML library costs ~12 MiB of RSS, so it is loaded only when a YAML config is read. */
async function parseYaml(text: string): Promise<Parsed> {
  const { isMap, isScalar, isSeq, parseDocument } = await import("yaml");
  const doc = parseDocument(text, {
    version: "1.1",
    merge: true,
    uniqueKeys: true,
    prettyErrors: false,
    strict: false,
  });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const lc = lineCol(text, e.pos[0]);
    throw new ParseError(
      `yaml: line ${lc.line}, column ${lc.column}: ${firstLine(e.message)}`,
      lc.line,
      lc.column,
    );
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 1000 }) ?? {};
  } catch (e) {
    throw new ParseError(`yaml: ${(e as Error).message}`);
  }
  return {
    format: "yaml",
    value,
    locate(path) {
      // deno-lint-ignore no-explicit-any
      let node: any = doc.contents;
      let found: { line: number; column: number } | undefined;
      for (const part of path) {
        if (isMap(node)) {
          // deno-lint-ignore no-explicit-any
          const pair: any = node.items.find((it: any) =>
            isScalar(it.key) && String(it.key.value) === String(part)
          );
          if (!pair) return found ?? locateHeuristic(text, path, "yaml");
          if (pair.key?.range) found = lineCol(text, pair.key.range[0]);
          node = pair.value;
        } else if (isSeq(node) && typeof part === "number") {
          node = node.items[part];
          // deno-lint-ignore no-explicit-any
          if ((node as any)?.range) found = lineCol(text, (node as any).range[0]);
        } else return found ?? locateHeuristic(text, path, "yaml");
      }
      return found;
    },
  };
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * A search pattern for one key, or null when V8 cannot build it: a key a template expanded to
 * hundreds of KB (`{{ parseNumberRange "1-99999" }}` inside a key) makes "Regular expression too
 * large", a SyntaxError that would replace the config error being located (found by fuzzing).
 */
function keyRegExp(source: string, flags: string): RegExp | null {
  if (source.length > 64 * 1024) return null;
  try {
    return new RegExp(source, flags);
  } catch {
    return null;
  }
}

/** Heuristic: scan forward for each key of the path in turn. */
export function locateHeuristic(
  text: string,
  path: PathPart[],
  format: Format,
): { line: number; column: number } | undefined {
  let offset = 0;
  let found: number | undefined;
  let prevKey: string | undefined;
  for (const part of path) {
    if (typeof part === "number") {
      if (format === "toml" && prevKey !== undefined) {
        const re = keyRegExp(`^[ \\t]*\\[\\[[ \\t]*${escapeRe(prevKey)}[ \\t]*\\]\\]`, "gmi");
        if (!re) break;
        re.lastIndex = found ?? offset;
        let m: RegExpExecArray | null = null;
        for (let i = 0; i <= part; i++) {
          m = re.exec(text);
          if (!m) break;
        }
        if (m) {
          found = m.index;
          offset = m.index + m[0].length;
        }
      }
      continue;
    }
    const k = escapeRe(part);
    const re = format === "json"
      ? keyRegExp(`"${k}"\\s*:`, "gi")
      : keyRegExp(`(^|[\\s{,.\\[])["']?${k}["']?\\s*[=:\\].]`, "gmi");
    if (!re) break;
    re.lastIndex = offset;
    const m = re.exec(text);
    if (!m) break;
    const idx = m.index + (m[1]?.length ?? 0);
    found = idx;
    offset = idx + m[0].length - (m[1]?.length ?? 0);
    prevKey = part;
  }
  return found === undefined ? undefined : lineCol(text, found);
}
