/**
 * frp's 404 pages (pkg/util/vhost/resource.go, behaviour.md §1.10).
 *
 * @module
 */
import { FRP_VERSION } from "../context.ts";

/** The built-in page, byte for byte. */
export const NOT_FOUND_PAGE = `<!DOCTYPE html>
<html>
<head>
<title>Not Found</title>
<style>
    body {
        width: 35em;
        margin: 0 auto;
        font-family: Tahoma, Verdana, Arial, sans-serif;
    }
</style>
</head>
<body>
<h1>The page you requested was not found.</h1>
<p>Sorry, the page you are looking for is currently unavailable.<br/>
Please try again later.</p>
<p>The server is powered by <a href="https://github.com/fatedier/frp">frp</a>.</p>
<p><em>Faithfully yours, frp.</em></p>
</body>
</html>
`;

const enc = new TextEncoder();

/**
 * The 404 page: `custom404Page` re-read on every call, falling back to the built-in page
 * (with a warning) when it cannot be read.
 */
export function notFoundPage(custom404Page?: string, warn?: (msg: string) => void): Uint8Array {
  if (custom404Page) {
    try {
      return Deno.readFileSync(custom404Page);
    } catch (err) {
      warn?.(`read custom 404 page error: ${err instanceof Error ? err.message : err}`);
    }
  }
  return enc.encode(NOT_FOUND_PAGE);
}

/** The raw-socket 404 (`NotFoundResponse`) used by tcpmux and HTTP CONNECT failures. */
export function notFoundResponse(custom404Page?: string, warn?: (msg: string) => void): Uint8Array {
  const page = notFoundPage(custom404Page, warn);
  const head = enc.encode(
    `HTTP/1.1 404 Not Found\r\nContent-Length: ${page.byteLength}\r\n` +
      `Content-Type: text/html\r\nServer: frp/${FRP_VERSION}\r\n\r\n`,
  );
  const out = new Uint8Array(head.byteLength + page.byteLength);
  out.set(head);
  out.set(page, head.byteLength);
  return out;
}
