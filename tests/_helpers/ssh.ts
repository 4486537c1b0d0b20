/**
 * OpenSSH client runs for the SSH tunnel gateway tests: `ssh -R … v0@127.0.0.1 -p <port> <cmd>`
 * with a throwaway key, output captured so a test can wait for frp's terminal messages.
 *
 * @module
 */
import { withTimeout } from "./services.ts";

/** Whether `ssh` and `ssh-keygen` (Debian openssh-client) are installed. */
export function hasOpenSsh(): boolean {
  try {
    for (const bin of ["ssh", "ssh-keygen"]) {
      new Deno.Command(bin, { args: ["-V"], stdout: "null", stderr: "null" }).outputSync();
    }
    return true;
  } catch {
    return false;
  }
}

/** Creates an ed25519 key pair `<dir>/<name>` with `comment`; returns the private key path. */
export async function makeSshKey(dir: string, name: string, comment: string): Promise<string> {
  const path = `${dir}/${name}`;
  const out = await new Deno.Command("ssh-keygen", {
    args: ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`ssh-keygen: ${new TextDecoder().decode(out.stderr)}`);
  return path;
}

/** Options of {@link startSsh}. */
export interface SshOptions {
  port: number;
  key: string;
  /** The `-R` spec, e.g. `:80:127.0.0.1:8080`. */
  forward: string;
  /** The exec command (words); empty = `-N`. */
  command: string[];
  /** Extra options, placed first so they win (e.g. `-o UserKnownHostsFile=…`). */
  extra?: string[];
}

/** A running ssh client. */
export class SshRun implements AsyncDisposable {
  stdout = "";
  stderr = "";
  readonly exited: Promise<Deno.CommandStatus>;
  readonly #child: Deno.ChildProcess;

  constructor(o: SshOptions) {
    // ssh keeps the first value of an option: the caller's come first.
    const args = [
      ...(o.extra ?? []),
      "-p",
      String(o.port),
      "-o",
      "StrictHostKeyChecking=no",
      "-o",
      "UserKnownHostsFile=/dev/null",
      "-o",
      "LogLevel=ERROR",
      "-o",
      "BatchMode=yes",
      "-o",
      "ExitOnForwardFailure=no",
      "-i",
      o.key,
      "-R",
      o.forward,
      ...(o.command.length === 0 ? ["-N"] : []),
      "v0@127.0.0.1",
      ...o.command,
    ];
    this.#child = new Deno.Command("ssh", {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const pump = async (s: ReadableStream<Uint8Array>, to: "stdout" | "stderr") => {
      const dec = new TextDecoder();
      for await (const chunk of s) this[to] += dec.decode(chunk, { stream: true });
    };
    const pumps = [pump(this.#child.stdout, "stdout"), pump(this.#child.stderr, "stderr")];
    this.exited = Promise.all([this.#child.status, ...pumps]).then(([s]) => s);
  }

  /** Resolves once stdout matches `re`; rejects (with the output) after `ms`. */
  async waitFor(re: RegExp, ms = 15000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!re.test(this.stdout)) {
      if (Date.now() > deadline) {
        throw new Error(
          `ssh: no ${re} within ${ms} ms; stdout=${this.stdout} stderr=${this.stderr}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Waits for the client to exit by itself (an error path). */
  async done(ms = 15000): Promise<Deno.CommandStatus> {
    return await withTimeout(this.exited, ms, "ssh exit");
  }

  async kill(): Promise<void> {
    try {
      this.#child.kill("SIGTERM");
    } catch { /* already exited */ }
    await this.exited;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.kill();
  }
}

/** Starts ssh (see {@link SshOptions}). */
export function startSsh(o: SshOptions): SshRun {
  return new SshRun(o);
}
