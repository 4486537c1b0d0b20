/** Error type of the config system. `message` is the user-facing text (no stack needed). */
export class ConfigError extends Error {
  /**
   * Go frp's own text, without the `file:line:col:` location and `(at path)` our loader adds:
   * what the reload API answers and `frpc reload` prints, byte for byte as Go.
   */
  readonly goText: string;
  /** An error whose message is shown to the user as is; `goText` is Go's form of it. */
  constructor(message: string, goText: string = message) {
    super(message);
    this.name = "ConfigError";
    this.goText = goText;
  }
}
