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

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TemplateError";
  }
}

/** frp's `NumberPair` (fields First, Second). */
export class NumberPair {
  constructor(public First: number, public Second: number) {}
}

const NO_VALUE = Symbol("no value");

// ------------------------------------------------------------------ lexer

type Tok =
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
type Piece = { kind: "text"; text: string } | { kind: "action"; a: RawAction };

const NAME = "frp";

class Src {
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

function lex(src: Src): Piece[] {
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

// ------------------------------------------------------------------ parser

type Arg =
  | { n: "field"; base: Arg | null; chain: string[]; pos: number; text: string }
  | { n: "var"; name: string; chain: string[]; pos: number; text: string }
  | { n: "dot"; pos: number; text: string }
  | { n: "fn"; name: string; pos: number; text: string }
  | { n: "lit"; v: unknown; pos: number; text: string }
  | { n: "pipe"; p: Pipe; pos: number; text: string; chain: string[] };

interface Cmd {
  args: Arg[];
  pos: number;
  text: string;
}
interface Pipe {
  decl: string[];
  assign: boolean;
  cmds: Cmd[];
  pos: number;
}

type Node =
  | { n: "text"; text: string }
  | { n: "out"; p: Pipe }
  | { n: "if" | "with"; p: Pipe; body: Node[]; els: Node[] | null }
  | { n: "range"; p: Pipe; body: Node[]; els: Node[] | null }
  | { n: "break" | "continue"; pos: number };

const BUILTIN_FUNCS = new Set([
  "and",
  "or",
  "not",
  "eq",
  "ne",
  "lt",
  "le",
  "gt",
  "ge",
  "len",
  "index",
  "print",
  "printf",
  "println",
  "html",
  "urlquery",
  "js",
  "slice",
  "call",
  "parseNumberRange",
  "parseNumberRangePair",
]);

class Parser {
  i = 0;
  constructor(public pieces: Piece[], public src: Src) {}

  err(pos: number, msg: string): never {
    throw new TemplateError(`template: ${NAME}:${this.src.line(pos)}: ${msg}`);
  }

  parseList(
    ctx: string,
    inRange: boolean,
  ): { nodes: Node[]; end: "end" | "else" | "eof"; elsePieceToks?: Tok[]; pos: number } {
    const nodes: Node[] = [];
    while (this.i < this.pieces.length) {
      const pc = this.pieces[this.i++];
      if (pc.kind === "text") {
        nodes.push({ n: "text", text: pc.text });
        continue;
      }
      const toks = pc.a.toks;
      const pos = pc.a.pos;
      if (toks.length === 0) this.err(pos, "missing value for command");
      const t0 = toks[0];
      if (t0.t === "ident") {
        switch (t0.v) {
          case "end":
            if (ctx === "top") this.err(pos, "unexpected {{end}}");
            if (toks.length > 1) this.err(pos, "unexpected tokens in end");
            return { nodes, end: "end", pos };
          case "else":
            if (ctx === "top") this.err(pos, "unexpected {{else}}");
            return { nodes, end: "else", elsePieceToks: toks.slice(1), pos };
          case "if":
          case "with":
          case "range":
            nodes.push(this.parseControl(t0.v, toks.slice(1), pos, inRange));
            continue;
          case "break":
          case "continue":
            if (!inRange) this.err(pos, `{{${t0.v}}} outside {{range}}`);
            nodes.push({ n: t0.v, pos });
            continue;
          case "define":
          case "template":
          case "block":
            this.err(pos, `"${t0.v}" actions are not supported in frp config templates`);
        }
      }
      nodes.push({ n: "out", p: this.parsePipe(toks, pos, false) });
    }
    if (ctx !== "top") {
      this.err(this.src.text.length, `unexpected EOF`);
    }
    return { nodes, end: "eof", pos: this.src.text.length };
  }

  parseControl(kind: "if" | "with" | "range", toks: Tok[], pos: number, inRange: boolean): Node {
    const p = this.parsePipe(toks, pos, kind === "range");
    if (p.cmds.length === 0) this.err(pos, `missing value for ${kind}`);
    const body = this.parseList(kind, inRange || kind === "range");
    let els: Node[] | null = null;
    if (body.end === "else") {
      const et = body.elsePieceToks!;
      if (et.length > 0 && et[0].t === "ident" && (et[0].v === "if" || et[0].v === "with")) {
        // else if / else with: nested control consuming the same {{end}}
        const nested = this.parseControl(et[0].v as "if" | "with", et.slice(1), body.pos, inRange);
        els = [nested];
      } else {
        if (et.length > 0) this.err(body.pos, "unexpected tokens in else");
        const e = this.parseList(kind, inRange);
        if (e.end !== "end") this.err(e.pos, `expected end; found {{else}}`);
        els = e.nodes;
      }
    }
    if (kind === "range") return { n: "range", p, body: body.nodes, els };
    return { n: kind, p, body: body.nodes, els };
  }

  parsePipe(toks: Tok[], pos: number, rangeDecl: boolean): Pipe {
    let k = 0;
    const decl: string[] = [];
    let assign = false;
    // declarations: $x := / $x = / $i, $e :=
    if (toks[0]?.t === "var") {
      if (toks[1]?.t === ":=" || toks[1]?.t === "=") {
        decl.push(toks[0].v);
        assign = toks[1].t === "=";
        k = 2;
      } else if (
        rangeDecl && toks[1]?.t === "," && toks[2]?.t === "var" &&
        (toks[3]?.t === ":=" || toks[3]?.t === "=")
      ) {
        decl.push(toks[0].v, toks[2].v);
        assign = toks[3].t === "=";
        k = 4;
      }
    }
    const cmds = this.parseCmds(toks.slice(k), pos);
    return { decl, assign, cmds, pos };
  }

  parseCmds(toks: Tok[], pos: number): Cmd[] {
    const cmds: Cmd[] = [];
    let cur: Arg[] = [];
    let k = 0;
    const flush = (at: number) => {
      if (cur.length === 0) this.err(at, "missing value for command");
      cmds.push({ args: cur, pos: cur[0].pos, text: cur.map((a) => a.text).join(" ") });
      cur = [];
    };
    while (k < toks.length) {
      const t = toks[k];
      if (t.t === "|") {
        flush(t.pos);
        k++;
        continue;
      }
      const [arg, nk] = this.parseArg(toks, k);
      cur.push(arg);
      k = nk;
    }
    if (cur.length) flush(pos);
    else if (cmds.length) this.err(pos, "missing command after |");
    return cmds;
  }

  parseArg(toks: Tok[], k: number): [Arg, number] {
    const t = toks[k];
    const chain = (start: number): [string[], number] => {
      const c: string[] = [];
      let j = start;
      while (toks[j]?.t === "field" && toks[j].pos === endPos(toks[j - 1])) {
        c.push((toks[j] as { v: string }).v);
        j++;
      }
      return [c, j];
    };
    switch (t.t) {
      case "field": {
        const [c, j] = chain(k + 1);
        const all = [t.v, ...c];
        return [{ n: "field", base: null, chain: all, pos: t.pos, text: "." + all.join(".") }, j];
      }
      case "var": {
        const [c, j] = chain(k + 1);
        return [{
          n: "var",
          name: t.v,
          chain: c,
          pos: t.pos,
          text: t.v + c.map((x) => "." + x).join(""),
        }, j];
      }
      case "dot":
        return [{ n: "dot", pos: t.pos, text: "." }, k + 1];
      case "ident":
        if (!BUILTIN_FUNCS.has(t.v)) this.err(t.pos, `function "${t.v}" not defined`);
        return [{ n: "fn", name: t.v, pos: t.pos, text: t.v }, k + 1];
      case "str":
        return [{ n: "lit", v: t.v, pos: t.pos, text: JSON.stringify(t.v) }, k + 1];
      case "num":
        return [{ n: "lit", v: t.v, pos: t.pos, text: String(t.v) }, k + 1];
      case "bool":
        return [{ n: "lit", v: t.v, pos: t.pos, text: String(t.v) }, k + 1];
      case "nil":
        return [{ n: "lit", v: null, pos: t.pos, text: "nil" }, k + 1];
      case "(": {
        let depth = 1;
        let j = k + 1;
        while (j < toks.length && depth > 0) {
          if (toks[j].t === "(") depth++;
          if (toks[j].t === ")") depth--;
          j++;
        }
        if (depth !== 0) this.err(t.pos, "unclosed left paren");
        const inner = toks.slice(k + 1, j - 1);
        const p: Pipe = { decl: [], assign: false, cmds: this.parseCmds(inner, t.pos), pos: t.pos };
        const [c, jj] = chain(j);
        const text = "(" + p.cmds.map((x) => x.text).join(" | ") + ")" +
          c.map((x) => "." + x).join("");
        return [{ n: "pipe", p, pos: t.pos, text, chain: c }, jj];
      }
      default:
        this.err(t.pos, `unexpected "${t.t}" in operand`);
    }
  }
}

function endPos(t: Tok | undefined): number {
  if (!t) return -1;
  switch (t.t) {
    case ")":
      return t.pos + 1;
    case "field":
      return t.pos + 1 + t.v.length;
    case "var":
      return t.pos + t.v.length;
    default:
      return -1;
  }
}

// ------------------------------------------------------------------ evaluation

class BreakSignal {}
class ContinueSignal {}

function typeName(v: unknown): string {
  if (v === null || v === undefined || v === NO_VALUE) return "<nil>";
  if (typeof v === "string") return "string";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float64";
  if (v instanceof NumberPair) return "config.NumberPair";
  if (Array.isArray(v)) return "[]interface {}";
  return "map[string]string";
}

function truth(v: unknown): boolean {
  if (v === null || v === undefined || v === NO_VALUE) return false;
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v !== 0;
  if (typeof v === "string") return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof NumberPair) return true;
  if (typeof v === "object") return Object.keys(v as object).length > 0;
  return true;
}

/** Go fmt `%v` rendering. */
export function fmtValue(v: unknown): string {
  if (v === NO_VALUE) return "<no value>";
  if (v === null || v === undefined) return "<nil>";
  if (typeof v === "string") return v;
  if (typeof v === "number") return fmtNumber(v);
  if (typeof v === "boolean") return String(v);
  if (v instanceof NumberPair) return `{${v.First} ${v.Second}}`;
  if (Array.isArray(v)) return "[" + v.map(fmtValue).join(" ") + "]";
  if (typeof v === "object") {
    const o = v as Record<string, unknown>;
    return "map[" + Object.keys(o).sort().map((k) => `${k}:${fmtValue(o[k])}`).join(" ") + "]";
  }
  return String(v);
}

function fmtNumber(n: number): string {
  if (Number.isInteger(n)) return String(n);
  // Go %v for float64 uses %g with shortest repr
  const s = String(n);
  if (/e/.test(s)) return s.replace(/e([+-])(\d)$/, "e$10$2");
  return s;
}

function goQuote(s: string): string {
  return JSON.stringify(s).replace(/\\u([0-9a-f]{4})/g, (_m, h) => `\\x${h.slice(2)}`);
}

/** Minimal Go `fmt.Sprintf`. */
export function sprintf(format: string, args: unknown[]): string {
  let out = "";
  let ai = 0;
  for (let i = 0; i < format.length; i++) {
    const c = format[i];
    if (c !== "%") {
      out += c;
      continue;
    }
    const m = /^%([-+# 0]*)(\d+|\*)?(?:\.(\d+|\*))?([a-zA-Z%])/.exec(format.slice(i));
    if (!m) {
      out += "%!(NOVERB)";
      continue;
    }
    i += m[0].length - 1;
    const [, flags, widthS, precS, verb] = m;
    if (verb === "%") {
      out += "%";
      continue;
    }
    let width = widthS === "*" ? Number(args[ai++]) : widthS ? Number(widthS) : undefined;
    const prec = precS === "*" ? Number(args[ai++]) : precS ? Number(precS) : undefined;
    if (ai >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const a = args[ai++];
    let s: string;
    const isNum = typeof a === "number";
    switch (verb) {
      case "v":
        s = fmtValue(a);
        break;
      case "s":
        s = typeof a === "string" ? a : isNum ? `%!s(${typeName(a)}=${fmtValue(a)})` : fmtValue(a);
        if (prec !== undefined && typeof a === "string") s = s.slice(0, prec);
        break;
      case "q":
        s = typeof a === "string" ? goQuote(a) : `%!q(${typeName(a)}=${fmtValue(a)})`;
        break;
      case "d":
        s = isNum && Number.isInteger(a)
          ? (flags.includes("+") && a >= 0 ? "+" : "") + String(a)
          : `%!d(${typeName(a)}=${fmtValue(a)})`;
        break;
      case "x":
      case "X":
        if (isNum && Number.isInteger(a)) s = (a as number).toString(16);
        else if (typeof a === "string") {
          s = Array.from(new TextEncoder().encode(a)).map((b) => b.toString(16).padStart(2, "0"))
            .join("");
        } else s = `%!${verb}(${typeName(a)}=${fmtValue(a)})`;
        if (verb === "X") s = s.toUpperCase();
        break;
      case "o":
        s = isNum && Number.isInteger(a)
          ? (a as number).toString(8)
          : `%!o(${typeName(a)}=${fmtValue(a)})`;
        break;
      case "b":
        s = isNum && Number.isInteger(a)
          ? (a as number).toString(2)
          : `%!b(${typeName(a)}=${fmtValue(a)})`;
        break;
      case "c":
        s = isNum ? String.fromCodePoint(a as number) : `%!c(${typeName(a)}=${fmtValue(a)})`;
        break;
      case "f":
      case "F":
        s = isNum ? (a as number).toFixed(prec ?? 6) : `%!f(${typeName(a)}=${fmtValue(a)})`;
        break;
      case "t":
        s = typeof a === "boolean" ? String(a) : `%!t(${typeName(a)}=${fmtValue(a)})`;
        break;
      case "T":
        s = typeName(a);
        break;
      default:
        s = `%!${verb}(${typeName(a)}=${fmtValue(a)})`;
    }
    if (width !== undefined && s.length < width) {
      if (flags.includes("-")) s = s.padEnd(width);
      else if (flags.includes("0") && (verb === "d" || verb === "f" || verb === "x")) {
        const neg = s.startsWith("-") || s.startsWith("+");
        s = neg ? s[0] + s.slice(1).padStart(width - 1, "0") : s.padStart(width, "0");
      } else s = s.padStart(width);
      width = undefined;
    }
    out += s;
  }
  if (ai < args.length) {
    out += "%!(EXTRA " + args.slice(ai).map((a) => `${typeName(a)}=${fmtValue(a)}`).join(", ") +
      ")";
  }
  return out;
}

function sprint(args: unknown[]): string {
  let out = "";
  for (let i = 0; i < args.length; i++) {
    if (i > 0 && typeof args[i] !== "string" && typeof args[i - 1] !== "string") out += " ";
    out += fmtValue(args[i]);
  }
  return out;
}

/** frp's parseNumberRange: "1000-1002,2000" ⇒ [1000,1001,1002,2000]. */
export function parseNumberRange(s: string): number[] {
  const out: number[] = [];
  const parsePart = (p: string): number => {
    const t = p.trim();
    if (!/^[+-]?\d+$/.test(t)) {
      throw new Error(`range number is invalid, strconv.ParseInt: parsing "${t}": invalid syntax`);
    }
    return Number(t);
  };
  for (const raw of s.split(",")) {
    const part = raw.trim();
    const nums = part.split("-");
    if (nums.length === 1) out.push(parsePart(nums[0]));
    else if (nums.length === 2) {
      const lo = parsePart(nums[0]);
      const hi = parsePart(nums[1]);
      if (hi < lo) throw new Error("range number is invalid");
      for (let n = lo; n <= hi; n++) out.push(n);
    } else throw new Error("range number is invalid");
  }
  return out;
}

/** frp's parseNumberRangePair. */
export function parseNumberRangePair(first: string, second: string): NumberPair[] {
  const a = parseNumberRange(first);
  const b = parseNumberRange(second);
  if (a.length !== b.length) throw new Error("first and second range numbers are not in pairs");
  return a.map((x, i) => new NumberPair(x, b[i]));
}

class Exec {
  vars: { name: string; value: unknown }[] = [];
  out = "";
  constructor(public src: Src, public root: unknown) {
    this.vars.push({ name: "$", value: root });
  }

  fail(pos: number, at: string, msg: string): never {
    throw new TemplateError(
      `template: ${NAME}:${this.src.line(pos)}:${
        this.src.col(pos)
      }: executing "${NAME}" at <${at}>: ${msg}`,
    );
  }

  lookupVar(name: string, pos: number): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i].name === name) return this.vars[i].value;
    }
    this.fail(pos, name, `undefined variable: ${name}`);
  }

