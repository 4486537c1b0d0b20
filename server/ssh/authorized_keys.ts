/**
 * `sshTunnelGateway.authorizedKeysFile`: OpenSSH authorized_keys lines; the key's comment
 * (trimmed) becomes the frp user, as Go's loadAuthorizedKeysFromFile. Re-read on every login
 * attempt, so edits apply without a restart.
 *
 * @module
 */
/** One authorized key. */
export interface AuthorizedKey {
  /** The public key blob (SSH wire format). */
  blob: Uint8Array;
  /** `<type> <base64>`: what ssh2's parseKey reads to verify the signature. */
  line: string;
  /** The comment: the frp user. */
  user: string;
}

const KEY_TYPE = /^(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp(256|384|521)|sk-[a-z0-9@.-]+)$/;

/** Splits an options prefix (which may quote spaces) from the rest of the line. */
function skipOptions(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') quoted = !quoted;
    else if (c === "\\" && quoted) i++;
    else if ((c === " " || c === "\t") && !quoted) return line.slice(i).trimStart();
  }
  return "";
}

/** Parses an authorized_keys file's text; throws on a malformed line, as Go does. */
export function parseAuthorizedKeys(text: string): AuthorizedKey[] {
  const out: AuthorizedKey[] = [];
  for (const raw of text.split("\n")) {
    let line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (!KEY_TYPE.test(line.split(/[ \t]+/)[0])) line = skipOptions(line);
    const m = /^(\S+)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(line);
    if (!m || !KEY_TYPE.test(m[1])) throw new Error("ssh: no key found");
    let blob: Uint8Array;
    try {
      blob = Uint8Array.from(atob(m[2]), (c) => c.charCodeAt(0));
    } catch {
      throw new Error("ssh: no key found");
    }
    out.push({ blob, line: `${m[1]} ${m[2]}`, user: (m[3] ?? "").trim() });
  }
  return out;
}

/** Reads and parses the file (throws on read or parse errors). */
export function readAuthorizedKeys(path: string): AuthorizedKey[] {
  return parseAuthorizedKeys(Deno.readTextFileSync(path));
}

/** The entry whose key blob equals the offered key, if any. */
export function findAuthorizedUser(
  keys: AuthorizedKey[],
  offered: Uint8Array,
): AuthorizedKey | undefined {
  return keys.find((k) =>
    k.blob.byteLength === offered.byteLength && k.blob.every((b, i) => b === offered[i])
  );
}
