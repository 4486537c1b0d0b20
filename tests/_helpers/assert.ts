/** Minimal assertions, so the suites need no registry dependency. */

/** Throws unless `actual` and `expected` are equal (compared as JSON). */
export function assertEquals<T>(actual: T, expected: T, msg = "values differ"): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${msg}:\n  actual:   ${a}\n  expected: ${e}`);
}

/** Throws unless `cond` is truthy. */
export function assert(cond: unknown, msg = "assertion failed"): asserts cond {
  if (!cond) throw new Error(msg);
}