  setVar(name: string, value: unknown, pos: number) {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i].name === name) {
        this.vars[i].value = value;
        return;
      }
    }
    this.fail(pos, name, `undefined variable: ${name}`);
  }

  walk(nodes: Node[], dot: unknown) {
    for (const n of nodes) this.walkOne(n, dot);
  }

  walkOne(n: Node, dot: unknown) {
    switch (n.n) {
      case "text":
        this.out += n.text;
        return;
      case "out": {
        const v = this.evalPipe(n.p, dot);
        if (n.p.decl.length === 0) this.out += fmtValue(v);
        return;
      }
      case "if":
      case "with": {
        const mark = this.vars.length;
        const v = this.evalPipe(n.p, dot);
        if (truth(v)) this.walk(n.body, n.n === "with" ? v : dot);
        else if (n.els) this.walk(n.els, dot);
        this.vars.length = mark;
        return;
      }
      case "range":
        this.walkRange(n, dot);
        return;
      case "break":
        throw new BreakSignal();
      case "continue":
        throw new ContinueSignal();
    }
  }

  walkRange(n: Extract<Node, { n: "range" }>, dot: unknown) {
    const mark = this.vars.length;
    const pipe: Pipe = { ...n.p, decl: [] };
    const v = this.evalPipe(pipe, dot);
    let entries: [unknown, unknown][];
    if (Array.isArray(v)) entries = v.map((e, i) => [i, e]);
    else if (typeof v === "number" && Number.isInteger(v)) {
      entries = Array.from({ length: Math.max(0, v) }, (_, i) => [i, i]);
    } else if (v === null || v === undefined || v === NO_VALUE) entries = [];
    else if (typeof v === "object" && !(v instanceof NumberPair)) {
      const o = v as Record<string, unknown>;
      entries = Object.keys(o).sort().map((k) => [k, o[k]]);
    } else this.fail(n.p.pos, n.p.cmds[0]?.text ?? "", `range can't iterate over ${fmtValue(v)}`);
    if (entries.length === 0) {
      if (n.els) this.walk(n.els, dot);
      this.vars.length = mark;
      return;
    }
    for (const [k, e] of entries) {
      const m2 = this.vars.length;
      if (n.p.decl.length === 1) {
        if (n.p.assign) this.setVar(n.p.decl[0], typeof v === "number" ? k : e, n.p.pos);
        else this.vars.push({ name: n.p.decl[0], value: typeof v === "number" ? k : e });
      } else if (n.p.decl.length === 2) {
        if (n.p.assign) {
          this.setVar(n.p.decl[0], k, n.p.pos);
          this.setVar(n.p.decl[1], e, n.p.pos);
        } else {
          this.vars.push({ name: n.p.decl[0], value: k }, { name: n.p.decl[1], value: e });
        }
      }
      try {
        this.walk(n.body, e);
      } catch (x) {
        this.vars.length = m2;
        if (x instanceof BreakSignal) break;
        if (x instanceof ContinueSignal) continue;
        throw x;
      }
      this.vars.length = m2;
    }
    this.vars.length = mark;
  }

  evalPipe(p: Pipe, dot: unknown): unknown {
    let v: unknown = undefined;
    let has = false;
    for (const c of p.cmds) {
      v = this.evalCmd(c, dot, has ? [v] : []);
      has = true;
    }
    if (p.decl.length) {
      if (p.assign) this.setVar(p.decl[0], v, p.pos);
      else this.vars.push({ name: p.decl[0], value: v });
    }
    return v;
  }

  evalCmd(c: Cmd, dot: unknown, final: unknown[]): unknown {
    const first = c.args[0];
    if (first.n === "fn") {
      return this.call(first.name, c.args.slice(1), dot, final, c);
    }
    if (c.args.length > 1 || final.length) {
      this.fail(c.pos, c.text, `can't give argument to non-function ${first.text}`);
    }
    return this.evalArg(first, dot);
  }

  evalArg(a: Arg, dot: unknown): unknown {
    switch (a.n) {
      case "lit":
        return a.v;
      case "dot":
        return dot;
      case "var":
        return this.fields(this.lookupVar(a.name, a.pos), a.chain, a);
      case "field":
        return this.fields(dot, a.chain, a);
      case "pipe":
        return this.fields(this.evalPipe(a.p, dot), a.chain, a);
      case "fn":
        return this.call(a.name, [], dot, [], { args: [a], pos: a.pos, text: a.text });
    }
  }

  fields(base: unknown, chain: string[], a: Arg): unknown {
    let v = base;
    for (const f of chain) {
      if (v === this.root && f === "Envs") {
        v = (this.root as { Envs: unknown }).Envs;
      } else if (v === this.root) {
        this.fail(a.pos, a.text, `can't evaluate field ${f} in type *config.Values`);
      } else if (v instanceof NumberPair) {
        if (f !== "First" && f !== "Second") {
          this.fail(a.pos, a.text, `can't evaluate field ${f} in type config.NumberPair`);
        }
        v = v[f];
      } else if (typeof v === "object" && v !== null && !Array.isArray(v)) {
        const o = v as Record<string, unknown>;
        v = Object.hasOwn(o, f) ? o[f] : NO_VALUE;
      } else if (v === NO_VALUE || v === null || v === undefined) {
        this.fail(a.pos, a.text, `nil pointer evaluating interface {}.${f}`);
      } else {
        this.fail(a.pos, a.text, `can't evaluate field ${f} in type ${typeName(v)}`);
      }
    }
    return v;
  }

  call(name: string, argNodes: Arg[], dot: unknown, final: unknown[], c: Cmd): unknown {
    const at = c.text;
    const ev = () => [...argNodes.map((x) => this.evalArg(x, dot)), ...final];
    const want = (args: unknown[], n: number) => {
      if (args.length !== n) {
        this.fail(c.pos, at, `wrong number of args for ${name}: want ${n} got ${args.length}`);
      }
    };
    const wrap = <T>(f: () => T): T => {
      try {
        return f();
      } catch (e) {
        if (e instanceof TemplateError) throw e;
        this.fail(c.pos, at, `error calling ${name}: ${(e as Error).message}`);
      }
    };
    switch (name) {
      case "and":
      case "or": {
        const all = [
          ...argNodes,
          ...final.map((v) => ({ n: "lit", v, pos: c.pos, text: "" } as Arg)),
        ];
        if (all.length < 1) {
          this.fail(c.pos, at, `wrong number of args for ${name}: want at least 1 got 0`);
        }
        let v: unknown;
        for (const x of all) {
          v = this.evalArg(x, dot);
          if (name === "and" ? !truth(v) : truth(v)) return v;
        }
        return v;
      }
      case "not": {
        const a = ev();
        want(a, 1);
        return !truth(a[0]);
      }
      case "eq":
      case "ne":
      case "lt":
      case "le":
      case "gt":
      case "ge": {
        const a = ev();
        if (name === "eq") {
          if (a.length < 2) {
            this.fail(c.pos, at, `wrong number of args for eq: want at least 2 got ${a.length}`);
          }
        } else want(a, 2);
        return wrap(() => compare(name, a));
      }
      case "len": {
        const a = ev();
        want(a, 1);
        return wrap(() => {
          const v = a[0];
          if (typeof v === "string") return new TextEncoder().encode(v).length;
          if (Array.isArray(v)) return v.length;
          if (v && typeof v === "object" && !(v instanceof NumberPair)) {
            return Object.keys(v).length;
          }
          throw new Error(`len of type ${typeName(v)}`);
        });
      }
      case "index": {
        const a = ev();
        if (a.length < 1) {
          this.fail(c.pos, at, "wrong number of args for index: want at least 1 got 0");
        }
        return wrap(() => {
          let v = a[0];
          for (const k of a.slice(1)) {
            if (Array.isArray(v) || typeof v === "string") {
              if (typeof k !== "number" || !Number.isInteger(k)) {
                throw new Error("cannot index slice/array with type " + typeName(k));
              }
              const len = typeof v === "string" ? new TextEncoder().encode(v).length : v.length;
              if (k < 0 || k >= len) throw new Error(`index out of range: ${k}`);
              v = typeof v === "string" ? new TextEncoder().encode(v)[k] : v[k];
            } else if (v && typeof v === "object" && !(v instanceof NumberPair)) {
              if (typeof k !== "string") {
                throw new Error(`value has type ${typeName(k)}; should be string`);
              }
              const o = v as Record<string, unknown>;
              v = Object.hasOwn(o, k) ? o[k] : "";
            } else if (v === null || v === undefined || v === NO_VALUE) {
              throw new Error("index of untyped nil");
            } else throw new Error(`can't index item of type ${typeName(v)}`);
          }
          return v;
        });
      }
      case "slice": {
        const a = ev();
        return wrap(() => {
          const v = a[0];
          const idx = a.slice(1) as number[];
          if (typeof v === "string") {
            return v.slice(idx[0] ?? 0, idx[1] ?? v.length);
          }
          if (Array.isArray(v)) return v.slice(idx[0] ?? 0, idx[1] ?? v.length);
          throw new Error(`can't slice item of type ${typeName(v)}`);
        });
      }
      case "print":
        return sprint(ev());
      case "println":
        return ev().map(fmtValue).join(" ") + "\n";
      case "printf": {
        const a = ev();
        if (a.length < 1) {
          this.fail(c.pos, at, "wrong number of args for printf: want at least 1 got 0");
        }
        if (typeof a[0] !== "string") {
          this.fail(c.pos, at, `wrong type for value; expected string; got ${typeName(a[0])}`);
        }
        return sprintf(a[0], a.slice(1));
      }
      case "html":
        return sprint(ev()).replace(
          /[&'<>"\0]/g,
          (ch) =>
            ({
              "&": "&amp;",
              "'": "&#39;",
              "<": "&lt;",
              ">": "&gt;",
              '"': "&#34;",
              "\0": "\uFFFD",
            })[ch]!,
        );
      case "urlquery":
        return encodeURIComponent(sprint(ev())).replace(/%20/g, "+").replace(
          /[!'()*]/g,
          (ch) => "%" + ch.charCodeAt(0).toString(16).toUpperCase(),
        );
      case "parseNumberRange": {
        const a = ev();
        want(a, 1);
        if (typeof a[0] !== "string") {
          this.fail(c.pos, at, `wrong type for value; expected string; got ${typeName(a[0])}`);
        }
        return wrap(() => parseNumberRange(a[0] as string));
      }
      case "parseNumberRangePair": {
        const a = ev();
        want(a, 2);
        for (const x of a) {
          if (typeof x !== "string") {
            this.fail(c.pos, at, `wrong type for value; expected string; got ${typeName(x)}`);
          }
        }
        return wrap(() => parseNumberRangePair(a[0] as string, a[1] as string));
      }
      default:
        this.fail(c.pos, at, `function "${name}" is not supported by this frp implementation`);
    }
  }
}

function basicKind(v: unknown): string {
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float";
  if (typeof v === "string") return "string";
  if (typeof v === "boolean") return "bool";
  return "other";
}

function compare(op: string, a: unknown[]): boolean {
  const x = a[0];
  const cmp = (y: unknown): number => {
    const kx = basicKind(x);
    const ky = basicKind(y);
    const num = (k: string) => k === "int" || k === "float";
    if (kx !== ky && !(num(kx) && num(ky))) {
      if (op === "eq" || op === "ne") {
        if (kx === "other" || ky === "other") {
          if ((x === null || x === NO_VALUE) && (y === null || y === NO_VALUE)) return 0;
          throw new Error(`incompatible types for comparison: ${typeName(x)} and ${typeName(y)}`);
        }
      }
      throw new Error(`incompatible types for comparison: ${typeName(x)} and ${typeName(y)}`);
    }
    if (kx === "other") {
      if (op === "eq" || op === "ne") {
        throw new Error(`non-comparable type ${fmtValue(x)}: ${typeName(x)}`);
      }
      throw new Error("invalid type for comparison");
    }
    if (kx === "bool" && op !== "eq" && op !== "ne") throw new Error("invalid type for comparison");
    const xx = x as number | string;
    const yy = y as number | string;
    return xx < yy ? -1 : xx > yy ? 1 : 0;
  };
  switch (op) {
    case "eq":
      return a.slice(1).some((y) => cmp(y) === 0);
    case "ne":
      return cmp(a[1]) !== 0;
    case "lt":
      return cmp(a[1]) < 0;
    case "le":
      return cmp(a[1]) <= 0;
    case "gt":
      return cmp(a[1]) > 0;
    default:
      return cmp(a[1]) >= 0;
  }
}

/** Render `text` as frp does (data: `{ Envs: env }`). Throws TemplateError. */
export function renderTemplate(text: string, env: Record<string, string>): string {
  if (!text.includes("{{")) return text;
  const src = new Src(text);
  const pieces = lex(src);
  const parser = new Parser(pieces, src);
  const { nodes } = parser.parseList("top", false);
  const root = { Envs: { ...env } };
  const ex = new Exec(src, root);
  ex.walk(nodes, root);
  return ex.out;
}
