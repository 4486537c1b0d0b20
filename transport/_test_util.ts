// Helpers shared by the transport tests (not exported from mod.ts).
import type { Conn } from "../protocol/duplex.ts";
import { dialTcp, listenTcp } from "./tcp.ts";

/** A connected TCP pair on 127.0.0.1: [client side, server side]. */
export async function tcpPair(): Promise<[Conn, Conn]> {
  const l = listenTcp({ hostname: "127.0.0.1", port: 0 });
  try {
    const [c, s] = await Promise.all([
      dialTcp({ hostname: "127.0.0.1", port: l.addr.port }),
      l.accept(),
    ]);
    return [c, s!];
  } finally {
    l.close();
  }
}

/** Reads until EOF. */
export async function readAll(c: Conn, max = 64 << 20): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const buf = new Uint8Array(64 * 1024);
  while (total <= max) {
    const n = await c.read(buf);
    if (n === null) break;
    chunks.push(buf.slice(0, n));
    total += n;
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const ch of chunks) {
    out.set(ch, off);
    off += ch.byteLength;
  }
  return out;
}

/** Runs openssl to create a CA, a server cert (localhost/127.0.0.1) and a client cert. */
export async function makePki(dir: string): Promise<void> {
  const sh = `set -e
cd "${dir}"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=testca
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca2.key -out ca2.crt -days 2 -subj /CN=otherca
openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj /CN=localhost
printf "subjectAltName=DNS:localhost,IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n" > srv.ext
openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out srv.crt -days 2 -extfile srv.ext
openssl req -newkey rsa:2048 -nodes -keyout cli.key -out cli.csr -subj /CN=client
printf "extendedKeyUsage=clientAuth\\n" > cli.ext
openssl x509 -req -in cli.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out cli.crt -days 2 -extfile cli.ext
openssl req -newkey rsa:2048 -nodes -keyout bad.key -out bad.csr -subj /CN=intruder
openssl x509 -req -in bad.csr -CA ca2.crt -CAkey ca2.key -CAcreateserial -out bad.crt -days 2 -extfile cli.ext
`;
  const out = await new Deno.Command("sh", { args: ["-c", sh], stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) throw new Error("openssl failed: " + new TextDecoder().decode(out.stderr));
}

export async function sha256(b: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", b as Uint8Array<ArrayBuffer>));
  return Array.from(d, (x) => x.toString(16).padStart(2, "0")).join("");
}
