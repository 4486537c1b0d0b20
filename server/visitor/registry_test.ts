import { assertEquals } from "../../tests/_helpers/assert.ts";
import { privilegeKey } from "../../protocol/crypto/mod.ts";
import { VisitorRegistry } from "./registry.ts";

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    return (err as Error).message;
  }
  return "";
}

const TS = 1700000000;
const signed = (name: string, sk: string) => ({
  proxy_name: name,
  timestamp: TS,
  sign_key: privilegeKey(sk, TS),
});

Deno.test("visitor registry: frp's error texts and allowUsers rules", () => {
  const reg = new VisitorRegistry();
  const only = reg.listen("alice.only", "sk", ["bob"]);
  reg.listen("alice.any", "sk", ["*"]);
  assertEquals(
    errorOf(() => reg.listen("alice.any", "sk", [])),
    "custom listener for [alice.any] is repeated",
  );
  assertEquals(
    errorOf(() => reg.admit(signed("nope", "sk"), "bob")),
    "custom listener for [nope] doesn't exist",
  );
  assertEquals(
    errorOf(() => reg.admit(signed("alice.only", "other"), "bob")),
    "visitor connection of [alice.only] auth failed",
  );
  assertEquals(
    errorOf(() => reg.admit(signed("alice.only", "sk"), "carol")),
    "visitor connection of [alice.only] user [carol] not allowed",
  );
  assertEquals(reg.admit(signed("alice.only", "sk"), "bob").sk, "sk");
  assertEquals(reg.admit(signed("alice.any", "sk"), "").sk, "sk");
  // A stale timestamp is accepted, as frp has no freshness check.
  assertEquals(reg.admit({ ...signed("alice.any", "sk") }, "carol").sk, "sk");
  only.close();
  assertEquals(
    errorOf(() => reg.admit(signed("alice.only", "sk"), "bob")),
    "custom listener for [alice.only] doesn't exist",
  );
  reg.listen("alice.only", "sk2", ["bob"]); // the name is free again
});
