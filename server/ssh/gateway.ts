/**
 * frps's SSH tunnel gateway (Go's pkg/ssh): a user with only an SSH client publishes a port,
 * `ssh -R :80:127.0.0.1:8080 v0@frps -p 2200 http --custom_domain a.example.com`. Per SSH
 * connection: within 3 s a `tcpip-forward` request and an `exec` command; the command picks
 * the proxy (server/ssh/flags.ts); an in-process frpc (virtual_client.ts) registers it with
 * this frps; each user connection becomes a `forwarded-tcpip` channel back to the client.
 * Built on npm:ssh2 (pure JS; its optional native crypto/cpu-features are not needed).
 *
 * @module
 */
import { wireName } from "../../protocol/naming.ts";
import { generateKeyPairSync } from "node:crypto";
import type { Duplex as NodeDuplex } from "node:stream";
import ssh2 from "ssh2";
import type { Duplex } from "../../protocol/duplex.ts";
import type { Login, NewProxy } from "../../protocol/msg/messages.ts";
import { errorText } from "../../protocol/errors.ts";
import { randomHexId } from "../../protocol/ids.ts";
import { pipePair } from "../../protocol/pipe.ts";
import { privilegeKey } from "../../protocol/crypto/mod.ts";
import { nodeStreamToConn } from "../../transport/_node_stream.ts";
import type { SSHTunnelGateway } from "../../config/types.ts";
import type { Logger } from "../../log/logger.ts";
import { hostInfo } from "../../cli/runtime.ts";
import { FRP_VERSION } from "../context.ts";
import { openErrorText } from "../../config/_fs.ts";
import { parseSshCommand, type SshCommand } from "./flags.ts";
import { VirtualClient } from "./virtual_client.ts";
import { findAuthorizedUser, readAuthorizedKeys } from "./authorized_keys.ts";

/** Go's waitForwardAddrAndExtraPayload timeout. */
const SETUP_TIMEOUT_MS = 3000;
/** Go sends a keep-alive every 30 s and never gives up on a silent client. */
const KEEPALIVE_MS = 30_000;
/** In-memory pipe capacity: backpressure between frps's side and the SSH channel. */
const PIPE_CAPACITY = 256 * 1024;

// Minimal shapes of the ssh2 objects we use (the package ships no types).
interface AuthContext {
  method: string;
  key?: { algo: string; data: Uint8Array };
  signature?: Uint8Array;
  blob?: Uint8Array;
  hashAlgo?: string;
  accept(): void;
  reject(methods?: string[]): void;
}
type Accept<T = void> = (() => T) | undefined;
interface SshSession {
  on(
    ev: "exec",
    cb: (accept: () => NodeDuplex, reject: unknown, info: { command: string }) => void,
  ): void;
  on(ev: string, cb: (accept: Accept<NodeDuplex | void>) => void): void;
}
interface SshConnection {
  on(ev: "authentication", cb: (ctx: AuthContext) => void): SshConnection;
  on(ev: "ready" | "close" | "end", cb: () => void): SshConnection;
  on(ev: "error", cb: (err: Error) => void): SshConnection;
  on(
    ev: "request",
    cb: (accept: Accept, reject: unknown, name: string, info: ForwardInfo) => void,
  ): SshConnection;
  on(ev: "session", cb: (accept: () => SshSession) => void): SshConnection;
  forwardOut(
    boundAddr: string,
    boundPort: number,
    remoteAddr: string,
    remotePort: number,
    cb: (err: Error | undefined, ch: NodeDuplex) => void,
  ): void;
  end(): void;
  _sock?: { end(): void; destroy(): void; remoteAddress?: string; remotePort?: number };
}
interface ForwardInfo {
  bindAddr: string;
  bindPort: number;
}
interface SshServer {
  on(ev: "error", cb: (err: Error) => void): SshServer;
  listen(port: number, host: string, cb: () => void): void;
  once(ev: "error", cb: (err: Error) => void): SshServer;
  close(): void;
}

/** What the gateway needs from frps. */
export interface GatewayHost {
  /** Feeds an in-process logical connection to frps (Service.handleInternal). */
  handleInternal(conn: Duplex): void;
  log: Logger;
}

/** Go's `open <path>: …` texts; a path outside a narrowed grant names the flag to add. */
function fileError(path: string, err: unknown, flag: string): Error {
  const text = openErrorText(path, err);
  return new Error((err as Error)?.name === "NotCapable" ? `${text} (frp needs ${flag})` : text);
}

