/**
 * A Go `text/template` subset, as frp uses it to render config files before parsing.
 *
 * Supported: text and `{{ }}` actions, `{{-`/`-}}` trimming, comments, pipelines with `|`,
 * parenthesised pipelines, fields (`.Envs.X`, `$v.First`), variables (`$`, `$v := …`,
 * `$v = …`), `if`/`else if`/`else`/`end`, `range` (lists, maps, ints; `$i, $e :=`; `else`;
 * `break`/`continue`), `with`, functions `and or not eq ne lt le gt ge len index print printf
 * println html urlquery slice parseNumberRange parseNumberRangePair`. Anything else is a clear
 * error. Errors use Go's shape: `template: frp:LINE:COL: executing "frp" at <…>: …`.
 *
 * @module
 */

import { Exec } from "./exec.ts";
import { lex, Src } from "./lex.ts";
import { Parser } from "./parse.ts";

export { TemplateError } from "./errors.ts";
export { fmtValue, NumberPair, parseNumberRange, parseNumberRangePair, sprintf } from "./funcs.ts";

/** Render `text` as frp does (data: `{ Envs: env }`). Throws TemplateError. */
export function renderTemplate(text: string, env: Record<string, string>): string {
  if (!text.includes("{{")) return text;
  const src = new Src(text);
  const pieces = lex(src);
  const parser = new Parser(pieces, src);
  const { nodes } = parser.parseList("top", false);
  // Not copied: with a narrowed --allow-env, `env` reads variables lazily (config/_fs.ts).
  const root = { Envs: env };
  const ex = new Exec(src, root);
  ex.walk(nodes, root);
  return ex.out;
}
