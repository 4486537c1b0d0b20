import { checkImports } from "../scripts/check_imports.ts";

Deno.test("architecture: protocol/ is pure and import directions hold", () => {
  const v = checkImports();
  if (v.length > 0) {
    throw new Error(v.map((x) => `${x.file}: ${x.rule}`).join("\n"));
  }
});