/** Reads or creates the host key as Go does (RSA-2048 PKCS#1 PEM, mode 0600). */
export function loadHostKey(cfg: SSHTunnelGateway): string {
  if (cfg.privateKeyFile) {
    try {
      return Deno.readTextFileSync(cfg.privateKeyFile);
    } catch (err) {
      throw fileError(cfg.privateKeyFile, err, "--allow-read");
    }
  }
  let pem = "";
  if (cfg.autoGenPrivateKeyPath) {
    try {
      pem = Deno.readTextFileSync(cfg.autoGenPrivateKeyPath);
    } catch { /* missing: generate below, as Go */ }
  }
  if (pem.length > 0) return pem;
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "pkcs1", format: "pem" },
  });
  if (cfg.autoGenPrivateKeyPath) {
    try {
      Deno.writeTextFileSync(cfg.autoGenPrivateKeyPath, privateKey, { mode: 0o600 });
    } catch (err) {
      throw fileError(cfg.autoGenPrivateKeyPath, err, "--allow-write");
    }
  }
  return privateKey;
}

/** The listening gateway. */
export class SshGateway {
  readonly #server: SshServer;
  readonly #conns = new Set<SshConnection>();

  private constructor(server: SshServer) {
    this.#server = server;
  }

  /** Loads the host key and binds `bindAddr:bindPort`; throws Go's errors on failure. */
  static async start(
    cfg: SSHTunnelGateway,
    bindAddr: string,
    host: GatewayHost,
  ): Promise<SshGateway> {
    const hostKey = loadHostKey(cfg);
    const parsed = ssh2.utils.parseKey(hostKey);
    if (parsed instanceof Error) {
      // Go's ssh.ParsePrivateKey wording for what it cannot read
      throw new Error(
        /unsupported key format/i.test(parsed.message)
          ? "ssh: no key found"
          : `ssh: ${parsed.message}`,
      );
    }
    const log = host.log.child("ssh/gateway.ts");
    let gw: SshGateway | undefined = undefined;
    const server = new ssh2.Server({
      hostKeys: [hostKey],
      keepaliveInterval: KEEPALIVE_MS,
      keepaliveCountMax: Number.MAX_SAFE_INTEGER,
    }, (conn: SshConnection) => gw!.#handle(conn, cfg, host)) as unknown as SshServer;
    gw = new SshGateway(server);
    await new Promise<void>((resolve, reject) => {
      server.once("error", (err: Error & { code?: string }) => {
        const addr = `${bindAddr.includes(":") ? `[${bindAddr}]` : bindAddr}:${cfg.bindPort}`;
        const why = err.code === "EADDRINUSE"
          ? "address already in use"
          : err.code === "EACCES"
          ? "permission denied"
          : errorText(err);
        reject(new Error(`listen tcp ${addr}: bind: ${why}`));
      });
      server.listen(cfg.bindPort, bindAddr, () => resolve());
    });
    server.on("error", (err) => log.debug(`ssh gateway listener error: ${errorText(err)}`));
    return gw;
  }

  #handle(conn: SshConnection, cfg: SSHTunnelGateway, host: GatewayHost): void {
    this.#conns.add(conn);
    const tunnel = new TunnelSession(conn, cfg, host);
    conn.on("close", () => {
      this.#conns.delete(conn);
      tunnel.close();
    });
    tunnel.run().catch((err) => {
      host.log.child("ssh/gateway.ts").error(`ssh tunnel server run error: ${errorText(err)}`);
    }).finally(() => tunnel.closeSsh());
  }

  /** Stops listening and drops every SSH connection. */
  close(): void {
    this.#server.close();
    for (const c of this.#conns) c._sock?.destroy();
    this.#conns.clear();
  }
}

/** One SSH connection (Go's TunnelServer). */
class TunnelSession {
  readonly #conn: SshConnection;
  readonly #cfg: SSHTunnelGateway;
  readonly #host: GatewayHost;
  /** authorized_keys comment of the key that logged in ("" without authorizedKeysFile). */
  #keyUser = "";
  #forward: ForwardInfo | undefined;
  #command = "";
  #terminal: NodeDuplex | undefined;
  #setup: PromiseWithResolvers<void> = Promise.withResolvers();
  readonly #ended: PromiseWithResolvers<void> = Promise.withResolvers();
  #vc: VirtualClient | undefined;
  #ready = false;
  /** Go's handshake error after a refused key (logged when the client gives up). */
  #authError = "";

