/**
 * Console and file sinks for the CLIs (`log.to = "console"` or a path). Runtime-specific, so
 * it lives beside the entrypoints' concerns rather than in the logger.
 *
 * @module
 */
import type { LogSink } from "./logger.ts";

const encoder = new TextEncoder();

/** Writes whole lines to stdout synchronously, as Go's logger does. */
export const CONSOLE_SINK: LogSink = {
  write(line: string): void {
    const bytes = encoder.encode(line);
    let off = 0;
    while (off < bytes.length) off += Deno.stdout.writeSync(bytes.subarray(off));
  },
};

/**
 * Appends to `path` (mode 0600, parent dirs created) and rotates daily: at local midnight the
 * file is renamed to `<base>.<YYYYMMDD-HHMMSS><ext>` and backups older than `maxDays` go.
 */
export class FileSink implements LogSink {
  readonly #path: string;
  readonly #maxDays: number;
  #file: Deno.FsFile;
  #day: string;

  constructor(path: string, maxDays: number) {
    this.#path = path;
    this.#maxDays = maxDays;
    const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";
    if (dir) Deno.mkdirSync(dir, { recursive: true });
    this.#file = this.#open();
    this.#day = new Date().toDateString();
  }

  #open(): Deno.FsFile {
    return Deno.openSync(this.#path, { append: true, create: true, mode: 0o600 });
  }

  write(line: string): void {
    const today = new Date().toDateString();
    if (today !== this.#day) this.#rotate(today);
    const bytes = encoder.encode(line);
    let off = 0;
    while (off < bytes.length) off += this.#file.writeSync(bytes.subarray(off));
  }

  #rotate(today: string): void {
    this.#day = today;
    const now = new Date();
    const p2 = (n: number) => String(n).padStart(2, "0");
    const stamp = `${now.getFullYear()}${p2(now.getMonth() + 1)}${p2(now.getDate())}-000000`;
    const dot = this.#path.lastIndexOf(".");
    const slash = this.#path.lastIndexOf("/");
    const [base, ext] = dot > slash ? [this.#path.slice(0, dot), this.#path.slice(dot)] : [
      this.#path,
      "",
    ];
    try {
      this.#file.close();
      Deno.renameSync(this.#path, `${base}.${stamp}${ext}`);
    } catch { /* keep logging to a fresh file */ }
    this.#file = this.#open();
    if (this.#maxDays > 0) this.#deleteOld(base, ext);
  }

  #deleteOld(base: string, ext: string): void {
    const dir = base.includes("/") ? base.slice(0, base.lastIndexOf("/")) : ".";
    const name = base.slice(base.lastIndexOf("/") + 1);
    const cutoff = Date.now() - this.#maxDays * 24 * 3600 * 1000;
    try {
      for (const e of Deno.readDirSync(dir)) {
        const m = e.name.match(/^(.*)\.(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})(.*)$/);
        if (!m || m[1] !== name || m[8] !== ext) continue;
        const t = new Date(+m[2], +m[3] - 1, +m[4], +m[5], +m[6], +m[7]).getTime();
        if (t < cutoff) Deno.removeSync(`${dir}/${e.name}`);
      }
    } catch { /* best effort */ }
  }
}
