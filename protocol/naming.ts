/**
 * frp's proxy naming rule (Go's pkg/naming, wire-v1.md §11.2): names on the wire and on frps are
 * `user.name` when the client has a user. Shared by frpc, frps's registries and the SSH gateway.
 *
 * @module
 */

/** `user.name` when the client has a user. */
export function wireName(user: string, name: string): string {
  return user ? `${user}.${name}` : name;
}

/** Strips exactly one `user.` prefix from a name the server sent. */
export function localName(user: string, name: string): string {
  const prefix = `${user}.`;
  return user && name.startsWith(prefix) ? name.slice(prefix.length) : name;
}
