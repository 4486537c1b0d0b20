/**
 * Parser for the template subset: turns lexed pieces into an AST of text, output actions and
 * `if`/`with`/`range` control nodes, resolving pipelines, declarations and operands.
 *
 * @module
 */

import { NAME, TemplateError } from "./errors.ts";
import type { Piece, Src, Tok } from "./lex.ts";

/** An operand: field, variable, dot, function name, literal or parenthesised pipeline. */
export type Arg =
  | { n: "field"; base: Arg | null; chain: string[]; pos: number; text: string }
  | { n: "var"; name: string; chain: string[]; pos: number; text: string }
  | { n: "dot"; pos: number; text: string }
  | { n: "fn"; name: string; pos: number; text: string }
  | { n: "lit"; v: unknown; pos: number; text: string }
  | { n: "pipe"; p: Pipe; pos: number; text: string; chain: string[] };

/** One command of a pipeline: its operands. */
export interface Cmd {
  args: Arg[];
  pos: number;
  text: string;
}
/** A pipeline, with any variable declarations/assignments it makes. */
export interface Pipe {
  decl: string[];
  assign: boolean;
  cmds: Cmd[];
  pos: number;
}

/** An AST node. */
export type Node =
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

/** Builds the AST from lexed pieces. */
export class Parser {
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
