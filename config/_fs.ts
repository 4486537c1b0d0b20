import { openErrorText } from "../transport/files.ts";
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

function isDenied(e: unknown): boolean {
  return e instanceof Deno.errors.PermissionDenied || (e as Error)?.name === "NotCapable";
}

/** A template read an environment variable the process may not read. */
export class EnvAccessDenied extends Error {
  constructor(name: string) {
    super(
      `the config reads environment variable ${name}, which this process may not read ` +
        `(grant it with --allow-env=${name})`,
    );
    this.name = "EnvAccessDenied";
  }
}

/**
 * The environment as an object whose properties are read one at a time, for processes whose
 * --allow-env lists names. An unset variable is absent (templates render it as `<no value>`,
 * as Go does); a variable outside the grant throws {@link EnvAccessDenied} rather than
 * silently rendering as unset.
 */
function narrowEnv(): Record<string, string> {
  const read = (name: string): string | undefined => {
    try {
      return Deno.env.get(name);
    } catch (e) {
      if (isDenied(e)) throw new EnvAccessDenied(name);
      throw e;
    }
  };
  return new Proxy({} as Record<string, string>, {
    get: (_t, name) => typeof name === "string" ? read(name) : undefined,
    has: (_t, name) => typeof name === "string" && read(name) !== undefined,
    ownKeys: () => [],
    getOwnPropertyDescriptor(_t, name) {
      const value = typeof name === "string" ? read(name) : undefined;
      return value === undefined
        ? undefined
        : { value, enumerable: true, configurable: true, writable: false };
    },
  });
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export { openErrorText };

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
    } catch (e) {
      if (isDenied(e)) {
        throw new Error(`stat ${path}: permission denied (frp needs --allow-read for it)`);
      }
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
      // --allow-env narrowed to some names: read variables one by one, on demand.
      return narrowEnv();
    }
  },
  async exec(command, args, env) {
    let out: Deno.CommandOutput;
    try {
      out = await new Deno.Command(command, {
        args,
        env: Object.keys(env).length ? env : undefined,
        stdout: "piped",
        stderr: "inherit",
      }).output();
    } catch (e) {
      throw new Error(spawnErrorText(command, e));
    }
    // Go's cmd.Output(): a non-zero exit is "exit status N" (stderr is not part of the error).
    if (!out.success) throw new Error(`exit status ${out.code}`);
    return new TextDecoder().decode(out.stdout);
  },
};

/**
 * Why a command could not start, in Go's os/exec words; a missing Deno permission names the
 * flag that grants it (the shipped tasks do not grant --allow-run: only exec token sources need it).
 */
function spawnErrorText(command: string, e: unknown): string {
  // Deno 2 reports a missing permission as NotCapable; PermissionDenied is the OS's EACCES.
  if ((e as Error)?.name === "NotCapable") {
    return `run access to "${command}" is not granted: run frp with Deno's --allow-run=${command} ` +
      `(needed only for an exec token source)`;
  }
  const bare = !command.includes("/");
  if (e instanceof Deno.errors.NotFound) {
    return bare
      ? `exec: "${command}": executable file not found in $PATH`
      : `fork/exec ${command}: no such file or directory`;
  }
  if (e instanceof Deno.errors.PermissionDenied) return `fork/exec ${command}: permission denied`;
  return `fork/exec ${command}: ${errText(e)}`;
}
