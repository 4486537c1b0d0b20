/**
 * Small peers for tests that run in Linux network namespaces, started as child processes with
 * `ip netns exec <ns> deno run --allow-net tests/_helpers/netns_peer.ts <mode> ...`:
 *
 * - `echo`: a TCP echo server on 127.0.0.1; prints `ECHO <port>` and serves until killed.
 * - `roundtrip <port> <bytes>`: sends `<bytes>` random bytes to 127.0.0.1:<port>, reads the echo
 *   back and prints `ROUNDTRIP <sent bytes> <got bytes> <sent sha256> <got sha256>`; exits 0 when
 *   both match, 1 otherwise (a failure prints `ROUNDTRIP error <message>`).
 *
 * (The STUN server is runnable as a script itself: `stun_server.ts <host>`.)
 */
import { randomBytes, sha256hex, startTcpEcho, tcpRoundTrip } from "./services.ts";

const [mode, ...rest] = Deno.args;
if (mode === "echo") {
  const echo = startTcpEcho();
  console.log(`ECHO ${echo.port}`);
} else if (mode === "roundtrip") {
  const port = Number(rest[0]);
  const size = Number(rest[1] ?? 1 << 20);
  const timeoutMs = Number(rest[2] ?? 30000);
  const data = randomBytes(size);
  try {
    const got = await tcpRoundTrip(port, data, timeoutMs);
    const [a, b] = [await sha256hex(data), await sha256hex(got)];
    console.log(`ROUNDTRIP ${data.length} ${got.length} ${a} ${b}`);
    Deno.exit(a === b && got.length === data.length ? 0 : 1);
  } catch (e) {
    console.log(`ROUNDTRIP error ${e instanceof Error ? e.message : String(e)}`);
    Deno.exit(1);
  }
} else {
  console.error(`usage: netns_peer.ts echo | roundtrip <port> <bytes> [timeoutMs]`);
  Deno.exit(2);
}
