/**
 * Reading small files (certificates, keys) with Go's error texts, so a missing file reads
 * `open a.crt: no such file or directory` as in Go frp.
 *
 * @module
 */

/** Go-like error text for a failed open (`open <path>: no such file or directory`). */
export function openErrorText(path: string, e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return `open ${path}: no such file or directory`;
  if (e instanceof Deno.errors.PermissionDenied || (e as Error)?.name === "NotCapable") {
    return `open ${path}: permission denied`;
  }
  if (e instanceof Deno.errors.IsADirectory) return `read ${path}: is a directory`;
  return `open ${path}: ${e instanceof Error ? e.message : String(e)}`;
}

/** Deno.readTextFile, failing with {@linkcode openErrorText}. */
export async function readTextFileGo(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    throw new Error(openErrorText(path, e));
  }
}
