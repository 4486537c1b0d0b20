/**
 * Go encoding/json's syntax error texts (`invalid character '}' looking for beginning of value`,
 * `unexpected end of JSON input`), which frp prints for a broken JSON config: a small validator
 * following Go's scanner states, so users see the same message Go frp gives.
 *
 * @module
 */

/** Go's quoteChar: `'x'`, `'\''`, `'"'`, `'\n'`, `'\x01'`. */
function quoteChar(c: string): string {
  if (c === "'") return `'\\''`;
  if (c === '"') return `'"'`;
  const q = JSON.stringify(c).slice(1, -1)
    .replace(/\\u00([0-9a-f]{2})/g, "\\x$1")
    .replace(/\\b/g, "\\b");
  return `'${q}'`;
}

class Syntax extends Error {}

const bad = (c: string, ctx: string) => new Syntax(`invalid character ${quoteChar(c)} ${ctx}`);
const WS = new Set([" ", "\t", "\n", "\r"]);

/**
 * Returns Go's error text for invalid JSON `text`, or undefined when it is valid (as far as
 * Go's scanner is concerned).
 */
export function goJsonSyntaxError(text: string): string | undefined {
  let i = 0;
  const eof = () => new Syntax("unexpected end of JSON input");
  const skip = () => {
    while (i < text.length && WS.has(text[i])) i++;
  };
  const lit = (word: string) => {
    for (let k = 1; k < word.length; k++) {
      if (++i >= text.length) throw eof();
      if (text[i] !== word[k]) {
        throw bad(text[i], `in literal ${word} (expecting ${quoteChar(word[k])})`);
      }
    }
    i++;
  };
  const digits = () => {
    while (i < text.length && text[i] >= "0" && text[i] <= "9") i++;
  };
  const number = () => {
    if (text[i] === "-") {
      i++;
      if (i >= text.length) throw eof();
      if (!(text[i] >= "0" && text[i] <= "9")) throw bad(text[i], "in numeric literal");
    }
    if (text[i] === "0") i++;
    else digits();
    if (text[i] === ".") {
      i++;
      if (i >= text.length) throw eof();
      if (!(text[i] >= "0" && text[i] <= "9")) {
        throw bad(text[i], "after decimal point in numeric literal");
      }
      digits();
    }
    if (text[i] === "e" || text[i] === "E") {
      i++;
      if (text[i] === "+" || text[i] === "-") i++;
      if (i >= text.length) throw eof();
      if (!(text[i] >= "0" && text[i] <= "9")) throw bad(text[i], "in exponent of numeric literal");
      digits();
    }
  };
  const string = () => {
    i++;
    for (;;) {
      if (i >= text.length) throw eof();
      const c = text[i++];
      if (c === '"') return;
      if (c < " ") throw bad(c, "in string literal");
      if (c !== "\\") continue;
      if (i >= text.length) throw eof();
      const e = text[i++];
      if (e === "u") {
        for (let k = 0; k < 4; k++, i++) {
          if (i >= text.length) throw eof();
          if (!/[0-9a-fA-F]/.test(text[i])) {
            throw bad(text[i], "in \\u hexadecimal character escape");
          }
        }
      } else if (!'"\\/bfnrt'.includes(e)) throw bad(e, "in string escape code");
    }
  };
  const value = (): void => {
    skip();
    if (i >= text.length) throw eof();
    const c = text[i];
    if (c === "{") {
      i++;
      skip();
      if (i >= text.length) throw eof();
      if (text[i] === "}") {
        i++;
        return;
      }
      for (;;) {
        skip();
        if (i >= text.length) throw eof();
        if (text[i] !== '"') throw bad(text[i], "looking for beginning of object key string");
        string();
        skip();
        if (i >= text.length) throw eof();
        if (text[i] !== ":") throw bad(text[i], "after object key");
        i++;
        value();
        skip();
        if (i >= text.length) throw eof();
        if (text[i] === "}") {
          i++;
          return;
        }
        if (text[i] !== ",") throw bad(text[i], "after object key:value pair");
        i++;
      }
    }
    if (c === "[") {
      i++;
      skip();
      if (i >= text.length) throw eof();
      if (text[i] === "]") {
        i++;
        return;
      }
      for (;;) {
        value();
        skip();
        if (i >= text.length) throw eof();
        if (text[i] === "]") {
          i++;
          return;
        }
        if (text[i] !== ",") throw bad(text[i], "after array element");
        i++;
      }
    }
    if (c === '"') return string();
    if (c === "-" || (c >= "0" && c <= "9")) return number();
    if (c === "t") return lit("true");
    if (c === "f") return lit("false");
    if (c === "n") return lit("null");
    throw bad(c, "looking for beginning of value");
  };
  try {
    value();
    skip();
    if (i < text.length) throw bad(text[i], "after top-level value");
    return undefined;
  } catch (e) {
    if (e instanceof Syntax) return e.message;
    throw e;
  }
}
