/**
 * The cobra-like prologue both frps and frpc share: parse flags, answer `--help` and
 * `--version`, run `verify`, reject unknown subcommands — with frp's texts and exit codes.
 *
 * @module
 */
import {
  type Command,
  type Flag,
  flagSpec,
  flagValueError,
  helpFlag,
  helpText,
  printFlagError,
  usageText,
} from "./cobra.ts";
import { FlagError, type ParsedFlags, parseFlags } from "./flags.ts";
import { println } from "./runtime.ts";

/** What a command needs to run after the prologue. */
export interface CommandLine {
  parsed: ParsedFlags;
  /** `-c` value, or the command's default. */
  configPath: string;
  /** `--strict-config` (default true) and `--allow-unsafe`, as config LoadOptions. */
  loadOptions: { strict: boolean; allowUnsafe: string[] };
}

/** Describes one binary (frps or frpc). */
export interface CommandSpec {
  name: "frps" | "frpc";
  /** One-line description (cobra's Short). */
  short: string;
  /** Persistent root flags (without `-h`), as Go declares them. */
  flags: Flag[];
  /**
   * Subcommands with their description and own flags, for help and flag errors, in the order
   * cobra lists them; `hidden` ones run but are not listed (beyond Go frp).
   */
  commands: { name: string; short: string; flags?: Flag[]; hidden?: boolean }[];
  version: string;
  defaultConfig: string;
  verify: (
    path: string,
    opts: { strict: boolean; allowUnsafe: string[] },
  ) => Promise<{ output: string[]; exitCode: number }>;
  /** Further subcommands (frpc `reload`/`status`/`stop`), run after flag parsing. */
  subcommands?: Record<string, (cli: CommandLine) => Promise<number>>;
  /**
   * Subcommands with their own flags (frpc `tcp`, `stcp visitor`, …): when the first argument
   * names one, it gets the remaining arguments unparsed.
   */
  rawSubcommands?: Record<string, (argv: string[]) => Promise<number>>;
}

/**
 * Runs the shared prologue. Resolves to an exit code when the command is already done (help,
 * version, verify, usage error), or to the parsed command line to go on with.
 */
export async function runPrologue(
  argv: string[],
  spec: CommandSpec,
): Promise<number | CommandLine> {
  const raw = argv.length > 0 && Object.hasOwn(spec.rawSubcommands ?? {}, argv[0])
    ? spec.rawSubcommands![argv[0]]
    : undefined;
  if (raw) return await raw(argv.slice(1));
  if (argv[0] === "help") return help(spec, argv.slice(1));
  const subName = findSubcommand(argv, spec);
  const cmd = command(spec, subName);
  let parsed: ParsedFlags;
  try {
    parsed = parseFlags(argv, flagSpec([...cmd.local, ...cmd.global]));
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    printFlagError(cmd, err.message);
    return 1;
  }
  const { flags, lists, args } = parsed;
  for (const f of [...cmd.local, ...cmd.global]) {
    const v = flags[f.name];
    const bad = typeof v === "string" ? flagValueError(f, v) : undefined;
    if (bad) {
      printFlagError(cmd, bad);
      return 1;
    }
  }
  if (flags.help) {
    println(helpText(cmd));
    return 0;
  }
  if (flags.version) {
    println(spec.version);
    return 0;
  }
  const loadOptions = {
    strict: flags["strict-config"] !== false,
    allowUnsafe: lists["allow-unsafe"] ?? [],
  };
  const configPath = typeof flags.config === "string" ? flags.config : spec.defaultConfig;
  if (args[0] === "verify") {
    const r = await spec.verify(configPath, loadOptions);
    for (const line of r.output) println(line);
    return r.exitCode;
  }
  const sub = args.length > 0 ? spec.subcommands?.[args[0]] : undefined;
  if (sub) return await sub({ parsed, configPath, loadOptions });
  if (args.length > 0) {
    const name = spec.name;
    console.error(
      `Error: unknown command "${args[0]}" for "${name}"\nRun '${name} --help' for usage.`,
    );
    return 1;
  }
  return { parsed, configPath, loadOptions };
}

/** The root command (`sub` undefined) or a subcommand, as cobra prints it. */
function command(spec: CommandSpec, sub: string | undefined, withHelp = true): Command {
  const c = sub === undefined ? undefined : spec.commands.find((x) => x.name === sub);
  if (!c) {
    return {
      path: spec.name,
      short: spec.short,
      local: [...spec.flags, ...(withHelp ? [helpFlag(spec.name)] : [])],
      global: [],
      subs: [
        { name: "help", short: "Help about any command" },
        ...spec.commands.filter((x) => !x.hidden),
      ].sort((a, b) => (a.name < b.name ? -1 : 1)),
    };
  }
  return {
    path: `${spec.name} ${c.name}`,
    short: c.short,
    local: [...(c.flags ?? []), helpFlag(c.name)],
    global: spec.flags,
  };
}

/** cobra's Find: the first argument that names a subcommand (skipping flag values). */
function findSubcommand(argv: string[], spec: CommandSpec): string | undefined {
  const valued = new Set(
    spec.flags.filter((f) => f.kind !== "bool").flatMap((f) => [
      `--${f.name}`,
      `--${f.name.replaceAll("-", "_")}`,
      ...(f.short ? [`-${f.short}`] : []),
    ]),
  );
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") return undefined;
    if (a.startsWith("-")) {
      if (valued.has(a)) i++;
      continue;
    }
    return spec.commands.some((c) => c.name === a) ? a : undefined;
  }
  return undefined;
}

/** `frps help [command]`. */
function help(spec: CommandSpec, args: string[]): number | Promise<number> {
  const name = args[0];
  if (name === undefined || name === "help") {
    println(helpText(command(spec, undefined)));
    return 0;
  }
  const raw = spec.rawSubcommands?.[name];
  if (raw && Object.hasOwn(spec.rawSubcommands!, name)) return raw(["-h"]);
  if (!spec.commands.some((c) => c.name === name)) {
    console.error(
      `Unknown help topic [\`${name}\`]\n${usageText(command(spec, undefined, false)).trimEnd()}`,
    );
    return 0;
  }
  println(helpText(command(spec, name)));
  return 0;
}
