/**
 * Evaluator for the template subset: walks the AST against the data (`{ Envs }`), managing
 * variable scopes, `range` break/continue, builtin function calls and Go-style comparison.
 *
 * @module
 */

import { NAME, NO_VALUE, TemplateError } from "./errors.ts";
import {
  fmtValue,
  NumberPair,
  parseNumberRange,
  parseNumberRangePair,
  sprint,
  sprintf,
  typeName,
} from "./funcs.ts";
import type { Src } from "./lex.ts";
import type { Arg, Cmd, Node, Pipe } from "./parse.ts";

class BreakSignal {}
class ContinueSignal {}

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

/** Executes a parsed template, accumulating output in `out`. */
export class Exec {
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