  constructor(conn: SshConnection, cfg: SSHTunnelGateway, host: GatewayHost) {
    this.#conn = conn;
    this.#cfg = cfg;
    this.#host = host;
    conn.on("error", (err) => host.log.child("ssh/server.ts").trace(`ssh: ${errorText(err)}`));
    conn.on("authentication", (ctx) => this.#authenticate(ctx));
    conn.on("ready", () => this.#onReady());
    conn.on("end", () => this.#ended.resolve());
    conn.on("close", () => this.#ended.resolve());
  }

  #authenticate(ctx: AuthContext): void {
    if (!this.#cfg.authorizedKeysFile) {
      ctx.accept(); // Go: NoClientAuth
      return;
    }
    if (ctx.method !== "publickey" || !ctx.key) {
      ctx.reject(["publickey"]);
      return;
    }
    let keys;
    try {
      keys = readAuthorizedKeys(this.#cfg.authorizedKeysFile);
    } catch (err) {
      this.#host.log.child("ssh/gateway.ts").error(
        `load authorized keys file error: ${errorText(err)}`,
      );
      ctx.reject(["publickey"]);
      return;
    }
    const found = findAuthorizedUser(keys, ctx.key.data);
    if (!found) {
      const sock = this.#conn._sock;
      this.#authError = `[ssh: no auth passed yet, unknown public key for remoteAddr "${
        sock?.remoteAddress ?? ""
      }:${sock?.remotePort ?? 0}"]`;
      ctx.reject(["publickey"]);
      return;
    }
    if (ctx.signature && ctx.blob) {
      const pub = ssh2.utils.parseKey(found.line);
      const key = Array.isArray(pub) ? pub[0] : pub;
      if (key instanceof Error || key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) {
        ctx.reject(["publickey"]);
        return;
      }
      this.#keyUser = found.user;
    }
    ctx.accept();
  }

  #onReady(): void {
    this.#ready = true;
    this.#conn.on("request", (accept, _reject, name, info) => {
      if (name === "tcpip-forward" && !this.#forward) {
        this.#forward = { bindAddr: info.bindAddr, bindPort: info.bindPort };
        this.#checkSetup();
      }
      accept?.(); // Go answers every request true
    });
    this.#conn.on("session", (acceptSession) => {
      const session = acceptSession();
      for (const ev of ["pty", "env", "window-change", "x11", "signal", "auth-agent"]) {
        session.on(ev, (accept) => accept?.());
      }
      session.on("shell", (accept) => {
        const ch = accept?.();
        if (ch) this.#setTerminal(ch);
      });
      session.on("exec", (accept, _reject, info) => {
        this.#setTerminal(accept());
        if (!this.#command && info.command) this.#command = info.command;
        this.#checkSetup();
      });
    });
  }

  #checkSetup(): void {
    if (this.#forward && this.#command) this.#setup.resolve();
  }

  /** The first session channel is where frp's messages go (Go's firstChannel). */
  #setTerminal(ch: NodeDuplex): void {
    // a write racing the client's disconnect must not become an uncaught stream error
    ch.on("error", () => {});
    this.#terminal ??= ch;
  }

  /** Writes one message line to the user's terminal, as Go's writeToClient. */
  #write(text: string): void {
    const t = this.#terminal;
    if (t && !t.destroyed && t.writable) t.write(text + "\n");
  }

  async run(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = await Promise.race([
      this.#setup.promise.then(() => false),
      this.#ended.promise.then(() => true),
      new Promise<boolean>((r) => timer = setTimeout(() => r(true), SETUP_TIMEOUT_MS)),
    ]).finally(() => clearTimeout(timer));
    if (timedOut) {
      // Go's NewServerConn fails first when the client never authenticated.
      if (!this.#ready) throw new Error(this.#authError || "EOF");
      throw new Error("get addr and extra payload timeout");
    }
    const forward = this.#forward!;
    const parsed = parseSshCommand(this.#command);
    if (parsed.kind === "help") {
      this.#write(parsed.text);
      return;
    }
    if (parsed.kind === "error") {
      this.#write(parsed.message);
      throw new Error(`parse flags from ssh client error: ${parsed.message}`);
    }
    const cmd = parsed.cmd;
    cmd.proxyName ||= `sshtunnel-${cmd.type}-${randomHexId(4)}`;
    const user = this.#keyUser || cmd.user;
    const vc = new VirtualClient({
      connect: () => {
        const [mine, theirs] = pipePair({ capacity: PIPE_CAPACITY });
        this.#host.handleInternal(theirs);
        return mine;
      },
      login: this.#login(cmd, user),
      proxy: newProxyMessage(cmd, user),
      openTarget: () => this.#openChannel(forward),
      log: this.#host.log.child("ssh/server.ts"),
    });
    this.#vc = vc;
    const res = await vc.start();
    if (!res.ok) {
      this.#write(res.error);
      // Go: a failed login closes the SSH connection, which ends the status wait.
      const why = res.error.startsWith("login to the server failed")
        ? "ssh tunnel server closed"
        : res.error;
      this.#host.log.child("ssh/server.ts").warn(`wait proxy status ready error: ${why}`);
    } else {
      this.#write(successInfo(user, cmd, res.remoteAddr));
      await this.#ended.promise;
    }
    vc.close();
  }

  #login(cmd: SshCommand, user: string): Login {
    const timestamp = Math.floor(Date.now() / 1000);
    return {
      version: FRP_VERSION,
      ...hostInfo(),
      user,
      privilege_key: privilegeKey(cmd.token, timestamp),
      timestamp,
      run_id: "",
      client_id: cmd.clientId || undefined,
      // Go: with authorized keys SSH has authenticated the user; else the token is checked.
      client_spec: { type: "ssh-tunnel", always_auth_pass: !!this.#cfg.authorizedKeysFile },
      pool_count: 1,
    };
  }

  /** A `forwarded-tcpip` channel back to the client (Go's openConn payload). */
  #openChannel(f: ForwardInfo): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const fail = (err: unknown) => reject(new Error(`open ssh channel error: ${errorText(err)}`));
      try {
        this.#conn.forwardOut(f.bindAddr, f.bindPort, f.bindAddr, f.bindPort, (err, ch) => {
          if (err) return fail(err);
          const addr = { hostname: f.bindAddr, port: f.bindPort };
          resolve(nodeStreamToConn(ch, addr, addr));
        });
      } catch (err) {
        fail(err); // the SSH connection is already gone
      }
    });
  }

  /** Ends the SSH connection once the terminal output is flushed (Go closes the socket). */
  closeSsh(): void {
    this.#vc?.close();
    const sock = this.#conn._sock;
    if (sock) sock.end();
    else this.#conn.end();
  }

  close(): void {
    this.#ended.resolve();
    this.#vc?.close();
  }
}

