import { assert, assertEquals } from "../tests/_helpers/assert.ts";
import { completeServerConfig } from "../config/mod.ts";
import type { ServerAuthConfig } from "../config/types.ts";
import { UserConnRejected, UserRegistry } from "./users.ts";

function auth(input: Record<string, unknown>): ServerAuthConfig {
  return completeServerConfig({ auth: { token: "global", ...input } }).auth;
}

Deno.test("users: no list = global token for everyone; unlisted users only when allowed", () => {
  assertEquals(new UserRegistry(auth({})).admitLogin("anyone", "127.0.0.1", "global"), {
    token: "global",
  });
  const users = [{ user: "alice", token: "a" }];
  const strict = new UserRegistry(auth({ users }));
  assertEquals(
    strict.admitLogin("bob", "127.0.0.1", "global").error,
    "user [bob] is not allowed to log in",
  );
  assertEquals(strict.admitLogin("alice", "127.0.0.1", "global").error, undefined);
  const open = new UserRegistry(auth({ users, allowUnlistedUsers: true }));
  const bob = open.admitLogin("bob", "127.0.0.1", "global");
  assertEquals(bob.error, undefined);
  assert(bob.error === undefined && bob.token === "global" && bob.state === undefined);
});

Deno.test("users: domains, subdomain globs and a reload that keeps counters", () => {
  const reg = new UserRegistry(auth({
    users: [{
      user: "alice",
      token: "a",
      customDomains: ["*.alice.example.com"],
      subdomains: ["alice", "alice-*"],
      maxConnections: 1,
    }],
  }));
  const alice = reg.get("alice")!;
  assertEquals(
    alice.admitProxy({ proxy_type: "http", custom_domains: ["www.alice.example.com"] }),
    undefined,
  );
  assertEquals(
    alice.admitProxy({ proxy_type: "http", custom_domains: ["www.bob.example.com"] }),
    "custom domain [www.bob.example.com] is not allowed for user [alice]",
  );
  assertEquals(alice.admitProxy({ proxy_type: "https", subdomain: "alice-2" }), undefined);
  assertEquals(
    alice.admitProxy({ proxy_type: "https", subdomain: "x-alice" }),
    "subdomain [x-alice] is not allowed for user [alice]",
  );
  assertEquals(alice.proxies, 2);
  const release = alice.admitConn("127.0.0.1");
  let refused = false;
  try {
    alice.admitConn("127.0.0.1");
  } catch (e) {
    refused = e instanceof UserConnRejected;
  }
  assert(refused, "second connection over maxConnections 1");
  // Reload: same state object, new limits, counters kept.
  reg.update(auth({ users: [{ user: "alice", token: "a2", maxConnections: 2 }] }));
  assert(reg.get("alice") === alice);
  assertEquals(alice.curConns, 1);
  assertEquals(alice.proxies, 2);
  alice.admitConn("127.0.0.1")();
  release();
  release(); // idempotent
  assertEquals(alice.curConns, 0);
  reg.update(auth({ users: [{ user: "carol", token: "c" }] }));
  assertEquals(reg.get("alice"), undefined);
});
