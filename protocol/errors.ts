/**
 * Error classes for the wire layers. Callers branch on the class (e.g. a clean EOF between
 * frames vs. a truncated frame) instead of parsing messages.
 *
 * @module
 */

/** Base class of every protocol-level failure: the peer sent bytes we cannot accept. */
export class ProtocolError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A v1 frame announced a body longer than the limit (or a negative length). */
export class FrameTooLargeError extends ProtocolError {
  /** The announced body length (may be negative). */
  readonly length: bigint;
  /** The limit that was exceeded. */
  readonly limit: number;

  constructor(length: bigint, limit: number) {
    super(
      length < 0n
        ? `Cannot decode frame: negative length ${length}`
        : `Cannot decode frame: length ${length} exceeds ${limit}`,
    );
    this.length = length;
    this.limit = limit;
  }
}

/** A v1 frame started with a type byte that no frp message uses. */
export class UnknownMessageTypeError extends ProtocolError {
  /** The offending type byte. */
  readonly typeByte: number;

  constructor(typeByte: number) {
    super(
      `Cannot decode frame: unknown message type byte 0x${typeByte.toString(16).padStart(2, "0")}`,
    );
    this.typeByte = typeByte;
  }
}

/** A frame/chunk was complete but its content is invalid (bad JSON, bad snappy data, CRC…). */
export class MalformedMessageError extends ProtocolError {}

/** The stream ended before a complete unit (frame, IV, chunk) was read. */
export class UnexpectedEofError extends ProtocolError {
  /**
   * True when EOF came before the first byte of the unit, i.e. the peer closed cleanly
   * between units. Callers usually treat that as a normal close rather than an error.
   */
  readonly atBoundary: boolean;

  constructor(message: string, atBoundary = false) {
    super(message);
    this.atBoundary = atBoundary;
  }
}

/** The message of an error without its stack, for log lines and wire error texts. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
