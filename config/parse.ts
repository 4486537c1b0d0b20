/**
 * Format detection and parsing (TOML, JSON, YAML) into plain JS values, as frp does:
 * try TOML first; on failure a `.toml` file is an error, otherwise JSON if the text starts
 * with `{`, else YAML. Error texts follow Go frp's where the parsers allow (see docs/status.md,
 * "CLI and config errors").
 *
 * @module
 */

import { parse as parseToml, TomlError } from "smol-toml";
import { goJsonSyntaxError } from "./json_syntax.ts";
import { goTomlError } from "./toml_error.ts";

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
  const isToml = fileName.toLowerCase().endsWith(".toml");
  if (isToml && text.startsWith("\ufeff")) {
    // go-toml reads bytes: a UTF-8 BOM is not a key (its first byte shows as 'ï').
    throw new ParseError("toml: line 1, column 1: toml: invalid character at start of key: ï");
  }
  let tomlErr: unknown;
  try {
    const v = parseToml(text);
    return { format: "toml", value: v };
  } catch (e) {
    tomlErr = e;
  }
  if (isToml) {
    if (tomlErr instanceof TomlError) {
      const msg = firstLine(tomlErr.message.replace(/^Invalid TOML document: /, ""));
      throw new ParseError(
        goTomlError(text, tomlErr.line, tomlErr.column, msg) ??
          `toml: line ${tomlErr.line}, column ${tomlErr.column}: toml: ${msg}`,
        tomlErr.line,
        tomlErr.column,
      );
    }
    throw new ParseError(`toml: ${(tomlErr as Error)?.message ?? String(tomlErr)}`);
  }
  if (text.trimStart().startsWith("{")) {
    try {
      return { format: "json", value: JSON.parse(text) };
    } catch (e) {
      // Go's encoding/json text (no position), e.g. `invalid character '}' looking for …`.
      throw new ParseError(goJsonSyntaxError(text) ?? (e as Error).message);
    }
  }
  return await parseYaml(text);
}

/** go-yaml's words for the common errors (the JS parser's own text otherwise). */
const GO_YAML: [RegExp, string][] = [
  [/^Tabs are not allowed as indentation/, "found character that cannot start any token"],
  [
    /^Plain value cannot start with reserved character/,
    "found character that cannot start any token",
  ],
  [/^Missing closing ['"]quote/, "found unexpected end of stream"],
  [
    /^Nested mappings are not allowed in compact mappings/,
    "mapping values are not allowed in this context",
  ],
  [
    /^Flow sequence (in block collection must be sufficiently indented and )?(must )?end with a \]/,
    "did not find expected ',' or ']'",
  ],
  [
    /^Flow map (in block collection must be sufficiently indented and )?(must )?end with a \}/,
    "did not find expected ',' or '}'",
  ],
];

function goYamlText(msg: string): string {
  return GO_YAML.find(([re]) => re.test(msg))?.[1] ?? msg;
}

/** The YAML library costs ~12 MiB of RSS, so it is loaded only when a YAML config is read. */
async function parseYaml(text: string): Promise<Parsed> {
  const { parseDocument } = await import("yaml");
  const doc = parseDocument(text, {
    version: "1.1",
    merge: true,
    uniqueKeys: false, // go-yaml v2 keeps the last of duplicate keys
    prettyErrors: false,
    strict: false,
  });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    let pos = e.pos[0];
    // An unclosed flow collection: go-yaml names the line of the last token, not EOF.
    if (/^Flow (sequence|map) (in block collection|must end)/.test(e.message)) {
      while (pos > 0 && /\s/.test(text[pos - 1] ?? "")) pos--;
      pos = Math.max(0, pos - 1);
    }
    const lc = lineCol(text, pos);
    // Go (sigs.k8s.io/yaml): `error converting YAML to JSON: yaml: line N: <go-yaml text>`;
    // the message after the line is the JS parser's own.
    throw new ParseError(
      `error converting YAML to JSON: yaml: line ${lc.line}: ${goYamlText(firstLine(e.message))}`,
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
  return { format: "yaml", value };
}
