/**
 * yamux error classes. Callers branch on the class; messages are for logs.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";

/** The peer broke the yamux protocol (bad version/type, window overflow, duplicate stream). */
export class YamuxProtocolError extends ProtocolError {
  /** GoAway code sent to the peer before tearing down, if any (Go sends 1 for some errors). */
  readonly goAwayCode: number | undefined;

  constructor(message: string, goAwayCode?: number) {
    super(message);
    this.goAwayCode = goAwayCode;
  }
}

/** Base class of the non-protocol yamux failures. */
export class YamuxError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The session is closed (locally, by the peer, or after an error: see `cause`). */
export class SessionClosedError extends YamuxError {}

/** The stream was reset (RST received or sent): reads and writes fail (Go: ErrConnectionReset). */
export class StreamResetError extends YamuxError {}

/** Write after the local side closed the stream (Go: ErrStreamClosed). */
export class StreamClosedError extends YamuxError {}

/** The peer sent GoAway(0): no new streams may be opened (Go: ErrRemoteGoAway). */
export class RemoteGoAwayError extends YamuxError {}

/** The peer sent GoAway with an error code (1 protocol, 2 internal, other). */
export class GoAwayReceivedError extends YamuxError {
  /** The GoAway code received. */
  readonly code: number;

  constructor(code: number) {
    super(
      code === 1
        ? "yamux: remote sent GoAway(protocol error)"
        : code === 2
        ? "yamux: remote sent GoAway(internal error)"
        : `yamux: remote sent unexpected GoAway(${code})`,
    );
    this.code = code;
  }
}

/** A keepalive ping was not answered within connectionWriteTimeoutMs. */
export class KeepAliveTimeoutError extends YamuxError {}

/** A ping was not answered in time. */
export class PingTimeoutError extends YamuxError {}

/** An opened stream was not acknowledged within streamOpenTimeoutMs (closes the session). */
export class StreamOpenTimeoutError extends YamuxError {}

/** All stream ids are used up. */
export class StreamsExhaustedError extends YamuxError {}
