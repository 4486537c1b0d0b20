/**
 * frp-compatible log lines: `YYYY-MM-DD HH:MM:SS.mmm [I] [source] [prefix] message`.
 * Users' scripts grep these lines, so the shape follows Go frp (behaviour.md §17).
 *
 * @module
 */

/** Log levels in increasing severity. */
export type LogLevel = "trace" | "debug" | "info" | "warn" | "error";

const LEVEL_RANK: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4 };
const LEVEL_LETTER: Record<LogLevel, string> = {
  trace: "T",
  debug: "D",
  info: "I",
  warn: "W",
  error: "E",
};
const LEVEL_COLOR: Record<LogLevel, string> = {
  trace: "",
  debug: "\x1b[1;36m",
  info: "\x1b[1;34m",
  warn: "\x1b[1;33m",
  error: "\x1b[1;31m",
};

/** Where finished lines go (console, file, memory in tests). */
export interface LogSink {
  /** Takes one finished line (with its trailing newline). */
  write(line: string): void;
}

/** Options shared by a logger and its children. */
export interface LoggerOptions {
  /** @default "info" */
  level?: LogLevel;
  /** Wrap each line in frp's ANSI colours. @default false */
  color?: boolean;
  /** Where lines go. */
  sink: LogSink;
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, "0");
}

function timestamp(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${
      pad(d.getMilliseconds(), 3)
    }`;
}

/** A logger bound to a source tag and a list of `[prefix]` context values. */
export class Logger {
  /** Shared with every child, so {@link setLevel} (frps hot reload) reaches them all. */
  #opts: Required<LoggerOptions> & { rank: number };
  readonly #source: string;
  #prefix: string;

  /**
   * A logger writing lines at `options.level` and above to `options.sink`.
   *
   * @example
   * ```ts ignore
   * const sink = new MemorySink();
   * new Logger({ sink, level: "debug" }).info("hello"); // sink.lines[0] ends "[I] [frp] hello\n"
   * ```
   */
  constructor(options: LoggerOptions, source = "frp", prefixes: string[] = []) {
    const level = options.level ?? "info";
    this.#opts = { color: false, ...options, level, rank: LEVEL_RANK[level] };
    this.#source = source;
    this.#prefix = prefixes.map((p) => `[${p}] `).join("");
  }

  /** A logger writing to the same sink with another source tag and extra prefixes. */
  child(source?: string, ...prefixes: string[]): Logger {
    const l = new Logger(this.#opts, source ?? this.#source);
    l.#opts = this.#opts;
    l.#prefix = this.#prefix + prefixes.map((p) => `[${p}] `).join("");
    return l;
  }

  /** The configured level. */
  get level(): LogLevel {
    return this.#opts.level;
  }

  /** Changes the level of this logger, its parent and every child (they share it). */
  setLevel(level: LogLevel): void {
    this.#opts.level = level;
    this.#opts.rank = LEVEL_RANK[level];
  }

  /** Whether a line at `level` would be written. */
  enabled(level: LogLevel): boolean {
    return LEVEL_RANK[level] >= this.#opts.rank;
  }

  #write(level: LogLevel, msg: string): void {
    if (LEVEL_RANK[level] < this.#opts.rank) return;
    let line = `${timestamp(new Date())} [${
      LEVEL_LETTER[level]
    }] [${this.#source}] ${this.#prefix}${msg}\n`;
    if (this.#opts.color && LEVEL_COLOR[level]) line = `${LEVEL_COLOR[level]}${line}\x1b[0m`;
    this.#opts.sink.write(line);
  }

  /** Logs `msg` at trace level. */
  trace(msg: string): void {
    this.#write("trace", msg);
  }
  /** Logs `msg` at debug level. */
  debug(msg: string): void {
    this.#write("debug", msg);
  }
  /** Logs `msg` at info level. */
  info(msg: string): void {
    this.#write("info", msg);
  }
  /** Logs `msg` at warn level. */
  warn(msg: string): void {
    this.#write("warn", msg);
  }
  /** Logs `msg` at error level. */
  error(msg: string): void {
    this.#write("error", msg);
  }
}

/** A sink that drops everything (library use without logging). */
export const NULL_SINK: LogSink = { write() {} };

/** Lines kept in memory, for tests and embedders. */
export class MemorySink implements LogSink {
  /** Every line written so far. */
  readonly lines: string[] = [];
  /** Keeps `line`. */
  write(line: string): void {
    this.lines.push(line);
  }
}
