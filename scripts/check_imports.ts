/**
 * Architecture rules, checked mechanically (style-models.md "Proposed layout"):
 * - protocol/ is runtime-agnostic: no `Deno.` and no node socket modules outside tests;
 * - protocol/ imports only protocol/; transport/ only protocol/ and itself;
 * - server/ and client/ never import each other;
 * - plugins/ imports only plugins/, protocol/, transport/, config/ and log/;
 * - web/ (the embedded dashboards) imports only web/ and httpapi/: never server/ or client/.
 * Prints violations and exits 1 when there are any.
 *
 * @module
 */

const root = new URL("..", import.meta.url).pathname;

/** One broken rule at a file. */
export interface Violation {
  file: string;
  rule: string;
}

const FORBIDDEN_IMPORTS: Record<string, string[]> = {
  protocol: ["transport", "config", "server", "client", "plugins", "log", "cli", "scripts"],
  transport: ["config", "server", "client", "plugins", "log", "cli", "scripts"],
  server: ["client"],
  client: ["server"],
};

/** Directories restricted to an allowlist of import targets (themselves included). */
const ALLOWED_IMPORTS: Record<string, string[]> = {
  plugins: ["plugins", "protocol", "transport", "config", "log"],
  web: ["web", "httpapi"],
};

function isTest(path: string): boolean {
  return /_test\.ts$|\/_test_[^/]*\.ts$|_bench\.ts$/.test(path);
}

function* walk(dir: string): Generator<string> {
  for (const e of Deno.readDirSync(dir)) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) yield* walk(p);
    else if (e.name.endsWith(".ts")) yield p;
  }
}

/** Scans the repo and returns every violation. */
export function checkImports(): Violation[] {
  const out: Violation[] = [];
  const tops = new Set([...Object.keys(FORBIDDEN_IMPORTS), ...Object.keys(ALLOWED_IMPORTS)]);
  for (const top of tops) {
    const banned = FORBIDDEN_IMPORTS[top] ?? [];
    const allowed = ALLOWED_IMPORTS[top];
    let files: string[];
    try {
      files = [...walk(`${root}${top}`)];
    } catch {
      continue;
    }
    for (const file of files) {
      if (isTest(file)) continue;
      const rel = file.slice(root.length);
      const text = Deno.readTextFileSync(file);
      // Strip comments so prose mentioning Deno.* does not count.
      const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
      for (const m of code.matchAll(/from\s+"(\.[^"]+)"/g)) {
        const target = new URL(m[1], `file://${file}`).pathname.slice(root.length);
        const targetTop = target.split("/")[0];
        if (banned.includes(targetTop)) {
          out.push({ file: rel, rule: `${top}/ must not import ${targetTop}/ (${m[1]})` });
        } else if (allowed && !allowed.includes(targetTop)) {
          out.push({
            file: rel,
            rule: `${top}/ may import only ${allowed.join("/, ")}/ (${m[1]})`,
          });
        }
      }
      if (top === "protocol") {
        if (/\bDeno\./.test(code)) out.push({ file: rel, rule: "protocol/ must not use Deno.*" });
        if (/"node:(net|tls|dgram|fs|child_process)"/.test(code)) {
          out.push({ file: rel, rule: "protocol/ must not import node socket/fs modules" });
        }
      }
    }
  }
  return out;
}

if (import.meta.main) {
  const v = checkImports();
  for (const x of v) console.log(`${x.file}: ${x.rule}`);
  console.log(v.length === 0 ? "imports: ok" : `imports: ${v.length} violation(s)`);
  Deno.exit(v.length === 0 ? 0 : 1);
}
