/**
 * Random identifiers in frp's formats (wire-v1.md §2.19).
 *
 * @module
 */

/** 16 lowercase hex chars from 8 random bytes (frp's run id). */
export function randomHexId(bytes = 8): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

/** Constant-time string comparison for secrets (privilege keys). */
export function timingSafeEqualString(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
