/**
 * Lexer for the template subset: splits source into text and `{{ }}` action pieces, applying
 * trim markers and comments, and tokenises each action.
 *
 * @module
 */

import { NAME, TemplateError } from "./errors.ts";

/** One token inside an action. */
export type Tok =
  | { t: "field"; v: string; pos: number }
  | { t: "var"; v: string; pos: number }
  | { t: "dot"; pos: number }
  | { t: "ident"; v: string; pos: number }
  | { t: "str"; v: string; pos: number }
  | { t: "num"; v: number; pos: number }
  | { t: "bool"; v: boolean; pos: number }
  | { t: "nil"; pos: number }
  | { t: "("; pos: number }
  | { t: ")"; pos: number }
  | { t: "|"; pos: number }
  | { t: ":="; pos: number }
  | { t: "="; pos: number }
  | { t: ","; pos: number };

interface RawAction {
  toks: Tok[];
  pos: number;
}
/** A run of literal text, or one action with its tokens. */
export type Piece = { kind: "text"; text: string } | { kind: "action"; a: RawAction };

/** Template source with line/column lookup for error messages. */
export class Src {
  constructor(public text: string) {}
  line(pos: number): number {
    let n = 1;
    for (let i = 0; i < pos && i < this.text.length; i++) if (this.text[i] === "\n") n++;
    return n;
  }
  col(pos: number): number {
    const nl = this.text.lastIndexOf("\n", pos - 1);
    return pos - (nl + 1);
  }
}

function isSpace(c: string | undefined) {
  return c === " " || c === "\t" || c === "\r" || c === "\n";
}

