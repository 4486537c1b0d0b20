/**
 * cobra/pflag's help and usage layout (frps, frpc and their subcommands print the same text
 * Go frp does): flag tables, `Usage:` blocks, `--help` output and flag errors on stderr.
 *
 * @module
 */
import type { FlagSpec } from "./flags.ts";

/** Value kinds pflag shows in the flag table. */
export type FlagKind =
  | "string"
  | "int"
  | "bool"
  | "strings"
  | "map"
  | "bandwidth"
  | "duration"
  // frps's `--dashboard_tls_mode` (Go's BoolFuncFlag): shown as a bool, but takes a value
  // (any: Go's Set ignores it).
  | "valuebool";

/** One flag: long name in `-` spelling, as pflag shows it. */
export interface Flag {
  name: string;
  short?: string;
  kind: FlagKind;
  usage: string;
  def?: string | number | boolean;
}

/** Shorthand constructor for {@linkcode Flag}. */
export const flag = (
  name: string,
  kind: FlagKind,
  usage: string,
  def?: string | number | boolean,
  short?: string,
): Flag => ({ name, kind, usage, def, short });

/** cobra's `-h, --help` flag of a command. */
export function helpFlag(name: string): Flag {
  return flag("help", "bool", `help for ${name}`, false, "h");
}

/** A command as cobra prints it. */
export interface Command {
  /** Full path, e.g. `frpc stcp visitor`. */
  path: string;
  short: string;
  local: Flag[];
  /** Inherited (persistent) flags: the "Global Flags" section. */
  global: Flag[];
  /** Available subcommands, in the order shown. */
  subs?: { name: string; short: string }[];
  /** Has a Run function (`path [flags]` line). @default true */
  runnable?: boolean;
}

/** pflag's FlagUsages layout. */
export function flagUsages(flags: Flag[]): string {
  const sorted = [...flags].sort((a, b) => (a.name < b.name ? -1 : 1));
  const heads = sorted.map((fl) => {
    let h = fl.short ? `  -${fl.short}, --${fl.name}` : `      --${fl.name}`;
    const type = {
      string: "string",
      bandwidth: "string",
      int: "int",
      bool: "",
      valuebool: "",
      strings: "strings",
      map: "stringToString",
      duration: "duration",
    }[fl.kind];
    if (type) h += ` ${type}`;
    return h;
  });
  const max = Math.max(...heads.map((h) => h.length));
  return sorted.map((fl, i) => {
    let usage = fl.usage;
    if (fl.kind === "map") usage += " (default [])";
    else if ((fl.kind === "string" || fl.kind === "duration") && fl.def) {
      usage += fl.kind === "string" ? ` (default "${fl.def}")` : ` (default ${fl.def})`;
    } else if (fl.kind === "int" && fl.def) usage += ` (default ${fl.def})`;
    else if (fl.kind === "bool" && fl.def === true) usage += " (default true)";
    return `${heads[i]}${" ".repeat(max - heads[i].length)}   ${usage}`;
  }).join("\n");
}

/** cobra's usage text (`Usage:` …), as printed after a flag error. */
export function usageText(c: Command): string {
  let s = "Usage:\n";
  if (c.runnable !== false) s += `  ${c.path} [flags]\n`;
  if (c.subs?.length) {
    s += `  ${c.path} [command]\n\nAvailable Commands:\n`;
    for (const sub of c.subs) s += `  ${sub.name.padEnd(11)} ${sub.short}\n`;
  }
  s += `\nFlags:\n${flagUsages(c.local)}\n`;
  if (c.global.length) s += `\nGlobal Flags:\n${flagUsages(c.global)}\n`;
  if (c.subs?.length) {
    s += `\nUse "${c.path} [command] --help" for more information about a command.\n`;
  }
  return s;
}

/** `--help` output: the short description, then the usage (no trailing newline). */
export function helpText(c: Command): string {
  return `${c.short}\n\n${usageText(c)}`.trimEnd();
}

/** The parser spec for a command's flags (local and inherited). */
export function flagSpec(flags: Flag[]): FlagSpec {
  return {
    string: flags.filter((x) => x.kind !== "bool").map((x) => x.name),
    boolean: flags.filter((x) => x.kind === "bool").map((x) => x.name),
    alias: Object.fromEntries(flags.filter((x) => x.short).map((x) => [x.short!, x.name])),
  };
}

/** cobra on a flag error: `Error: …` and the usage, on stderr; the caller exits 1. */
export function printFlagError(c: Command, message: string): void {
  console.error(`Error: ${message}\n${usageText(c)}`);
}

const DURATION_UNITS = new Set(["ns", "us", "µs", "μs", "ms", "s", "m", "h"]);

/** Go time.ParseDuration's error text for `s`, or undefined when it parses. */
export function goDurationError(s: string): string | undefined {
  const invalid = `time: invalid duration "${s}"`;
  let rest = s.replace(/^[+-]/, "");
  if (rest === "0") return undefined;
  if (rest === "") return invalid;
  while (rest !== "") {
    const num = /^(\d+\.?\d*|\.\d+)/.exec(rest);
    if (!num) return invalid;
    rest = rest.slice(num[0].length);
    const unit = /^[^\d.]*/.exec(rest)![0];
    if (unit === "") return `time: missing unit in duration "${s}"`;
    if (!DURATION_UNITS.has(unit)) return `time: unknown unit "${unit}" in duration "${s}"`;
    rest = rest.slice(unit.length);
  }
  return undefined;
}

/** `-p, --bind-port` or `--token`: how pflag names a flag in errors. */
export function flagLabel(f: Flag): string {
  return f.short ? `-${f.short}, --${f.name}` : `--${f.name}`;
}

/** pflag's complaint about `value` for `f` (int and duration flags), or undefined when valid. */
export function flagValueError(f: Flag, value: string): string | undefined {
  let why: string | undefined;
  if (
    f.kind === "int" &&
    !/^[+-]?(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO]?[0-7_]*|[1-9][0-9_]*)$/.test(value)
  ) {
    why = `strconv.ParseInt: parsing "${value}": invalid syntax`;
  } else if (f.kind === "duration") why = goDurationError(value);
  return why && `invalid argument "${value}" for "${flagLabel(f)}" flag: ${why}`;
}
