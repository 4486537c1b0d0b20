/**
 * The client side of the admin/dashboard APIs, shared by `frpc reload|status|stop` and
 * `frps reload`: the base URL from a `webServer` section, basic auth, frp's error texts.
 *
 * @module
 */

/** Where the API listens and how to authenticate (a config's `webServer`). */
export interface ApiTarget {
  addr: string;
  port: number;
  user?: string;
  password?: string;
}

/** Calls one API route; resolves to the body of a 200 answer, throws frp's texts otherwise. */
export type ApiCall = (method: string, path: string) => Promise<string>;

/** An {@link ApiCall} for `ws` (timeoutMs 0 = none). */
export function apiCaller(ws: ApiTarget, timeoutMs: number): ApiCall {
  const host = ws.addr.includes(":") ? `[${ws.addr}]` : ws.addr;
  const base = `http://${host}:${ws.port}`;
  const headers: Record<string, string> = {};
  if (ws.user || ws.password) {
    headers.authorization = "Basic " + btoa(`${ws.user ?? ""}:${ws.password ?? ""}`);
  }
  return async (method, path) => {
    const url = base + path;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        signal: timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined,
      });
    } catch (err) {
      const verb = method[0] + method.slice(1).toLowerCase();
      throw new Error(`${verb} "${url}": ${dialError(err as Error, ws, host)}`);
    }
    const text = await res.text();
    if (res.status !== 200) throw new ApiStatusError(res.status, text);
    return text;
  };
}

/** Go net/http's text for the common dial failures (`dial tcp …: connect: connection refused`). */
function dialError(err: Error, ws: ApiTarget, host: string): string {
  const detail = String((err.cause as Error | undefined)?.message ?? err.message);
  if (/Connection refused/i.test(detail)) {
    return `dial tcp ${host}:${ws.port}: connect: connection refused`;
  }
  if (err.name === "TimeoutError") {
    return "context deadline exceeded (Client.Timeout exceeded while awaiting headers)";
  }
  return err.message;
}

/** A non-200 answer: frp prints `api status code [N]`; the body is kept for callers that show it. */
export class ApiStatusError extends Error {
  readonly status: number;
  readonly body: string;
  constructor(status: number, body: string) {
    super(`api status code [${status}]`);
    this.name = "ApiStatusError";
    this.status = status;
    this.body = body;
  }
}
