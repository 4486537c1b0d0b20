/**
 * Error type and sentinels shared by every stage of the frp config template engine, so the
 * lexer, parser and evaluator report failures in one Go-compatible shape.
 *
 * @module
 */

/** Template name used in error messages (`template: frp:LINE: …`). */
export const NAME = "frp";

/** A lex, parse or execution failure, with Go's message text. */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TemplateError";
  }
}

/** Go's "<no value>": a missing map key, distinct from an explicit nil. */
export const NO_VALUE = Symbol("no value");
