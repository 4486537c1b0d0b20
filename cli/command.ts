/**
 * The cobra-like prologue both frps and frpc share: parse flags, answer `--help` and
 * `--version`, run `verify`, reject unknown subcommands — with frp's texts and exit codes.
 *
 * @module
 */
import { FlagError, type FlagSpec, type ParsedFlags, parseFlags } from "./flags.ts";
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
  flags: FlagSpec;
  usage: string;
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
  let parsed: ParsedFlags;
  try {
    parsed = parseFlags(argv, spec.flags);
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    println(`Error: ${err.message}`);
    println(spec.usage);
    return 1;
  }
  const { flags, lists, args } = parsed;
  if (flags.help) {
    println(spec.usage);
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
    println(`Error: unknown command "${args[0]}" for "${spec.name}"`);
    return 1;
  }
  return { parsed, configPath, loadOptions };
}
