/**
 * Go frp's TOML parser (go-toml v2) words its syntax errors differently from smol-toml; the
 * positions mostly agree. This maps the common smol-toml texts to go-toml's, from the
 * character at the error position, so `frps verify` prints what Go frp prints.
 *
 * @module
 */

/** go-toml's `%U %q` of a character: `U+0062 'b'`. */
function goRune(c: string): string {
  const cp = c.codePointAt(0) ?? 0;
  return `U+${cp.toString(16).toUpperCase().padStart(4, "0")} '${c}'`;
}

/**
 * Returns Go's full error text (`toml: line L, column C: toml: …` or, for redefinitions,
 * `toml: …` without position) for a smol-toml error, or undefined to keep ours.
 */
export function goTomlError(
  text: string,
  line: number,
  column: number,
  msg: string,
): string | undefined {
  const lines = text.split("\n");
  const src = lines[line - 1] ?? "";
  const ch = src[column - 1];
  const at = (m: string) => `toml: line ${line}, column ${column}: toml: ${m}`;
  if (msg.startsWith("trying to redefine")) {
    const header = /^\s*\[\s*([^\]\s]+)\s*\]/.exec(src);
    if (header) {
      const name = header[1];
      const seenTable = lines.slice(0, line - 1).some((l) =>
        new RegExp(`^\\s*\\[\\s*${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*\\]`).test(l)
      );
      return seenTable
        ? `toml: table ${name} already exists`
        : `toml: key ${name} should be a table, not a value`;
    }
    const key = /^\s*([^=\s]+)\s*=/.exec(src);
    return key ? `toml: key ${key[1]} is already defined` : undefined;
  }
  if (msg.startsWith("each key-value declaration must be followed by an end-of-line") && ch) {
    return at(`expected newline but got ${goRune(ch)}`);
  }
  if (msg.startsWith("unrecognised escape sequence") && ch) {
    return at(`invalid escaped character ${goRune(ch)}`);
  }
  if (msg.startsWith("control characters are not allowed in strings") && ch === undefined) {
    const quote = src.slice(0, column - 1).match(/["']/g)?.pop();
    return at(`${quote === "'" ? "literal" : "basic"} strings cannot have new lines`);
  }
  if (msg.startsWith("expected end of table array declaration")) return at("expected character ]");
  if (msg.startsWith("illegal character in key")) {
    return at(src.trimStart().startsWith("[") ? "expected character ]" : "expected character =");
  }
  if (msg.startsWith("unexpected end of key") && ch) {
    return at(`invalid character at start of key: ${ch}`);
  }
  return undefined;
}
