/**
 * Value formatting and the functions templates call (Go fmt `%v`/`Sprintf`/`Sprint`, frp's
 * `parseNumberRange`/`parseNumberRangePair`), kept apart from evaluation so config parsing
 * and the evaluator can share them.
 *
 * @module
 */

import { NO_VALUE } from "./errors.ts";

/** frp's `NumberPair` (fields First, Second). */
export class NumberPair {
  constructor(public First: number, public Second: number) {}
}

/** Go type name of a template value, for error messages and `%T`. */
export function typeName(v: unknown): string {
  if (v === null || v === undefined || v === NO_VALUE) return "<nil>";
  if (typeof v === "string") return "string";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float64";
  if (v instanceof NumberPair) return "config.NumberPair";
  if (Array.isArray(v)) return "[]interface {}";
  return "map[string]string";
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

/** Go `fmt.Sprint`: spaces between operands when neither is a string. */
export function sprint(args: unknown[]): string {
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
