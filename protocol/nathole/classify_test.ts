import { assertEquals } from "../../tests/_helpers/assert.ts";
import { atoi, compactInPlace, joinHostPort, parseIPs, splitHostPort } from "./addr.ts";
import { classifyFeatureCount, classifyNatFeature, formatNatFeature } from "./classify.ts";

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    return (err as Error).message;
  }
  return "";
}

Deno.test("classify: Go's NAT features", () => {
  const c = (addrs: string[], local: string[] = []) =>
    formatNatFeature(classifyNatFeature(addrs, local));
  assertEquals(
    c(["1.2.3.4:1000", "1.2.3.4:1000"]),
    "{NatType:EasyNAT Behavior:BehaviorNoChange PortsDifference:0 RegularPortsChange:false PublicNetwork:false}",
  );
  assertEquals(
    c(["1.2.3.4:1000", "1.2.3.4:1003"]),
    "{NatType:HardNAT Behavior:BehaviorPortChanged PortsDifference:3 RegularPortsChange:true PublicNetwork:false}",
  );
  assertEquals(
    c(["1.2.3.4:1000", "1.2.3.4:1006"]),
    "{NatType:HardNAT Behavior:BehaviorPortChanged PortsDifference:6 RegularPortsChange:false PublicNetwork:false}",
  );
  // only a port change records the difference
  assertEquals(
    c(["1.2.3.4:1000", "1.2.3.5:1001"]),
    "{NatType:HardNAT Behavior:BehaviorBothChanged PortsDifference:0 RegularPortsChange:false PublicNetwork:false}",
  );
  assertEquals(
    c(["1.2.3.4:1000", "1.2.3.5:1000"], ["1.2.3.5"]),
    "{NatType:HardNAT Behavior:BehaviorIPChanged PortsDifference:0 RegularPortsChange:false PublicNetwork:true}",
  );
  // the minimum across all addresses, not just against the first
  assertEquals(classifyNatFeature(["a:10", "a:12", "a:8"], []).portsDifference, 4);
  assertEquals(errorOf(() => classifyNatFeature(["1.2.3.4:1"], [])), "not enough addresses");
  assertEquals(errorOf(() => classifyNatFeature(undefined, [])), "not enough addresses");
  assertEquals(
    errorOf(() => classifyNatFeature(["1.2.3.4", "1.2.3.4:1"], [])),
    "address 1.2.3.4: missing port in address",
  );
  assertEquals(
    errorOf(() => classifyNatFeature(["1.2.3.4:x", "1.2.3.4:1"], [])),
    'strconv.Atoi: parsing "x": invalid syntax',
  );
  const f = (t: string, regular = false) => ({
    natType: t,
    behavior: "",
    portsDifference: 0,
    regularPortsChange: regular,
    publicNetwork: false,
  });
  assertEquals(classifyFeatureCount([f("EasyNAT"), f("HardNAT", true)]), [1, 1, 1]);
  assertEquals(classifyFeatureCount([f("HardNAT"), f("HardNAT", true)]), [0, 2, 1]);
});

Deno.test("Go address helpers: SplitHostPort, Atoi, Compact", () => {
  assertEquals(splitHostPort("[::1]:80"), ["::1", "80"]);
  assertEquals(splitHostPort("h:"), ["h", ""]);
  assertEquals(errorOf(() => splitHostPort("")), "missing port in address");
  assertEquals(
    errorOf(() => splitHostPort("::1:80")),
    "address ::1:80: too many colons in address",
  );
  assertEquals(errorOf(() => splitHostPort("[::1]80")), "address [::1]80: missing port in address");
  assertEquals(errorOf(() => splitHostPort("[::1:80")), "address [::1:80: missing ']' in address");
  assertEquals(errorOf(() => splitHostPort("a]:80")), "address a]:80: unexpected ']' in address");
  assertEquals(atoi("+42"), 42);
  assertEquals(errorOf(() => atoi("")), 'strconv.Atoi: parsing "": invalid syntax');
  assertEquals(
    errorOf(() => atoi("9223372036854775808")),
    'strconv.Atoi: parsing "9223372036854775808": value out of range',
  );
  assertEquals(parseIPs(["1.1.1.1:1", "bad", "[::1]:2"]), ["1.1.1.1", "::1"]);
  const s = ["a", "a", "b", "b", "a"];
  assertEquals(compactInPlace(s), ["a", "b", "a"]);
  assertEquals(s, ["a", "b", "a", "", ""]); // Go ≥1.22 zeroes the vacated tail
  assertEquals(compactInPlace(undefined), undefined);
});

Deno.test("joinHostPort brackets IPv6 hosts, as Go's net.JoinHostPort", () => {
  assertEquals(joinHostPort("::1", 80), "[::1]:80");
  assertEquals(joinHostPort("1.2.3.4", "5"), "1.2.3.4:5");
});
