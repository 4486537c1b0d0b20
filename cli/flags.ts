/**
 * A small cobra-like flag parser: `--name value`, `--name=value`, `-c value`, boolean flags
 * with optional `=true|false`, and `_` normalised to `-` as frp's CLIs do.
 *
 * @module
 */

/** Declares the flags a command accepts. */
export interface FlagSpec {
  /** Flags taking a value (long names, `-` spelling). */
  string?: string[];
  /** Boolean flags. */
  boolean?: string[];
  /** Short → long. */
  alias?: Record<string, string>;
}

/** Parsed flags plus positional arguments. */
export interface ParsedFlags {
  flags: Record<string, string | boolean>;
  /** Repeated string flags keep every value here. */
  lists: Record<string, string[]>;
  args: string[];
}

/** Raised for an unknown flag or a missing value; CLIs print it with usage and exit 1. */
export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FlagError";
  }
}

/** Go strconv.ParseBool spellings. */
const GO_TRUE = ["1", "t", "T", "TRUE", "true", "True"];
const GO_FALSE = ["0", "f", "F", "FALSE", "false", "False"];

/** Parses `argv` against `spec`. */
export function parseFlags(argv: string[], spec: FlagSpec): ParsedFlags {
  const strings = new Set(spec.string ?? []);
  const booleans = new Set(spec.boolean ?? []);
  const out: ParsedFlags = { flags: {}, lists: {}, args: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      out.args.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith("-") || a === "-") {
      out.args.push(a);
      continue;
    }
    let name: string;
    let value: string | undefined;
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      name = (eq >= 0 ? a.slice(2, eq) : a.slice(2)).replaceAll("_", "-");
      if (eq >= 0) value = a.slice(eq + 1);
    } else {
      const short = a.slice(1, 2);
      name = spec.alias?.[short] ?? short;
      if (!booleans.has(name) && !strings.has(name)) {
        throw new FlagError(`unknown shorthand flag: '${short}' in ${a}`);
      }
      if (a.length > 2) value = a.slice(2).replace(/^=/, "");
    }
    if (booleans.has(name)) {
      if (value === undefined) out.flags[name] = true;
      else if (GO_TRUE.includes(value)) out.flags[name] = true;
      else if (GO_FALSE.includes(value)) out.flags[name] = false;
      else {
        const short = Object.entries(spec.alias ?? {}).find(([, l]) => l === name)?.[0];
        throw new FlagError(
          `invalid argument "${value}" for "${short ? `-${short}, ` : ""}--${name}" flag: ` +
            `strconv.ParseBool: parsing "${value}": invalid syntax`,
        );
      }
    } else if (strings.has(name)) {
      if (value === undefined) {
        if (i + 1 >= argv.length) {
          throw new FlagError(
            a.startsWith("--")
              ? `flag needs an argument: --${name}`
              : `flag needs an argument: '${a.slice(1, 2)}' in ${a}`,
          );
        }
        value = argv[++i];
      }
      out.flags[name] = value;
      (out.lists[name] ??= []).push(...value.split(",").filter((s) => s !== ""));
    } else {
      throw new FlagError(`unknown flag: ${a.split("=")[0]}`);
    }
  }
  return out;
}