/** Go's createSuccessInfo. */
function successInfo(user: string, cmd: SshCommand, remoteAddr: string): string {
  return `\nfrp (via SSH) (Ctrl+C to quit)\n\nUser: ${user}\nProxyName: ${cmd.proxyName}\n` +
    `Type: ${cmd.type}\nRemoteAddress: ${remoteAddr}\n`;
}

/** The proxy's NewProxy, as Go's MarshalToMsg builds it from the flags (wire name: user.name). */
function newProxyMessage(cmd: SshCommand, user: string): NewProxy {
  const m: NewProxy = {
    proxy_name: wireName(user, cmd.proxyName),
    proxy_type: cmd.type,
    metas: cmd.metadatas,
    annotations: cmd.annotations,
  };
  switch (cmd.type) {
    case "tcp":
      m.remote_port = cmd.remotePort;
      break;
    case "http":
      Object.assign(m, {
        custom_domains: cmd.customDomains,
        subdomain: cmd.subDomain,
        locations: cmd.locations,
        http_user: cmd.httpUser,
        http_pwd: cmd.httpPwd,
        host_header_rewrite: cmd.hostHeaderRewrite,
      });
      break;
    case "https":
      Object.assign(m, { custom_domains: cmd.customDomains, subdomain: cmd.subDomain });
      break;
    case "tcpmux":
      Object.assign(m, {
        custom_domains: cmd.customDomains,
        subdomain: cmd.subDomain,
        multiplexer: cmd.multiplexer,
        http_user: cmd.httpUser,
        http_pwd: cmd.httpPwd,
      });
      break;
    case "stcp":
      Object.assign(m, { sk: cmd.sk, allow_users: cmd.allowUsers });
      break;
  }
  return m;
}
