/** A throwaway PKI for TLS/mTLS tests, made with the `openssl` CLI. */

/** Paths of the PEM files {@linkcode makeTestPki} writes. */
export interface TestPki {
  dir: string;
  caCert: string;
  caKey: string;
  /** Server certificate, SAN IP:127.0.0.1 and DNS:localhost, EKU serverAuth. */
  serverCert: string;
  serverKey: string;
  /** Client certificate, CN frp-test-client, EKU clientAuth. */
  clientCert: string;
  clientKey: string;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("openssl", { args, cwd: dir, stdin: "null" }).output();
  } catch (e) {
    throw new Error(`makeTestPki: cannot run openssl (is it installed?): ${e}`);
  }
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr);
    throw new Error(`makeTestPki: openssl ${args.join(" ")} failed (${out.code}):\n${err}`);
  }
}

/** Creates CA, server and client certificates (RSA 2048, 10 years) in `dir`. */
export async function makeTestPki(dir: string): Promise<TestPki> {
  await Deno.mkdir(dir, { recursive: true });
  const p = (f: string) => `${dir}/${f}`;
  const days = "3650";
  const sh = (cmd: string) => openssl(dir, cmd.trim().split(/\s+/));
  await sh(`req -x509 -newkey rsa:2048 -nodes -sha256 -days ${days}
    -keyout ca.key -out ca.crt -subj /CN=frp-test-ca
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign`);
  const leaf = async (name: string, cn: string, ext: string) => {
    await Deno.writeTextFile(p(`${name}.ext`), ext);
    await sh(`req -newkey rsa:2048 -nodes -sha256
      -keyout ${name}.key -out ${name}.csr -subj /CN=${cn}`);
    const serial = Array.from(
      crypto.getRandomValues(new Uint8Array(8)),
      (b) => b.toString(16).padStart(2, "0"),
    ).join("");
    await sh(`x509 -req -sha256 -days ${days} -in ${name}.csr -CA ca.crt -CAkey ca.key
      -set_serial 0x${serial} -out ${name}.crt -extfile ${name}.ext`);
  };
  const common = "basicConstraints=critical,CA:FALSE\n" +
    "keyUsage=critical,digitalSignature,keyEncipherment\n";
  await leaf(
    "server",
    "127.0.0.1",
    common + "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
  );
  await leaf("client", "frp-test-client", common + "extendedKeyUsage=clientAuth\n");
  return {
    dir,
    caCert: p("ca.crt"),
    caKey: p("ca.key"),
    serverCert: p("server.crt"),
    serverKey: p("server.key"),
    clientCert: p("client.crt"),
    clientKey: p("client.key"),
  };
}
