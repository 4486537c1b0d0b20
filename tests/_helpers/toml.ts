/**
 * A tiny TOML writer for test configs: scalars, arrays of scalars, nested objects (written as
 * dotted keys) and arrays of objects (written as `[[name]]` tables at the end).
 */

/** A config value the writer accepts. */
export type TomlValue = string | number | boolean | TomlValue[] | { [key: string]: TomlValue };

type Table = { [key: string]: TomlValue };

function isTable(v: unknown): v is Table {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isTableArray(v: unknown): v is Table[] {
  return Array.isArray(v) && v.length > 0 && v.every(isTable);
}

function key(k: string): string {
  return /^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k);
}

function scalar(v: TomlValue, path: string): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new RangeError(`Cannot write TOML: ${path} is not finite`);
    return String(v);
  }
  if (typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `[${v.map((x, i) => scalar(x, `${path}[${i}]`)).join(", ")}]`;
  if (isTable(v)) {
    const parts = Object.entries(v).map(([k, x]) => `${key(k)} = ${scalar(x, `${path}.${k}`)}`);
    return `{ ${parts.join(", ")} }`;
  }
  throw new TypeError(`Cannot write TOML: unsupported value at ${path}`);
}

function dotted(obj: Table, prefix: string, lines: string[], tableArrays: [string, Table[]][]) {
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined || v === null) continue;
    const name = prefix ? `${prefix}.${key(k)}` : key(k);
    if (isTableArray(v)) {
      // `[[auth.users]]` after `auth.token = …`: TOML allows sub-tables of dotted-key tables.
      tableArrays.push([name, v]);
    } else if (isTable(v)) {
      dotted(v, name, lines, tableArrays);
    } else {
      lines.push(`${name} = ${scalar(v, name)}`);
    }
  }
}

/** Serializes a config object to TOML text. */
export function toToml(obj: Record<string, unknown>): string {
  const lines: string[] = [];
  const tableArrays: [string, Table[]][] = [];
  dotted(obj as Table, "", lines, tableArrays);
  for (const [name, items] of tableArrays) {
    for (const item of items) {
      lines.push("", `[[${name}]]`);
      const nested: [string, Table[]][] = [];
      dotted(item, "", lines, nested);
      // Arrays of tables inside a table-array item are written inline (`allowPorts = [{…}]`).
      for (const [k, v] of nested) lines.push(`${k} = ${scalar(v, `${name}.${k}`)}`);
    }
  }
  return lines.join("\n") + "\n";
}
