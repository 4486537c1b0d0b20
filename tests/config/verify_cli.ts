// Tiny CLI used by tests: deno run verify_cli.ts frps|frpc <file> [--strict_config=false] [--allow-unsafe X]
import { verifyClientConfig, verifyServerConfig } from "../../config/mod.ts";
const [bin, ...rest] = Deno.args;
let file: string | undefined;
let strict = true;
const allowUnsafe: string[] = [];
for (let i = 0; i < rest.length; i++) {
  const a = rest[i];
  if (a === "--strict_config=false" || a === "--strict-config=false") strict = false;
  else if (a === "--allow-unsafe") allowUnsafe.push(rest[++i]);
  else file = a;
}
const r = bin === "frps"
  ? await verifyServerConfig(file, { strict, allowUnsafe })
  : await verifyClientConfig(file, { strict, allowUnsafe });
for (const l of r.output) console.log(l);
Deno.exit(r.exitCode);
