import { assert, assertEquals } from "../../tests/_helpers/assert.ts";
import { parseSshCommand } from "./flags.ts";
import { findAuthorizedUser, parseAuthorizedKeys } from "./authorized_keys.ts";

function ok(payload: string) {
  const r = parseSshCommand(payload);
  if (r.kind !== "ok") throw new Error(`${payload}: ${JSON.stringify(r)}`);
  return r.cmd;
}

Deno.test("ssh command: pflag forms (_ and -, =, shorthand, lists, maps)", () => {
  const http = ok(
    "http --custom_domain a.com,b.com -d c.com --sd s --proxy-name=web --locations /x " +
      "--http_user u --http_pwd p --host_header_rewrite h --metadatas k=v,k2=v2 -u bob -t tok",
  );
  assertEquals(http.customDomains, ["a.com", "b.com", "c.com"]);
  assertEquals(
    [http.subDomain, http.proxyName, http.httpUser, http.httpPwd, http.hostHeaderRewrite],
    ["s", "web", "u", "p", "h"],
  );
  assertEquals(http.locations, ["/x"]);
  assertEquals(http.metadatas, { k: "v", k2: "v2" });
  assertEquals([http.user, http.token], ["bob", "tok"]);
  assertEquals(ok("tcp -r5000").remotePort, 5000);
  assertEquals(ok("tcp -r=0x10").remotePort, 16);
  assertEquals(ok("tcp  --remote_port 7 extra words").remotePort, 7);
  assertEquals(ok("stcp --sk k --allow_users a,b").allowUsers, ["a", "b"]);
  assertEquals(ok("tcpmux --mux httpconnect -d x").multiplexer, "httpconnect");
  assertEquals(ok("tcp -- -r 1").remotePort, 0);
});

Deno.test("ssh command: frp's error texts", () => {
  const err = (p: string) => {
    const r = parseSshCommand(p);
    return r.kind === "error" ? r.message : r.kind;
  };
  assertEquals(err(""), "invalid proxy type: , support types: [tcp http https tcpmux stcp]");
  assertEquals(err("udp"), "invalid proxy type: udp, support types: [tcp http https tcpmux stcp]");
  assertEquals(err("tcp --local_port 1"), "unknown flag: --local_port");
  assertEquals(err("tcp -d x"), "unknown shorthand flag: 'd' in -d");
  assertEquals(err("http --sd"), "flag needs an argument: --sd");
  assertEquals(
    err("tcp -r 99999999999999999999"),
    'invalid argument "99999999999999999999" for "-r, --remote-port" flag: ' +
      'strconv.ParseInt: parsing "99999999999999999999": value out of range',
  );
  assertEquals(
    err("http --metadatas novalue"),
    'invalid argument "novalue" for "--metadatas" flag: novalue must be formatted as key=value',
  );
  assertEquals(err("tcp --help"), "help");
  assertEquals(err("stcp -h"), "help");
});

Deno.test("authorized_keys: comment is the user, options skipped, bad lines refused", () => {
  const blob = new Uint8Array([0, 0, 0, 11, ...new TextEncoder().encode("ssh-ed25519"), 1, 2]);
  const b64 = btoa(String.fromCharCode(...blob));
  const keys = parseAuthorizedKeys(
    `# comment\n\nssh-ed25519 ${b64}  alice \n` +
      `no-pty,command="echo a b" ssh-ed25519 ${b64}\n`,
  );
  assertEquals(keys.map((k) => k.user), ["alice", ""]);
  assertEquals(findAuthorizedUser(keys, blob)?.user, "alice");
  assertEquals(findAuthorizedUser(keys, blob.subarray(1)), undefined);
  let threw = false;
  try {
    parseAuthorizedKeys("not a key\n");
  } catch {
    threw = true;
  }
  assert(threw, "a malformed line fails the whole file, as Go");
});
