import { assert, assertEquals } from "../tests/_helpers/assert.ts";
import { cidrContains, parseCidr } from "./cidr.ts";

Deno.test("cidr: IPv4, IPv6, bare addresses, invalid input", () => {
  const v4 = parseCidr("10.1.0.0/16")!;
  assert(cidrContains(v4, "10.1.200.3"));
  assert(!cidrContains(v4, "10.2.0.1"));
  assert(cidrContains(v4, "::ffff:10.1.0.9"), "IPv4-mapped IPv6 matches");
  assert(cidrContains(parseCidr("127.0.0.1")!, "127.0.0.1"));
  assert(!cidrContains(parseCidr("127.0.0.1")!, "127.0.0.2"));
  assert(cidrContains(parseCidr("0.0.0.0/0")!, "8.8.8.8"));
  const v6 = parseCidr("2001:db8::/33")!;
  assert(cidrContains(v6, "2001:db8:7fff::1"));
  assert(!cidrContains(v6, "2001:db8:8000::1"));
  assert(!cidrContains(v6, "10.0.0.1"));
  assert(!cidrContains(v4, "not-an-ip"));
  for (const bad of ["10.0.0.0/33", "::/129", "x/8", "10.0.0.0/", "10.0.0.0/a"]) {
    assertEquals(parseCidr(bad), undefined, bad);
  }
});