/** Splits template source into text and action pieces. */
export function lex(src: Src): Piece[] {
  const s = src.text;
  const out: Piece[] = [];
  let i = 0;
  let trimNext = false;
  while (i < s.length) {
    const open = s.indexOf("{{", i);
    let text = open < 0 ? s.slice(i) : s.slice(i, open);
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, "");
    trimNext = false;
    if (open < 0) {
      if (text) out.push({ kind: "text", text });
      break;
    }
    let p = open + 2;
    if (s[p] === "-" && isSpace(s[p + 1])) {
      text = text.replace(/[ \t\r\n]+$/, "");
      p += 2;
    }
    if (text) out.push({ kind: "text", text });
    // comment
    let q = p;
    while (isSpace(s[q])) q++;
    if (s.startsWith("/*", q)) {
      const end = s.indexOf("*/", q + 2);
      if (end < 0) throw new TemplateError(`template: ${NAME}:${src.line(open)}: unclosed comment`);
      let r = end + 2;
      while (isSpace(s[r])) r++;
      if (s.startsWith("-}}", r) && isSpace(s[r - 1])) {
        trimNext = true;
        i = r + 3;
      } else if (s.startsWith("}}", r)) i = r + 2;
      else {throw new TemplateError(
          `template: ${NAME}:${src.line(open)}: comment ends before closing delimiter`,
        );}
      continue;
    }
    const toks: Tok[] = [];
    let closed = false;
    while (p < s.length) {
      const c = s[p];
      if (isSpace(c)) {
        let r = p;
        while (isSpace(s[r])) r++;
        if (s.startsWith("-}}", r)) {
          trimNext = true;
          p = r + 3;
          closed = true;
          break;
        }
        if (s[p] === "\n" || s.slice(p, r).includes("\n")) {
          // newlines are allowed inside actions in Go ≥1.16
        }
        p = r;
        continue;
      }
      if (s.startsWith("}}", p)) {
        p += 2;
        closed = true;
        break;
      }
      const start = p;
      if (c === "(" || c === ")" || c === "|" || c === ",") {
        toks.push({ t: c, pos: start } as Tok);
        p++;
      } else if (c === ":" && s[p + 1] === "=") {
        toks.push({ t: ":=", pos: start });
        p += 2;
      } else if (c === "=") {
        toks.push({ t: "=", pos: start });
        p++;
      } else if (c === '"') {
        let r = p + 1;
        while (r < s.length && s[r] !== '"') {
          if (s[r] === "\\") r++;
          if (s[r] === "\n") break;
          r++;
        }
        if (s[r] !== '"') {
          throw new TemplateError(
            `template: ${NAME}:${src.line(start)}: unterminated quoted string`,
          );
        }
        toks.push({ t: "str", v: unquote(s.slice(p, r + 1), src, start), pos: start });
        p = r + 1;
      } else if (c === "`") {
        const r = s.indexOf("`", p + 1);
        if (r < 0) {
          throw new TemplateError(
            `template: ${NAME}:${src.line(start)}: unterminated raw quoted string`,
          );
        }
        toks.push({ t: "str", v: s.slice(p + 1, r), pos: start });
        p = r + 1;
      } else if (c === "'") {
        const m = /^'(\\.|[^'\\])'/.exec(s.slice(p));
        if (!m) {
          throw new TemplateError(
            `template: ${NAME}:${src.line(start)}: unterminated character constant`,
          );
        }
        const ch = unquote('"' + m[1] + '"', src, start);
        toks.push({ t: "num", v: ch.codePointAt(0) ?? 0, pos: start });
        p += m[0].length;
      } else if (c === "." && !/[0-9]/.test(s[p + 1] ?? "")) {
        const m = /^\.[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(p));
        if (m) {
          toks.push({ t: "field", v: m[0].slice(1), pos: start });
          p += m[0].length;
        } else {
          toks.push({ t: "dot", pos: start });
          p++;
        }
      } else if (c === "$") {
        const m = /^\$[A-Za-z0-9_]*/.exec(s.slice(p))!;
        toks.push({ t: "var", v: m[0], pos: start });
        p += m[0].length;
      } else if (/[0-9+\-.]/.test(c)) {
        const m =
          /^[+-]?(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(\d[\d_]*)?\.?\d*([eE][+-]?\d+)?)/
            .exec(s.slice(p));
        const lit = m ? m[0] : "";
        if (!lit || lit === "+" || lit === "-" || lit === ".") {
          throw new TemplateError(
            `template: ${NAME}:${src.line(start)}: bad number syntax: "${c}"`,
          );
        }
        const clean = lit.replace(/_/g, "");
        let n: number;
        if (/^[+-]?0[xXbBoO]/.test(clean)) {
          const neg = clean.startsWith("-");
          n = Number(clean.replace(/^[+-]/, ""));
          if (neg) n = -n;
        } else n = Number(clean);
        if (Number.isNaN(n)) {
          throw new TemplateError(
            `template: ${NAME}:${src.line(start)}: bad number syntax: "${lit}"`,
          );
        }
        toks.push({ t: "num", v: n, pos: start });
        p += lit.length;
      } else if (/[A-Za-z_]/.test(c)) {
        const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(p))!;
        const w = m[0];
        if (w === "true" || w === "false") toks.push({ t: "bool", v: w === "true", pos: start });
        else if (w === "nil") toks.push({ t: "nil", pos: start });
        else toks.push({ t: "ident", v: w, pos: start });
        p += w.length;
      } else {
        throw new TemplateError(
          `template: ${NAME}:${src.line(start)}: unexpected "${c}" in command`,
        );
      }
    }
    if (!closed) {
      throw new TemplateError(
        `template: ${NAME}:${src.line(s.length)}: unclosed action started at ${NAME}:${
          src.line(open)
        }`,
      );
    }
    out.push({ kind: "action", a: { toks, pos: open } });
    i = p;
  }
  return out;
}

/** Decodes a Go double-quoted string literal. */
function unquote(q: string, src: Src, pos: number): string {
  try {
    return JSON.parse(
      q.replace(/\\x([0-9a-fA-F]{2})/g, "\\u00$1").replace(/\\a/g, "\\u0007").replace(
        /\\v/g,
        "\\u000b",
      ).replace(/\\'/g, "'"),
    );
  } catch {
    throw new TemplateError(`template: ${NAME}:${src.line(pos)}: invalid syntax in string ${q}`);
  }
}
