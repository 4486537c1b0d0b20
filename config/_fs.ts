/**
 * The only place the config system touches the runtime (files, environment, cwd, processes).
 * Everything else in config/ is runtime-agnostic and receives an {@link ConfigHost}.
 *
 * @module
 */

export interface DirEntry {
  name: string;
  isFile: boolean;
}

/** Runtime services the config loader needs. */
export interface ConfigHost {
  readTextFile(path: string): Promise<string>;
  readDir(path: string): Promise<DirEntry[]>;
  /** true if `path` exists and is a directory */
  isDir(path: string): Promise<boolean>;
  cwd(): string;
  /** All environment variables visible to the process (empty if env access is denied). */
  envs(): Record<string, string>;
  /** Run a command, return its stdout (for tokenSource exec). */
  exec(command: string, args: string[], env: Record<string, string>): Promise<string>;
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Go-like error text for a failed open (`open <path>: no such file or directory`). */
export function openErrorText(path: string, e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return `open ${path}: no such file or directory`;
  if (e instanceof Deno.errors.PermissionDenied || (e as Error)?.name === "NotCapable") {
    return `open ${path}: permission denied`;
  }
  if (e instanceof Deno.errors.IsADirectory) return `read ${path}: is a directory`;
  return `open ${path}: ${errText(e)}`;
}

export const denoHost: ConfigHost = {
  async readTextFile(path) {
    try {
      const st = await Deno.stat(path);
      if (st.isDirectory) throw new Error(`read ${path}: is a directory`);
      return await Deno.readTextFile(path);
    } catch (e) {
      if (e instanceof Error && e.message.startsWith("read ")) throw e;
      throw new Error(openErrorText(path, e));
    }
  },
  async readDir(path) {
    const out: DirEntry[] = [];
    for await (const e of Deno.readDir(path)) out.push({ name: e.name, isFile: e.isFile });
    return out;
  },
  async isDir(path) {
    try {
      return (await Deno.stat(path)).isDirectory;
    } catch {
      return false;
    }
  },
  cwd() {
    try {
      return Deno.cwd();
    } catch {
      return ".";
    }
  },
  envs() {
    try {
      return Deno.env.toObject();
    } catch {
      return {};
    }
  },
  async exec(command, args, env) {
    const out = await new Deno.Command(command, {
      args,
      env: Object.keys(env).length ? env : undefined,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(
        `command ${command} failed: exit status ${out.code}: ${
          new TextDecoder().decode(out.stderr).trim()
        }`,
      );
    }
    return new TextDecoder().decode(out.stdout);
  },
};
